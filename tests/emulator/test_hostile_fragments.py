"""A whole dial against a responder whose IKE_AUTH response comes in hostile RFC 7383
fragments, over UDP: the client reassembles what is whole, and where nothing usable arrives
it retransmits on its schedule and ends with 809, its log naming each dropped fragment.

The reassembly rules themselves are property-tested in test_reassembly_fuzz.py; this is the
same code path with a real socket, a real session and the retransmissions in between.
"""

from __future__ import annotations

from collections.abc import Callable

from emulator.codec import IkeHeader, Payload, SkfPayload
from emulator.crypto import SkProtection, protect_fragment
from emulator.crypto.protect import protect_fragments
from infra.pki.lab_pki import LabPki
from tests.emulator.responder import Script, ScriptedResponder
from tests.emulator.test_session import HOSTILE, config, connect, dial, failure, hang_up

Fragmenter = Callable[[IkeHeader, tuple[Payload, ...], SkProtection], list[bytes]]
CHUNK = 200


def _reversed_with_repeats(
    header: IkeHeader, payloads: tuple[Payload, ...], p: SkProtection
) -> list[bytes]:
    fragments = protect_fragments(header, payloads, p, CHUNK)
    return [fragments[-1], fragments[-1], *reversed(fragments[:-1]), fragments[0]]


def _missing_second(
    header: IkeHeader, payloads: tuple[Payload, ...], p: SkProtection
) -> list[bytes]:
    fragments = protect_fragments(header, payloads, p, CHUNK)
    return [f for i, f in enumerate(fragments) if i != 1]


def _huge_total(header: IkeHeader, payloads: tuple[Payload, ...], p: SkProtection) -> list[bytes]:
    return [
        protect_fragment(header, SkfPayload(n, 0xFFFF, 41 if n == 1 else 0, b""), b"x" * 64, p)
        for n in (1, 2, 3)
    ]


def _shrinking_total(
    header: IkeHeader, payloads: tuple[Payload, ...], p: SkProtection
) -> list[bytes]:
    """The genuine fragments, each preceded by a copy claiming one fragment fewer."""
    fragments = protect_fragments(header, payloads, p, CHUNK)
    total = len(fragments)
    out = []
    for number, genuine in enumerate(fragments, start=1):
        if number < total:
            fake = SkfPayload(number, total - 1, 41 if number == 1 else 0, b"")
            out.append(protect_fragment(header, fake, b"y" * 32, p))
        out.append(genuine)
    return out


def _dial_with(lab_pki: LabPki, fragmenter: Fragmenter) -> ScriptedResponder:
    return ScriptedResponder(lab_pki.gateway(), Script(fragment_auth=fragmenter))


def test_fragments_out_of_order_and_repeated_are_reassembled_once(lab_pki: LabPki) -> None:
    gateway = _dial_with(lab_pki, _reversed_with_repeats)
    try:
        session = dial(gateway, config(lab_pki))
        connect(session)
        log = "\n".join(session.log.lines)
        assert "already held (a retransmission)" in log
        hang_up(session)
    finally:
        gateway.close()
    assert not gateway.errors


def test_a_total_that_shrinks_is_refused_and_the_genuine_set_completes(lab_pki: LabPki) -> None:
    gateway = _dial_with(lab_pki, _shrinking_total)
    try:
        session = dial(gateway, config(lab_pki))
        connect(session)
        assert "fewer than the" in "\n".join(session.log.lines)
        hang_up(session)
    finally:
        gateway.close()


def test_a_missing_fragment_ends_the_dial_with_809_after_the_schedule(lab_pki: LabPki) -> None:
    gateway = _dial_with(lab_pki, _missing_second)
    try:
        session = dial(gateway, config(lab_pki, time_scale=HOSTILE))
        error, _ = failure(session)
        assert error.code == 809
    finally:
        gateway.close()


def test_a_huge_total_is_dropped_with_its_reason_and_ends_with_809(lab_pki: LabPki) -> None:
    gateway = _dial_with(lab_pki, _huge_total)
    try:
        session = dial(gateway, config(lab_pki, time_scale=HOSTILE))
        error, _ = failure(session)
        assert error.code == 809
        assert "more than the 64 fragments accepted" in "\n".join(session.log.lines)
    finally:
        gateway.close()
