"""Hostile gateway input for an established emulator session, and the driver that sends it.

The inputs come from a seeded generator (reproducible by seed), in the kinds issue 14 names:
garbage, wrong lengths, unknown critical payloads, bad SPIs, huge payload counts, truncated
encrypted payloads, bad integrity, replayed and out-of-window message IDs, and well-formed
requests with nonsense inside (Deletes of unknown SPIs, CREATE_CHILD_SA with junk
proposals, notifies of every type). Many are sealed with the IKE SA's real keys, so they
pass the ICV and reach the parser and the request handlers; the rest die at the first
check. Nothing here deletes the IKE SA on purpose: the session must survive all of it.

The driver sends them over UDP from the scripted responder's own socket (so the client
accepts the source) and, every PROBE_EVERY inputs, a genuine liveness check with the message
ID the client expects: its answer proves the session is alive and has processed everything
before it (loopback keeps the order, the session one thread).
"""

from __future__ import annotations

import os
import random
import time
from collections.abc import Iterator
from dataclasses import dataclass, field

from emulator.codec import (
    DeletePayload,
    IkeHeader,
    NotifyPayload,
    Payload,
    Proposal,
    SaPayload,
    Transform,
    UnknownPayload,
    VendorIdPayload,
)
from emulator.const import ExchangeType, ProtocolId
from emulator.crypto import SkProtection, protect_message
from tests.emulator.responder import MARKER, ScriptedResponder

PROBE_EVERY = 50
KINDS = (
    "garbage",
    "header-bytes",
    "length-lie",
    "unknown-critical",
    "bad-spi",
    "huge-count",
    "truncated",
    "bad-icv",
    "replay",
    "future-mid",
    "junk-delete",
    "junk-create-child",
    "junk-notify",
)


@dataclass
class Tally:
    """What a fuzz run did: inputs by kind, probes answered, the drop reasons the client
    logged (each a clear sentence), and how long it took."""

    inputs: dict[str, int] = field(default_factory=dict)
    probes: int = 0
    answered: int = 0
    seconds: float = 0.0
    drop_reasons: dict[str, int] = field(default_factory=dict)

    @property
    def total(self) -> int:
        return sum(self.inputs.values())


