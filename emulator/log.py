"""The emulated client's log: one readable line per event, in strongSwan's words.

Message lines read like charon's (``generating IKE_AUTH request 1 [ IDi CERT ... ]``,
``parsed ...``, ``sending packet: from ... to ...``) so client.log and gateway.log can be
compared line by line. Nothing secret is ever passed in: keys go only to the separate
Wireshark key table, private keys and passwords nowhere.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from pathlib import Path

Echo = Callable[[str], None]


class ClientLog:
    """Thread-safe, in-memory log; ``echo`` additionally prints each line (the CLI)."""

    def __init__(self, echo: Echo | None = None) -> None:
        self._lines: list[str] = []
        self._lock = threading.Lock()
        self._echo = echo

    def line(self, subsystem: str, text: str) -> None:
        now = time.time()
        stamp = time.strftime("%H:%M:%S", time.localtime(now)) + f".{int(now * 1000) % 1000:03d}"
        entry = f"{stamp} [{subsystem}] {text}"
        with self._lock:
            self._lines.append(entry)
        if self._echo is not None:
            self._echo(entry)

    @property
    def lines(self) -> list[str]:
        with self._lock:
            return list(self._lines)

    def write(self, path: Path) -> Path:
        path.write_text("".join(line + "\n" for line in self.lines))
        return path
