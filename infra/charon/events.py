"""VICI event recorder: tests wait on charon's own events instead of sleeping.

A listening VICI connection blocks, so the recorder owns a second connection and a thread.
Every event is kept (in order, with a monotonic timestamp) so a timeout message can say what
was awaited and what was last seen.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from infra.charon.daemon import CharonDaemon, decode

EVENT_TYPES = ("ike-updown", "child-updown", "ike-rekey", "child-rekey", "ike-update")


@dataclass(frozen=True)
class CharonEvent:
    """One VICI event: its type, body (bytes decoded) and when it arrived."""

    kind: str
    body: dict[str, Any]
    at: float

    def summary(self) -> str:
        names = ", ".join(self.body)
        up = self.body.get("up")
        return f"{self.kind}({names}{', up' if up == 'yes' else ''})"


class EventWaitTimeout(TimeoutError):
    """Raised by wait_for; its message names the awaited event and the last ones seen."""


class EventRecorder:
    """Records VICI events of one charon from start() until stop()."""

    def __init__(self, daemon: CharonDaemon) -> None:
        self._daemon = daemon
        self._events: list[CharonEvent] = []
        self._cond = threading.Condition()
        self._stop = threading.Event()
        self._ready = threading.Event()
        self._thread = threading.Thread(target=self._run, name=f"vici-events-{daemon.name}")
        self._error: BaseException | None = None

    def start(self) -> None:
        self._thread.start()
        self._ready.wait(timeout=5)

    def _run(self) -> None:
        try:
            with self._daemon.extra_session() as session:
                events = session.listen(list(EVENT_TYPES), timeout=0.05)
                self._ready.set()
                try:
                    for kind, body in events:
                        if self._stop.is_set():
                            break
                        if kind is None:
                            continue
                        event = CharonEvent(kind.decode(), decode(body), time.monotonic())
                        with self._cond:
                            self._events.append(event)
                            self._cond.notify_all()
                finally:
                    # Unregisters while the connection is still open (listen's own cleanup).
                    events.close()
        except (OSError, EOFError) as exc:
            if not self._stop.is_set():
                self._error = exc
        finally:
            self._ready.set()

    @property
    def events(self) -> list[CharonEvent]:
        with self._cond:
            return list(self._events)

    def wait_for(
        self,
        kind: str,
        predicate: Callable[[CharonEvent], bool] = lambda e: True,
        *,
        timeout: float,
        after: int = 0,
        what: str = "",
    ) -> CharonEvent:
        """The first event of KIND (from index AFTER on) satisfying PREDICATE, or raise."""
        deadline = time.monotonic() + timeout
        with self._cond:
            while True:
                for event in self._events[after:]:
                    if event.kind == kind and predicate(event):
                        return event
                remaining = deadline - time.monotonic()
                if remaining <= 0 or self._error is not None:
                    seen = ", ".join(e.summary() for e in self._events[-5:]) or "no event at all"
                    raise EventWaitTimeout(
                        f"{self._daemon.name}: awaited {kind} {what} for {timeout} s; "
                        f"last seen: {seen}"
                        + (f"; listener failed: {self._error}" if self._error else "")
                    )
                self._cond.wait(remaining)

    def stop(self) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout=2)
