"""The EAP side of a dial (cases B and C): identity, method, IDi, as the Windows build does it.

From the VPN profile, the credentials rasdial was given, the certificate stores, the
registry and the build profile (windows-client-behavior.md 2.6-2.8, 3, 13):

* EAP identity, case C: the user name as entered, ``DOMAIN\\user`` when the credentials
  name a domain; builds whose profile says so always qualify it (``domain-user``: with
  the computer name when no domain is given; ``windows-phone``: ``Windows Phone\\user``).
  Case B: the user certificate's CN (:mod:`emulator.machine.user_certs`).
* IDi: the current local address (chosen by the engine once the socket exists), unless
  ExtendedIDiSupport is non-zero or the profile sets ``eap_idi: extended``: then a user
  name starting with ``@`` is ID_FQDN of the rest, one containing ``@`` is
  ID_RFC822_ADDR, and for EAP-TLS the identity comes from the user certificate (its
  subject DN, ID_DER_ASN1_DN: how Windows names itself with a certificate in case A;
  *uncertain*); anything else keeps the address.
* MS-CHAPv2 retries and failure behaviour, TLS version, TLS 1.3 MSK mode and EAP-TLS
  fragment size: the build profile's options.
* The EAP server certificate: chain to a root in LocalMachine\\Root (as for the IKE
  certificate, [SW-CONF] windowsCaCert) and, when it has an EKU, serverAuth in it;
  Windows' EAP-TLS error for the latter is 857 (*uncertain*; the IKE-level check with
  13801 comes first unless DisableIKENameEkuCheck = 1).
"""

from __future__ import annotations

from collections.abc import Sequence

from cryptography import x509
from cryptography.x509.oid import ExtendedKeyUsageOID

from emulator.codec import IdiPayload
from emulator.const import IdType
from emulator.eap import (
    EapPeer,
    EapTlsMethod,
    FinalFailure,
    MschapV2Method,
    MschapV2Policy,
    ServerCertRejection,
    Tls13Msk,
    TlsPeerConfig,
    TlsVersion,
    WinError,
    windows_eap_identity,
)
from emulator.eap.identity import WINDOWS_PHONE_DOMAIN
from emulator.log import ClientLog
from emulator.machine.registry import Registry
from emulator.machine.stores import MachineStores
from emulator.machine.user_certs import UserCredential, select_user_credential
from emulator.profiles.schema import ProfileOptions
from emulator.sa.eap_authenticator import EapAuthenticator
from emulator.sa.errors import ERROR_INTERACTIVE_MODE, ConnectError
from infra.auth_cases import AuthCase
from infra.clients.protocol import Credentials, VpnProfile


def eap_identity(options: ProfileOptions, credentials: Credentials, computer_name: str) -> str:
    """The EAP-Response/Identity (and MS-CHAPv2 Name) this build sends for CREDENTIALS."""
    domain = credentials.domain
    if options.eap_identity == "domain-user":
        domain = domain or computer_name
    elif options.eap_identity == "windows-phone":
        domain = domain or WINDOWS_PHONE_DOMAIN
    return windows_eap_identity(credentials.user, domain)


def extended_idi(name: str) -> IdiPayload | None:
    """ExtendedIDiSupport's IDi for a user NAME, None to keep the local address."""
    if name.startswith("@"):
        return IdiPayload(IdType.FQDN, name[1:].encode())
    if "@" in name:
        return IdiPayload(IdType.RFC822_ADDR, name.encode())
    return None


def mschapv2_policy(options: ProfileOptions) -> MschapV2Policy:
    return MschapV2Policy(
        retries=options.mschapv2_retries,
        keep_first_user=options.mschapv2_keep_first_user,
        on_final_failure=(
            FinalFailure.DELETE if options.mschapv2_delete_on_failure else FinalFailure.SILENT
        ),
    )


