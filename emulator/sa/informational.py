"""Answers to requests the gateway sends into an established IKE SA.

What Windows does (windows-client-behavior.md 4.4, 7): an empty INFORMATIONAL (liveness
check) gets an empty response; a Delete of the CHILD SA is answered with a Delete of our
inbound SPI; a Delete of the IKE SA with an empty response, after which the connection
is down. A gateway-initiated CHILD rekey while the client is behind a NAT is rejected
with Microsoft's N(12345) carrying ERROR_IPSEC_IKE_INVALID_SITUATION (13863). This
emulator does not accept gateway-initiated CHILD rekeys: outside NAT it refuses them with
NO_ADDITIONAL_SAS and logs that, which deviates from Windows (it accepts them, reference
4.4); the rekeying engine that would close the gap is issue 9.
"""

from __future__ import annotations

from dataclasses import dataclass

from emulator.codec import DeletePayload, NotifyPayload, Payload, SaPayload
from emulator.const import ExchangeType, NotifyType, ProtocolId
from emulator.profiles.schema import ProfileOptions
from emulator.sa.child import ChildSa

ERROR_IPSEC_IKE_INVALID_SITUATION = 13863


@dataclass(frozen=True)
class Answer:
    """The response payloads and what the request did to the connection."""

    payloads: tuple[Payload, ...]
    ike_deleted: bool = False
    child_deleted: bool = False
    note: str = ""


def answer(
    exchange: int,
    payloads: tuple[Payload, ...],
    child: ChildSa | None,
    *,
    behind_nat: bool,
    options: ProfileOptions,
) -> Answer | None:
    """The answer to one gateway request; None for a request to ignore."""
    if exchange == ExchangeType.INFORMATIONAL:
        return _informational(payloads, child)
    if exchange == ExchangeType.CREATE_CHILD_SA:
        return _create_child(payloads, child, behind_nat=behind_nat, options=options)
    return None


def _informational(payloads: tuple[Payload, ...], child: ChildSa | None) -> Answer:
    deletes = [p for p in payloads if isinstance(p, DeletePayload)]
    if any(d.protocol_id == ProtocolId.IKE for d in deletes):
        return Answer((), ike_deleted=True, note="the gateway deleted the IKE SA")
    for delete in deletes:
        if (
            delete.protocol_id == ProtocolId.ESP
            and child is not None
            and child.spi_out in delete.spis
        ):
            return Answer(
                (DeletePayload(ProtocolId.ESP, 4, (child.spi_in,)),),
                child_deleted=True,
                note=f"the gateway deleted CHILD SA {child.spi_in.hex()}_i",
            )
    if not payloads:
        return Answer((), note="liveness check")
    return Answer((), note="INFORMATIONAL request acknowledged")


def _create_child(
    payloads: tuple[Payload, ...],
    child: ChildSa | None,
    *,
    behind_nat: bool,
    options: ProfileOptions,
) -> Answer:
    rekey = any(
        isinstance(p, NotifyPayload) and p.notify_type == NotifyType.REKEY_SA for p in payloads
    )
    if rekey and behind_nat and options.gw_child_rekey_behind_nat == "reject-13863":
        spi = b""
        protocol: int = ProtocolId.NONE
        if options.gw_child_rekey_notify_protocol == "esp" and child is not None:
            spi, protocol = child.spi_in, ProtocolId.ESP
        status = ERROR_IPSEC_IKE_INVALID_SITUATION.to_bytes(4, "big")
        return Answer(
            (NotifyPayload(NotifyType.MS_NOTIFY_STATUS, status, protocol, spi),),
            note="CHILD SA rekey from the gateway behind NAT rejected with N(MS_STATUS(13863))",
        )
    has_sa = any(isinstance(p, SaPayload) for p in payloads)
    return Answer(
        (NotifyPayload(NotifyType.NO_ADDITIONAL_SAS),),
        note="gateway-initiated CREATE_CHILD_SA"
        + (" (rekey)" if rekey else "" if has_sa else " without SA")
        + " refused: accepting it is not implemented by this emulator yet",
    )
