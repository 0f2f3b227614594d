"""The emulator's rekeying against a hostile or broken gateway (issue: bad input must end
in the Windows behaviour, never a hang or a traceback).

A scripted responder in this process answers IKE_SA_INIT and IKE_AUTH, then answers the
client's CHILD SA rekey with garbage, foreign SPIs, silence, or an error notify; and sends
the client rekey requests it must refuse. Times are compressed 100x (the CHILD rekey after
0.5 s, the whole retransmission schedule in 0.31 s).
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable

from emulator.codec import NotifyPayload, Payload, SaPayload
from emulator.const import ExchangeType, NotifyType, ProtocolId
from emulator.log import ClientLog
from emulator.net.transport import Transport
from emulator.sa.session import IkeSession, State
from infra.pki.lab_pki import LabPki
from tests.emulator.responder import RekeyReply, Script, ScriptedResponder
from tests.emulator.test_session import HOSTILE, LOCALHOST, config, connect, hang_up

REKEY_AFTER_S = 50.0
"""Windows seconds: 0.5 s real at the HOSTILE scale."""


def _session(
    responder: ScriptedResponder, lab_pki: LabPki, rekey_after_s: float = REKEY_AFTER_S
) -> IkeSession:
    dial = config(
        lab_pki,
        time_scale=HOSTILE,
        child_rekey_after_s=rekey_after_s,
        dpd_intervals_s=(100000.0,),
        idle_child_delete_s=0,
    )
    transport = Transport.open(None, LOCALHOST, local_ports=(0, 0), server_ports=responder.ports)
    return IkeSession(transport, dial, ClientLog())


def _wait(condition: Callable[[], bool], timeout: float = 5.0) -> None:
    """Poll CONDITION (the session's own state) with a deadline."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.01)
    raise AssertionError(f"condition not met within {timeout} s")


def _run(lab_pki: LabPki, reply: object) -> tuple[IkeSession, ScriptedResponder]:
    responder = ScriptedResponder(lab_pki.gateway(), Script(rekey_reply=reply))  # type: ignore[arg-type]
    session = _session(responder, lab_pki)
    connect(session)
    return session, responder


def _unanswered(lab_pki: LabPki, reply: object) -> None:
    session, responder = _run(lab_pki, reply)
    try:
        assert responder.events.get(timeout=3) == "auth"
        assert responder.events.get(timeout=3) == "create_child_sa"
        _wait(lambda: session.state is State.CLOSED)
        lines = session.log.lines
        retransmits = [line for line in lines if "retransmit of CREATE_CHILD_SA" in line]
        assert len(retransmits) == 5, lines[-12:]  # the whole Windows schedule, then down
        assert session.down_reason.startswith("the gateway did not answer the child rekey")
        assert session.down_error == 809  # the profile's lost_peer_error
        assert not any("internal error" in line for line in lines)
    finally:
        hang_up(session)
        responder.close()
        assert not responder.errors, responder.errors


def test_rekey_never_answered_ends_after_the_retransmission_schedule(lab_pki: LabPki) -> None:
    _unanswered(lab_pki, lambda sa, payloads: None)


def test_rekey_answered_with_garbage_is_dropped_like_silence(lab_pki: LabPki) -> None:
    _unanswered(lab_pki, lambda sa, payloads: os.urandom(120))


def test_rekey_answered_on_foreign_spis_is_dropped(lab_pki: LabPki) -> None:
    def foreign(sa: object, payloads: tuple[Payload, ...]) -> RekeyReply:
        # An IKE header with SPIs of no SA of the client's, and junk after it.
        header = os.urandom(16) + bytes([46, 0x20, 36, 0x20]) + bytes(4) + bytes([0, 0, 0, 60])
        return header + os.urandom(32)

    _unanswered(lab_pki, foreign)


def _refused(lab_pki: LabPki, answer: tuple[Payload, ...], code: int) -> None:
    session, responder = _run(lab_pki, lambda sa, payloads: answer)
    try:
        _wait(lambda: bool(session.rekey_errors))
        assert session.rekey_errors[0].code == code, session.rekey_errors
        assert session.state is State.ESTABLISHED  # the old CHILD SA stays (reference 4.2)
        assert session.child is not None
    finally:
        hang_up(session)
        responder.close()
        assert not responder.errors, responder.errors


def test_rekey_refused_with_no_proposal_chosen_keeps_the_old_sa(lab_pki: LabPki) -> None:
    _refused(lab_pki, (NotifyPayload(NotifyType.NO_PROPOSAL_CHOSEN),), 13868)


def test_rekey_refused_with_ms_status_reports_its_code(lab_pki: LabPki) -> None:
    status = NotifyPayload(NotifyType.MS_NOTIFY_STATUS, (13863).to_bytes(4, "big"))
    _refused(lab_pki, (status,), 13863)


def test_rekey_answer_without_nonce_is_a_protocol_violation(lab_pki: LabPki) -> None:
    def no_nonce(sa: object, payloads: tuple[Payload, ...]) -> RekeyReply:
        offer = next(p for p in payloads if isinstance(p, SaPayload))
        return (SaPayload((offer.proposals[0],)),)

    session, responder = _run(lab_pki, no_nonce)
    try:
        _wait(lambda: bool(session.rekey_errors))
        assert "without a nonce" in session.rekey_errors[0].reason
        assert session.state is State.ESTABLISHED
    finally:
        hang_up(session)
        responder.close()


def test_gateway_rekey_of_an_unknown_spi_gets_child_sa_not_found(lab_pki: LabPki) -> None:
    responder = ScriptedResponder(lab_pki.gateway())
    session = _session(responder, lab_pki, rekey_after_s=100000.0)
    try:
        connect(session)
        assert responder.events.get(timeout=3) == "auth"
        rekey = NotifyPayload(NotifyType.REKEY_SA, b"", ProtocolId.ESP, b"\xde\xad\xbe\xef")
        responder.send_request((rekey,), exchange=ExchangeType.CREATE_CHILD_SA)
        _wait(lambda: any("CHILD_SA_NOT_FOUND" in line for line in session.log.lines))
        assert session.state is State.ESTABLISHED
    finally:
        hang_up(session)
        responder.close()
