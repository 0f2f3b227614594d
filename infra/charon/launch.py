"""The command that starts charon: the host's binary, or one from a gateway build's root.

A root filesystem's charon runs chrooted in a private mount namespace (`unshare -m`, so no
mount is visible outside it and all of them vanish with charon): a tmpfs over the root's
copy of the lab work root, the instance's own directory bind-mounted at the same path it has
outside (so strongswan.conf, the VICI socket and the log keep the paths the root namespace
uses), the host's /dev (kernel-libipsec opens /dev/net/tun) and a fresh /proc. Each step
execs the next (`ip netns exec` -> unshare -> sh -> chroot -> charon), so the PID the lab
holds is charon's own and stopping it ends the namespace; nothing is left behind.
"""

from __future__ import annotations

from pathlib import Path

CHARON = "/usr/sbin/charon-systemd"

_IN_ROOT = """set -e
root=$1 base=$2 dir=$3
shift 3
mount -t tmpfs -o mode=0755 winterop "$root$base"
mkdir -p "$root$dir"
mount --bind "$dir" "$root$dir"
mount --bind /dev "$root/dev"
mount -t proc proc "$root/proc"
exec chroot "$root" "$@"
"""


def charon_command(root: Path | None, directory: Path, work_root: Path) -> list[str]:
    """argv (run inside the lab namespace) for charon of ROOT (None: the host's), whose
    instance files are all in DIRECTORY, a folder under WORK_ROOT."""
    if root is None:
        return [CHARON]
    if not directory.is_relative_to(work_root):
        raise ValueError(f"{directory} is not inside the lab work root {work_root}")
    (root / work_root.relative_to("/")).mkdir(parents=True, exist_ok=True)
    return [
        "unshare",
        "--mount",
        "--propagation",
        "private",
        "sh",
        "-c",
        _IN_ROOT,
        "winterop-gateway",
        str(root),
        str(work_root),
        str(directory),
        CHARON,
    ]
