"""Shared fixtures of the report builder's tests: the recorded result sets and a built site.

The result sets under data/ were recorded from real runs of the auth suite by
record_data.py (see its docstring): "previous" and "current" differ in exactly the ways the
history page must show, and "current" holds every outcome kind.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from reports.site import BuildResult, build_site

DATA = Path(__file__).parent / "data"
CURRENT = DATA / "current"
PREVIOUS = DATA / "previous"
CONNECT = "suites/test_auth.py::test_connect[reference-strongswan-{}-docs-recommended-{}]"


@pytest.fixture(scope="session")
def site(tmp_path_factory: pytest.TempPathFactory) -> BuildResult:
    """The site of the "current" result set compared with "previous" (built once)."""
    out = tmp_path_factory.mktemp("report") / "site"
    return build_site([CURRENT], out, previous=PREVIOUS, decode_missing=False)


def page_of(site: BuildResult, cell: str) -> str:
    """The HTML of the cell page whose test ID contains CELL."""
    pages = [p for p in (site.out / "cells").glob("*.html") if cell in p.name]
    assert len(pages) == 1, f"expected one cell page for {cell}; found {pages}"
    return pages[0].read_text()
