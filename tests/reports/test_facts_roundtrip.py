"""facts.json keeps every decoded fact: a real capture survives write + read unchanged."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from infra.capture.decode import decode_capture
from reports.facts_io import facts_from_json, facts_to_json

CAPTURES = Path(__file__).parent.parent / "data" / "captures"


@pytest.mark.parametrize("case", ["machine-cert", "eap-tls", "eap-mschapv2"])
def test_real_capture_round_trips(case: str) -> None:
    facts = decode_capture(
        CAPTURES / f"nat-{case}.pcap", CAPTURES / f"nat-{case}.ikev2_decryption_table"
    )
    document = json.loads(json.dumps(facts_to_json(facts)))
    restored, error = facts_from_json(document)
    assert error is None
    assert restored == facts
    if case == "eap-tls":
        assert restored.tls_handshake(), "the TLS handshake must survive the round trip"
