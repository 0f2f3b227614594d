"""Matrix columns and recommendations for the SA lifecycle suites (rekey, liveness).

Built from a recorded passing record of the auth suite, turned into what the lifecycle
suites write (their test function and markers), so the rule is checked on a real record.
"""

from __future__ import annotations

import json
import shutil
from dataclasses import replace
from pathlib import Path

from reports.loader import load_result_set
from reports.matrix import build_matrices
from reports.recommend import recommendations
from reports.schema import Outcome, Record, WindowsOutcome
from reports.site import build_site
from reports.views import CellView, make_view
from tests.reports.conftest import CURRENT


def _passing() -> tuple[Record, object]:
    loaded = next(
        item for item in load_result_set(CURRENT).records if item.record.outcome is Outcome.PASSED
    )
    return loaded.record, loaded


def _view(function: str, markers: tuple[str, ...], **spec: object) -> CellView:
    record, loaded = _passing()
    test = replace(record.test, function=function, markers=markers)
    gateway = replace(record.gateway, spec=spec or record.gateway.spec)
    changed = replace(loaded, record=replace(record, test=test, gateway=gateway))  # type: ignore[type-var]
    return make_view(changed, decode_missing=False)  # type: ignore[arg-type]


def test_each_lifecycle_test_is_a_column_of_its_own() -> None:
    rekey = _view("test_client_child_rekey", ("rekey",))
    nat = _view("test_gateway_child_rekey_behind_nat", ("rekey", "nat", "negative"))
    auth = _view("test_connect", ("auth",))
    feature = auth.record.cell.feature
    assert rekey.column == ("client child rekey", feature)
    assert nat.column == ("gateway child rekey behind nat", feature)
    assert auth.column == (feature, auth.record.cell.variant)
    (matrix,) = build_matrices([rekey, nat, auth])
    labels = {c.label for c in matrix.columns}
    assert {"client child rekey", "gateway child rekey behind nat", feature} <= labels


def test_a_negative_test_backs_no_recommendation() -> None:
    conn = {"win": {"children": {"win": {"rekey_time": "2"}}, "remote": {"auth": "pubkey"}}}
    negative = _view("test_gateway_child_rekey_behind_nat", ("rekey", "negative"), connections=conn)
    (recommendation,) = recommendations([negative])
    assert not any("rekey_time = 2" in line.setting for line in recommendation.lines)
    positive = _view("test_nat_rekey_workaround", ("rekey",), connections=conn)
    (recommendation,) = recommendations([positive])
    rekey = [line for line in recommendation.lines if line.setting == "CHILD rekey_time = 2"]
    assert rekey and rekey[0].detail.endswith("topology")


def test_a_passing_negative_test_is_a_setting_to_avoid_not_a_failure() -> None:
    negative = _view("test_ip_fragments_dropped", ("fragmentation", "negative"))
    # A Windows build's record: the reference's negative cells are the baseline, not advice.
    cell = replace(negative.record.cell, client_kind="emulated", profile="win7")
    negative = replace(negative, record=replace(negative.record, cell=cell))
    failed = replace(negative, record=replace(negative.record, outcome=Outcome.FAILED))
    (recommendation,) = recommendations([negative, failed])
    assert [a.view for a in recommendation.avoid_cells] == [negative]
    assert recommendation.not_passing == [failed]
    (avoid,) = recommendation.avoid_cells
    assert negative.record.cell.topology in avoid.setting
    assert avoid.test


def test_cell_page_shows_what_the_test_measured(tmp_path: Path) -> None:
    source = tmp_path / "results"
    _, loaded = _passing()
    folder = source / loaded.folder.name  # type: ignore[attr-defined]
    shutil.copytree(loaded.folder, folder)  # type: ignore[attr-defined]
    document = json.loads((folder / "result.json").read_text())
    document["measurements"] = {"pings": "300 pings every 20 ms, 300 answered, 0 lost"}
    (folder / "result.json").write_text(json.dumps(document))
    site = build_site([source], tmp_path / "site", decode_missing=False)
    pages = list((site.out / "cells").glob("*.html"))
    assert any("300 pings every 20 ms, 300 answered, 0 lost" in p.read_text() for p in pages)


def test_mobike_and_extension_tests_are_columns_of_their_own() -> None:
    moved = _view("test_mobike_address_change", ("mobike",))
    rounds = _view("test_multiple_auth_rounds_required", ("extensions", "negative"))
    feature = moved.record.cell.feature
    assert moved.column == ("mobike address change", feature)
    assert rounds.column == ("multiple auth rounds required", feature)


def test_a_required_second_round_is_a_setting_to_avoid() -> None:
    """The multiple-auth cell of a Windows build passes when the dial fails as documented:
    its two rounds are listed as what to avoid, and recommended nowhere."""
    conn = {
        "win": {
            "remote-1": {"auth": "pubkey"},
            "remote-2": {"auth": "eap-mschapv2", "eap_id": "%any"},
            "children": {"win": {}},
        }
    }
    reference = _view(
        "test_multiple_auth_rounds_required", ("extensions", "negative"), connections=conn
    )
    failed = WindowsOutcome(False, 13801, "ERROR_IPSEC_IKE_AUTH_FAIL", "", "", 0.05)
    record = reference.record
    windows = replace(
        reference,
        record=replace(record, cell=replace(record.cell, client_kind="emulated"), windows=failed),
    )
    (recommendation,) = recommendations([windows])
    [avoid] = recommendation.avoid
    assert avoid.setting == "remote-1.auth = pubkey; remote-2.auth = eap-mschapv2"
    assert avoid.topic == "Authentication rounds" and "RFC 4739" in avoid.detail
    assert "13801 ERROR_IPSEC_IKE_AUTH_FAIL" in avoid.detail
    assert not any("remote-2" in line.setting for line in recommendation.lines)
    # The reference connects with two rounds: the baseline, nothing to avoid.
    (baseline,) = recommendations([reference])
    assert baseline.avoid == []


def test_mobike_cells_recommend_charon_s_default() -> None:
    view = _view("test_mobike_address_change", ("mobike",))
    (recommendation,) = recommendations([view])
    [line] = [line for line in recommendation.lines if line.topic == "MOBIKE"]
    assert line.setting == "mobike not set" and "charon default: yes" in line.detail


def test_dhcp_cells_recommend_the_documented_dnsmasq_and_the_broadcast_selector() -> None:
    spec = {
        "connections": {
            "rw": {"children": {"rw": {"local_ts": ["198.19.1.0/24", "255.255.255.255/32"]}}}
        },
        "dnsmasq": [
            "dhcp-vendorclass=set:msipsec,MSFT 5.0",
            "dhcp-option=tag:msipsec,249,198.19.1.0/24,0.0.0.0",
        ],
    }
    view = _view("test_option_249_routes_the_lan", ("routing",), **spec)
    (recommendation,) = recommendations([view])
    [line] = [line for line in recommendation.lines if line.topic == "DHCP routes (option 249)"]
    assert line.setting == (
        "dnsmasq: dhcp-vendorclass=set:msipsec,MSFT 5.0; "
        "dhcp-option=tag:msipsec,249,198.19.1.0/24,0.0.0.0"
    )
    assert line.detail == "children local_ts = 198.19.1.0/24,255.255.255.255/32"
    (snippet,) = recommendation.snippets
    assert "#   dhcp-option=tag:msipsec,249,198.19.1.0/24,0.0.0.0" in snippet.text
