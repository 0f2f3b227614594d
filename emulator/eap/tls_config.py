"""What the caller decides for an EAP-TLS peer: credentials, trust, Windows options.

The caller (the emulated Windows machine) does the Windows-specific parts: it picks the
user certificate from CurrentUser\\My under Windows' selection rules and judges the
server certificate with a :data:`ServerCertVerifier`, so those rules live with the
certificate stores, not here. This package does the TLS and EAP-TLS mechanics.

Options marked *uncertain* have no public source for Windows' value; they are knobs for
the profile (windows-client-behavior.md 13), with the most likely value as default.
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import ec, rsa

from emulator.eap.codes import WinError

UserKey = rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey
"""Windows user certificates for EAP-TLS carry RSA or ECDSA keys."""


class TlsVersion(enum.StrEnum):
    """The highest TLS version the client offers; it always accepts 1.2."""

    TLS1_2 = "1.2"
    TLS1_3 = "1.3"


class Tls13Msk(enum.StrEnum):
    """How the MSK is derived when TLS 1.3 was negotiated (see :mod:`emulator.eap.tls_msk`)."""

    #: RFC 9190 2.3: strongSwan >= 5.9.10, and presumably Windows 11 (which follows the
    #: EAP-TLS 1.3 RFC; no wire capture confirms it).
    RFC9190 = "rfc9190"
    #: the pre-RFC derivation of strongSwan 5.9.2-5.9.9 (the lab's 5.9.8 gateway);
    #: TLS 1.3 in libtls and this MSK arrived with commit 121ac4b9e3, first in 5.9.2.
    STRONGSWAN_59 = "strongswan-5.9"


@dataclass(frozen=True)
class ServerCertRejection:
    """A verdict against the server certificate: the Windows error and why."""

    code: int
    reason: str


ServerCertVerifier = Callable[[Sequence[x509.Certificate]], ServerCertRejection | None]
"""Judges the server chain (leaf first, trust anchor last) after it chained to a
trusted root; returns None to accept. Called once per handshake, during it, so a
rejection aborts the handshake with an alert as a real client would."""

SCHANNEL_LIKE_TLS12_CIPHERS = ":".join(
    (
        "ECDHE-ECDSA-AES256-GCM-SHA384",
        "ECDHE-ECDSA-AES128-GCM-SHA256",
        "ECDHE-RSA-AES256-GCM-SHA384",
        "ECDHE-RSA-AES128-GCM-SHA256",
        "DHE-RSA-AES256-GCM-SHA384",
        "DHE-RSA-AES128-GCM-SHA256",
        "ECDHE-ECDSA-AES256-SHA384",
        "ECDHE-ECDSA-AES128-SHA256",
        "ECDHE-RSA-AES256-SHA384",
        "ECDHE-RSA-AES128-SHA256",
        "ECDHE-ECDSA-AES256-SHA",
        "ECDHE-ECDSA-AES128-SHA",
        "ECDHE-RSA-AES256-SHA",
        "ECDHE-RSA-AES128-SHA",
        "AES256-GCM-SHA384",
        "AES128-GCM-SHA256",
        "AES256-SHA256",
        "AES128-SHA256",
        "AES256-SHA",
        "AES128-SHA",
    )
)
"""TLS 1.2 suites in the order of Schannel's Windows 10 default list (*uncertain*:
from memory of Microsoft's cipher-suite pages, 3DES and NULL suites left out)."""

SCHANNEL_LIKE_TLS13_SUITES = "TLS_AES_256_GCM_SHA384:TLS_AES_128_GCM_SHA256"
"""Schannel has no ChaCha20 suite."""


@dataclass(frozen=True)
class TlsPeerConfig:
    """Everything an :class:`~emulator.eap.tls.EapTlsMethod` needs.

    ``certificate`` / ``private_key`` None means Windows found no usable user
    certificate: the peer fails with 798 when the gateway starts EAP-TLS.
    """

    certificate: x509.Certificate | None
    private_key: UserKey | None = field(repr=False)
    #: the roots the server chain must end in (Windows: LocalMachine\Root).
    trusted_roots: tuple[x509.Certificate, ...]
    #: intermediates sent after the user certificate.
    chain: tuple[x509.Certificate, ...] = ()
    verifier: ServerCertVerifier | None = None
    max_version: TlsVersion = TlsVersion.TLS1_2
    tls13_msk: Tls13Msk = Tls13Msk.RFC9190
    #: with TLS 1.3 and RFC 9190, accept EAP-Success only after the server's protected
    #: success indication (one 0x00 octet of application data, RFC 9190 2.1.1).
    require_success_indication: bool = True
    #: largest EAP packet sent, headers included. *uncertain* (1398 is the common
    #: Windows figure; strongSwan's own default is 1024).
    fragment_size: int = 1398
    #: put the TLS Message Length into unfragmented messages too. *uncertain*.
    length_in_unfragmented: bool = True
    #: the ECDHE groups offered, in OpenSSL's group-list syntax: Schannel's default
    #: (x25519, P-256, P-384; *uncertain*, from Microsoft's TLS pages). OpenSSL 4's default
    #: would add an X25519MLKEM768 share (+1.2 KB) that Schannel never sends. Offering P-384
    #: matters against strongSwan 5.9.8: its TLS 1.2 server generates the ECDHE key in the
    #: cipher suite's group (P-384 for the *_SHA384 suites) even when it names another
    #: curve the client offered, so a client offering P-256 alone fails ("bad ecpoint").
    ecdh_groups: str = "X25519:P-256:P-384"
    tls12_ciphers: str = SCHANNEL_LIKE_TLS12_CIPHERS
    tls13_suites: str = SCHANNEL_LIKE_TLS13_SUITES
    #: error when the server chain does not reach a trusted root (reference section 3:
    #: 13801, possibly 13887).
    untrusted_root_error: int = WinError.IPSEC_IKE_AUTH_FAIL
    #: error for an expired or not yet valid server certificate. *uncertain*.
    expired_error: int = WinError.EAP_SERVER_CERT_EXPIRED
    #: error for any other chain problem (bad signature, revoked, ...). *uncertain*.
    server_cert_error: int = WinError.VALIDATING_SERVER_CERT
    #: error when the gateway ends the handshake (alert, EAP-Failure), e.g. because it
    #: rejected the user certificate. *uncertain*.
    rejected_error: int = WinError.IPSEC_IKE_AUTH_FAIL
    #: error for an EAP-Success before the server is proven (handshake unfinished, or
    #: no RFC 9190 success indication). *uncertain*.
    unproven_server_error: int = WinError.UNABLE_TO_AUTHENTICATE_SERVER
