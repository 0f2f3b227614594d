"""Hostile RFC 7383 fragments against the emulator's reassembly (IkeSa.open).

The fragments are sealed with the responder's real keys, so they pass the ICV check and
reach reassembly: what a hostile or broken gateway can send, not what an off-path attacker
can (those die at the ICV, which the properties include too). Overlapping and repeated
numbers, numbers out of range, totals that change or are huge, first fragments without a
first payload, truncated and tampered datagrams, many message IDs at once.

Properties: `open` only ever returns None, a complete message, or raises Dropped with a
reason; it never holds more than MAX_PARTIAL_MESSAGES partial messages (memory stays bounded
whatever arrives); and a genuine fragmented message still reassembles exactly when the
hostile traffic around it does not legitimately restart it.

10,000 examples of the first property, 2,000 of the second; derandomized, so CI runs are
reproducible; about 30 s and 10 s on the 2-core CI machine (hypothesis' own drawing is most of it).
"""

from __future__ import annotations

import os
from dataclasses import dataclass, replace

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from emulator.codec import IkeHeader, NotifyPayload, SkfPayload
from emulator.const import ExchangeType
from emulator.crypto import IkeSuite, SkProtection, ike_sa_keys, protect_fragment
from emulator.crypto.protect import protect_fragments
from emulator.sa.ike_sa import (
    MAX_INBOUND_FRAGMENTS,
    MAX_PARTIAL_MESSAGES,
    Dropped,
    IkeSa,
    Opened,
)
from tests.emulator.test_sa_parts import _ike

RESPONSE_FLAG = 0x20
SPI_I, SPI_R = bytes.fromhex("0102030405060708"), bytes.fromhex("1112131415161718")


def _client_sa() -> IkeSa:
    proposal = _ike(1)
    suite = IkeSuite.from_proposal(proposal)
    keys = ike_sa_keys(suite.prf, bytes(32), bytes(range(32)), bytes(256), SPI_I, SPI_R, 32, 20)
    return IkeSa(SPI_I, SPI_R, suite, keys, proposal, True, 512)


SA = _client_sa()
GATEWAY = SkProtection.for_sender(SA.suite, SA.keys, initiator=False)


def _header(message_id: int, *, response: bool) -> IkeHeader:
    flags = RESPONSE_FLAG if response else 0
    return IkeHeader(SPI_I, SPI_R, ExchangeType.IKE_AUTH, message_id, flags)


@dataclass(frozen=True)
class Hostile:
    """One fragment as a hostile responder might send it."""

    message_id: int
    response: bool
    number: int
    total: int
    first_payload: int
    chunk: bytes
    damage: str
    """"none", "flip" (one bit of the ICV) or "cut" (truncated datagram)."""

    def datagram(self) -> bytes:
        fragment = SkfPayload(self.number, self.total, self.first_payload, b"")
        raw = protect_fragment(
            _header(self.message_id, response=self.response), fragment, self.chunk, GATEWAY
        )
        if self.damage == "flip":
            return raw[:-1] + bytes([raw[-1] ^ 0x01])
        if self.damage == "cut":
            return raw[: max(1, len(raw) // 2)]
        return raw


hostile = st.builds(
    Hostile,
    message_id=st.integers(0, 7),
    response=st.booleans(),
    number=st.integers(0, 70),
    total=st.one_of(st.integers(0, 70), st.sampled_from([0xFFFF, 65, 64, 1])),
    first_payload=st.one_of(st.sampled_from([0, 41, 35, 46]), st.integers(0, 255)),
    chunk=st.binary(max_size=64),
    damage=st.sampled_from(["none", "none", "none", "flip", "cut"]),
)


def _fresh() -> IkeSa:
    return replace(SA, _partials={})


def _feed(sa: IkeSa, datagram: bytes) -> Opened | None:
    try:
        return sa.open(datagram)
    except Dropped as exc:
        assert str(exc), "a Dropped must say why"
        return None


@settings(
    max_examples=10_000,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(st.lists(hostile, max_size=8))
def test_hostile_fragments_are_dropped_with_a_reason_and_memory_stays_bounded(
    fragments: list[Hostile],
) -> None:
    sa = _fresh()
    for fragment in fragments:
        _feed(sa, fragment.datagram())
        assert len(sa._partials) <= MAX_PARTIAL_MESSAGES
        for partial in sa._partials.values():
            assert 1 <= partial.total <= MAX_INBOUND_FRAGMENTS
            assert set(partial.chunks) <= set(range(1, partial.total + 1))


GENUINE = tuple(NotifyPayload(16384 + n, os.urandom(37)) for n in range(9))
GENUINE_MID = 1


def _genuine_fragments() -> list[bytes]:
    return protect_fragments(_header(GENUINE_MID, response=True), GENUINE, GATEWAY, 64)


def _harmless_to_the_genuine(fragment: Hostile) -> bool:
    """Hostile traffic that must not stop the genuine response from reassembling: other
    message IDs (at most a few), or broken fragments of its own message ID."""
    same = fragment.message_id == GENUINE_MID and fragment.response
    if not same:
        return True
    return fragment.damage != "none" or not 1 <= fragment.number <= fragment.total


@settings(
    max_examples=2_000,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)
@given(
    st.lists(hostile.filter(_harmless_to_the_genuine), max_size=10),
    st.permutations(range(len(_genuine_fragments()))),
)
def test_a_genuine_message_survives_hostile_fragments_around_it(
    noise: list[Hostile], order: list[int]
) -> None:
    genuine = _genuine_fragments()
    genuine_key = (GENUINE_MID, True)
    # Room for the genuine message: at most MAX_PARTIAL_MESSAGES - 1 other messages at once.
    others = sorted({(f.message_id, f.response) for f in noise} - {genuine_key})
    kept = set(others[: MAX_PARTIAL_MESSAGES - 1]) | {genuine_key}
    noise = [f for f in noise if (f.message_id, f.response) in kept]
    stream: list[bytes] = [genuine[i] for i in order]
    for position, fragment in enumerate(noise):
        stream.insert((position * 7) % (len(stream) + 1), fragment.datagram())
    sa = _fresh()
    completed = [opened for raw in stream if (opened := _feed(sa, raw)) is not None]
    mine = [o for o in completed if (o.header.message_id, o.header.is_response) == genuine_key]
    assert len(mine) == 1
    assert mine[0].payloads == GENUINE
    assert mine[0].fragments == len(genuine)
