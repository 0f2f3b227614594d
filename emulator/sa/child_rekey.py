"""CHILD SA rekeying in both directions (windows-client-behavior.md 4.2, 4.4, 4.5).

Windows-initiated: ``CREATE_CHILD_SA [ N(REKEY_SA) SA No TSi TSr [KE] ]``, KE after TSr and
only with -PfsGroup; the SA is the dial's ESP offer with a fresh SPI and, with PFS, the
group's D-H transform. Gateway-initiated: accepted outside NAT with ``[ SA No TSi TSr ]``;
behind NAT rejected with Microsoft's N(12345) carrying 13863; with a KE payload while no
PFS is configured rejected with 13816 (both profile options with their sources). These
functions only compute; the session owns the state and the sending.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, replace

from emulator.codec import (
    KePayload,
    NoncePayload,
    NotifyPayload,
    Payload,
    Proposal,
    SaPayload,
    Transform,
    TsiPayload,
    TsrPayload,
)
from emulator.const import NotifyType, ProtocolId, TransformType
from emulator.crypto import DhError, KeyExchange, key_exchange, supported_groups
from emulator.crypto.errors import UnsupportedTransformError
from emulator.profiles.schema import ProfileOptions
from emulator.sa.auth_exchange import raise_for_error_notify
from emulator.sa.child import ChildSa, derive_child
from emulator.sa.dial import DialConfig
from emulator.sa.errors import (
    ERROR_IPSEC_IKE_ERROR,
    ERROR_IPSEC_IKE_INVALID_SITUATION,
    ConnectError,
    ProtocolViolation,
)
from emulator.sa.ike_sa import IkeSa
from emulator.sa.selection import check_selection, select_as_responder


def new_esp_spi() -> bytes:
    while True:
        spi = os.urandom(4)
        if int.from_bytes(spi, "big") >= 256:  # 1-255 are reserved by IANA
            return spi


def pfs_group(config: DialConfig, sa: IkeSa) -> int | None:
    """The D-H group of a CHILD rekey: -PfsGroup, PFSMM as the IKE SA's group, or None."""
    if config.pfs_same_as_ike:
        return next(
            (
                t.transform_id
                for t in sa.proposal.transforms
                if t.transform_type == TransformType.DH
            ),
            None,
        )
    return config.pfs_group


def with_group(proposals: tuple[Proposal, ...], group: int | None) -> tuple[Proposal, ...]:
    """ESP proposals with GROUP's D-H transform before ESN (as Windows lists it, 4.2)."""
    if group is None:
        return proposals
    result = []
    for proposal in proposals:
        transforms = [t for t in proposal.transforms if t.transform_type != TransformType.ESN]
        transforms.append(Transform(TransformType.DH, group))
        transforms += [t for t in proposal.transforms if t.transform_type == TransformType.ESN]
        result.append(replace(proposal, transforms=tuple(transforms)))
    return tuple(result)


# --- Windows-initiated ------------------------------------------------------------------


@dataclass(frozen=True)
class RekeyRequest:
    """What this client sent, kept to check and key the response."""

    old: ChildSa
    offer: tuple[Proposal, ...]
    nonce: bytes
    ke: KeyExchange | None
    payloads: tuple[Payload, ...]


def client_request(config: DialConfig, sa: IkeSa, old: ChildSa) -> RekeyRequest:
    spi_in = new_esp_spi()
    group = pfs_group(config, sa)
    offer = with_group(tuple(replace(p, spi=spi_in) for p in config.esp_proposals), group)
    nonce = os.urandom(config.options.nonce_length)
    ke = key_exchange(group) if group is not None else None
    payloads: list[Payload] = [
        NotifyPayload(NotifyType.REKEY_SA, b"", ProtocolId.ESP, old.spi_in),
        SaPayload(offer),
        NoncePayload(nonce),
        TsiPayload(config.tsi),
        TsrPayload(config.tsr),
    ]
    if ke is not None:
        payloads.append(KePayload(ke.group, ke.public_value))
    return RekeyRequest(old, offer, nonce, ke, tuple(payloads))


