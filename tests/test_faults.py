"""infra.lab.faults: the deterministic drop pattern and its nftables rule."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator

import pytest

from emulator.net.transport import Transport
from infra.lab.faults import NON_FIRST_FRAGMENT_DROP, DropPattern, response_drop
from infra.lab.lab import Lab, list_namespaces
from infra.lab.topology import Role, TopologyKind
from infra.proc import CommandFailed


def test_pattern_describes_its_loss_and_writes_one_rule() -> None:
    pattern = DropPattern(10, frozenset({7, 1, 4}))
    assert pattern.loss == pytest.approx(0.3)
    assert "30 %" not in pattern.describe() and "30%" in pattern.describe()
    rules = pattern.ruleset()
    assert "numgen inc mod 10 { 1, 4, 7 } counter drop" in rules
    assert "udp dport { 500, 4500 }" in rules and "hook input" in rules


def test_fragment_rule_runs_before_netfilter_defragmentation() -> None:
    assert "priority -450" in NON_FIRST_FRAGMENT_DROP  # defrag is -400
    assert "ip frag-off & 0x1fff != 0 counter drop" in NON_FIRST_FRAGMENT_DROP
    assert "frag frag-off != 0 counter drop" in NON_FIRST_FRAGMENT_DROP


@pytest.mark.parametrize(
    ("modulus", "dropped"), [(1, {0}), (10, set()), (10, {10}), (3, {0, 1, 2})]
)
def test_invalid_patterns_are_refused(modulus: int, dropped: set[int]) -> None:
    with pytest.raises(ValueError):
        DropPattern(modulus, frozenset(dropped))


# -- the path MTU and the loss of non-first IP fragments, in a real lab -----------------

_RECEIVE = """
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("0.0.0.0", 500))
s.settimeout(float(sys.argv[1]))
print("ready", flush=True)
sizes = []
try:
    while True:
        sizes.append(len(s.recv(65535)))
except TimeoutError:
    pass
print(" ".join(map(str, sizes)), flush=True)
"""


def _send(lab: Lab, sizes: list[int]) -> None:
    script = (
        "import socket, sys\n"
        "s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)\n"
        "for n in sys.argv[2:]:\n"
        "    s.sendto(b'x' * int(n), (sys.argv[1], 500))\n"
    )
    lab.exec(
        Role.CLIENT,
        [sys.executable, "-c", script, str(lab.plan.gateway_outside), *map(str, sizes)],
    )


def _received(lab: Lab, sizes: list[int]) -> list[int]:
    receiver = lab.spawn(
        Role.GATEWAY,
        [sys.executable, "-c", _RECEIVE, "1.5"],
        stdout=subprocess.PIPE,
    )
    assert receiver.stdout is not None
    assert receiver.stdout.readline().strip() == b"ready"
    _send(lab, sizes)
    out = receiver.stdout.readline().decode().split()
    lab.stop(receiver)
    return [int(n) for n in out]


@pytest.fixture
def lab() -> Iterator[Lab]:
    with Lab.up(TopologyKind.DIRECT, f"faults{os.getpid()}", "unit") as built:
        yield built


def test_mtu_applies_to_every_link_end(lab: Lab) -> None:
    lab.set_mtu(1280)
    for role in (Role.GATEWAY, Role.CLIENT):
        assert "mtu 1280" in lab.exec(role, ["ip", "link", "show", "dev", "wan0"])
    with pytest.raises(ValueError, match="575"):
        lab.set_mtu(575)
    # The emulator reads the same figure as the path MTU its fragments must fit.
    transport = Transport.open(lab.ns(Role.CLIENT), lab.plan.gateway_outside, local_ports=(0, 0))
    try:
        assert transport.path_mtu == 1280
        assert transport.ike_overhead == 20 + 8 + 4
    finally:
        transport.close()


def test_large_datagrams_arrive_in_ip_fragments_until_they_are_dropped(lab: Lab) -> None:
    lab.set_mtu(1280)
    assert _received(lab, [1000, 3000]) == [1000, 3000]
    lab.drop_ip_fragments()
    assert _received(lab, [1000, 3000, 1200]) == [1000, 1200]
    # 3000 bytes at MTU 1280: three fragments, two of them non-first.
    assert lab.dropped_ip_fragments() == {Role.GATEWAY: 2, Role.CLIENT: 0}


def test_a_failed_bring_up_is_torn_down_and_tried_once_more(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """An infrastructure step may be retried, boundedly: the lab's bring-up, twice at most."""
    real_build = Lab._build
    attempts: list[str] = []

    def flaky(self: Lab) -> None:
        attempts.append(self.name)
        if len(attempts) == 1:
            real_build(self)  # half a lab exists when the failure strikes
            raise CommandFailed(["ip", "netns", "add"], 1, "Cannot create namespace")
        real_build(self)

    monkeypatch.setattr(Lab, "_build", flaky)
    with Lab.up(TopologyKind.DIRECT, f"retry{os.getpid()}", "unit") as built:
        assert len(attempts) == 2 and built.name == attempts[1]
        assert built.retried and "Cannot create namespace" in built.retried[0]
        leftovers = [n for n in list_namespaces() if attempts[0] in n]
        assert leftovers == []

    def broken(self: Lab) -> None:
        raise CommandFailed(["nft", "-f", "-"], 1, "no nftables")

    monkeypatch.setattr(Lab, "_build", broken)
    with pytest.raises(CommandFailed, match="no nftables"):
        Lab.up(TopologyKind.DIRECT, f"retry{os.getpid()}", "unit")


def test_response_drop_matches_the_exchange_and_the_response_flag() -> None:
    rules = response_drop(35)
    # Byte 18 of the IKE header after UDP (8) and the non-ESP marker (4): bit 240; R flag:
    # the third bit of byte 19.
    assert "udp sport 4500 @th,240,8 35 @th,250,1 1 counter drop" in rules
    assert "hook output" in rules
    with pytest.raises(ValueError):
        response_drop(256)
