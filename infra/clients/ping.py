"""A stream of pings through the tunnel while something happens (a rekey), with its loss.

A single `reach` says "the tunnel works now"; a rekey test must show that traffic kept
flowing before, during and after the SA was replaced, and count what was lost. iputils'
ping, run in the client's namespace, prints one timestamped line per reply (-D) and one
per request still unanswered when the next one goes out (-O); SIGINT ends it with its
summary. Timestamps are wall-clock seconds, the same clock as the capture's frames.
"""

from __future__ import annotations

import re
import signal
import subprocess
import time
from collections.abc import Sequence
from dataclasses import dataclass, replace
from types import TracebackType

from infra.errors import LabError

_REPLY = re.compile(r"^\[(\d+\.\d+)\] \d+ bytes from [^:]+: icmp_seq=(\d+)")
_SUMMARY = re.compile(r"(\d+) packets transmitted, (\d+) received")


class PingError(LabError):
    """ping could not run (not a lost packet: those are counted)."""


@dataclass(frozen=True)
class PingResult:
    sent: int
    received: int
    replies: tuple[tuple[int, float], ...]
    """(icmp_seq, wall-clock time of the reply)."""
    interval: float
    started: float = 0.0
    """Wall-clock time the stream started."""

    @property
    def lost(self) -> int:
        return self.sent - self.received

    def lost_seqs(self) -> tuple[int, ...]:
        answered = {seq for seq, _ in self.replies}
        return tuple(seq for seq in range(1, self.sent + 1) if seq not in answered)

    def replies_between(self, start: float, end: float) -> int:
        return sum(1 for _, at in self.replies if start <= at <= end)

    def describe(self) -> str:
        lost = self.lost_seqs()
        listed = ", ".join(map(str, lost[:10])) + (" ..." if len(lost) > 10 else "")
        return (
            f"{self.sent} pings every {self.interval * 1000:g} ms, {self.received} answered, "
            f"{self.lost} lost" + (f" (icmp_seq {listed})" if lost else "")
        )


class PingStream:
    """`with PingStream(prefix, address, interval) as stream:` ...; then `stream.result`."""

    def __init__(self, prefix: Sequence[str], address: str, *, interval: float) -> None:
        self.argv = [*prefix, "ping", "-D", "-O", "-n", "-i", f"{interval:.3f}", address]
        self.interval = interval
        self._proc: subprocess.Popen[str] | None = None
        self._started = 0.0
        self.result: PingResult | None = None

    def __enter__(self) -> PingStream:
        self._started = time.time()
        try:
            self._proc = subprocess.Popen(
                self.argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
            )
        except OSError as exc:
            raise PingError(f"{' '.join(self.argv)}: {exc}") from None
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        value: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()

    def stop(self) -> PingResult:
        if self.result is not None:
            return self.result
        proc = self._proc
        if proc is None:
            raise PingError("the ping stream was never started")
        if proc.poll() is None:
            proc.send_signal(signal.SIGINT)
        try:
            out, err = proc.communicate(timeout=5)
        except subprocess.TimeoutExpired:
            proc.kill()
            out, err = proc.communicate()
        self.result = replace(parse(out, err, self.interval), started=self._started)
        return self.result


def parse(out: str, err: str, interval: float) -> PingResult:
    replies = []
    for line in out.splitlines():
        match = _REPLY.match(line)
        if match:
            replies.append((int(match.group(2)), float(match.group(1))))
    summary = _SUMMARY.search(out)
    if summary is None:
        raise PingError(f"ping printed no summary; stderr: {err.strip() or '(empty)'}")
    return PingResult(int(summary.group(1)), int(summary.group(2)), tuple(replies), interval)