def client_response(payloads: tuple[Payload, ...], sa: IkeSa, request: RekeyRequest) -> ChildSa:
    """The new CHILD SA, or ConnectError with the Windows error of a refused rekey."""
    raise_for_error_notify(payloads, "the CHILD SA rekey")
    chosen = check_selection(
        request.offer,
        next((p for p in payloads if isinstance(p, SaPayload)), None),
        spi_size=4,
        what="CREATE_CHILD_SA",
    )
    nonce = next((p for p in payloads if isinstance(p, NoncePayload)), None)
    if nonce is None:
        raise ProtocolViolation("CREATE_CHILD_SA response without a nonce")
    ke = next((p for p in payloads if isinstance(p, KePayload)), None)
    secret = None
    if request.ke is not None:
        if ke is None or ke.group != request.ke.group:
            raise ProtocolViolation(
                f"CREATE_CHILD_SA response KE {None if ke is None else ke.group}, "
                f"sent {request.ke.group}"
            )
        try:
            secret = request.ke.shared_secret(ke.data)
        except DhError as exc:
            raise ProtocolViolation(f"responder KE value: {exc}") from None
    elif ke is not None:
        raise ProtocolViolation("CREATE_CHILD_SA response with a KE this client did not send")
    tsi = next((p for p in payloads if isinstance(p, TsiPayload)), None)
    tsr = next((p for p in payloads if isinstance(p, TsrPayload)), None)
    if tsi is None or tsr is None or not tsi.selectors or not tsr.selectors:
        raise ProtocolViolation("CREATE_CHILD_SA response without traffic selectors")
    try:
        return derive_child(
            sa.suite.prf,
            sa.keys.sk_d,
            request.nonce,
            nonce.data,
            chosen,
            request.offer[0].spi,
            tsi.selectors,
            tsr.selectors,
            request.old.config,
            shared_secret=secret,
        )
    except UnsupportedTransformError as exc:
        raise ConnectError(ERROR_IPSEC_IKE_ERROR, f"chosen ESP proposal unusable: {exc}") from None


# --- gateway-initiated ------------------------------------------------------------------


@dataclass(frozen=True)
class GatewayRekeyAnswer:
    """The response payloads; NEW is the CHILD SA they set up (None: refused, why in NOTE)."""

    payloads: tuple[Payload, ...]
    note: str
    new: ChildSa | None = None
    replaces: ChildSa | None = None


def _ms_status(code: int, child: ChildSa | None, options: ProfileOptions) -> NotifyPayload:
    spi, protocol = b"", int(ProtocolId.NONE)
    if options.gw_child_rekey_notify_protocol == "esp" and child is not None:
        spi, protocol = child.spi_in, ProtocolId.ESP
    return NotifyPayload(NotifyType.MS_NOTIFY_STATUS, code.to_bytes(4, "big"), protocol, spi)


