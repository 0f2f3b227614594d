"""A human-readable account of one EAP conversation, safe to put in client.log.

Tests and failure messages quote it ("the gateway proposed TLS, we sent a NAK for
MSCHAPV2, then ..."), so it records every packet and decision in order. It must never
hold a secret: methods write only names, codes, lengths and verdicts into it, never
passwords, hashes, challenges' responses or key material.
"""

from __future__ import annotations


class Transcript:
    """An append-only list of lines; ``<-`` marks what the gateway sent, ``->`` our reply."""

    def __init__(self) -> None:
        self._lines: list[str] = []

    def received(self, text: str) -> None:
        self._lines.append(f"<- {text}")

    def sent(self, text: str) -> None:
        self._lines.append(f"-> {text}")

    def note(self, text: str) -> None:
        self._lines.append(f"   {text}")

    @property
    def lines(self) -> tuple[str, ...]:
        return tuple(self._lines)

    def __str__(self) -> str:
        return "\n".join(self._lines)
