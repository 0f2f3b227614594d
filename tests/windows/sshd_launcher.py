"""Start sshd in a private mount namespace where /run/sshd exists (test helper).

sshd refuses to start without its privilege-separation directory /run/sshd, which the
Debian service creates at boot and this machine does not have. Rather than create it on the
host, the test runs `unshare --mount --propagation private` and this launcher, which mounts
a small tmpfs over /run *inside that mount namespace only*, creates /run/sshd in it and
execs sshd (same PID, so the lab records and stops the daemon itself).
"""

from __future__ import annotations

import os
import subprocess
import sys


def main() -> None:
    subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "mode=0755,size=1m", "winterop-sshd-run", "/run"],
        check=True,
    )
    os.mkdir("/run/sshd", 0o755)
    os.execv(sys.argv[1], sys.argv[1:])


if __name__ == "__main__":
    main()