def eap_server_verifier(chain: Sequence[x509.Certificate]) -> ServerCertRejection | None:
    """Windows' EAP-TLS check of the TLS server certificate beyond the chain."""
    leaf = chain[0]
    try:
        ekus = leaf.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value
    except x509.ExtensionNotFound:
        return None
    if ExtendedKeyUsageOID.SERVER_AUTH in ekus:
        return None
    return ServerCertRejection(
        WinError.EAP_SERVER_CERT_INVALID,
        f"EAP server certificate {leaf.subject.rfc4514_string()}: EKU lacks serverAuth",
    )


def eap_authenticator(
    options: ProfileOptions,
    registry: Registry,
    stores: MachineStores,
    profile: VpnProfile,
    credentials: Credentials | None,
    *,
    certreq: tuple[bytes, ...],
    computer_name: str,
    log: ClientLog,
) -> tuple[EapAuthenticator, str]:
    """The authenticator of a case B or C dial and a log summary; ConnectError (703, 798)
    when Windows would fail before sending anything."""
    extended = options.eap_idi == "extended" or registry.nonzero("ExtendedIDiSupport")
    idi: IdiPayload | None = None
    if profile.auth is AuthCase.EAP_MSCHAPV2:
        if credentials is None:
            raise ConnectError(
                ERROR_INTERACTIVE_MODE,
                "EAP-MSCHAPv2 needs a user name and password and none were given "
                "(a non-interactive dial cannot prompt for them)",
            )
        identity = eap_identity(options, credentials, computer_name)
        method: MschapV2Method | EapTlsMethod = MschapV2Method(
            identity, credentials.password, mschapv2_policy(options)
        )
        if extended:
            idi = extended_idi(credentials.user)
        summary = f"EAP-MSCHAPv2 as {identity!r}"
    elif profile.auth is AuthCase.EAP_TLS:
        method, identity, idi, summary = _eap_tls(options, stores, credentials, extended, log)
    else:
        raise ValueError(f"{profile.auth} is not an EAP case")
    idi_text = "the local address" if idi is None else f"ID type {idi.id_type}"
    return (
        EapAuthenticator(EapPeer(identity, method), certreq, log, idi=idi),
        f"{summary}; IDi {idi_text}",
    )


def _tls_config(
    options: ProfileOptions, stores: MachineStores, user: UserCredential | None
) -> TlsPeerConfig:
    return TlsPeerConfig(
        None if user is None else user.certificate,
        None if user is None else user.key,
        trusted_roots=tuple(e.certificate for e in stores.local_machine_root.entries()),
        verifier=eap_server_verifier,
        max_version=TlsVersion(options.eap_tls_version),
        tls13_msk=Tls13Msk(options.eap_tls13_msk),
        fragment_size=options.eap_tls_fragment_size,
    )


def _eap_tls(
    options: ProfileOptions,
    stores: MachineStores,
    credentials: Credentials | None,
    extended: bool,
    log: ClientLog,
) -> tuple[EapTlsMethod, str, IdiPayload | None, str]:
    try:
        user = select_user_credential(stores.current_user_my)
    except ConnectError as exc:
        if options.eap_tls_no_certificate == "before-dial":
            raise
        log.line("CFG", f"{exc.reason}; EAP-TLS will fail when the gateway starts it")
        identity = credentials.user if credentials is not None else ""
        method = EapTlsMethod(_tls_config(options, stores, None))
        return method, identity, None, "EAP-TLS without a user certificate"
    if not user.cn_in_san:
        log.line(
            "CFG",
            f"the user certificate's CN {user.identity!r} is not among its SANs: a gateway "
            "that matches the EAP identity against the certificate will refuse it",
        )
    subject = user.certificate.subject
    idi = IdiPayload(IdType.DER_ASN1_DN, subject.public_bytes()) if extended else None
    method = EapTlsMethod(_tls_config(options, stores, user))
    summary = f"EAP-TLS as {user.identity!r} ({subject.rfc4514_string()})"
    return method, user.identity, idi, summary
