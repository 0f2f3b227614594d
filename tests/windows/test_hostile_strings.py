"""Hostile strings in every string parameter end up only inside single-quoted literals.

For each string parameter of each builder, a script built with a hostile value is compared
to one built with a benign value: with every single-quoted literal replaced by a
placeholder, the two must be identical (the value changed no code, comment or structure),
and the hostile value must be recoverable from one literal (directly, or by splitting a
Windows command line the script hands to rasdial). A builder may instead refuse a value it
documents as invalid (e.g. control characters in a phone-book entry name); it must never
accept a value and misplace it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import pytest

from infra.windows.script import PsScript
from infra.windows.scripts.certificates import import_pfx_certificate
from infra.windows.scripts.dial import RasCredentials, rasdial_connect, rasdial_disconnect
from infra.windows.scripts.ipsec import set_vpn_ipsec_configuration
from infra.windows.scripts.profile import add_vpn_connection, remove_vpn_connection
from infra.windows.scripts.reach import reachability
from infra.windows.scripts.registry import set_registry_dword
from infra.windows.scripts.routes import add_vpn_connection_route
from infra.windows.scripts.state import net_routes, vpn_state
from tests.windows.argv import split_windows_args
from tests.windows.pslex import single_quoted_values, skeleton

HOSTILE = [
    "it's",
    "a''b",
    "\u2018typographic\u2019",
    "\u201alow\u201b high",
    "x'; Remove-Item C:\\ -Recurse; '",
    "\u2019; Stop-Computer; \u2018",
    "$(Stop-Computer -Force)",
    "${env:ComputerName}",
    "@(1,2)",
    "`$x `n `'",
    '"double" \u201cquotes\u201d',
    "semi;colon & amp | pipe",
    "#not a comment",
    "<# block #>",
    "trailing quote'",
    "' + (Get-Date) + '",
    "emoji \U0001f600 caf\u00e9",
    "new\nline",
    "cr\r\nlf",
    "tab\there",
    "@'\nhere\n'@",
]
BENIGN = "benign-value"
CONTROL = frozenset(chr(c) for c in range(0x20)) | {"\x7f"}


@dataclass(frozen=True)
class Slot:
    """One string parameter of one builder."""

    build: Callable[[str], PsScript]
    single_line: bool = False  # the builder documents control characters as invalid
    trimmed: bool = False  # the builder refuses leading/trailing whitespace


SLOTS: dict[str, Slot] = {
    "pfx-password": Slot(lambda s: import_pfx_certificate(b"x", s, target="machine")),
    "pfx-user": Slot(
        lambda s: import_pfx_certificate(b"x", "pw", target="user", user=s), single_line=True
    ),
    "add-vpn-name": Slot(
        lambda s: add_vpn_connection(s, "gw.lab.test", authentication_method="Eap"),
        single_line=True,
        trimmed=True,
    ),
    "add-vpn-server": Slot(
        lambda s: add_vpn_connection("sw", s, authentication_method="MachineCertificate"),
        single_line=True,
        trimmed=True,
    ),
    "remove-vpn-name": Slot(remove_vpn_connection, single_line=True, trimmed=True),
    "ipsec-name": Slot(lambda s: set_vpn_ipsec_configuration(s, None), True, True),
    "route-name": Slot(lambda s: add_vpn_connection_route(s, "198.18.0.0/15"), True, True),
    "registry-key": Slot(
        lambda s: set_registry_dword("HKLM:\\SOFTWARE\\" + s, "V", 1), single_line=True
    ),
    "registry-name": Slot(
        lambda s: set_registry_dword("HKLM:\\SOFTWARE\\winterop", s, 1), single_line=True
    ),
    "connect-name": Slot(lambda s: rasdial_connect(s), single_line=True, trimmed=True),
    "connect-user": Slot(lambda s: rasdial_connect("sw", credentials=RasCredentials(s, "pw"))),
    "connect-password": Slot(lambda s: rasdial_connect("sw", credentials=RasCredentials("u", s))),
    "connect-interactive-user": Slot(
        lambda s: rasdial_connect("sw", interactive_user=s), single_line=True
    ),
    "disconnect-name": Slot(rasdial_disconnect, single_line=True, trimmed=True),
    "state-name": Slot(vpn_state, single_line=True, trimmed=True),
    "routes-alias": Slot(net_routes, single_line=True),
    "reach-target": Slot(reachability, single_line=True),
}


def _refused(slot: Slot, value: str) -> bool:
    if slot.single_line and any(ch in CONTROL for ch in value):
        return True
    return slot.trimmed and value != value.strip()


def _recoverable(script: PsScript, value: str) -> bool:
    literals = single_quoted_values(script.text)
    # Directly, or as part of a composed value (a registry path under HKLM:\SOFTWARE\).
    if any(value in literal for literal in literals):
        return True
    # rasdial command lines: the value is one argument of a literal command line.
    return any(value in split_windows_args(literal) for literal in literals)


@pytest.mark.parametrize("hostile", HOSTILE, ids=range(len(HOSTILE)))
@pytest.mark.parametrize("slot_name", sorted(SLOTS))
def test_hostile_value_stays_inside_a_literal(slot_name: str, hostile: str) -> None:
    slot = SLOTS[slot_name]
    if _refused(slot, hostile):
        with pytest.raises(ValueError):
            slot.build(hostile)
        return
    benign = slot.build(BENIGN)
    evil = slot.build(hostile)
    assert skeleton(evil.text) == skeleton(benign.text)
    assert skeleton(evil.log_text) == skeleton(benign.log_text)
    assert _recoverable(evil, hostile)


@pytest.mark.parametrize("slot_name", sorted(SLOTS))
def test_every_slot_accepts_the_quote_and_expansion_family(slot_name: str) -> None:
    # Refusing everything would pass the test above vacuously; these must be accepted.
    slot = SLOTS[slot_name]
    for value in ("it's", "\u2018q\u2019", "$(x)", "`n", '"q"', "a;b"):
        slot.build(value)


def test_password_never_reaches_the_log_text() -> None:
    secret = "s3cret'$(x)\u2019"
    script = rasdial_connect("sw", credentials=RasCredentials("u", secret))
    assert secret in single_quoted_values(script.text)
    logged = single_quoted_values(script.log_text)
    assert secret not in logged
    assert not any(secret in split_windows_args(v) for v in logged)
