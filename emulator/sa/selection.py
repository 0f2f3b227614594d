"""Checking the responder's chosen proposal against what was offered (RFC 7296 2.7, 3.3.6).

A responder answers with exactly one proposal, numbered like the offered proposal it
accepted, holding one transform of each type that proposal offered, each one of those
offered. A chosen proposal that breaks this would leave the two ends with different
algorithms, so it ends the attempt instead of being "repaired".
"""

from __future__ import annotations

from collections.abc import Sequence

from emulator.codec import Proposal, SaPayload, Transform
from emulator.const import IntegId, TransformType
from emulator.sa.errors import ProtocolViolation
from emulator.sa.names import proposal_name


def _key(transform: Transform) -> tuple[int, int, int | None]:
    return (transform.transform_type, transform.transform_id, transform.key_length)


def check_selection(
    offered: Sequence[Proposal], sa: SaPayload | None, *, spi_size: int, what: str
) -> Proposal:
    """The responder's single proposal from SA, validated against OFFERED."""
    if sa is None:
        raise ProtocolViolation(f"{what}: no SA payload in the response")
    if len(sa.proposals) != 1:
        raise ProtocolViolation(f"{what}: {len(sa.proposals)} proposals in the response, not 1")
    chosen = sa.proposals[0]
    match = next((p for p in offered if p.number == chosen.number), None)
    if match is None or match.protocol != chosen.protocol:
        raise ProtocolViolation(
            f"{what}: chosen proposal #{chosen.number} {proposal_name(chosen)} was not offered"
        )
    if len(chosen.spi) != spi_size:
        raise ProtocolViolation(f"{what}: SPI of {len(chosen.spi)} bytes, expected {spi_size}")
    offered_keys = {_key(t) for t in match.transforms}
    offered_types = {t.transform_type for t in match.transforms}
    seen: dict[int, int] = {}
    for transform in chosen.transforms:
        if _key(transform) not in offered_keys:
            raise ProtocolViolation(
                f"{what}: chosen transform {proposal_name(chosen)} not in offered proposal "
                f"#{match.number} {proposal_name(match)}"
            )
        seen[transform.transform_type] = seen.get(transform.transform_type, 0) + 1
    for kind in offered_types:
        count = seen.get(kind, 0)
        optional_none = kind == TransformType.INTEG and all(
            t.transform_id == IntegId.NONE for t in match.transforms if t.transform_type == kind
        )
        if count != 1 and not (count == 0 and optional_none):
            raise ProtocolViolation(
                f"{what}: chosen proposal {proposal_name(chosen)} has {count} transforms of "
                f"type {TransformType(kind).name}, expected 1"
            )
    return chosen


def select_as_responder(
    peer: Sequence[Proposal], acceptable: Sequence[Proposal], *, spi: bytes
) -> Proposal | None:
    """The proposal to answer a peer's SA with (RFC 7296 2.7), or None (NO_PROPOSAL_CHOSEN).

    The peer's order wins (the first of its proposals this client can accept); within a
    proposal, the peer's first transform of each type this client offers for that type.
    A D-H transform NONE counts as "no D-H". The answer carries SPI (this end's inbound)."""
    for theirs in peer:
        for ours in acceptable:
            if theirs.protocol != ours.protocol:
                continue
            chosen = _match(theirs, ours)
            if chosen is not None:
                return Proposal(theirs.number, theirs.protocol, chosen, spi)
    return None


def _match(theirs: Proposal, ours: Proposal) -> tuple[Transform, ...] | None:
    def real(transforms: Sequence[Transform]) -> list[Transform]:
        return [
            t
            for t in transforms
            if not (t.transform_type == TransformType.DH and t.transform_id == 0)
        ]

    mine, their_real = real(ours.transforms), real(theirs.transforms)
    if {t.transform_type for t in mine} != {t.transform_type for t in their_real}:
        return None
    allowed = {_key(t) for t in mine}
    chosen: list[Transform] = []
    for kind in dict.fromkeys(t.transform_type for t in their_real):
        pick = next(
            (t for t in their_real if t.transform_type == kind and _key(t) in allowed), None
        )
        if pick is None:
            return None
        chosen.append(pick)
    return tuple(chosen)
