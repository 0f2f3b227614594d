"""Crash the gateway at a chosen moment: SIGKILL charon when its log shows a line.

Why the log: charon logs "generating IKE_AUTH response 1 [ ... ]" before it sends, so the
line marks "the exchange is in charon's hands". The kill itself races the send; a suite
that needs "the answer never left" also silences those responses (Lab.silence_gateway), so
the client sees the same thing either way: a gateway that stopped answering mid-exchange.
"""

from __future__ import annotations

import threading
import time
from types import TracebackType

from infra.gateway.gateway import Gateway

POLL_S = 0.002


class CrashOnLogLine:
    """A context manager; `killed_at` (epoch seconds) and `pid` once charon is dead."""

    def __init__(self, gateway: Gateway, line: str, *, timeout: float = 120.0) -> None:
        self.gateway = gateway
        self.line = line
        self.timeout = timeout
        self.killed_at: float | None = None
        self.pid: int | None = None
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._watch, name="crash-gateway", daemon=True)

    def _watch(self) -> None:
        path = self.gateway.log_path
        offset = path.stat().st_size if path.exists() else 0
        pending = b""
        deadline = time.monotonic() + self.timeout
        while not self._stop.is_set() and time.monotonic() < deadline:
            with path.open("rb") as log:
                log.seek(offset)
                chunk = log.read()
            offset += len(chunk)
            pending = (pending + chunk)[-64 * 1024 :]
            if self.line.encode() in pending:
                self.pid = self.gateway.daemon.crash()
                self.killed_at = time.time()
                return
            time.sleep(POLL_S)

    def __enter__(self) -> CrashOnLogLine:
        self._thread.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._stop.set()
        self._thread.join(timeout=5)
