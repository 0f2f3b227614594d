"""Render pages of a built site to PNG with headless Chromium (Debian's `chromium`).

Why a real browser: the report is read in browsers, and only a browser shows whether the
matrix and the inline SVG ladders actually render from file://. CI keeps the PNGs as
artifacts (reports/screenshots/, git-ignored); `python -m reports.screenshot` makes them.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

CHROMIUM_NAMES = ("chromium", "chromium-browser", "google-chrome")
FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--hide-scrollbars",
)


class ChromiumError(RuntimeError):
    pass


def chromium() -> str:
    """The browser's path; ChromiumError says how to install it when there is none."""
    for name in CHROMIUM_NAMES:
        path = shutil.which(name)
        if path:
            return path
    raise ChromiumError("chromium is not installed (scripts/install installs Debian's chromium)")


def _run(args: list[str], timeout: float) -> subprocess.CompletedProcess[str]:
    with tempfile.TemporaryDirectory(prefix="winterop-chromium-") as profile:
        command = [chromium(), *FLAGS, f"--user-data-dir={profile}", *args]
        try:
            done = subprocess.run(
                command, capture_output=True, text=True, timeout=timeout, check=False
            )
        except subprocess.TimeoutExpired as exc:
            raise ChromiumError(f"chromium did not finish within {timeout:.0f} s") from exc
    if done.returncode != 0:
        raise ChromiumError(f"chromium exited {done.returncode}: {done.stderr.strip()[-500:]}")
    return done


def screenshot(page: Path, png: Path, *, width: int = 1400, height: int = 1000) -> Path:
    """PAGE (a local HTML file) as a PNG of WIDTHxHEIGHT pixels."""
    png.parent.mkdir(parents=True, exist_ok=True)
    png.unlink(missing_ok=True)
    _run([f"--screenshot={png}", f"--window-size={width},{height}", page.resolve().as_uri()], 60)
    if not png.exists() or png.stat().st_size == 0:
        raise ChromiumError(f"chromium wrote no screenshot of {page}")
    return png


def dump_dom(page: Path) -> str:
    """PAGE's DOM after Chromium loaded and rendered it (to check what the browser built)."""
    return _run(["--dump-dom", page.resolve().as_uri()], 60).stdout


def pick_cell_page(site: Path) -> Path:
    """The most telling cell page: a failed test's if there is one, else the first."""
    pages = sorted((site / "cells").glob("*.html"))
    if not pages:
        raise ChromiumError(f"no cell pages in {site}")
    for page in pages:
        if 'class="badge o-failed"' in page.read_text()[:20000]:
            return page
    return pages[0]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m reports.screenshot")
    parser.add_argument("--site", type=Path, default=Path("reports/site"))
    parser.add_argument("--out", type=Path, default=Path("reports/screenshots"))
    args = parser.parse_args(argv)
    try:
        matrix = screenshot(args.site / "index.html", args.out / "matrix.png")
        cell = screenshot(pick_cell_page(args.site), args.out / "cell.png", height=2200)
    except ChromiumError as exc:
        print(f"reports.screenshot: {exc}", file=sys.stderr)
        return 1
    print(f"reports.screenshot: {matrix} {cell}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
