"""Build the root filesystem of a gateway build with mmdebstrap, idempotently.

Why mmdebstrap: it resolves `--include` with apt (debootstrap's own resolver is slower and
weaker) and builds a trixie or sid root in about 15 s from a warm archive. Only the
strongSwan packages the lab's charon loads go in (PACKAGES, compare infra.charon.config
PLUGINS); documentation, man pages and translations are left out.

The stamp (stamp.json beside the root) records the recipe (suite, packages, options,
archive) and what was installed (package versions, seconds, size). A build is redone when
its root or stamp is missing, its recipe changed, or with --force; otherwise nothing happens.
The new root is built beside the old one and swapped in, so an interrupted build leaves the
previous root (or nothing) and never a half-built one under the stamp's name.

`python -m infra.gateway.rootfs [trixie sid ...] [--force]` (default: every build);
`./winterop build-gateways` calls it.
"""

from __future__ import annotations

import argparse
import fcntl
import hashlib
import json
import os
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from infra.errors import LabError
from infra.gateway.apt_mirror import MirrorError, debian_mirror
from infra.gateway.builds import (
    BUILDS,
    CHARON,
    GatewayBuild,
    SelectionError,
    cache_dir,
    root_of,
    select,
    stamp_of,
    status,
)

PACKAGES = (
    "charon-systemd",
    "libcharon-extra-plugins",
    "libcharon-extauth-plugins",
    "libstrongswan-standard-plugins",
)
"""The host's strongSwan packages of scripts/install: charon-systemd (with swanctl and
libcharon), kernel-libipsec / eap-identity / eap-tls (extra), eap-mschapv2 (extauth),
openssl (standard)."""
EXCLUDES = ("/usr/share/doc/*", "/usr/share/man/*", "/usr/share/locale/*", "/usr/share/info/*")
APT_OPTIONS = ('Acquire::Check-Valid-Until "false"',)
"""The archive may be a snapshot whose Release files are past their Valid-Until date
(unstable's are valid for a week); signatures are still checked."""
RECORDED = ("charon-systemd", "libstrongswan", "libcharon-extra-plugins")


class BuildError(LabError):
    """mmdebstrap failed or produced no charon; carries the command's last output lines."""


@dataclass(frozen=True)
class Recipe:
    suite: str
    mirror: str
    packages: tuple[str, ...] = PACKAGES
    excludes: tuple[str, ...] = EXCLUDES
    apt_options: tuple[str, ...] = APT_OPTIONS

    def digest(self) -> str:
        text = json.dumps([self.suite, self.mirror, self.packages, self.excludes, self.apt_options])
        return hashlib.sha256(text.encode()).hexdigest()[:16]

    def command(self, target: Path) -> list[str]:
        return [
            "mmdebstrap",
            "--variant=essential",
            "--mode=root",
            "--format=directory",
            *(f"--aptopt={o}" for o in self.apt_options),
            *(f"--dpkgopt=path-exclude={e}" for e in self.excludes),
            "--include=" + ",".join(self.packages),
            self.suite,
            str(target),
            self.mirror,
        ]


def recipe_for(build: GatewayBuild, target_suite: str | None = None) -> Recipe:
    return Recipe(target_suite or build.name, debian_mirror())


@dataclass(frozen=True)
class Outcome:
    build: GatewayBuild
    built: bool
    """False: the existing root was current and left alone."""
    seconds: float
    detail: str


def _installed(root: Path) -> dict[str, str]:
    done = subprocess.run(
        ["dpkg-query", f"--admindir={root}/var/lib/dpkg", "-W", "-f=${Package} ${Version}\n"],
        capture_output=True,
        text=True,
        check=False,
    )
    pairs = (line.split(" ", 1) for line in done.stdout.splitlines() if " " in line)
    return {name: version for name, version in pairs}


def _size_mb(root: Path) -> float:
    total = 0
    for folder, _, files in os.walk(root):
        for name in files:
            path = Path(folder) / name
            if not path.is_symlink():
                total += path.stat().st_size
    return round(total / 1e6, 1)


def is_current(build: GatewayBuild, recipe: Recipe) -> bool:
    try:
        stamp = json.loads(stamp_of(build).read_text())
    except (OSError, json.JSONDecodeError):
        return False
    return stamp.get("recipe") == recipe.digest() and status(build).ok


def build_root(
    build: GatewayBuild, recipe: Recipe, target: Path, *, log: Path | None = None
) -> float:
    """Run mmdebstrap for RECIPE into TARGET (which must not exist); returns seconds."""
    started = time.monotonic()
    done = subprocess.run(recipe.command(target), capture_output=True, text=True, check=False)
    if log is not None:
        log.write_text(done.stdout + done.stderr)
    if done.returncode != 0 or not (target / CHARON.lstrip("/")).is_file():
        tail = " | ".join((done.stdout + done.stderr).strip().splitlines()[-6:])
        raise BuildError(
            f"mmdebstrap {recipe.suite} exited with {done.returncode}"
            f"{'' if done.returncode else ' but left no ' + CHARON}: {tail}"
        )
    return time.monotonic() - started


def ensure(build: GatewayBuild, *, force: bool = False) -> Outcome:
    """Build BUILD's root unless it is current (see the module docstring)."""
    if build.is_host:
        return Outcome(build, False, 0.0, "the host's own charon: nothing to build")
    recipe = recipe_for(build)
    folder = cache_dir() / build.name
    folder.mkdir(parents=True, exist_ok=True)
    with (folder / ".lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not force and is_current(build, recipe):
            return Outcome(build, False, 0.0, f"current: {status(build).package}")
        staging = folder / f"root.building-{os.getpid()}"
        shutil.rmtree(staging, ignore_errors=True)
        try:
            seconds = build_root(build, recipe, staging, log=folder / "build.log")
            installed = _installed(staging)
            stamp = {
                "build": build.name,
                "recipe": recipe.digest(),
                "suite": recipe.suite,
                "packages": list(recipe.packages),
                "charon": installed.get("charon-systemd", ""),
                "installed": {p: installed.get(p, "") for p in RECORDED},
                "built": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
                "seconds": round(seconds, 1),
                "size_mb": _size_mb(staging),
            }
            stamp_of(build).unlink(missing_ok=True)
            old = root_of(build)
            if old.exists():
                shutil.rmtree(old)
            staging.rename(old)
            stamp_of(build).write_text(json.dumps(stamp, indent=2) + "\n")
        finally:
            shutil.rmtree(staging, ignore_errors=True)
    return Outcome(
        build, True, seconds, f"built {stamp['charon']} in {seconds:.1f} s, {stamp['size_mb']} MB"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Build gateway root filesystems (idempotent).")
    parser.add_argument("builds", nargs="*", help="trixie, sid, 6.0.1, all (default: all)")
    parser.add_argument("--force", action="store_true", help="rebuild even if current")
    args = parser.parse_args(argv)
    try:
        chosen = select(",".join(args.builds) or "all")
    except SelectionError as exc:
        print(f"build-gateways: {exc}", file=sys.stderr)
        return 2
    failed = 0
    for build in (b for b in chosen if not b.is_host):
        try:
            outcome = ensure(build, force=args.force)
        except (BuildError, MirrorError, OSError) as exc:
            print(f"build-gateways: {build.name}: FAILED: {exc}", file=sys.stderr)
            failed += 1
            continue
        print(f"build-gateways: {build.name}: {outcome.detail}")
    return 1 if failed else 0


__all__ = ["BUILDS", "Outcome", "Recipe", "ensure", "main"]

if __name__ == "__main__":
    sys.exit(main())
