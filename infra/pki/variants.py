"""The gateway certificate variants: one good certificate and one per Windows check.

Each broken variant violates exactly one requirement from windows-client-behavior.md
section 3, so a test that connects with it proves that the specific check exists (and the
emulator can be checked to fail the same way). The error numbers are Windows RAS / IPsec
error codes as the client reports them.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

ERROR_IPSEC_IKE_AUTH_FAIL = 13801


@dataclass(frozen=True)
class _Expectation:
    violated_check: str | None
    windows_error: int | None
    error_is_documented: bool


class GatewayCertVariant(Enum):
    """Which gateway certificate to present; values are kebab-case for test IDs."""

    GOOD = "good"
    """RSA-2048 from the lab root: EKU serverAuth + ikeIntermediate, CN = gateway name, SAN
    dNSName gateway name and dNSName <gateway IP>. Passes every Windows check whether the
    profile's server address is the name or the IP."""

    ECDSA = "ecdsa"
    """Like GOOD with a P-256 key issued by the ECDSA root. Windows accepts ECDSA P-256 /
    P-384 gateway keys, so this must connect (provided the ECDSA root is trusted)."""

    NO_SERVER_AUTH = "no-server-auth"
    """EKU holds only ikeIntermediate. Violates "EKU contains serverAuth"; Windows reports
    13801 ERROR_IPSEC_IKE_AUTH_FAIL (documented; DisableIKENameEkuCheck=1 lifts it)."""

    NAME_MISMATCH = "name-mismatch"
    """CN and the only SAN are "other.example.test". Violates "the server address appears
    in the CN or a dNSName SAN"; Windows reports 13801 (documented; DisableIKENameEkuCheck=1
    lifts it)."""

    IP_AS_IPADDRESS_SAN = "ip-as-ipaddress-san"
    """CN = gateway name, SAN = iPAddress <gateway IP> only. Violates "an IP server address
    must be a dNSName SAN": Windows compares the typed address only with CN and dNSName
    entries, so a profile that dials the IP fails with 13801 (documented), while a profile
    that dials the name still matches the CN."""

    P521 = "p521"
    """Good contents with a P-521 key from the ECDSA root. Violates "key type RSA or ECDSA
    P-256 / P-384"; Windows fails with 13801 (that code is uncertain)."""

    EXPIRED = "expired"
    """Good contents, valid from 400 days ago until 30 days ago. Violates chain validity;
    Windows fails with 13801 (the reference lists no specific code for expiry; uncertain)."""

    UNTRUSTED_CA = "untrusted-ca"
    """Good contents issued by the untrusted CA, which no test installs. Violates "issuing
    root in the Local Machine Trusted Root store"; Windows reports 13801 (or 13887
    ERROR_IPSEC_IKE_CERT_CHAIN_POLICY_MISMATCH; which one is uncertain)."""

    @property
    def violated_check(self) -> str | None:
        """The Windows gateway-certificate check this variant fails, None if it passes."""
        return _EXPECTATIONS[self].violated_check

    @property
    def windows_error(self) -> int | None:
        """The error Windows reports when connecting with this variant, None if it connects.

        For IP_AS_IPADDRESS_SAN this holds only when the profile dials the gateway's IP.
        """
        return _EXPECTATIONS[self].windows_error

    @property
    def error_is_documented(self) -> bool:
        """False where the reference marks the error code as uncertain (a profile option)."""
        return _EXPECTATIONS[self].error_is_documented


_EXPECTATIONS: dict[GatewayCertVariant, _Expectation] = {
    GatewayCertVariant.GOOD: _Expectation(None, None, True),
    GatewayCertVariant.ECDSA: _Expectation(None, None, True),
    GatewayCertVariant.NO_SERVER_AUTH: _Expectation(
        "EKU must contain serverAuth 1.3.6.1.5.5.7.3.1", ERROR_IPSEC_IKE_AUTH_FAIL, True
    ),
    GatewayCertVariant.NAME_MISMATCH: _Expectation(
        "server address must appear in the CN or a dNSName SAN", ERROR_IPSEC_IKE_AUTH_FAIL, True
    ),
    GatewayCertVariant.IP_AS_IPADDRESS_SAN: _Expectation(
        "an IP server address must be a dNSName SAN, not an iPAddress SAN",
        ERROR_IPSEC_IKE_AUTH_FAIL,
        True,
    ),
    GatewayCertVariant.P521: _Expectation(
        "key must be RSA or ECDSA P-256/P-384", ERROR_IPSEC_IKE_AUTH_FAIL, False
    ),
    GatewayCertVariant.EXPIRED: _Expectation(
        "certificate must be within its validity period", ERROR_IPSEC_IKE_AUTH_FAIL, False
    ),
    GatewayCertVariant.UNTRUSTED_CA: _Expectation(
        "issuing root must be in the Local Machine Trusted Root store",
        ERROR_IPSEC_IKE_AUTH_FAIL,
        False,
    ),
}
