"""One gateway, several connections: which one does charon pick for a Windows client?

Windows sends no IDr (reference 2.2), so charon cannot select by the identity the client
wants. What it can go by is the authentication the client uses: a client that sends AUTH
with its certificate (case A) fits the pubkey connection; one that sends no AUTH and asks
for EAP (case C) fits the EAP connection (RFC 7296 2.16; strongSwan re-selects the peer
config after the first IKE_AUTH: "switching to peer config"). The documented setups for
Windows put both on one gateway (docs-recommended, one connection per case), so this is
the configuration an operator has.
"""

from __future__ import annotations

import re
from dataclasses import replace

import pytest

from fixtures.interop import StartInterop
from fixtures.lifecycle import Measure
from fixtures.matrix import emulated_cells, params, reference_cells, windows_cells
from infra.auth_cases import AuthCase
from infra.cell import Cell
from infra.gateway.presets import docs_recommended
from infra.gateway.spec import GatewaySpec
from infra.interop_run import LabCredentials
from infra.lab.topology import TopologyKind
from suites import ends

DOCS = ["docs-recommended"]
CASES = [AuthCase.MACHINE_CERT, AuthCase.EAP_MSCHAPV2]
TOPOLOGIES = [TopologyKind.DIRECT]
PEER_CONFIG = re.compile(r"(selected|switching to) peer config '([^']+)'")
FIRST = {
    "two-connections-cert-first": AuthCase.MACHINE_CERT,
    "two-connections-eap-first": AuthCase.EAP_MSCHAPV2,
}
"""Which of the two connections is loaded first, by cell variant."""
CELLS = [
    cell
    for variant in FIRST
    for cell in reference_cells(CASES, DOCS, TOPOLOGIES, variant=variant)
    + emulated_cells(CASES, DOCS, TOPOLOGIES, variant=variant)
    + windows_cells(CASES, DOCS, TOPOLOGIES, variant=variant)
]


def _both_connections(eap: LabCredentials, first: AuthCase) -> GatewaySpec:
    """docs-recommended's case A and case C connections on one gateway, FIRST loaded first."""
    certs = docs_recommended(AuthCase.MACHINE_CERT)
    password = docs_recommended(AuthCase.EAP_MSCHAPV2, (eap.secret(),))
    order = (certs, password) if first is AuthCase.MACHINE_CERT else (password, certs)
    spec = replace(
        password,
        preset="docs-recommended",
        connections=tuple(c for s in order for c in s.connections),
    )
    return spec


def _landed_on(sas: list[dict[str, object]]) -> list[str]:
    return [name for sa in sas for name in sa]


@pytest.mark.auth
@pytest.mark.parametrize("cell", params(CELLS))
def test_auth_type_selects_the_connection(
    interop: StartInterop, lab_credentials: LabCredentials, measure: Measure, cell: Cell
) -> None:
    """With the certificate and the EAP connection on one gateway, each client lands on the
    one for its authentication, whichever is loaded first.

    Expectation: connected; charon's IKE SA belongs to the connection whose remote auth the
    client's case uses (pubkey for machine-cert, eap-mschapv2 for eap-mschapv2), as list-sas
    and charon's log show. Measured with 5.9.8: charon selects the connection loaded first
    and, when the client's first IKE_AUTH does not fit its auth, switches ("switching to
    peer config").
    """
    first = FIRST[cell.variant]
    spec = _both_connections(lab_credentials, first)
    wanted = docs_recommended(cell.auth, (lab_credentials.secret(),)).connections[0].name
    run = interop(cell, spec)
    assert run.gateway is not None
    ends.assert_connected(run.connect())
    landed = _landed_on(run.gateway.list_sas())
    selections = [
        f"{m.group(1)} {m.group(2)}"
        for line in ends.gateway_log(run.gateway)
        if (m := PEER_CONFIG.search(line))
    ]
    measure("loaded_first", first.value)
    measure("charon_selections", selections)
    assert landed == [wanted], (
        f"expected the {cell.auth.value} client on connection {wanted!r} (loaded "
        f"{'first' if first is cell.auth else 'second'}); charon's IKE SAs: {landed}; its "
        f"selections: {selections}"
    )
