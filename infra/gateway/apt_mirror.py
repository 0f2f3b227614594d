"""The Debian archive this machine installs from, read from its own apt sources.

Why not a fixed URL: the machine may reach only its configured mirror (or a proxy or
snapshot of it), and the project names no archive host. The root filesystems of other
releases come from the same archive as the host's packages: the first `deb` source whose
suites include the host's own suite (not its -security or -updates pocket).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from infra.errors import LabError

SOURCES = Path("/etc/apt/sources.list")
SOURCES_DIR = Path("/etc/apt/sources.list.d")
OS_RELEASE = Path("/etc/os-release")


class MirrorError(LabError):
    """No usable Debian archive in this machine's apt sources; says where it looked."""


def host_suite(os_release: Path = OS_RELEASE) -> str:
    for line in os_release.read_text().splitlines():
        if line.startswith("VERSION_CODENAME="):
            return line.split("=", 1)[1].strip().strip('"')
    raise MirrorError(f"{os_release} names no VERSION_CODENAME")


def _one_line_sources(text: str) -> Iterator[tuple[str, list[str]]]:
    """(URI, [suite]) of each `deb` line of a sources.list."""
    for line in text.splitlines():
        words = line.split("#", 1)[0].split()
        if not words or words[0] != "deb":
            continue
        words = [w for w in words[1:] if not w.startswith("[")]
        if len(words) >= 2:
            yield words[0], [words[1]]


def _deb822_sources(text: str) -> Iterator[tuple[str, list[str]]]:
    """(URI, suites) of each stanza of a .sources file that has Types: deb."""
    for stanza in text.split("\n\n"):
        fields: dict[str, str] = {}
        for line in stanza.splitlines():
            if line.startswith("#") or ":" not in line or line[:1].isspace():
                continue
            key, value = line.split(":", 1)
            fields[key.strip().lower()] = value.strip()
        if "deb" not in fields.get("types", "").split() or fields.get("enabled") == "no":
            continue
        for uri in fields.get("uris", "").split():
            yield uri, fields.get("suites", "").split()


def sources(
    list_file: Path = SOURCES, directory: Path = SOURCES_DIR
) -> list[tuple[str, list[str]]]:
    found = []
    files = [list_file] + (sorted(directory.iterdir()) if directory.is_dir() else [])
    for path in files:
        if not path.is_file():
            continue
        text = path.read_text(errors="replace")
        if path.suffix == ".sources":
            found += list(_deb822_sources(text))
        elif path.suffix == ".list":
            found += list(_one_line_sources(text))
    return found


def debian_mirror(
    suite: str | None = None, list_file: Path = SOURCES, directory: Path = SOURCES_DIR
) -> str:
    """The archive URI that serves SUITE (default: the host's own suite) to this machine."""
    wanted = suite or host_suite()
    for uri, suites in sources(list_file, directory):
        if wanted in suites:
            return uri.rstrip("/")
    raise MirrorError(
        f"no apt source in {list_file} or {directory} serves suite {wanted!r}; "
        "add the Debian archive there (a `deb` source with that suite)"
    )
