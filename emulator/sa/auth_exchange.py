"""IKE_AUTH: the request Windows sends and the checks on the gateway's answer.

Request order (windows-client-behavior.md 2.2): ``IDi <auth payloads> [N(MOBIKE_SUP)] CP SA
TSi TSr``, never IDr. The response must carry the gateway's IDr, its certificate and a
signature AUTH (Windows does not accept EAP-only responder authentication), then the
CHILD SA: one ESP proposal with the gateway's SPI, TSi/TSr and the CP reply. Error
notifies become the errors Windows reports (section 11).
"""

from __future__ import annotations

from dataclasses import replace

from emulator.codec import (
    AuthPayload,
    CertPayload,
    CpPayload,
    IdrPayload,
    NotifyPayload,
    Payload,
    Proposal,
    SaPayload,
    TsiPayload,
    TsrPayload,
    id_body,
)
from emulator.const import AuthMethod, CertEncoding, NotifyType
from emulator.crypto import AuthError, signed_octets, verify
from emulator.crypto.errors import UnsupportedTransformError
from emulator.sa.authenticator import AuthContext
from emulator.sa.child import ChildSa, derive_child
from emulator.sa.cp import parse_reply
from emulator.sa.dial import DialConfig
from emulator.sa.errors import (
    ERROR_FAILED_CP_REQUIRED,
    ERROR_INTERNAL_ADDRESS_FAILURE,
    ERROR_IPSEC_IKE_AUTH_FAIL,
    ERROR_IPSEC_IKE_ERROR,
    ERROR_IPSEC_IKE_POLICY_MATCH,
    ERROR_TS_UNACCEPTABLE,
    ConnectError,
    ProtocolViolation,
)
from emulator.sa.ike_sa import IkeSa
from emulator.sa.selection import check_selection

SIGNATURE_METHODS = (
    AuthMethod.RSA_SIGNATURE,
    AuthMethod.ECDSA_SHA256_P256,
    AuthMethod.ECDSA_SHA384_P384,
)

_NOTIFY_ERRORS: dict[int, int] = {
    NotifyType.AUTHENTICATION_FAILED: ERROR_IPSEC_IKE_AUTH_FAIL,
    NotifyType.NO_PROPOSAL_CHOSEN: ERROR_IPSEC_IKE_POLICY_MATCH,
    NotifyType.TS_UNACCEPTABLE: ERROR_TS_UNACCEPTABLE,
    NotifyType.INTERNAL_ADDRESS_FAILURE: ERROR_INTERNAL_ADDRESS_FAILURE,
    NotifyType.FAILED_CP_REQUIRED: ERROR_FAILED_CP_REQUIRED,
}


def esp_offer(config: DialConfig, spi_in: bytes) -> tuple[Proposal, ...]:
    """The configured ESP proposals, each carrying our inbound SPI."""
    return tuple(replace(p, spi=spi_in) for p in config.esp_proposals)


def first_request(
    config: DialConfig, context: AuthContext, offer: tuple[Proposal, ...]
) -> tuple[Payload, ...]:
    authenticator = config.authenticator
    payloads: list[Payload] = [authenticator.idi(context), *authenticator.first_payloads(context)]
    if config.options.mobike_sup_in_auth:
        payloads.append(NotifyPayload(NotifyType.MOBIKE_SUPPORTED))
    payloads += [config.cp, SaPayload(offer), TsiPayload(config.tsi), TsrPayload(config.tsr)]
    return tuple(payloads)


def raise_for_error_notify(payloads: tuple[Payload, ...], what: str) -> None:
    """ConnectError for the first error notify in PAYLOADS (MS_STATUS carries its code)."""
    for notify in payloads:
        if not isinstance(notify, NotifyPayload) or notify.notify_type >= 16384:
            continue
        if notify.notify_type == NotifyType.MS_NOTIFY_STATUS and len(notify.data) == 4:
            code = int.from_bytes(notify.data, "big")
            raise ConnectError(code, f"the gateway answered {what} with N(MS_STATUS({code}))")
        try:
            name = NotifyType(notify.notify_type).name
        except ValueError:
            name = str(notify.notify_type)
        code = _NOTIFY_ERRORS.get(notify.notify_type, ERROR_IPSEC_IKE_ERROR)
        raise ConnectError(code, f"the gateway answered {what} with N({name})")


def verify_responder(
    payloads: tuple[Payload, ...], config: DialConfig, context: AuthContext
) -> IdrPayload:
    """Check the gateway's certificate (as Windows does) and its signature AUTH."""
    idr = next((p for p in payloads if isinstance(p, IdrPayload)), None)
    auth = next((p for p in payloads if isinstance(p, AuthPayload)), None)
    if idr is None or auth is None:
        raise_for_error_notify(payloads, "IKE_AUTH")
        raise ProtocolViolation("IKE_AUTH response without IDr and AUTH")
    certs = tuple(
        p.data
        for p in payloads
        if isinstance(p, CertPayload) and p.encoding == CertEncoding.X509_SIGNATURE
    )
    if not certs:
        raise ConnectError(
            ERROR_IPSEC_IKE_AUTH_FAIL, "the gateway sent no X.509 certificate with its AUTH"
        )
    key = config.verify_gateway(certs)
    if auth.method not in SIGNATURE_METHODS:
        raise ConnectError(
            ERROR_IPSEC_IKE_AUTH_FAIL,
            f"gateway AUTH method {auth.method} is not a classic signature (1, 9, 10)",
        )
    octets = signed_octets(
        context.init_response, context.nonce_i, context.prf, context.sk_pr, id_body(idr)
    )
    try:
        verify(auth.method, key, octets, auth.data)
    except AuthError as exc:
        raise ConnectError(ERROR_IPSEC_IKE_AUTH_FAIL, f"gateway AUTH: {exc}") from None
    return idr


def child_from_response(
    payloads: tuple[Payload, ...],
    sa: IkeSa,
    nonce_i: bytes,
    nonce_r: bytes,
    offer: tuple[Proposal, ...],
) -> ChildSa:
    """The CHILD SA the response sets up, or the error Windows reports."""
    raise_for_error_notify(payloads, "IKE_AUTH")
    chosen = check_selection(
        offer,
        next((p for p in payloads if isinstance(p, SaPayload)), None),
        spi_size=4,
        what="IKE_AUTH",
    )
    tsi = next((p for p in payloads if isinstance(p, TsiPayload)), None)
    tsr = next((p for p in payloads if isinstance(p, TsrPayload)), None)
    if tsi is None or tsr is None or not tsi.selectors or not tsr.selectors:
        raise ProtocolViolation("IKE_AUTH response without traffic selectors")
    config = parse_reply(next((p for p in payloads if isinstance(p, CpPayload)), None))
    if config.ipv4 is None and config.ipv6 is None:
        raise ConnectError(ERROR_FAILED_CP_REQUIRED, "the CP reply assigned no virtual IP address")
    try:
        return derive_child(
            sa.suite.prf,
            sa.keys.sk_d,
            nonce_i,
            nonce_r,
            chosen,
            offer[0].spi,
            tsi.selectors,
            tsr.selectors,
            config,
        )
    except UnsupportedTransformError as exc:
        raise ConnectError(ERROR_IPSEC_IKE_ERROR, f"chosen ESP proposal unusable: {exc}") from None
