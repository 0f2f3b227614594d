"""charon from a gateway build's root: chrooted, in its own mount namespace, and gone with
every mount when it stops. Needs root and the trixie build (skipped with the build's reason).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest

from infra.charon.daemon import CharonDaemon, CharonError
from infra.gateway.builds import BUILDS, BuildStatus, status
from infra.lab.lab import Lab
from infra.lab.topology import Role, TopologyKind

pytestmark = pytest.mark.skipif(os.geteuid() != 0, reason="network namespaces need root")
TRIXIE = next(b for b in BUILDS if b.name == "trixie")


@pytest.fixture
def trixie() -> BuildStatus:
    found = status(TRIXIE)
    if not found.ok:
        pytest.skip(f"gateway build trixie: {found.problem}")
    return found


@pytest.fixture
def lab() -> Iterator[Lab]:
    with Lab.up(TopologyKind.DIRECT, f"chroot{os.getpid()}", "unit") as built:
        yield built


def _mounts(pid: int | str) -> str:
    return Path(f"/proc/{pid}/mountinfo").read_text()


def test_charon_runs_chrooted_and_leaves_no_mount(lab: Lab, trixie: BuildStatus) -> None:
    assert trixie.root is not None
    daemon = CharonDaemon(lab, Role.GATEWAY, "gateway", build=trixie)
    daemon.start()
    proc = daemon._proc
    assert proc is not None
    pid = proc.pid
    try:
        assert daemon.version == trixie.version == "6.0.1"
        assert os.readlink(f"/proc/{pid}/root") == str(trixie.root), "charon is chrooted"
        assert os.readlink(f"/proc/{pid}/ns/mnt") != os.readlink("/proc/self/ns/mnt")
        inside = _mounts(pid)  # mount points as charon sees them, relative to its root
        assert f" {daemon.paths.directory} " in inside, "instance directory bound at its path"
        assert " - tmpfs winterop " in inside and " /dev " in inside and " /proc " in inside
        assert str(trixie.root) not in _mounts("self"), "a mount propagated to the host"
        assert daemon.paths.vici_socket.is_socket(), "the VICI socket is at the host's path"
        assert "strongSwan 6.0.1" in daemon.paths.log.read_text()
    finally:
        daemon.stop()
    assert not Path(f"/proc/{pid}").exists(), "charon (the chroot's only process) is gone"
    assert str(trixie.root) not in _mounts("self")


def test_a_root_whose_charon_is_not_its_stamp_version_fails_naming_both(
    lab: Lab, trixie: BuildStatus
) -> None:
    lying = replace(trixie, version="6.1.0", package="6.1.0-2")
    daemon = CharonDaemon(lab, Role.GATEWAY, "gateway", build=lying)
    try:
        with pytest.raises(
            CharonError, match=r"reports strongSwan '6.0.1', but the build is 6.1.0"
        ):
            daemon.start()
    finally:
        daemon.stop()
