"""IKE SA rekeying in both directions (windows-client-behavior.md 4.3, RFC 7296 1.3.2, 2.18).

Windows-initiated: no wire record exists, so the RFC form ``CREATE_CHILD_SA [ SA Ni KE ]``
with the negotiated proposal (a new 8-byte SPI) and a KE of the negotiated group (uncertain,
reference 4.3). Gateway-initiated: Windows "can't handle unsupported Diffie-Hellman groups"
([SW-WC]): a KE of another group than the one negotiated gets the profile's
``ike_rekey_responder_other_group`` answer. The new SA's original initiator is whoever
started the rekey, which decides the I flag and the key direction from then on.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, replace

from emulator.codec import KePayload, NoncePayload, NotifyPayload, Payload, Proposal, SaPayload
from emulator.const import NotifyType, ProtocolId, TransformType
from emulator.crypto import DhError, IkeSuite, KeyExchange, key_exchange
from emulator.crypto.errors import UnsupportedTransformError
from emulator.crypto.keymat import derive_ike_sa_keys, rekey_skeyseed
from emulator.profiles.schema import ProfileOptions
from emulator.sa.auth_exchange import raise_for_error_notify
from emulator.sa.errors import ERROR_IPSEC_IKE_ERROR, ConnectError, ProtocolViolation
from emulator.sa.ike_sa import IkeSa
from emulator.sa.init_exchange import new_spi
from emulator.sa.selection import check_selection, select_as_responder


def negotiated_group(sa: IkeSa) -> int:
    return next(
        t.transform_id for t in sa.proposal.transforms if t.transform_type == TransformType.DH
    )


def _new_sa(
    old: IkeSa,
    chosen: Proposal,
    secret: bytes,
    nonce_i: bytes,
    nonce_r: bytes,
    spi_i: bytes,
    spi_r: bytes,
    *,
    initiator: bool,
) -> IkeSa:
    try:
        suite = IkeSuite.from_proposal(chosen)
    except UnsupportedTransformError as exc:
        raise ConnectError(ERROR_IPSEC_IKE_ERROR, f"IKE rekey proposal unusable: {exc}") from None
    seed = rekey_skeyseed(old.suite.prf, old.keys.sk_d, secret, nonce_i, nonce_r)
    keys = derive_ike_sa_keys(
        suite.prf,
        seed,
        nonce_i,
        nonce_r,
        spi_i,
        spi_r,
        suite.encr.key_size,
        0 if suite.integ is None else suite.integ.key_size,
    )
    return IkeSa(
        spi_i=spi_i,
        spi_r=spi_r,
        suite=suite,
        keys=keys,
        proposal=replace(chosen, spi=b""),
        fragmentation=old.fragmentation,
        fragment_ciphertext_len=old.fragment_ciphertext_len,
        max_fragments=old.max_fragments,
        understands_fragments=old.understands_fragments,
        message_limit=old.message_limit,
        next_mid=0,
        peer_mid=0,
        initiator=initiator,
    )


# --- Windows-initiated ------------------------------------------------------------------


@dataclass(frozen=True)
class IkeRekeyRequest:
    spi: bytes
    offer: tuple[Proposal, ...]
    nonce: bytes
    ke: KeyExchange
    payloads: tuple[Payload, ...]


def client_request(sa: IkeSa, nonce_length: int) -> IkeRekeyRequest:
    spi = new_spi()
    offer = (replace(sa.proposal, number=1, spi=spi),)
    nonce = os.urandom(nonce_length)
    ke = key_exchange(negotiated_group(sa))
    payloads = (SaPayload(offer), NoncePayload(nonce), KePayload(ke.group, ke.public_value))
    return IkeRekeyRequest(spi, offer, nonce, ke, payloads)


def client_response(payloads: tuple[Payload, ...], old: IkeSa, request: IkeRekeyRequest) -> IkeSa:
    """The new IKE SA, or ConnectError with the Windows error of a refused rekey."""
    raise_for_error_notify(payloads, "the IKE SA rekey")
    chosen = check_selection(
        request.offer,
        next((p for p in payloads if isinstance(p, SaPayload)), None),
        spi_size=8,
        what="IKE rekey",
    )
    nonce = next((p for p in payloads if isinstance(p, NoncePayload)), None)
    ke = next((p for p in payloads if isinstance(p, KePayload)), None)
    if nonce is None or ke is None or ke.group != request.ke.group:
        raise ProtocolViolation("IKE rekey response without a nonce or a KE of the sent group")
    try:
        secret = request.ke.shared_secret(ke.data)
    except DhError as exc:
        raise ProtocolViolation(f"IKE rekey KE value: {exc}") from None
    return _new_sa(
        old, chosen, secret, request.nonce, nonce.data, request.spi, chosen.spi, initiator=True
    )


# --- gateway-initiated ------------------------------------------------------------------


@dataclass(frozen=True)
class IkeRekeyAnswer:
    """The response payloads (None: send nothing) and the new SA (None: refused)."""

    payloads: tuple[Payload, ...] | None
    note: str
    new: IkeSa | None = None


def is_ike_rekey(payloads: tuple[Payload, ...]) -> bool:
    """A CREATE_CHILD_SA whose SA offers IKE proposals rekeys the IKE SA (RFC 7296 1.3.2)."""
    sa = next((p for p in payloads if isinstance(p, SaPayload)), None)
    return sa is not None and any(p.protocol == ProtocolId.IKE for p in sa.proposals)


def answer_gateway(
    payloads: tuple[Payload, ...],
    old: IkeSa,
    acceptable: tuple[Proposal, ...],
    options: ProfileOptions,
) -> IkeRekeyAnswer:
    sa_payload = next((p for p in payloads if isinstance(p, SaPayload)), None)
    nonce = next((p for p in payloads if isinstance(p, NoncePayload)), None)
    ke = next((p for p in payloads if isinstance(p, KePayload)), None)
    if sa_payload is None or nonce is None or ke is None:
        return IkeRekeyAnswer(
            (NotifyPayload(NotifyType.INVALID_SYNTAX),),
            "gateway IKE rekey without SA, nonce or KE: INVALID_SYNTAX",
        )
    group = negotiated_group(old)
    if ke.group != group:
        note = (
            f"gateway IKE rekey with a KE of D-H group {ke.group}, negotiated {group}: "
            "Windows cannot handle another group"
        )
        behaviour = options.ike_rekey_responder_other_group
        if behaviour == "no-answer":
            return IkeRekeyAnswer(None, note + " (no answer)")
        if behaviour == "invalid-ke":
            return IkeRekeyAnswer(
                (NotifyPayload(NotifyType.INVALID_KE_PAYLOAD, group.to_bytes(2, "big")),),
                note + f": INVALID_KE_PAYLOAD asking for {group}",
            )
        return IkeRekeyAnswer(
            (NotifyPayload(NotifyType.NO_PROPOSAL_CHOSEN),), note + ": NO_PROPOSAL_CHOSEN"
        )
    spi_r = new_spi()
    same_group = tuple(
        p
        for p in acceptable
        if any(
            t.transform_type == TransformType.DH and t.transform_id == group for t in p.transforms
        )
    )
    chosen = select_as_responder(sa_payload.proposals, same_group, spi=spi_r)
    if chosen is None:
        return IkeRekeyAnswer(
            (NotifyPayload(NotifyType.NO_PROPOSAL_CHOSEN),),
            "gateway IKE rekey: no proposal of the negotiated group matches: NO_PROPOSAL_CHOSEN",
        )
    peer = next(p for p in sa_payload.proposals if p.number == chosen.number)
    our_ke = key_exchange(group)
    try:
        secret = our_ke.shared_secret(ke.data)
        nonce_r = os.urandom(options.nonce_length)
        new = _new_sa(old, chosen, secret, nonce.data, nonce_r, peer.spi, spi_r, initiator=False)
    except DhError as exc:
        return IkeRekeyAnswer((NotifyPayload(NotifyType.INVALID_SYNTAX),), f"gateway KE: {exc}")
    except ConnectError as exc:
        return IkeRekeyAnswer((NotifyPayload(NotifyType.NO_PROPOSAL_CHOSEN),), exc.reason)
    response = (SaPayload((chosen,)), NoncePayload(nonce_r), KePayload(group, our_ke.public_value))
    return IkeRekeyAnswer(
        response,
        f"IKE SA rekeyed by the gateway: new SPIs {peer.spi.hex()}_i {spi_r.hex()}_r",
        new,
    )
