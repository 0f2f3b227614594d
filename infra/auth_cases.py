"""The three ways Windows clients authenticate to strongSwan (strongSwan's cases A, B, C)."""

from __future__ import annotations

import enum


class AuthCase(enum.StrEnum):
    """The value is the test-ID fragment DESIGN.md fixes (`pytest -k mschapv2` selects C)."""

    MACHINE_CERT = "machine-cert"
    """Case A: IKEv2 certificate authentication with a machine certificate."""
    EAP_TLS = "eap-tls"
    """Case B: EAP-TLS with a user certificate."""
    EAP_MSCHAPV2 = "eap-mschapv2"
    """Case C: EAP-MSCHAPv2 with user name and password."""

    @property
    def letter(self) -> str:
        return {"machine-cert": "A", "eap-tls": "B", "eap-mschapv2": "C"}[self.value]

    @property
    def eap_type(self) -> int | None:
        """The EAP method number on the wire (RFC 3748 / IANA), None for case A."""
        return {"machine-cert": None, "eap-tls": 13, "eap-mschapv2": 26}[self.value]
