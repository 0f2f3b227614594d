"""The built site: matrix, cell pages for every outcome kind, recommended settings, no network."""

from __future__ import annotations

import re

from reports.site import BuildResult
from tests.reports.conftest import page_of


def test_matrix_shows_client_builds_by_kind_and_features(site: BuildResult) -> None:
    index = (site.out / "index.html").read_text()
    assert 'class="group"' in index and ">reference<" in index
    for feature in ("machine-cert", "eap-tls", "eap-mschapv2", "wrong-password"):
        assert f">{feature}<" in index
    assert "failed 1/2" in index and "xfailed 1/2" in index
    assert index.count('href="cells/') >= 14  # the matrix badge and the table row of each test


def test_failed_cell_page_explains_the_failure(site: BuildResult) -> None:
    page = page_of(site, "test_connect--reference-strongswan-eap-mschapv2-docs-recommended-direct")
    assert "<th>expected</th><td>a connection</td>" in page
    assert "691 ERROR_AUTHENTICATION_FAILURE: The user name or password is not valid." in page
    assert "<svg" in page and 'id="frame-11"' in page and "AUTHENTICATION_FAILED" in page
    assert "retransmission of frame" in page
    assert "Expectation</dt>" in page and "connected with no Windows error" in page
    assert ".venv/bin/python -m pytest &#39;suites/test_auth.py::test_connect[" in page
    for evidence in ("capture.pcap", "ikev2_decryption_table", "gateway.log", "client.log"):
        assert f"%5D/{evidence}" in page
    assert "REGRESSED" in page and "Previous run" in page


def test_every_outcome_kind_has_its_words(site: BuildResult) -> None:
    assert "Known deviation (expected failure): induced" in page_of(
        site, "machine-cert-docs-recommended-direct"
    )
    assert "NO_PROPOSAL_CHOSEN" in page_of(site, "machine-cert-docs-recommended-direct")
    assert "Skipped in setup: induced" in page_of(site, "machine-cert-docs-recommended-nat")
    error = page_of(site, "eap-tls-docs-recommended-nat")
    assert "Error in setup" in error and "No ladder" in error
    assert "The known deviation did not happen" in page_of(site, "wrong-password-docs")


def test_recommended_settings_are_backed_by_passing_cells(site: BuildResult) -> None:
    page = (site.out / "recommended" / "reference-strongswan.html").read_text()
    assert "aes128-sha256-prfsha256-curve25519" in page  # the IKE proposal chosen on the wire
    assert "aes128gcm16" in page  # the ESP proposal chosen on the wire
    assert "remote.auth = eap-mschapv2" in page and "eap-identity" in page
    assert "windowsEapServerConf.html" in page
    assert "connections {" in page  # the swanctl.conf snippet
    backing = re.findall(r'href="\.\./(cells/[^"]+)"', page)
    assert backing and all((site.out / link).exists() for link in backing)


def test_no_external_resources(site: BuildResult) -> None:
    for page in site.out.rglob("*.html"):
        html = page.read_text()
        assert not re.search(r"<(script|link|img|iframe)\b", html), page
        assert not re.search(r"""(src|srcset)=["']?(https?:)?//""", html), page
        assert not re.search(r"url\(\s*['\"]?(https?:)?//", html), page
        assert "@import" not in html, page


def test_explanation_reads_past_an_exception_name() -> None:
    from dataclasses import replace

    from reports.failure import explain
    from reports.loader import load_result_set
    from tests.reports.conftest import CURRENT

    failed = next(
        item.record
        for item in load_result_set(CURRENT).records
        if item.record.outcome.value == "failed"
    )
    record = replace(failed, message="pkg.IdealNotMet: expected X; observed Y in frame 2")
    explanation = explain(record)
    assert explanation is not None
    assert (explanation.expected, explanation.observed) == ("X", "Y in frame 2")
    assert explanation.frames == (2,)
