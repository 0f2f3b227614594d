"""An established session against a gateway that sends it hostile input over UDP.

2,000 seeded inputs of every kind in tests/emulator/hostile.py, a genuine liveness check
after every 50: all answered, so the session neither hangs nor dies; every input it refused
is in its log with a reason; the connection is still up at the end. The 100,000-input run
is bench/fuzz_responder.py (figure in bench/README.md).
"""

from __future__ import annotations

from infra.pki.lab_pki import LabPki
from tests.emulator.hostile import KINDS, PROBE_EVERY, drop_reasons, run_fuzz
from tests.emulator.responder import ScriptedResponder
from tests.emulator.test_session import config, connect, dial, hang_up

INPUTS = 2_000


def test_hostile_input_never_hangs_or_kills_the_session(lab_pki: LabPki) -> None:
    gateway = ScriptedResponder(lab_pki.gateway())
    try:
        session = dial(gateway, config(lab_pki))
        connect(session)
        tally = run_fuzz(gateway, INPUTS, seed=1)
        assert tally.total == INPUTS and set(tally.inputs) == set(KINDS)
        assert tally.answered == tally.probes == INPUTS // PROBE_EVERY
        assert session.up, "the hostile input ended the connection"
        reasons = drop_reasons(session.log.lines)
        assert sum(reasons.values()) > INPUTS // 4, reasons
        assert all(reason.strip() for reason in reasons)
        hang_up(session)
    finally:
        gateway.close()
    assert not gateway.errors, gateway.errors
