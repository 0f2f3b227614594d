"""How the client proves its identity in IKE_AUTH: the part that differs per auth case.

The engine builds every IKE_AUTH request as ``IDi <auth payloads> N(MOBIKE_SUPPORTED) CP
SA TSi TSr`` (windows-client-behavior.md 2.2) and verifies the gateway's signature AUTH
itself; an Authenticator supplies what goes between IDi and N(MOBIKE_SUPPORTED) and, for
multi-round methods (EAP, in emulator.eap), the payloads of the following IKE_AUTH
requests. Case A, the machine certificate, is :class:`CertificateAuthenticator`.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from typing import Protocol

from emulator.codec import AuthPayload, CertPayload, CertReqPayload, IdiPayload, Payload, id_body
from emulator.const import CertEncoding
from emulator.crypto import PrfAlgorithm, sign, signed_octets
from emulator.crypto.auth import SigningKey


@dataclass(frozen=True)
class AuthContext:
    """What AUTH computations need from IKE_SA_INIT (RFC 7296 2.15)."""

    init_request: bytes
    init_response: bytes
    nonce_i: bytes
    nonce_r: bytes
    prf: PrfAlgorithm
    sk_pi: bytes
    sk_pr: bytes
    local_address: ipaddress.IPv4Address | ipaddress.IPv6Address
    """The address the client sends from (behind a NAT: its LAN address), which Windows
    puts into IDi in the EAP cases (windows-client-behavior.md 2.6)."""


class Authenticator(Protocol):
    """One authentication case of the client."""

    def idi(self, context: AuthContext) -> IdiPayload:
        """The IDi payload of the first IKE_AUTH request."""
        ...

    def first_payloads(self, context: AuthContext) -> tuple[Payload, ...]:
        """Payloads between IDi and N(MOBIKE_SUPPORTED) in the first request."""
        ...

    def next_payloads(
        self, context: AuthContext, response: tuple[Payload, ...]
    ) -> tuple[Payload, ...] | None:
        """The next IKE_AUTH request's payloads after RESPONSE, or None when done.

        Raises ConnectError (with the Windows error) when RESPONSE ends the attempt."""
        ...


class CertificateAuthenticator:
    """Case A: ``IDi CERT CERTREQ AUTH``, IDi = the certificate's subject DN (ID type 9),
    one CERT (end entity only), one CERTREQ with every trusted root's key hash (omitted
    when none), AUTH with a signature method (1 for RSA, 9/10 for ECDSA)."""

    def __init__(
        self,
        certificate_der: bytes,
        subject_der: bytes,
        key: SigningKey,
        method: int,
        certreq_hashes: tuple[bytes, ...],
    ) -> None:
        self._cert = certificate_der
        self._idi = IdiPayload(9, subject_der)
        self._key = key
        self._method = method
        self._certreq = certreq_hashes

    def idi(self, context: AuthContext) -> IdiPayload:
        return self._idi

    def first_payloads(self, context: AuthContext) -> tuple[Payload, ...]:
        octets = signed_octets(
            context.init_request, context.nonce_r, context.prf, context.sk_pi, id_body(self._idi)
        )
        payloads: list[Payload] = [CertPayload(CertEncoding.X509_SIGNATURE, self._cert)]
        if self._certreq:
            payloads.append(CertReqPayload(CertEncoding.X509_SIGNATURE, b"".join(self._certreq)))
        payloads.append(AuthPayload(self._method, sign(self._method, self._key, octets)))
        return tuple(payloads)

    def next_payloads(
        self, context: AuthContext, response: tuple[Payload, ...]
    ) -> tuple[Payload, ...] | None:
        return None
