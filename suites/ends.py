"""Checks of the two ends of a connection: the gateway's VICI state and the client's view."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from infra.clients.protocol import ConnectOutcome, WindowsClient
from infra.gateway.gateway import Gateway


def assert_connected(outcome: ConnectOutcome) -> None:
    assert outcome.connected, f"expected a connection; observed: {outcome.describe()}"


def assert_failed_with(outcome: ConnectOutcome, code: int, *, why: str = "") -> None:
    """The dial failed with Windows error CODE; WHY (the fact behind it) goes into the message."""
    observed = outcome.error.code if outcome.error else None
    because = f" ({why})" if why else ""
    assert not outcome.connected and observed == code, (
        f"expected the connection to fail with Windows error {code}{because}; "
        f"observed: {outcome.describe()}"
    )


def assert_client_connected(client: WindowsClient, profile: str) -> None:
    state = client.state(profile)
    assert state.connected and state.virtual_ips, (
        f"expected the client's profile {profile!r} connected with a virtual IP; observed {state}"
    )


def gateway_sa(gateway: Gateway) -> dict[str, Any]:
    """The gateway's only IKE SA (list-sas), established with an installed CHILD SA."""
    sas = gateway.list_sas()
    assert len(sas) == 1, f"expected one IKE SA on the gateway; observed {len(sas)}: {sas}"
    ((name, sa),) = sas[0].items()
    children = [c.get("state") for c in sa.get("child-sas", {}).values()]
    assert sa.get("state") == "ESTABLISHED" and "INSTALLED" in children, (
        f"expected gateway IKE SA {name!r} ESTABLISHED with an INSTALLED CHILD SA; "
        f"observed {sa.get('state')} with children {children}"
    )
    return dict(sa)


def assert_sa_field(sa: dict[str, Any], field: str, expected: str, why: str) -> None:
    assert sa.get(field) == expected, (
        f"expected the gateway's {field} {expected!r} ({why}); observed {sa.get(field)!r}"
    )


def assert_reaches(client: WindowsClient, address: str) -> None:
    assert client.reach(address), (
        f"expected a ping from the client to {address} through the tunnel; no answer"
    )


def gateway_log(gateway: Gateway) -> list[str]:
    """charon's log lines so far (the gateway's own words about what it parsed)."""
    return Path(gateway.log_path).read_text(errors="replace").splitlines()


def assert_gateway_parsed(gateway: Gateway, message: str, payloads: str) -> None:
    """charon logged `parsed MESSAGE [ PAYLOADS ]`, e.g. MESSAGE `IKE_SA_INIT request 0`."""
    lines = gateway_log(gateway)
    wanted = f"parsed {message} [ {payloads} ]"
    if any(wanted in line for line in lines):
        return
    seen = [line.split("] ", 1)[-1] for line in lines if f"parsed {message.split()[0]}" in line]
    raise AssertionError(
        f"expected the gateway log to show '{wanted}'; its parsed "
        f"{message.split()[0]} lines are:\n  " + "\n  ".join(seen or ["(none)"])
    )


def assert_gateway_logged_in_order(gateway: Gateway, expected: list[str], what: str) -> None:
    """The gateway log contains the EXPECTED fragments on distinct lines, in this order."""
    lines = gateway_log(gateway)
    position = 0
    for fragment in expected:
        found = next((i for i in range(position, len(lines)) if fragment in lines[i]), None)
        if found is None:
            seen = [line.split("] ", 1)[-1] for line in lines if "vendor ID" in line]
            raise AssertionError(
                f"expected the gateway log to name {what} in order {expected}; "
                f"'{fragment}' missing after line {position}; vendor ID lines:\n  "
                + "\n  ".join(seen or ["(none)"])
            )
        position = found + 1


def gateway_parsed(gateway: Gateway, message: str) -> list[str]:
    """The payload lists of every `parsed MESSAGE N [ ... ]` line charon logged, in order
    (MESSAGE e.g. `IKE_AUTH request`), leaving out the lines of single fragments (EF)."""
    lists = []
    for line in gateway_log(gateway):
        _, sep, rest = line.partition(f"parsed {message} ")
        if not sep or "[" not in rest:
            continue
        payloads = rest.split("[", 1)[1].rsplit("]", 1)[0].strip()
        if not payloads.startswith("EF("):
            lists.append(payloads)
    return lists


def assert_gateway_parsed_sequence(gateway: Gateway, message: str, expected: list[str]) -> None:
    """charon parsed the MESSAGEs (e.g. `IKE_AUTH request`) with exactly these payload
    lists, in this order (reassembled messages count once, their fragments not at all)."""
    observed = gateway_parsed(gateway, message)
    assert observed == expected, (
        f"expected the gateway log to show the {message}s\n  "
        + "\n  ".join(f"[ {p} ]" for p in expected)
        + "\nobserved\n  "
        + "\n  ".join(f"[ {p} ]" for p in observed or ["(none)"])
    )


def assert_gateway_said(gateway: Gateway, fragments: list[str], what: str) -> None:
    """The gateway log contains FRAGMENTS on distinct lines, in this order (WHAT says why
    they matter); a failure quotes the IKE lines charon wrote."""
    lines = gateway_log(gateway)
    position = 0
    for fragment in fragments:
        found = next((i for i in range(position, len(lines)) if fragment in lines[i]), None)
        if found is None:
            said = [line.split("] ", 1)[-1] for line in lines if "[IKE]" in line][-12:]
            raise AssertionError(
                f"expected the gateway log to say {fragments} in this order ({what}); "
                f"{fragment!r} missing after line {position}; its last IKE lines:\n  "
                + "\n  ".join(said or ["(none)"])
            )
        position = found + 1