class HostileGateway:
    """Builds hostile datagrams for the responder's established IKE SA."""

    def __init__(self, responder: ScriptedResponder, seed: int) -> None:
        sa = responder.sa
        assert sa is not None, "connect first"
        self.responder = responder
        self.spi_i, self.spi_r = sa.spi_i, sa.spi_r
        self.protection = SkProtection.for_sender(sa.suite, sa.keys, initiator=False)
        self.rng = random.Random(seed)
        self.mid = 0
        """The message ID the client expects on the gateway's next request."""
        self.sent: list[bytes] = []

    def _seal(
        self, payloads: tuple[Payload, ...], *, mid: int | None = None, exchange: int = 37
    ) -> bytes:
        message_id = self._stale_mid() if mid is None else mid
        header = IkeHeader(self.spi_i, self.spi_r, exchange, message_id, 0)
        return protect_message(header, payloads, self.protection)

    def _junk_notifies(self, count: int) -> tuple[Payload, ...]:
        rng = self.rng
        return tuple(
            NotifyPayload(rng.randrange(1, 65536), rng.randbytes(rng.randrange(0, 40)))
            for _ in range(count)
        )

    def _junk_proposal(self) -> Proposal:
        rng = self.rng
        transforms = tuple(
            Transform(rng.randrange(0, 256), rng.randrange(0, 65536))
            for _ in range(rng.randrange(0, 6))
        )
        return Proposal(
            rng.randrange(0, 256),
            rng.randrange(0, 256),
            transforms,
            rng.randbytes(rng.choice((0, 4, 8))),
        )

    def datagram(self, kind: str) -> bytes:
        rng = self.rng
        if kind == "garbage":
            return rng.randbytes(rng.randrange(0, 300))
        if kind == "header-bytes":
            raw = bytearray(self._seal(()))
            for _ in range(rng.randrange(1, 4)):
                raw[rng.randrange(0, 28)] = rng.randrange(0, 256)
            return bytes(raw)
        if kind == "length-lie":
            raw = bytearray(self._seal(self._junk_notifies(2)))
            where = rng.choice((24, 30))  # the IKE length, or the SK payload's length
            size = 4 if where == 24 else 2
            raw[where : where + size] = rng.randrange(0, 256**size).to_bytes(size, "big")
            return bytes(raw)
        if kind == "unknown-critical":
            payload = UnknownPayload(rng.randrange(54, 256), rng.randbytes(16), critical=True)
            return self._seal((payload,))
        if kind == "bad-spi":
            header = IkeHeader(os.urandom(8), os.urandom(8), 37, self.mid, 0)
            return protect_message(header, (), self.protection)
        if kind == "huge-count":
            return self._seal(tuple(VendorIdPayload(b"") for _ in range(rng.randrange(300, 1200))))
        if kind == "truncated":
            raw = self._seal(self._junk_notifies(3))
            return raw[: rng.randrange(28, len(raw))]
        if kind == "bad-icv":
            raw = bytearray(self._seal(()))
            raw[rng.randrange(28, len(raw))] ^= 1 << rng.randrange(8)
            return bytes(raw)
        if kind == "replay":
            return rng.choice(self.sent) if self.sent else self._seal(())
        if kind == "future-mid":
            return self._seal((), mid=self.mid + rng.randrange(1, 2**31))
        if kind == "junk-delete":
            protocol = rng.choice((ProtocolId.ESP, ProtocolId.AH, 0, 7))
            spi_size = rng.choice((0, 4, 8, 3))
            spis = tuple(rng.randbytes(spi_size) for _ in range(rng.randrange(0, 5)))
            return self._seal((DeletePayload(protocol, spi_size, spis),), mid=self._stale_mid())
        if kind == "junk-create-child":
            sa = SaPayload(tuple(self._junk_proposal() for _ in range(rng.randrange(1, 4))))
            payloads: tuple[Payload, ...] = (sa, *self._junk_notifies(rng.randrange(0, 3)))
            return self._seal(
                payloads, mid=self._stale_mid(), exchange=ExchangeType.CREATE_CHILD_SA
            )
        return self._seal(self._junk_notifies(rng.randrange(1, 20)), mid=self._stale_mid())

    def _stale_mid(self) -> int:
        """A message ID the client has already answered (so it must not act on it again),
        or a wrong one: sealed junk never takes the client's next message ID, so a probe
        keeps it."""
        wrong = [self.mid + 1, self.mid + 7] + ([self.mid - 1] if self.mid else [])
        return self.rng.choice(wrong)

    def probe(self) -> bytes:
        raw = self._seal((), mid=self.mid)
        self.sent.append(raw)
        return raw

    def inputs(self, count: int) -> Iterator[tuple[str, bytes]]:
        for _ in range(count):
            kind = self.rng.choice(KINDS)
            yield kind, self.datagram(kind)


def run_fuzz(responder: ScriptedResponder, count: int, *, seed: int) -> Tally:
    """Send COUNT hostile datagrams with a liveness probe every PROBE_EVERY; every probe
    must be answered within 2 s, else the session hung or died (AssertionError)."""
    gateway = HostileGateway(responder, seed)
    client = responder.client
    assert client is not None
    tally = Tally()
    started = time.monotonic()
    for n, (kind, data) in enumerate(gateway.inputs(count), start=1):
        tally.inputs[kind] = tally.inputs.get(kind, 0) + 1
        responder.natt.sendto(MARKER + data, client)
        if n % PROBE_EVERY == 0 or n == count:
            tally.probes += 1
            _probe(responder, gateway, client, n)
            tally.answered += 1
    tally.seconds = time.monotonic() - started
    return tally


def _probe(
    responder: ScriptedResponder, gateway: HostileGateway, client: tuple[str, int], n: int
) -> None:
    """A genuine liveness check; waits for the client's response with its message ID (a
    replayed request is answered too, with the old one)."""
    seen = len(responder.received)
    responder.natt.sendto(MARKER + gateway.probe(), client)
    deadline = time.monotonic() + 2.0
    while time.monotonic() < deadline:
        for message in responder.received[seen:]:
            header = message.header
            if header.is_response and header.exchange == 37 and header.message_id == gateway.mid:
                gateway.mid += 1
                return
        time.sleep(0.0005)
    raise AssertionError(
        f"the client did not answer the liveness check (message ID {gateway.mid}) after "
        f"{n} hostile inputs: the session hung or died"
    )


def drop_reasons(log_lines: list[str]) -> dict[str, int]:
    """The client's 'dropping message: <reason>' lines, by reason (numbers stripped)."""
    reasons: dict[str, int] = {}
    for line in log_lines:
        _, marker, reason = line.partition("dropping message: ")
        if marker:
            key = "".join("#" if c.isdigit() else c for c in reason)[:90]
            reasons[key] = reasons.get(key, 0) + 1
    return reasons
