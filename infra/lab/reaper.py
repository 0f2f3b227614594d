"""Remove what killed runs left behind: daemons, namespaces, work directories.

Only things named in an owner record (infra.lab.ownership) whose owning process is gone
are touched: a process is signalled only if its PID still has the recorded start time,
a namespace is deleted only if the record names it (and it starts with `wo-`). Labs of a
live run, of another user's run, or anything else on the machine are left alone.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass, field
from pathlib import Path

from infra.lab.lab import list_namespaces
from infra.lab.ownership import RECORD_NAME, WORKDIR_PREFIX, OwnerRecord, work_root
from infra.proc import CommandFailed, run, stop_orphan


@dataclass
class ReapReport:
    """What one reaper pass removed, for a log line."""

    workdirs: list[Path] = field(default_factory=list)
    namespaces: list[str] = field(default_factory=list)
    processes: list[int] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    def __bool__(self) -> bool:
        return bool(self.workdirs or self.errors)

    def summary(self) -> str:
        return (
            f"reaped {len(self.workdirs)} stale lab(s): {len(self.processes)} process(es), "
            f"{len(self.namespaces)} namespace(s)"
            + (f"; errors: {'; '.join(self.errors)}" if self.errors else "")
        )


def stale_records(root: Path | None = None) -> list[OwnerRecord]:
    """Owner records under ROOT whose owner process no longer exists."""
    found = []
    for workdir in sorted((root or work_root()).glob(f"{WORKDIR_PREFIX}*")):
        if not (workdir / RECORD_NAME).is_file():
            continue
        try:
            record = OwnerRecord.load(workdir)
        except ValueError:
            continue
        if not record.owner.alive():
            found.append(record)
    return found


def reap(root: Path | None = None) -> ReapReport:
    """Remove everything named by stale owner records under ROOT."""
    report = ReapReport()
    existing = set(list_namespaces())
    for record in stale_records(root):
        for ident in record.processes:
            if ident.alive():
                stop_orphan(ident)
                report.processes.append(ident.pid)
        for name in record.namespaces:
            if name in existing:
                try:
                    run(["ip", "netns", "del", name])
                    report.namespaces.append(name)
                except CommandFailed as exc:
                    report.errors.append(str(exc))
        shutil.rmtree(record.workdir, ignore_errors=True)
        report.workdirs.append(record.workdir)
    return report


def main() -> int:
    report = reap()
    print(report.summary() if report else "nothing to reap")
    return 1 if report.errors else 0


if __name__ == "__main__":
    raise SystemExit(main())
