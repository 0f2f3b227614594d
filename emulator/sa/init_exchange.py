"""IKE_SA_INIT as Windows sends it, and what the client makes of the response.

Request: ``[N(COOKIE)] SA KE No [N(FRAG_SUP)] N(NATD_S_IP) N(NATD_D_IP) V V V V``
(windows-client-behavior.md 1.2-1.4): FRAG_SUP before the NAT-D notifies, vendor IDs
last, the KE of the first proposal's group, SPI size 0 in every proposal. The response
either asks for a restart (COOKIE, INVALID_KE_PAYLOAD), refuses (an error notify), or
completes the exchange, after which the IKE SA keys exist.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field

from emulator.codec import (
    IkeHeader,
    IkeMessage,
    KePayload,
    NoncePayload,
    NotifyPayload,
    Payload,
    Proposal,
    SaPayload,
    VendorIdPayload,
    encode,
)
from emulator.const import DhGroup, ExchangeType, HeaderFlag, NotifyType, TransformType
from emulator.crypto import DhError, IkeSuite, KeyExchange, UnsupportedTransformError, ike_sa_keys
from emulator.net.transport import IPAddress
from emulator.sa.errors import (
    ERROR_IPSEC_IKE_ERROR,
    ERROR_IPSEC_IKE_POLICY_MATCH,
    ConnectError,
    ProtocolViolation,
)
from emulator.sa.ike_sa import IkeSa
from emulator.sa.natt import behind_nat, natd_hash
from emulator.sa.selection import check_selection

ZERO_SPI = bytes(8)
MIN_NONCE, MAX_NONCE = 16, 256


@dataclass
class InitAttempt:
    """One IKE_SA_INIT request as sent (a COOKIE or INVALID_KE restart makes a new one)."""

    spi_i: bytes
    proposals: tuple[Proposal, ...]
    ke: KeyExchange
    nonce: bytes
    cookie: bytes | None = None
    raw: bytes = b""
    message: IkeMessage | None = field(default=None, repr=False)


def offered_groups(proposals: tuple[Proposal, ...]) -> tuple[int, ...]:
    """D-H groups of the proposals, in order of first appearance."""
    groups: dict[int, None] = {}
    for proposal in proposals:
        for transform in proposal.transforms:
            if transform.transform_type == TransformType.DH:
                groups.setdefault(transform.transform_id)
    return tuple(groups)


def build_request(
    attempt: InitAttempt,
    *,
    frag_sup: bool,
    vendor_ids: tuple[bytes, ...],
    local: IPAddress,
    local_port: int,
    server: IPAddress,
    server_port: int,
) -> bytes:
    """Encode ATTEMPT's request; keeps the exact bytes for the AUTH signature."""
    payloads: list[Payload] = []
    if attempt.cookie is not None:
        payloads.append(NotifyPayload(NotifyType.COOKIE, attempt.cookie))
    payloads += [
        SaPayload(attempt.proposals),
        KePayload(attempt.ke.group, attempt.ke.public_value),
        NoncePayload(attempt.nonce),
    ]
    if frag_sup:
        payloads.append(NotifyPayload(NotifyType.IKEV2_FRAGMENTATION_SUPPORTED))
    payloads += [
        NotifyPayload(
            NotifyType.NAT_DETECTION_SOURCE_IP,
            natd_hash(attempt.spi_i, ZERO_SPI, local, local_port),
        ),
        NotifyPayload(
            NotifyType.NAT_DETECTION_DESTINATION_IP,
            natd_hash(attempt.spi_i, ZERO_SPI, server, server_port),
        ),
    ]
    payloads += [VendorIdPayload(v) for v in vendor_ids]
    header = IkeHeader(attempt.spi_i, ZERO_SPI, ExchangeType.IKE_SA_INIT, 0, HeaderFlag.INITIATOR)
    attempt.message = IkeMessage(header, tuple(payloads))
    attempt.raw = encode(attempt.message)
    return attempt.raw


def is_response_to(message: IkeMessage, attempt: InitAttempt) -> bool:
    """Whether MESSAGE claims to answer ATTEMPT (header only; contents checked later)."""
    header = message.header
    return (
        header.exchange == ExchangeType.IKE_SA_INIT
        and header.is_response
        and not header.is_initiator
        and header.message_id == 0
        and header.spi_i == attempt.spi_i
    )


@dataclass(frozen=True)
class Restart:
    """The responder wants another IKE_SA_INIT: with a cookie, or with another group."""

    cookie: bytes | None = None
    group: int | None = None


def error_notify(message: IkeMessage) -> NotifyPayload | None:
    """The first error notify (type < 16384) of MESSAGE."""
    return next((n for n in message.find_all(NotifyPayload) if n.notify_type < 16384), None)


