"""A real headless Chromium opens the site from file:// and renders it to PNG.

The PNGs are CI artifacts: reports/screenshots/ (git-ignored) gets the matrix and a failed
cell page with its ladder, from the recorded result sets. The DOM Chromium built is checked
too, so the test fails when a page does not render, not only when a file is missing.
"""

from __future__ import annotations

import struct
from pathlib import Path

import pytest

from reports.screenshot import ChromiumError, chromium, dump_dom, screenshot
from reports.site import BuildResult

SCREENSHOTS = Path(__file__).resolve().parents[2] / "reports" / "screenshots"
FAILED_CELL = "test_connect--reference-strongswan-eap-mschapv2-docs-recommended-direct.html"


@pytest.fixture(scope="module")
def browser() -> str:
    try:
        return chromium()
    except ChromiumError as exc:
        pytest.fail(str(exc))


def _png_size(path: Path) -> tuple[int, int]:
    header = path.read_bytes()[:24]
    assert header[:8] == b"\x89PNG\r\n\x1a\n", f"{path} is not a PNG"
    width, height = struct.unpack(">II", header[16:24])
    return int(width), int(height)


def test_matrix_renders(browser: str, site: BuildResult) -> None:
    dom = dump_dom(site.out / "index.html")
    assert 'class="matrix"' in dom and "REGRESSED" in dom and ">reference<" in dom
    png = screenshot(site.out / "index.html", SCREENSHOTS / "matrix.png")
    assert _png_size(png) == (1400, 1000) and png.stat().st_size > 20_000


def test_failed_cell_page_renders_its_ladder(browser: str, site: BuildResult) -> None:
    page = site.out / "cells" / f"suites.test_auth.py.{FAILED_CELL}"
    dom = dump_dom(page)
    assert "<svg" in dom and 'id="frame-11"' in dom and "AUTHENTICATION_FAILED" in dom
    png = screenshot(page, SCREENSHOTS / "cell.png", height=2200)
    assert _png_size(png) == (1400, 2200) and png.stat().st_size > 50_000
