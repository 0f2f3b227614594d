"""facts.json round trip and the ladder layout drawn from it."""

from __future__ import annotations

import json
from pathlib import Path

from infra.capture.facts import CaptureFacts
from reports.facts_io import facts_from_json, facts_to_json, read_facts
from reports.ladder import LEFT_X, RIGHT_X, build_ladder
from reports.negotiated import negotiated
from reports.proposal_names import proposal_name, swanctl_proposal
from tests.reports.conftest import CURRENT, PREVIOUS


def _facts(cell: str, root: Path = CURRENT) -> CaptureFacts:
    """The facts of the one test whose folder name ends with CELL (no glob: IDs hold '[')."""
    [folder] = [p for p in root.iterdir() if p.name.endswith(cell)]
    return read_facts(folder / "facts.json")[0]


def test_facts_json_round_trips() -> None:
    for path in CURRENT.glob("*/facts.json"):
        facts, error = read_facts(path)
        again, _ = facts_from_json(json.loads(json.dumps(facts_to_json(facts))))
        assert again == facts and error is None, path


def test_ladder_has_one_row_per_frame_in_both_directions() -> None:
    facts = _facts("machine-cert-docs-recommended-nat]", PREVIOUS)
    ladder = build_ladder(facts)
    assert [r.frame for r in ladder.rows] == [m.frame for m in facts.messages]
    first = ladder.rows[0]
    assert first.rightward and first.x1 == LEFT_X and first.x2 == RIGHT_X
    assert not ladder.rows[1].rightward
    assert ladder.client == facts.messages[0].src  # the NAT's outside address
    assert all(b.y == a.y + a.height for a, b in zip(ladder.rows, ladder.rows[1:], strict=False))


def test_fragments_and_message_ids_are_labelled() -> None:
    ladder = build_ladder(_facts("machine-cert-docs-recommended-nat]", PREVIOUS))
    titles = [r.lines[0].text for r in ladder.rows]
    assert titles[0].startswith("IKE_SA_INIT request 0")
    assert any("fragment 1/2" in t for t in titles) and any("reassembled" in t for t in titles)
    assert any("fragment" in r.css for r in ladder.rows)


def test_error_notify_and_highlight() -> None:
    facts = _facts("machine-cert-docs-recommended-direct]")
    response = facts.ike_sa_init_response()
    assert response is not None
    ladder = build_ladder(facts, highlight=frozenset({response.frame}))
    row = next(r for r in ladder.rows if r.frame == response.frame)
    assert "hl" in row.css and "bad" in row.css
    assert any("NO_PROPOSAL_CHOSEN" in line.text for line in row.lines)


def test_negotiated_proposals_in_both_notations() -> None:
    chosen = negotiated(_facts("eap-tls-docs-recommended-direct]"))
    assert chosen.ike is not None and chosen.esp is not None
    assert chosen.ike.log.startswith("IKE:") and "-" in chosen.ike.swanctl
    assert chosen.esp.log.startswith("ESP:") and chosen.nat_t


def test_proposal_names_follow_strongswan() -> None:
    from infra.capture.facts import Proposal, Transform

    aead = Proposal(1, 3, transforms=(Transform(1, 20, 256), Transform(5, 0)))
    assert proposal_name(aead) == "ESP:AES_GCM_16_256/NO_EXT_SEQ"
    assert swanctl_proposal(aead) == "aes256gcm16"
    ike = Proposal(
        1,
        1,
        transforms=(Transform(1, 12, 128), Transform(3, 12), Transform(2, 5), Transform(4, 31)),
    )
    assert swanctl_proposal(ike) == "aes128-sha256-prfsha256-curve25519"
    assert proposal_name(Proposal(1, 1, transforms=(Transform(4, 999),))) == "IKE:DH(999)"


def test_empty_capture_says_so(tmp_path: Path) -> None:
    ladder = build_ladder(CaptureFacts(), decode_error="cut short")
    assert ladder.rows == () and "no IKE message in the capture" in ladder.notes
    assert any("cut short" in n for n in ladder.notes)