def restart_or_refusal(message: IkeMessage, attempt: InitAttempt) -> Restart | None:
    """A Restart for COOKIE / INVALID_KE_PAYLOAD; ConnectError for other error notifies;
    None for a response that should complete the exchange."""
    cookie = message.notifies(NotifyType.COOKIE)
    if cookie:
        return Restart(cookie=cookie[0].data)
    error = error_notify(message)
    if error is None:
        return None
    if error.notify_type == NotifyType.INVALID_KE_PAYLOAD:
        if len(error.data) != 2:
            raise ProtocolViolation("INVALID_KE_PAYLOAD without a 2-byte group")
        return Restart(group=int.from_bytes(error.data, "big"))
    name = _notify_name(error.notify_type)
    if error.notify_type == NotifyType.NO_PROPOSAL_CHOSEN:
        raise ConnectError(
            ERROR_IPSEC_IKE_POLICY_MATCH,
            "the gateway answered IKE_SA_INIT with N(NO_PROPOSAL_CHOSEN): none of the "
            f"{len(attempt.proposals)} IKE proposals is acceptable to it",
        )
    raise ConnectError(ERROR_IPSEC_IKE_ERROR, f"the gateway answered IKE_SA_INIT with N({name})")


def _notify_name(notify_type: int) -> str:
    try:
        return NotifyType(notify_type).name
    except ValueError:
        return str(notify_type)


@dataclass(frozen=True)
class InitResult:
    sa: IkeSa
    chosen: Proposal
    nonce_r: bytes
    response_raw: bytes
    behind_nat: bool
    peer_frag_sup: bool


def complete(
    message: IkeMessage,
    raw: bytes,
    attempt: InitAttempt,
    *,
    local: IPAddress,
    local_port: int,
    fragmentation_offered: bool,
    fragment_ciphertext_len: int,
    max_fragments: int,
    message_limit: int = 0,
) -> InitResult:
    """Validate the response and derive the IKE SA keys."""
    spi_r = message.header.spi_r
    if spi_r == ZERO_SPI:
        raise ProtocolViolation("IKE_SA_INIT response with a zero responder SPI")
    chosen = check_selection(
        attempt.proposals, message.find(SaPayload), spi_size=0, what="IKE_SA_INIT"
    )
    ke = message.find(KePayload)
    nonce = message.find(NoncePayload)
    if ke is None or nonce is None:
        raise ProtocolViolation("IKE_SA_INIT response without KE or nonce")
    chosen_group = next(t.transform_id for t in chosen.transforms if t.transform_type == 4)
    if ke.group != attempt.ke.group or chosen_group != attempt.ke.group:
        raise ProtocolViolation(
            f"IKE_SA_INIT response KE group {ke.group} / chosen {chosen_group}, "
            f"sent {attempt.ke.group}"
        )
    if not MIN_NONCE <= len(nonce.data) <= MAX_NONCE:
        raise ProtocolViolation(f"responder nonce of {len(nonce.data)} bytes (16..256 allowed)")
    try:
        suite = IkeSuite.from_proposal(chosen)
        secret = attempt.ke.shared_secret(ke.data)
    except DhError as exc:
        raise ProtocolViolation(f"responder KE value: {exc}") from None
    except UnsupportedTransformError as exc:
        raise ConnectError(ERROR_IPSEC_IKE_ERROR, f"chosen proposal unusable: {exc}") from None
    keys = ike_sa_keys(
        suite.prf,
        attempt.nonce,
        nonce.data,
        secret,
        attempt.spi_i,
        spi_r,
        suite.encr.key_size,
        0 if suite.integ is None else suite.integ.key_size,
    )
    peer_frag = bool(message.notifies(NotifyType.IKEV2_FRAGMENTATION_SUPPORTED))
    natd_d = tuple(n.data for n in message.notifies(NotifyType.NAT_DETECTION_DESTINATION_IP))
    sa = IkeSa(
        spi_i=attempt.spi_i,
        spi_r=spi_r,
        suite=suite,
        keys=keys,
        proposal=chosen,
        fragmentation=fragmentation_offered and peer_frag,
        understands_fragments=fragmentation_offered,
        fragment_ciphertext_len=fragment_ciphertext_len,
        max_fragments=max_fragments,
        message_limit=message_limit,
    )
    return InitResult(
        sa=sa,
        chosen=chosen,
        nonce_r=nonce.data,
        response_raw=raw,
        behind_nat=behind_nat(natd_d, attempt.spi_i, spi_r, local, local_port),
        peer_frag_sup=peer_frag,
    )


def new_spi() -> bytes:
    """A random non-zero 8-byte IKE SPI."""
    while True:
        spi = os.urandom(8)
        if spi != ZERO_SPI:
            return spi


def group_name(group: int) -> str:
    try:
        return DhGroup(group).name
    except ValueError:
        return str(group)
