"""No broken internal link anywhere in the site, and the link checker itself catches them."""

from __future__ import annotations

from pathlib import Path

from reports.site import BuildResult
from tests.reports.links import broken_links


def test_no_broken_internal_link(site: BuildResult) -> None:
    assert len(list(site.out.rglob("*.html"))) >= 10
    assert broken_links(site.out) == []


def test_the_checker_finds_broken_links(tmp_path: Path) -> None:
    (tmp_path / "a.html").write_text(
        '<p id="here"><a href="b.html">b</a> <a href="a.html#here">ok</a> '
        '<a href="#gone">gone</a> <a href="https://example.org/">external</a></p>'
    )
    assert broken_links(tmp_path) == ["a.html: b.html (no such file)", "a.html: #gone (no id gone)"]
