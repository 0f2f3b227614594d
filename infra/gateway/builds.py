"""Gateway builds: which strongSwan a lab gateway runs, and whether that build is usable.

`host` is the machine's own charon (Debian 12: 5.9.8). Each other build is a Debian root
filesystem with only the strongSwan packages the lab needs (infra.gateway.rootfs builds
it), run chrooted in a private mount namespace (infra.charon.launch). A build is named by
its Debian suite, selected by suite or upstream version (`--gateways 6.0.1,sid`), and its
version is what the tests ID and record carry.

Status is read from the filesystem only (the stamp the builder writes, the charon binary
and plugins inside the root), so every xdist worker and the controller see the same matrix,
and a missing or broken build names itself and how to build it instead of failing a test.
"""

from __future__ import annotations

import functools
import json
import os
import subprocess
from dataclasses import dataclass
from pathlib import Path

from infra.charon.config import PLUGINS
from infra.gateway.releases import ReleaseError, Version, parse_version, plugins, upstream

HOST = "host"
CHARON = "/usr/sbin/charon-systemd"
PLUGIN_DIR = "usr/lib/ipsec/plugins"
STAMP = "stamp.json"
BUILD_COMMAND = "./winterop build-gateways"
REPO = Path(__file__).resolve().parents[2]


@dataclass(frozen=True)
class GatewayBuild:
    """One strongSwan release a gateway can run."""

    name: str
    """`host`, or the Debian suite the root filesystem is built from."""
    expected: str
    """The upstream version the suite carried when this table was written; the ID of a
    build that is not there yet (its cells skip) uses it."""
    aliases: tuple[str, ...] = ()

    @property
    def is_host(self) -> bool:
        return self.name == HOST


BUILDS = (
    GatewayBuild(HOST, "5.9.8", aliases=("bookworm",)),
    GatewayBuild("trixie", "6.0.1", aliases=("testing",)),
    GatewayBuild("sid", "6.1.0", aliases=("unstable",)),
)
"""The releases of issue 13: Debian 12's charon, trixie's and unstable's."""


def cache_dir() -> Path:
    """Where root filesystems live: WINTEROP_GATEWAYS_DIR, or build/gateways (ignored)."""
    return Path(os.environ.get("WINTEROP_GATEWAYS_DIR") or REPO / "build" / "gateways")


def root_of(build: GatewayBuild) -> Path:
    return cache_dir() / build.name / "root"


def stamp_of(build: GatewayBuild) -> Path:
    return cache_dir() / build.name / STAMP


@dataclass(frozen=True)
class BuildStatus:
    build: GatewayBuild
    version: str
    """Upstream version of its charon (the expected one when it cannot be read)."""
    package: str = ""
    """The Debian package version of charon-systemd, e.g. 6.0.1-6+deb13u7."""
    problem: str = ""
    """Why this build cannot run now (empty: it can), with how to fix it."""
    root: Path | None = None
    """Its root filesystem, as found when the status was read (None: the host)."""

    @property
    def ok(self) -> bool:
        return not self.problem

    @property
    def release(self) -> Version:
        return parse_version(self.version)


@functools.cache
def host_package_version() -> str:
    """charon-systemd's Debian version on this machine ('' when not installed)."""
    try:
        done = subprocess.run(
            ["dpkg-query", "-W", "-f=${Version}", "charon-systemd"],
            capture_output=True,
            text=True,
            timeout=10,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired):
        return ""
    return done.stdout.strip() if done.returncode == 0 else ""


def _host_status(build: GatewayBuild) -> BuildStatus:
    package = host_package_version()
    if not package:
        return BuildStatus(
            build, build.expected, problem="charon-systemd is not installed (scripts/install)"
        )
    return BuildStatus(build, upstream(package), package)


def read_stamp(build: GatewayBuild) -> dict[str, object]:
    """The builder's stamp of BUILD; {} when there is none. Raises ValueError if unreadable."""
    path = stamp_of(build)
    if not path.exists():
        return {}
    try:
        data = json.loads(path.read_text())
    except (OSError, json.JSONDecodeError) as exc:
        raise ValueError(f"{path} is unreadable ({exc})") from None
    if not isinstance(data, dict):
        raise ValueError(f"{path} is not a JSON object")
    return data


def _rootfs_status(build: GatewayBuild, needed_plugins: str) -> BuildStatus:
    how = f"build it with `{BUILD_COMMAND} {build.name}`"
    root = root_of(build)
    found = functools.partial(BuildStatus, root=root)
    try:
        stamp = read_stamp(build)
    except ValueError as exc:
        return found(build, build.expected, problem=f"broken: {exc}; re{how}")
    if not stamp or not root.is_dir():
        return found(build, build.expected, problem=f"not built ({root} missing); {how}")
    package = str(stamp.get("charon", ""))
    try:
        version = parse_version(package)
    except ReleaseError:
        return found(
            build, build.expected, problem=f"broken: stamp names no charon version; re{how}"
        )
    missing = [p for p in (CHARON.lstrip("/"),) if not (root / p).is_file()]
    missing += [
        f"{PLUGIN_DIR}/libstrongswan-{name}.so"
        for name in plugins(needed_plugins, version).split()
        if not (root / PLUGIN_DIR / f"libstrongswan-{name}.so").is_file()
    ]
    text = upstream(package)
    if missing:
        return found(
            build,
            text,
            package,
            problem=f"broken: {root} lacks {', '.join(missing)}; re{how}",
        )
    return found(build, text, package)


def status(build: GatewayBuild) -> BuildStatus:
    """Whether BUILD can run a lab gateway now, and its version."""
    return _host_status(build) if build.is_host else _rootfs_status(build, PLUGINS)


class SelectionError(ValueError):
    """A --gateways word that names no build; the message lists the choices."""


def choices() -> str:
    words = ["all"]
    for b in BUILDS:
        words += [b.name, *b.aliases, b.expected]
    return ", ".join(words)


def select(text: str) -> list[GatewayBuild]:
    """The builds a comma-separated list names (suite, alias, version, `host` or `all`),
    in the order of BUILDS, each once."""
    chosen: set[str] = set()
    for word in (w.strip() for w in text.split(",")):
        if not word:
            continue
        if word == "all":
            chosen.update(b.name for b in BUILDS)
            continue
        match = [b for b in BUILDS if word in (b.name, b.expected, *b.aliases)]
        if not match:
            match = [b for b in BUILDS if status(b).version == word]
        if not match:
            raise SelectionError(
                f"--gateways: {word!r} names no gateway build; choose from {choices()}"
            )
        chosen.update(b.name for b in match)
    return [b for b in BUILDS if b.name in chosen]


def by_version(version: str) -> GatewayBuild:
    """The build whose cells carry VERSION ('' = host), for InteropRun."""
    if not version:
        return BUILDS[0]
    for build in BUILDS[1:]:
        if status(build).version == version:
            return build
    raise SelectionError(f"no gateway build has strongSwan {version}; choose from {choices()}")
