"""Answers to INFORMATIONAL requests the gateway sends into an established IKE SA.

What Windows does (windows-client-behavior.md 4.4, 7): an empty INFORMATIONAL (liveness
check) gets an empty response; a Delete of a CHILD SA is answered with a Delete of our
inbound SPI of that SA (RFC 7296 1.4.1); a Delete of the IKE SA with an empty response.
Whether the connection survives depends on what was deleted (the current CHILD SA, or one
a rekey already replaced): the session decides, from the CHILD SAs returned here.
CREATE_CHILD_SA requests are answered by emulator.sa.child_rekey and ike_rekey.
"""

from __future__ import annotations

from dataclasses import dataclass

from emulator.codec import DeletePayload, Payload
from emulator.const import ProtocolId
from emulator.sa.child import ChildSa


@dataclass(frozen=True)
class Answer:
    """The response payloads and what the request deleted."""

    payloads: tuple[Payload, ...]
    ike_deleted: bool = False
    deleted: tuple[ChildSa, ...] = ()
    note: str = ""


def answer(payloads: tuple[Payload, ...], children: tuple[ChildSa, ...]) -> Answer:
    """The answer to one INFORMATIONAL request; CHILDREN are the CHILD SAs that exist."""
    deletes = [p for p in payloads if isinstance(p, DeletePayload)]
    if any(d.protocol_id == ProtocolId.IKE for d in deletes):
        return Answer((), ike_deleted=True, note="the gateway deleted the IKE SA")
    spis = {spi for d in deletes if d.protocol_id == ProtocolId.ESP for spi in d.spis}
    deleted = tuple(c for c in children if c.spi_out in spis)
    if deleted:
        return Answer(
            (DeletePayload(ProtocolId.ESP, 4, tuple(c.spi_in for c in deleted)),),
            deleted=deleted,
            note="the gateway deleted CHILD SA "
            + ", ".join(f"{c.spi_in.hex()}_i" for c in deleted),
        )
    if deletes:
        unknown = ", ".join(sorted(s.hex() for s in spis)) or "none"
        return Answer((), note=f"Delete of unknown SPIs ({unknown}) acknowledged")
    if not payloads:
        return Answer((), note="liveness check")
    return Answer((), note="INFORMATIONAL request acknowledged")
