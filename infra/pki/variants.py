"""The gateway certificate variants: one good certificate and one per Windows check.

Each broken variant violates exactly one requirement from windows-client-behavior.md
section 3, so a test that connects with it proves that the specific check exists (and the
emulator can be checked to fail the same way). What Windows does with each variant (the error
it reports, how sure the reference is) is a fact of the Windows behaviour oracle
(expectations/windows/certificates.yaml, `gateway_cert_error.<variant>`), kept there alone so
that the PKI and the suites cannot disagree about it.
"""

from __future__ import annotations

from enum import Enum


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
    """EKU holds only ikeIntermediate. Violates "EKU contains serverAuth"
    (DisableIKENameEkuCheck=1 lifts it)."""

    NAME_MISMATCH = "name-mismatch"
    """CN and the only SAN are "other.example.test". Violates "the server address appears
    in the CN or a dNSName SAN" (DisableIKENameEkuCheck=1 lifts it)."""

    IP_AS_IPADDRESS_SAN = "ip-as-ipaddress-san"
    """CN = gateway name, SAN = iPAddress <gateway IP> only. Violates "an IP server address
    must be a dNSName SAN": Windows compares the typed address only with CN and dNSName
    entries, so a profile that dials the IP fails, while a profile that dials the name still
    matches the CN."""

    P521 = "p521"
    """Good contents with a P-521 key from the ECDSA root. Violates "key type RSA or ECDSA
    P-256 / P-384"."""

    EXPIRED = "expired"
    """Good contents, valid from 400 days ago until 30 days ago. Violates chain validity."""

    UNTRUSTED_CA = "untrusted-ca"
    """Good contents issued by the untrusted CA, which no test installs. Violates "issuing
    root in the Local Machine Trusted Root store"."""

    RSA4096_CHAIN = "rsa4096-chain"
    """Good contents with an RSA-4096 key, issued by an RSA-4096 intermediate under an
    RSA-4096 root (which the client trusts when this variant is presented). Passes every
    check; it exists for its size: the gateway's IKE_AUTH response carries two 4096-bit
    certificates and a 512-byte AUTH, about 3.5 KB, more than any Ethernet MTU, so it must be
    fragmented (RFC 7383 or IP fragments): the fragmentation suite's load."""

    @property
    def violated_check(self) -> str | None:
        """The Windows gateway-certificate check this variant fails, None if it passes."""
        return _VIOLATED_CHECKS.get(self)

    @property
    def oracle_fact(self) -> str:
        """The oracle fact saying what Windows does with this variant."""
        return f"gateway_cert_error.{self.value}"


_VIOLATED_CHECKS: dict[GatewayCertVariant, str] = {
    GatewayCertVariant.NO_SERVER_AUTH: "EKU must contain serverAuth 1.3.6.1.5.5.7.3.1",
    GatewayCertVariant.NAME_MISMATCH: "server address must appear in the CN or a dNSName SAN",
    GatewayCertVariant.IP_AS_IPADDRESS_SAN: (
        "an IP server address must be a dNSName SAN, not an iPAddress SAN"
    ),
    GatewayCertVariant.P521: "key must be RSA or ECDSA P-256/P-384",
    GatewayCertVariant.EXPIRED: "certificate must be within its validity period",
    GatewayCertVariant.UNTRUSTED_CA: "issuing root must be in the Local Machine Trusted Root store",
}