def answer_gateway(
    payloads: tuple[Payload, ...],
    children: tuple[ChildSa, ...],
    config: DialConfig,
    sa: IkeSa,
    *,
    behind_nat: bool,
) -> GatewayRekeyAnswer:
    """The answer to a gateway CREATE_CHILD_SA that is not an IKE SA rekey."""
    options = config.options
    rekey = next(
        (
            p
            for p in payloads
            if isinstance(p, NotifyPayload) and p.notify_type == NotifyType.REKEY_SA
        ),
        None,
    )
    if rekey is None:
        return GatewayRekeyAnswer(
            (NotifyPayload(NotifyType.NO_ADDITIONAL_SAS),),
            "gateway-initiated CREATE_CHILD_SA for an additional CHILD SA refused "
            "(Windows holds one CHILD SA per connection)",
        )
    old = next((c for c in children if c.spi_out == rekey.spi), None)
    if old is None:
        return GatewayRekeyAnswer(
            (NotifyPayload(NotifyType.CHILD_SA_NOT_FOUND, b"", ProtocolId.ESP, rekey.spi),),
            f"gateway asked to rekey unknown CHILD SA {rekey.spi.hex()}: CHILD_SA_NOT_FOUND",
        )
    if behind_nat and options.gw_child_rekey_behind_nat == "reject-13863":
        return GatewayRekeyAnswer(
            (_ms_status(ERROR_IPSEC_IKE_INVALID_SITUATION, old, options),),
            "CHILD SA rekey from the gateway behind NAT rejected with N(MS_STATUS(13863))",
        )
    ke = next((p for p in payloads if isinstance(p, KePayload)), None)
    group = pfs_group(config, sa)
    if ke is not None and group is None and options.gw_child_rekey_unexpected_ke == "reject-13816":
        return GatewayRekeyAnswer(
            (_ms_status(ERROR_IPSEC_IKE_ERROR, old, options),),
            f"CHILD SA rekey from the gateway with a KE payload (group {ke.group}) although "
            "no PFS group is configured: rejected with N(MS_STATUS(13816))",
        )
    sa_payload = next((p for p in payloads if isinstance(p, SaPayload)), None)
    nonce = next((p for p in payloads if isinstance(p, NoncePayload)), None)
    tsi = next((p for p in payloads if isinstance(p, TsiPayload)), None)
    tsr = next((p for p in payloads if isinstance(p, TsrPayload)), None)
    if sa_payload is None or nonce is None or tsi is None or tsr is None:
        return GatewayRekeyAnswer(
            (NotifyPayload(NotifyType.INVALID_SYNTAX),),
            "gateway CHILD SA rekey without SA, nonce or traffic selectors: INVALID_SYNTAX",
        )
    spi_in = new_esp_spi()
    acceptable = with_group(config.esp_proposals, group)
    chosen = select_as_responder(sa_payload.proposals, acceptable, spi=spi_in)
    if chosen is None:
        return GatewayRekeyAnswer(
            (NotifyPayload(NotifyType.NO_PROPOSAL_CHOSEN),),
            "gateway CHILD SA rekey: none of its proposals matches this client's "
            + ("PFS " if group else "")
            + "ESP proposals: NO_PROPOSAL_CHOSEN",
        )
    chosen_group = next(
        (t.transform_id for t in chosen.transforms if t.transform_type == TransformType.DH), None
    )
    our_ke: KeyExchange | None = None
    secret = None
    if chosen_group is not None:
        if ke is None or ke.group != chosen_group:
            return GatewayRekeyAnswer(
                (NotifyPayload(NotifyType.INVALID_KE_PAYLOAD, chosen_group.to_bytes(2, "big")),),
                f"gateway CHILD SA rekey without a KE of group {chosen_group}: INVALID_KE_PAYLOAD",
            )
        if chosen_group not in supported_groups():
            return GatewayRekeyAnswer(
                (NotifyPayload(NotifyType.NO_PROPOSAL_CHOSEN),),
                f"D-H group {chosen_group} not implemented: NO_PROPOSAL_CHOSEN",
            )
        our_ke = key_exchange(chosen_group)
        try:
            secret = our_ke.shared_secret(ke.data)
        except DhError as exc:
            return GatewayRekeyAnswer(
                (NotifyPayload(NotifyType.INVALID_SYNTAX),), f"gateway KE value: {exc}"
            )
    nonce_r = os.urandom(options.nonce_length)
    peer = next(p for p in sa_payload.proposals if p.number == chosen.number)
    try:
        new = derive_child(
            sa.suite.prf,
            sa.keys.sk_d,
            nonce.data,
            nonce_r,
            replace(chosen, spi=peer.spi),
            spi_in,
            tsr.selectors,
            tsi.selectors,
            old.config,
            shared_secret=secret,
            we_initiated=False,
        )
    except UnsupportedTransformError as exc:
        return GatewayRekeyAnswer(
            (NotifyPayload(NotifyType.NO_PROPOSAL_CHOSEN),), f"chosen ESP proposal unusable: {exc}"
        )
    response: list[Payload] = [
        SaPayload((chosen,)),
        NoncePayload(nonce_r),
        TsiPayload(tsi.selectors),
        TsrPayload(tsr.selectors),
    ]
    if our_ke is not None:
        response.append(KePayload(our_ke.group, our_ke.public_value))
    return GatewayRekeyAnswer(
        tuple(response),
        f"CHILD SA {old.spi_in.hex()}_i rekeyed by the gateway: new SPIs {spi_in.hex()}_i "
        f"{peer.spi.hex()}_o",
        new,
        old,
    )
