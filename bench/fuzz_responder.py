"""The long hostile-responder fuzz run (issue 14): 100,000 inputs against one session.

Run: `.venv/bin/python -m bench.fuzz_responder [--inputs 100000] [--seed 1]` (no root: the
scripted responder and the emulator talk over 127.0.0.1).

One emulated Windows session (win10-22h2 options, case A) is established against the
scripted responder (tests/emulator/responder.py); then tests/emulator/hostile.py sends
INPUTS seeded hostile datagrams of 13 kinds, with a genuine liveness check after every 50
that must be answered within 2 s (else: hang or crash, and the run stops with the count).
Prints the inputs by kind, the probes answered, the client's drop reasons, and, as the
baseline in the same process, the time of as many genuine liveness checks alone: the ratio
says what hostile input costs the session. No assertion beyond the probes; the figure is
recorded in bench/README.md.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

from infra.pki.lab_pki import LabPki
from tests.emulator.hostile import PROBE_EVERY, HostileGateway, drop_reasons, run_fuzz
from tests.emulator.responder import MARKER, ScriptedResponder
from tests.emulator.test_session import config, connect, dial, hang_up


def _baseline(responder: ScriptedResponder, count: int) -> float:
    """Seconds for COUNT genuine liveness checks, one at a time, on the same session."""
    gateway = HostileGateway(responder, seed=0)
    gateway.mid = _next_mid(responder)
    client = responder.client
    assert client is not None
    started = time.monotonic()
    for _ in range(count):
        seen = len(responder.received)
        responder.natt.sendto(MARKER + gateway.probe(), client)
        while not any(
            m.header.is_response and m.header.message_id == gateway.mid
            for m in responder.received[seen:]
        ):
            time.sleep(0.0002)
        gateway.mid += 1
    return time.monotonic() - started


def _next_mid(responder: ScriptedResponder) -> int:
    answered = [
        m.header.message_id
        for m in responder.received
        if m.header.is_response and m.header.exchange == 37
    ]
    return max(answered, default=-1) + 1


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--inputs", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="wofuzz") as tmp:
        pki = LabPki.load_or_create(Path(tmp) / "pki")
        responder = ScriptedResponder(pki.gateway())
        try:
            session = dial(responder, config(pki))
            connect(session)
            tally = run_fuzz(responder, args.inputs, seed=args.seed)
            alive = session.up
            baseline = _baseline(responder, tally.probes)
            reasons = drop_reasons(session.log.lines)
            hang_up(session)
        finally:
            responder.close()
    print(f"inputs: {tally.total} (seed {args.seed}), by kind:")
    for kind, n in sorted(tally.inputs.items()):
        print(f"  {kind:18} {n}")
    print(f"liveness checks answered: {tally.answered} of {tally.probes} (one per {PROBE_EVERY})")
    print(f"session still up: {alive}; responder errors: {len(responder.errors)}")
    print(f"dropped with a reason: {sum(reasons.values())}; the ten most frequent reasons:")
    for reason, n in sorted(reasons.items(), key=lambda r: -r[1])[:10]:
        print(f"  {n:7}  {reason}")
    per_input = tally.seconds / max(1, tally.total) * 1e6
    print(f"hostile run: {tally.seconds:.1f} s, {per_input:.0f} us per input")
    print(
        f"baseline: {tally.probes} genuine liveness checks alone in {baseline:.2f} s; "
        f"hostile run / baseline = {tally.seconds / baseline:.1f}"
    )
    return 0 if alive and tally.answered == tally.probes and not responder.errors else 1


if __name__ == "__main__":
    raise SystemExit(main())
