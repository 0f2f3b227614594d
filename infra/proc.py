"""Process helpers: start a daemon we own, identify it by PID and start time, stop it.

Why start time: PIDs are reused. The reaper must never signal a process that merely
inherited the PID of a daemon a killed run left behind, so every PID we record is paired
with the kernel's start time of that process (field 22 of /proc/PID/stat).
"""

from __future__ import annotations

import os
import signal
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

from infra.errors import LabError


@dataclass(frozen=True)
class ProcessId:
    """A PID plus the process start time (clock ticks since boot): unique over a boot."""

    pid: int
    start_time: int

    @classmethod
    def of(cls, pid: int) -> ProcessId | None:
        start = process_start_time(pid)
        return None if start is None else cls(pid, start)

    def alive(self) -> bool:
        """True while the very process we recorded still exists (not a PID reuse)."""
        return process_start_time(self.pid) == self.start_time


def process_start_time(pid: int) -> int | None:
    """Start time of PID from /proc, or None if there is no such process (or a zombie)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except (FileNotFoundError, ProcessLookupError, PermissionError):
        return None
    # The command name (field 2) may contain spaces and parentheses: split after the last ')'.
    fields = stat[stat.rindex(")") + 2 :].split()
    if fields[0] == "Z":
        return None
    return int(fields[19])


def signal_if_same(ident: ProcessId, sig: int) -> bool:
    """Send SIG only if IDENT still names the process we recorded; report whether sent."""
    if not ident.alive():
        return False
    try:
        os.kill(ident.pid, sig)
    except ProcessLookupError:
        return False
    return True


def stop_popen(proc: subprocess.Popen[bytes], *, term_timeout: float = 3.0) -> int:
    """SIGTERM, wait up to TERM_TIMEOUT, then SIGKILL and wait: always reaps the child."""
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            return proc.wait(timeout=term_timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
    return proc.wait()


def stop_orphan(ident: ProcessId, *, term_timeout: float = 3.0) -> None:
    """Stop a process that is not our child (left by a killed run): TERM, poll, KILL."""
    if not signal_if_same(ident, signal.SIGTERM):
        return
    deadline = time.monotonic() + term_timeout
    while time.monotonic() < deadline:
        if not ident.alive():
            return
        time.sleep(0.02)
    signal_if_same(ident, signal.SIGKILL)


def run(args: list[str], *, timeout: float = 30.0, input_text: str | None = None) -> str:
    """Run a short command, return stdout; raise CommandFailed with its stderr on error."""
    try:
        done = subprocess.run(
            args, input=input_text, capture_output=True, text=True, timeout=timeout, check=False
        )
    except subprocess.TimeoutExpired as exc:
        raise CommandFailed(args, None, f"timed out after {timeout} s") from exc
    if done.returncode != 0:
        raise CommandFailed(args, done.returncode, done.stderr.strip() or done.stdout.strip())
    return done.stdout


class CommandFailed(LabError):
    """A helper command failed: carries the argument list, exit code and its own words."""

    def __init__(self, args: list[str], returncode: int | None, output: str) -> None:
        self.args_list = args
        self.returncode = returncode
        self.output = output
        super().__init__(f"{' '.join(args)} failed (exit {returncode}): {output}")
