"""A lab: the namespaces of one topology, the daemons started in them, and their teardown.

Namespace names are global, so they carry the lab name (run id, xdist worker, sequence
number); interface names are per namespace and are the same in every lab. Everything the
lab creates is first written to its owner record, so a killed run can be reaped.
"""

from __future__ import annotations

import itertools
import os
import re
import shutil
import subprocess
from collections.abc import Mapping, Sequence
from pathlib import Path
from types import TracebackType
from typing import IO

from infra.lab.faults import (
    FRAGMENT_TABLE,
    NON_FIRST_FRAGMENT_DROP,
    TABLE,
    DropPattern,
    response_drop,
)
from infra.lab.ownership import OwnerRecord
from infra.lab.topology import (
    NAT_RULESET,
    NAT_TABLE,
    IPAddress,
    Role,
    SecondNetwork,
    TopologyKind,
    TopologyPlan,
    plan,
)
from infra.proc import CommandFailed, ProcessId, run, stop_popen

_sequence = itertools.count(1)


def namespace_name(lab_name: str, role: Role) -> str:
    return f"wo-{lab_name}-{role.value}"


class Lab:
    """A built topology. Use as a context manager, or call `down()` in a finally block."""

    def __init__(self, lab_name: str, topology: TopologyPlan, record: OwnerRecord) -> None:
        self.name = lab_name
        self.plan = topology
        self.record = record
        self._children: list[tuple[subprocess.Popen[bytes], ProcessId]] = []
        self.retried: tuple[str, ...] = ()
        """Why earlier attempts to bring this lab up failed (Lab.up), if any did."""

    @property
    def workdir(self) -> Path:
        return self.record.workdir

    def ns(self, role: Role) -> str:
        return namespace_name(self.name, role)

    @classmethod
    def up(cls, kind: TopologyKind, run_id: str, worker: str, *, attempts: int = 2) -> Lab:
        """Create the work directory, owner record and namespaces of a fresh lab.

        A failed bring-up (a command of `ip` or `nft` failing: a lab error, infra.errors) is
        torn down and tried again with a fresh name, ATTEMPTS times in all: an infrastructure
        step may be retried, boundedly; an interop verdict never is. `retried` keeps the
        causes of the attempts that failed, for the evidence."""
        causes: list[str] = []
        while True:
            lab_name = f"{run_id}-{worker}-{os.getpid()}-{next(_sequence)}"
            record = OwnerRecord.create(lab_name)
            lab = cls(lab_name, plan(kind), record)
            try:
                lab._build()
            except CommandFailed as exc:
                lab.down()
                causes.append(str(exc))
                if len(causes) >= attempts:
                    raise
                continue
            except BaseException:
                lab.down()
                raise
            lab.retried = tuple(causes)
            return lab

    def _build(self) -> None:
        for role in self.plan.roles:
            self.record.add_namespace(self.ns(role))
        top = [f"netns add {self.ns(role)}" for role in self.plan.roles]
        for link in self.plan.links:
            top.append(
                f"link add {link.a.ifname} netns {self.ns(link.a.role)} type veth"
                f" peer name {link.b.ifname} netns {self.ns(link.b.role)}"
            )
        run(["ip", "-batch", "-"], input_text="\n".join(top) + "\n")
        per_ns: dict[Role, list[str]] = {role: ["link set lo up"] for role in self.plan.roles}
        for link in self.plan.links:
            for end in (link.a, link.b):
                for address in end.addresses:
                    extra = " nodad" if address.version == 6 else ""
                    per_ns[end.role].append(f"addr add {address} dev {end.ifname}{extra}")
                per_ns[end.role].append(f"link set {end.ifname} up")
        for address in self.plan.protected:
            if address.version == 4 or self.plan.ipv6:
                per_ns[Role.GATEWAY].append(f"addr add {address} dev lo")
        for route in self.plan.routes:
            per_ns[route.role].append(f"route add {route.destination} via {route.via}")
        for role, commands in per_ns.items():
            run(["ip", "-n", self.ns(role), "-batch", "-"], input_text="\n".join(commands) + "\n")
        if Role.NAT in self.plan.roles:
            self.exec(Role.NAT, ["sysctl", "-qw", "net.ipv4.ip_forward=1"])
            self.exec(Role.NAT, ["nft", "-f", "-"], input_text=NAT_RULESET)

    def isolate(self, role: Role) -> list[str]:
        """Take ROLE's links down (a client that vanishes without a word: a laptop lid shut,
        a dead Wi-Fi); returns the interfaces. The namespaces go with the lab as usual."""
        names = [e.ifname for link in self.plan.links for e in (link.a, link.b) if e.role is role]
        commands = [f"link set {name} down" for name in names]
        run(["ip", "-n", self.ns(role), "-batch", "-"], input_text="\n".join(commands) + "\n")
        return names

    def _second_network(self) -> SecondNetwork:
        second = self.plan.second_network
        if second is None:
            raise ValueError(f"the {self.plan.kind} topology has no second network")
        return second

    def move_client(self) -> SecondNetwork:
        """Move the client to the second network: new address and router up, then the old
        address gone (make before break, as a laptop whose LTE is up when Wi-Fi drops)."""
        second = self._second_network()
        self._router_up(second)
        self._batch(
            Role.CLIENT,
            [
                f"addr add {second.new} dev {second.client_ifname}",
                f"addr del {second.old} dev {second.client_ifname}",
                f"route replace default via {second.router_address}",
            ],
        )
        return second

    def move_client_out_of_nat(self) -> SecondNetwork:
        """NAT topology: the client moves to the second network, which the NAT namespace
        routes without translating (a network with public addresses behind the same
        router): the NAT disappears from the client's path, and the gateway reaches
        203.0.113.0/24 through the router's outside address."""
        second = self._second_network()
        nat = self.plan.nat_outside
        if nat is None or second.router_role is not Role.NAT:
            raise ValueError(f"the {self.plan.kind} topology has no NAT to leave")
        self._router_up(second)
        self.exec(
            Role.NAT,
            ["nft", "insert", "rule", "ip", NAT_TABLE, "postrouting", "ip", "saddr",
             str(second.new.network), "accept"],
        )  # fmt: skip
        self._batch(Role.GATEWAY, [f"route add {second.new.network} via {nat}"])
        self._batch(
            Role.CLIENT,
            [
                f"addr add {second.new} dev {second.client_ifname}",
                f"addr del {second.old} dev {second.client_ifname}",
                f"route replace default via {second.router_address}",
            ],
        )
        return second

    def leave_network(self) -> SecondNetwork:
        """Take the client's address away: no network at all until join_second_network()."""
        second = self._second_network()
        self._batch(Role.CLIENT, [f"addr del {second.old} dev {second.client_ifname}"])
        return second

    def join_second_network(self) -> SecondNetwork:
        """After leave_network(): the client comes back on the second network."""
        second = self._second_network()
        self._router_up(second)
        self._batch(
            Role.CLIENT,
            [
                f"addr add {second.new} dev {second.client_ifname}",
                f"route replace default via {second.router_address}",
            ],
        )
        return second

    def add_gateway_address(self) -> IPAddress:
        """A second address on the gateway's outside link, served by the same charon: the
        "other gateway" of a redirect, reachable from every topology's client (so the cells
        see the redirect itself, not a second daemon)."""
        outside = next(
            end for link in self.plan.links for end in (link.a, link.b) if end.role is Role.GATEWAY
        )
        address = self.plan.gateway_second.ip
        self._batch(Role.GATEWAY, [f"addr add {self.plan.gateway_second} dev {outside.ifname}"])
        # Reached outside any tunnel, as the first gateway is: kernel-libipsec clients route
        # all traffic into their TUN device (table 220) except an exclude route for the peer
        # they know, and have no IKE socket bypass as XFRM has; without this rule a client
        # following a redirect would send its IKE_SA_INIT into the old tunnel.
        self._batch(
            Role.CLIENT, [f"rule add to {address}/{address.max_prefixlen} lookup main pref 100"]
        )
        return address

    def _router_up(self, second: SecondNetwork) -> None:
        self._batch(second.router_role, [f"addr add {second.router} dev {second.router_ifname}"])

    def _batch(self, role: Role, commands: list[str]) -> None:
        run(["ip", "-n", self.ns(role), "-batch", "-"], input_text="\n".join(commands) + "\n")

    def drop_to_gateway(self, pattern: DropPattern) -> None:
        """Lose PATTERN's share of the datagrams the gateway receives (infra.lab.faults)."""
        self.exec(Role.GATEWAY, ["nft", "-f", "-"], input_text=pattern.ruleset())

    def dropped_to_gateway(self) -> int:
        """How many datagrams the drop pattern has dropped so far."""
        out = self.exec(Role.GATEWAY, ["nft", "list", "table", "inet", TABLE])
        match = re.search(r"counter packets (\d+)", out)
        return int(match.group(1)) if match else 0

    def set_mtu(self, mtu: int) -> None:
        """Set the MTU of every lab link, both ends (the path MTU between client and gateway:
        a DSL line, a tunnel in a tunnel, a mobile network). Goes with the namespaces."""
        if not 576 <= mtu <= 65535:
            raise ValueError(f"MTU {mtu} is outside 576..65535 (IPv4's minimum datagram)")
        for link in self.plan.links:
            for end in (link.a, link.b):
                self.exec(end.role, ["ip", "link", "set", "dev", end.ifname, "mtu", str(mtu)])

    def drop_ip_fragments(self) -> None:
        """Lose every non-first IP fragment on the path, both directions (faults module)."""
        for role in (Role.GATEWAY, Role.CLIENT):
            self.exec(role, ["nft", "-f", "-"], input_text=NON_FIRST_FRAGMENT_DROP)

    def silence_gateway(self, exchange: int) -> None:
        """The gateway's responses of EXCHANGE never leave its namespace (faults module)."""
        self.exec(Role.GATEWAY, ["nft", "-f", "-"], input_text=response_drop(exchange))

    def dropped_ip_fragments(self) -> dict[Role, int]:
        """Non-first fragments dropped so far, by the namespace they were dropped in."""
        counts: dict[Role, int] = {}
        for role in (Role.GATEWAY, Role.CLIENT):
            out = self.exec(role, ["nft", "list", "table", "inet", FRAGMENT_TABLE])
            counts[role] = sum(int(n) for n in re.findall(r"counter packets (\d+)", out))
        return counts

    def exec(
        self,
        role: Role,
        args: Sequence[str],
        *,
        timeout: float = 30.0,
        input_text: str | None = None,
    ) -> str:
        """Run a short command inside ROLE's namespace and return its stdout."""
        return run(
            ["ip", "netns", "exec", self.ns(role), *args], timeout=timeout, input_text=input_text
        )

    def spawn(
        self,
        role: Role,
        args: Sequence[str],
        *,
        env: Mapping[str, str] | None = None,
        stdout: IO[bytes] | int | None = subprocess.DEVNULL,
        stderr: IO[bytes] | int | None = subprocess.DEVNULL,
    ) -> subprocess.Popen[bytes]:
        """Start a daemon in ROLE's namespace; it is recorded for the reaper at once.

        `ip netns exec` execs the program, so the PID we hold is the daemon's own.
        """
        proc = subprocess.Popen(
            ["ip", "netns", "exec", self.ns(role), *args],
            env=dict(env) if env is not None else None,
            stdin=subprocess.DEVNULL,
            stdout=stdout,
            stderr=stderr,
        )
        ident = ProcessId.of(proc.pid)
        if ident is not None:
            self.record.add_process(ident)
            self._children.append((proc, ident))
        return proc

    def stop(self, proc: subprocess.Popen[bytes], *, term_timeout: float = 3.0) -> int:
        """Stop a daemon this lab spawned (SIGTERM, then SIGKILL) and forget it."""
        code = stop_popen(proc, term_timeout=term_timeout)
        for child, ident in list(self._children):
            if child is proc:
                self._children.remove((child, ident))
                self.record.forget_process(ident)
        return code

    def down(self) -> None:
        """Stop every daemon, delete the namespaces, remove the work directory."""
        for proc, _ in list(self._children):
            self.stop(proc)
        existing = set(list_namespaces())
        doomed = [n for n in self.record.namespaces if n in existing]
        if doomed:
            run(["ip", "-batch", "-"], input_text="".join(f"netns del {n}\n" for n in doomed))
        shutil.rmtree(self.workdir, ignore_errors=True)

    def __enter__(self) -> Lab:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.down()


def list_namespaces() -> list[str]:
    """Names of all network namespaces on the machine (ours and anybody else's)."""
    netns_dir = Path("/run/netns")
    if not netns_dir.is_dir():
        return []
    return sorted(p.name for p in netns_dir.iterdir())
