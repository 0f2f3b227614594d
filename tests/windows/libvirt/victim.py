"""A harness process that leases a VM slot, records what it creates, and then is killed.

Runs as a separate Python process (flock ownership is per process, and the reaper must
see a *dead* owner): it takes a slot, writes the names of a domain and its volumes into
the lease record as the pool does before creating them, prints `slot|pid|start_time`,
and waits on stdin until the test SIGKILLs it.
"""

from __future__ import annotations

import signal
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

SCRIPT = """
import sys
from pathlib import Path
from infra.windows.libvirt_pool.lease import acquire_slot
from infra.windows.libvirt_pool.owner import VolumeRef
uri, lease_dir, capacity, run_id = sys.argv[1:5]
lease = acquire_slot(hypervisor="hv-test", uri=uri, capacity=int(capacity), run_id=run_id,
                     worker="gw0", lease_dir=Path(lease_dir), timeout=0)
name = f"wo-{run_id}-gw0-s{lease.slot}-1"
lease.note(domain=name, volumes=(VolumeRef("wo-images", name + ".qcow2"),
                                 VolumeRef("wo-images", name + "_VARS.fd")))
h = lease.record.harness
print(lease.slot, h.pid, h.start_time, sep="|", flush=True)
sys.stdin.read()
"""

ROOT = Path(__file__).resolve().parents[3]


@dataclass
class Victim:
    proc: subprocess.Popen[str]
    slot: int
    pid: int
    start_time: int

    @property
    def domain(self) -> str:
        return f"wo-{self.run_id}-gw0-s{self.slot}-1"

    run_id: str = "dead1"

    def kill(self) -> None:
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait()


def spawn(uri: str, lease_dir: Path, *, capacity: int = 1, run_id: str = "dead1") -> Victim:
    proc = subprocess.Popen(
        [sys.executable, "-c", SCRIPT, uri, str(lease_dir), str(capacity), run_id],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        cwd=ROOT,
        text=True,
    )
    assert proc.stdout is not None
    line = proc.stdout.readline().strip()
    if not line:
        proc.kill()
        proc.wait()
        raise RuntimeError("victim process did not lease a slot")
    slot, pid, start = (int(x) for x in line.split("|"))
    return Victim(proc, slot, pid, start, run_id)
