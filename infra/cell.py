"""A matrix cell: one (client kind, client profile, feature variant, gateway preset, topology).

Its `id` is the pytest parameter ID and so the primary key of results, history and
evidence folders (DESIGN.md "Test IDs are the primary key"):
`emulated-win10-22h2-eap-mschapv2-docs-recommended-nat`. A gateway build other than the
host's charon adds its strongSwan version: `...-docs-recommended-nat-sw6.0.1`; host cells keep
the short ID (the default run, and every ID recorded before the version axis existed).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from infra.auth_cases import AuthCase
from infra.clients.protocol import ClientKind
from infra.lab.topology import TopologyKind

_GATEWAY_SUFFIX = re.compile(r"-sw\d+\.\d+\.\d+$")


def without_gateway(cell_id: str) -> str:
    """CELL_ID with its gateway-version part (``-sw6.0.1``) removed: the same cell on any
    strongSwan release, for pairing releases (reports) and for ledger globs, which name
    releases in their own field rather than in the ID."""
    return _GATEWAY_SUFFIX.sub("", cell_id)


@dataclass(frozen=True)
class Cell:
    client_kind: ClientKind
    profile: str
    auth: AuthCase
    preset: str
    topology: TopologyKind
    variant: str = ""
    """An extra feature variant (e.g. a proposal set); empty for the plain auth case."""
    gateway: str = ""
    """The strongSwan version of the gateway build (infra.gateway.builds); empty: the host's."""

    @property
    def id(self) -> str:
        parts = [self.client_kind.value, self.profile, self.auth.value]
        if self.variant:
            parts.append(self.variant)
        parts += [self.preset, self.topology.value]
        if self.gateway:
            parts.append(f"sw{self.gateway}")
        return "-".join(parts)
