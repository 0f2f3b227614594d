"""The gateway-version axis of the report: a matrix per strongSwan release and the
"changed between versions" page, built from a real run with --gateways all (data/versions)."""

from __future__ import annotations

import re

import pytest

from reports.loader import load_result_set
from reports.site import BuildResult, build_site
from reports.versions import across_versions_key
from tests.reports.conftest import DATA

VERSIONS = DATA / "versions"


@pytest.fixture(scope="module")
def versions_site(tmp_path_factory: pytest.TempPathFactory) -> BuildResult:
    out = tmp_path_factory.mktemp("versions") / "site"
    return build_site([VERSIONS], out, decode_missing=False)


def test_records_name_their_gateway_release() -> None:
    records = {item.record.nodeid: item.record for item in load_result_set(VERSIONS).records}
    by_version = {r.cell.gateway: r for r in records.values() if "test_connect" in r.nodeid}
    assert set(by_version) == {"5.9.8", "6.0.1", "6.1.0"}
    assert by_version["5.9.8"].cell.gateway_build == "host"
    assert by_version["6.0.1"].cell.gateway_build == "trixie"
    assert by_version["6.1.0"].gateway.strongswan.startswith("6.1.0-")
    assert by_version["6.1.0"].cell.id.endswith("-sw6.1.0")
    assert not by_version["5.9.8"].cell.id.endswith("-sw5.9.8"), "host IDs stay short"


def test_one_matrix_per_release(versions_site: BuildResult) -> None:
    index = (versions_site.out / "index.html").read_text()
    for version in ("5.9.8", "6.0.1", "6.1.0"):
        assert f'id="preset-docs-recommended-sw{version}"' in index
        assert f"</code> &middot; strongSwan {version}</h2>" in index
    assert 'href="versions.html">1 of 2 tests changed verdict between versions</a>' in index


def test_changed_between_versions_lists_only_the_changed_test(versions_site: BuildResult) -> None:
    page = (versions_site.out / "versions.html").read_text()
    assert "<strong>1 of 2</strong> tests changed verdict" in page
    rows = re.findall(r'<tr class="disagree"><td class="mono small">([^<]+)</td>', page)
    assert rows == [
        "suites/test_auth.py::test_wrong_password"
        "[emulated-win10-22h2-eap-mschapv2-wrong-password-docs-recommended-direct]"
    ]
    row = page.split('<tr class="disagree">', 1)[1].split("</tr>", 1)[0]
    assert re.findall(r">(passed|xfailed|failed)<", row) == ["passed", "passed", "xfailed"]
    assert "no longer retries" in row  # the ledger's reason, on the page and in the title
    assert "<strong>6.1.0</strong>: strongSwan 6.1.0" in row
    for link in re.findall(r'href="(cells/[^"]+)"', page):
        assert (versions_site.out / link.replace("%5B", "[").replace("%5D", "]")).exists(), link


def test_a_single_release_report_keeps_its_matrix_anchors(site: BuildResult) -> None:
    index = (site.out / "index.html").read_text()
    assert 'id="preset-docs-recommended"' in index
    assert "versions.html" not in index  # no Versions link without a second release
    page = (site.out / "versions.html").read_text()
    assert "No test ran against more than one strongSwan release" in page


def test_version_suffix_is_removed_only_at_the_end() -> None:
    assert across_versions_key("t.py::f[a-b-direct-sw6.0.1]") == "t.py::f[a-b-direct]"
    assert across_versions_key("t.py::f[a-sw6.0.1-b]") == "t.py::f[a-sw6.0.1-b]"
