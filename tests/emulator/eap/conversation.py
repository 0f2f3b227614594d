"""Drive a peer against an in-test server until the peer has nothing more to send."""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol


class Server(Protocol):
    def handle(self, response: bytes) -> bytes: ...


def converse(
    respond: Callable[[bytes], bytes | None], server: Server, first: bytes, limit: int = 80
) -> list[tuple[bytes, bytes | None]]:
    """Request -> peer -> response -> server ... ; every (request, response) pair."""
    exchanges: list[tuple[bytes, bytes | None]] = []
    request = first
    for _ in range(limit):
        reply = respond(request)
        exchanges.append((request, reply))
        if reply is None:
            return exchanges
        request = server.handle(reply)
    raise AssertionError(f"no end after {limit} round trips")
