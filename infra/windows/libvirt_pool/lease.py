"""VM slots for xdist workers: one worker owns one VM slot, by an flock'ed file per slot.

A hypervisor runs `capacity` Windows VMs at once. Each slot is a lock file on the harness
host, `<lease dir>/<hypervisor>/slot-N.lock`; a worker holds the flock of exactly one
slot for as long as it uses that hypervisor. The kernel drops the lock when the process
dies, however it dies, so a slot can never stay taken by a killed run. Worker gwN tries
slot N mod capacity first, so with `-n capacity` every worker gets its own slot at once;
concurrent runs on the same harness host (two CI jobs) share the same files, so together
they never exceed the capacity.

Next to each lock, `slot-N.json` is a write-ahead record: the lease holder writes the
domain and volume names *before* creating them. A record whose lock nobody holds was left
by a killed run; whoever takes the slot next (or the reaper) removes exactly what it names
(reaper.reap_record), including an overlay created just before a crash whose domain never
came into existence (the one thing the domain's own owner tag cannot cover).
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import re
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType

from infra.windows.libvirt_pool.errors import LeaseUnavailable
from infra.windows.libvirt_pool.naming import check_name
from infra.windows.libvirt_pool.owner import Harness, VolumeRef
from infra.windows.libvirt_pool.waiting import REAL_CLOCK, Clock, Deadline


def default_lease_dir() -> Path:
    return Path(tempfile.gettempdir()) / "wo-vm-leases"


def preferred_slot(worker: str, capacity: int) -> int:
    """gwN -> N mod capacity; any other worker id (the non-xdist 'main') -> 0."""
    match = re.fullmatch(r"gw(\d+)", worker)
    return int(match.group(1)) % capacity if match else 0


@dataclass
class LeaseRecord:
    """What the holder of one slot has created (or is about to create) on the hypervisor."""

    hypervisor: str
    uri: str
    slot: int
    run_id: str
    worker: str
    harness: Harness
    domains: list[str] = field(default_factory=list)
    volumes: list[VolumeRef] = field(default_factory=list)

    def to_json(self) -> str:
        h = self.harness
        return json.dumps(
            {
                "hypervisor": self.hypervisor,
                "uri": self.uri,
                "slot": self.slot,
                "run_id": self.run_id,
                "worker": self.worker,
                "harness": [h.host, h.boot_id, h.pid, h.start_time],
                "domains": self.domains,
                "volumes": [[v.pool, v.name] for v in self.volumes],
            }
        )

    @classmethod
    def from_json(cls, text: str) -> LeaseRecord:
        """Parse a record; ValueError for anything that is not one."""
        try:
            doc = json.loads(text)
            host, boot, pid, start = doc["harness"]
            return cls(
                hypervisor=str(doc["hypervisor"]),
                uri=str(doc["uri"]),
                slot=int(doc["slot"]),
                run_id=str(doc["run_id"]),
                worker=str(doc["worker"]),
                harness=Harness(str(host), str(boot), int(pid), int(start)),
                domains=[str(d) for d in doc["domains"]],
                volumes=[VolumeRef(str(p), str(n)) for p, n in doc["volumes"]],
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise ValueError(f"not a VM lease record: {exc!r}") from exc

    def describe(self) -> str:
        h = self.harness
        return f"run {self.run_id} worker {self.worker} (pid {h.pid} on {h.host})"


def _paths(directory: Path, slot: int) -> tuple[Path, Path]:
    return directory / f"slot-{slot}.lock", directory / f"slot-{slot}.json"


def _try_lock(path: Path) -> int | None:
    """An fd holding PATH's exclusive flock, or None if another process holds it."""
    fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o666)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        os.close(fd)
        return None
    return fd


def read_record(path: Path) -> LeaseRecord | None:
    try:
        return LeaseRecord.from_json(path.read_text())
    except (OSError, ValueError):
        return None


class SlotLease:
    """A held slot. `predecessor` is the record a killed holder left (reap it first)."""

    def __init__(self, directory: Path, fd: int, record: LeaseRecord) -> None:
        self._fd: int | None = fd
        self.lock_path, self.record_path = _paths(directory, record.slot)
        self.predecessor = read_record(self.record_path)
        self.record = record

    @property
    def slot(self) -> int:
        return self.record.slot

    def note(self, *, domain: str | None = None, volumes: tuple[VolumeRef, ...] = ()) -> None:
        """Record names about to be created (write-ahead), then save atomically."""
        if domain is not None and domain not in self.record.domains:
            self.record.domains.append(domain)
        self.record.volumes.extend(v for v in volumes if v not in self.record.volumes)
        self._save()

    def forget(self, *, domain: str | None = None, volumes: tuple[VolumeRef, ...] = ()) -> None:
        """Drop names whose resources are gone."""
        if domain in self.record.domains:
            self.record.domains.remove(domain)
        self.record.volumes = [v for v in self.record.volumes if v not in volumes]
        self._save()

    def _save(self) -> None:
        tmp = self.record_path.with_suffix(f".{os.getpid()}.tmp")
        tmp.write_text(self.record.to_json())
        os.replace(tmp, self.record_path)

    def release(self, *, keep_record: bool = False) -> None:
        """Remove the record (unless KEEP_RECORD: its leftovers could not be reaped) and
        drop the lock. Idempotent."""
        if self._fd is None:
            return
        if not keep_record:
            with contextlib.suppress(FileNotFoundError):
                self.record_path.unlink()
        os.close(self._fd)
        self._fd = None

    def __enter__(self) -> SlotLease:
        return self

    def __exit__(
        self, et: type[BaseException] | None, ev: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.release()


def acquire_slot(
    *,
    hypervisor: str,
    uri: str,
    capacity: int,
    run_id: str,
    worker: str,
    lease_dir: Path | None = None,
    timeout: float = 1800.0,
    interval: float = 5.0,
    clock: Clock = REAL_CLOCK,
) -> SlotLease:
    """Take a free slot of HYPERVISOR, waiting up to TIMEOUT for one to free up."""
    check_name("hypervisor name", hypervisor)
    directory = (lease_dir or default_lease_dir()) / hypervisor
    directory.mkdir(parents=True, exist_ok=True)
    first = preferred_slot(worker, capacity)
    order = [(first + i) % capacity for i in range(capacity)]
    deadline = Deadline(timeout, clock)
    while True:
        for slot in order:
            fd = _try_lock(_paths(directory, slot)[0])
            if fd is not None:
                record = LeaseRecord(hypervisor, uri, slot, run_id, worker, Harness.current())
                return SlotLease(directory, fd, record)
        if deadline.expired():
            holders = []
            for slot in order:
                held = read_record(_paths(directory, slot)[1])
                holders.append(f"slot {slot}: {held.describe() if held else 'holder unknown'}")
            raise LeaseUnavailable(
                f"all {capacity} VM slot(s) of hypervisor {hypervisor} stayed taken for "
                f"{timeout:g} s ({'; '.join(holders)}); lease dir {directory}"
            )
        deadline.pause(interval)


def stale_slots(directory: Path) -> list[SlotLease]:
    """Slots under DIRECTORY (one hypervisor) with a record but no living holder, now locked
    by the caller; the caller reaps `predecessor` and releases each."""
    found = []
    for lock_path in sorted(directory.glob("slot-*.lock")):
        record_path = lock_path.with_suffix(".json")
        stale = read_record(record_path)
        if stale is None:
            continue
        fd = _try_lock(lock_path)
        if fd is None:
            continue
        found.append(SlotLease(directory, fd, stale))
    return found
