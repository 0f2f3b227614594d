"""`doctor`: says precisely what is missing or wrong on this machine for the embedded lab.

Each check returns a sentence a person can act on (not root, no network namespaces, a
Debian package missing, tshark too old, a charon plugin absent) instead of a stack trace
from deep inside a fixture. `python -m infra.doctor` prints them and exits 1 on a failure.
"""

from __future__ import annotations

import importlib.util
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from infra.charon.config import PLUGINS
from infra.gateway.apt_mirror import MirrorError
from infra.gateway.builds import BUILD_COMMAND, BUILDS, read_stamp, status
from infra.gateway.presets import REQUIRED_PLUGINS, missing_plugins
from infra.gateway.rootfs import recipe_for

DEBIAN_PACKAGES = (
    "charon-systemd",
    "libcharon-extra-plugins",
    "libcharon-extauth-plugins",
    "libstrongswan-standard-plugins",
    "tshark",
    "tcpdump",
    "nftables",
    "iproute2",
    "iputils-ping",
    "dnsmasq-base",
    "chromium",
    "mmdebstrap",
)
"""chromium renders the HTML report to PNG in the report's tests (tests/reports)."""
PROGRAMS = ("/usr/sbin/charon-systemd", "tshark", "tcpdump", "nft", "ip", "ping")
PYTHON_MODULES = ("vici", "pyshark", "cryptography", "OpenSSL", "Crypto")
MIN_TSHARK = (4, 0)
PLUGIN_DIR = Path("/usr/lib/ipsec/plugins")


@dataclass(frozen=True)
class Check:
    name: str
    ok: bool
    detail: str
    optional: bool = False
    """Informational: a failure disables some cells (they skip, saying why) but not the lab."""


def check_root() -> Check:
    ok = os.geteuid() == 0
    return Check(
        "root",
        ok,
        "running as root"
        if ok
        else "not root: network namespaces, charon and tcpdump need root (run with sudo)",
    )


def check_packages() -> Check:
    missing = []
    for pkg in DEBIAN_PACKAGES:
        done = subprocess.run(
            ["dpkg-query", "-W", "-f=${Status}", pkg], capture_output=True, text=True, check=False
        )
        if done.stdout.strip() != "install ok installed":
            missing.append(pkg)
    if missing:
        return Check(
            "debian-packages",
            False,
            f"missing: {' '.join(missing)} (scripts/install installs them)",
        )
    return Check("debian-packages", True, f"{len(DEBIAN_PACKAGES)} packages installed")


def check_programs() -> Check:
    missing = [p for p in PROGRAMS if shutil.which(p) is None]
    return Check(
        "programs", not missing, f"not found: {' '.join(missing)}" if missing else "all on PATH"
    )


def check_plugins() -> Check:
    missing = [
        name for name in PLUGINS.split() if not (PLUGIN_DIR / f"libstrongswan-{name}.so").exists()
    ]
    return Check(
        "charon-plugins",
        not missing,
        f"missing in {PLUGIN_DIR}: {' '.join(missing)}"
        if missing
        else f"{len(PLUGINS.split())} plugins present",
    )


def check_optional_plugins() -> Check:
    """Plugins only some gateway presets need (infra.gateway.presets.REQUIRED_PLUGINS)."""
    gaps = [
        f"preset {preset}: {'; '.join(reasons)}; its cells skip"
        for preset in REQUIRED_PLUGINS
        if (reasons := missing_plugins(preset, PLUGIN_DIR))
    ]
    presets = ", ".join(REQUIRED_PLUGINS)
    return Check(
        "optional-charon-plugins",
        not gaps,
        " | ".join(gaps) if gaps else f"present for every preset that needs one ({presets})",
        optional=True,
    )


def check_gateway_builds() -> Check:
    """Which strongSwan releases (--gateways) can run, and how to build the others.

    Optional: the default run needs only the host's charon; cells of a missing or broken
    build skip at collection with the same words."""
    lines, gaps = [], []
    for build in BUILDS:
        found = status(build)
        if not found.ok:
            gaps.append(f"{build.name}: {found.problem}")
            continue
        lines.append(f"{build.name} {found.version} ({found.package})")
        if build.is_host:
            continue
        try:
            stale = read_stamp(build).get("recipe") != recipe_for(build).digest()
        except (MirrorError, OSError, ValueError) as exc:
            gaps.append(f"{build.name}: cannot tell whether it is current ({exc})")
            continue
        if stale:
            gaps.append(
                f"{build.name}: stale (its recipe changed: packages or archive); "
                f"`{BUILD_COMMAND} {build.name}` rebuilds it"
            )
    if gaps and shutil.which("mmdebstrap") is None:
        gaps.append(f"mmdebstrap is not installed ({BUILD_COMMAND} needs it; scripts/install)")
    detail = "ready: " + ", ".join(lines) if lines else "no gateway build is ready"
    return Check("gateway-builds", not gaps, " | ".join([detail, *gaps]), optional=True)


def check_tshark() -> Check:
    if shutil.which("tshark") is None:
        return Check("tshark", False, "tshark not installed")
    out = subprocess.run(["tshark", "--version"], capture_output=True, text=True, check=False)
    m = re.search(r"TShark \(Wireshark\) (\d+)\.(\d+)\.(\d+)", out.stdout)
    if not m:
        return Check("tshark", False, f"cannot read the version from: {out.stdout[:80]!r}")
    version = (int(m.group(1)), int(m.group(2)))
    ok = version >= MIN_TSHARK
    text = ".".join(m.groups())
    return Check(
        "tshark",
        ok,
        f"tshark {text}" if ok else f"tshark {text} is too old: IKEv2 decryption needs >= 4.0",
    )


def check_netns() -> Check:
    if os.geteuid() != 0:
        return Check("netns", False, "cannot test network namespaces without root")
    probe = f"wo-doctor-{os.getpid()}"
    add = subprocess.run(["ip", "netns", "add", probe], capture_output=True, text=True, check=False)
    if add.returncode != 0:
        return Check("netns", False, f"ip netns add failed: {add.stderr.strip()}")
    subprocess.run(["ip", "netns", "del", probe], capture_output=True, check=False)
    return Check("netns", True, "network namespaces work")


def check_tun() -> Check:
    ok = Path("/dev/net/tun").exists()
    return Check(
        "tun",
        ok,
        "/dev/net/tun present (kernel-libipsec)"
        if ok
        else "/dev/net/tun missing: kernel-libipsec needs TUN (modprobe tun)",
    )


def check_python() -> Check:
    missing = [m for m in PYTHON_MODULES if importlib.util.find_spec(m) is None]
    return Check(
        "python-modules",
        not missing,
        f"not importable: {' '.join(missing)} (run scripts/install)"
        if missing
        else f"{sys.version.split()[0]} with {' '.join(PYTHON_MODULES)}",
    )


CHECKS: tuple[Callable[[], Check], ...] = (
    check_root,
    check_packages,
    check_programs,
    check_plugins,
    check_optional_plugins,
    check_gateway_builds,
    check_tshark,
    check_netns,
    check_tun,
    check_python,
)


def run_checks() -> list[Check]:
    return [check() for check in CHECKS]


def main() -> int:
    results = run_checks()
    for c in results:
        status = "ok  " if c.ok else "info" if c.optional else "FAIL"
        print(f"{status} {c.name}: {c.detail}")
    failed = [c for c in results if not c.ok and not c.optional]
    print("doctor: all checks passed" if not failed else f"doctor: {len(failed)} check(s) failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
