"""Owner records: what a lab (or a run) created, written before it is created.

A record lives as `owner.json` in the lab's own work directory (`<tmp>/winterop-<id>`). It
names the owning process (PID + start time), the network namespaces and the processes the
lab made. The record is written *before* each thing is created, so a run killed at any
moment leaves a record that names everything it may have left behind; the reaper
(infra.lab.reaper) then removes exactly that and nothing else.
"""

from __future__ import annotations

import json
import os
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from infra.proc import ProcessId

WORKDIR_PREFIX = "winterop-"
RECORD_NAME = "owner.json"


def work_root() -> Path:
    """Where lab work directories live (the system temp dir, honouring TMPDIR)."""
    return Path(tempfile.gettempdir())


@dataclass
class OwnerRecord:
    """The persistent list of what one owner created; saved on every change."""

    workdir: Path
    owner: ProcessId
    namespaces: list[str] = field(default_factory=list)
    processes: list[ProcessId] = field(default_factory=list)

    @classmethod
    def create(cls, name: str) -> OwnerRecord:
        """Make `<tmp>/winterop-NAME` (must not exist) owned by this process.

        The directory is prepared under a hidden name and renamed into place, so a
        `winterop-*` directory without its owner record never exists.
        """
        final = work_root() / f"{WORKDIR_PREFIX}{name}"
        staging = Path(tempfile.mkdtemp(prefix=f".{WORKDIR_PREFIX}", dir=work_root()))
        me = ProcessId.of(os.getpid())
        assert me is not None, "own /proc entry must exist"
        cls(workdir=staging, owner=me).save()
        try:
            os.rename(staging, final)
        except OSError:
            (staging / RECORD_NAME).unlink()
            staging.rmdir()
            raise
        return cls(workdir=final, owner=me)

    @property
    def path(self) -> Path:
        return self.workdir / RECORD_NAME

    def add_namespace(self, name: str) -> None:
        self.namespaces.append(name)
        self.save()

    def add_process(self, ident: ProcessId) -> None:
        self.processes.append(ident)
        self.save()

    def forget_process(self, ident: ProcessId) -> None:
        if ident in self.processes:
            self.processes.remove(ident)
            self.save()

    def save(self) -> None:
        doc = {
            "owner": [self.owner.pid, self.owner.start_time],
            "namespaces": self.namespaces,
            "processes": [[p.pid, p.start_time] for p in self.processes],
        }
        tmp = self.path.with_suffix(".tmp")
        tmp.write_text(json.dumps(doc))
        os.replace(tmp, self.path)

    @classmethod
    def load(cls, workdir: Path) -> OwnerRecord:
        """Read a record; raise ValueError if it is not one of ours (foreign or corrupt)."""
        try:
            doc = json.loads((workdir / RECORD_NAME).read_text())
            owner = ProcessId(int(doc["owner"][0]), int(doc["owner"][1]))
            namespaces = [str(n) for n in doc["namespaces"]]
            processes = [ProcessId(int(p), int(s)) for p, s in doc["processes"]]
        except (OSError, KeyError, TypeError, IndexError, json.JSONDecodeError) as exc:
            raise ValueError(f"{workdir}: not a winterop owner record ({exc})") from exc
        if any(not n.startswith("wo-") for n in namespaces):
            raise ValueError(f"{workdir}: names a namespace winterop would not create")
        return cls(workdir=workdir, owner=owner, namespaces=namespaces, processes=processes)
