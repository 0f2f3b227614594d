"""The ESP data path: TUN <-> ESP-in-UDP, on its own thread.

Outbound packets are read from the TUN device by this module's thread, checked against
the traffic selectors, encapsulated and sent from the IKE socket on port 4500 (RFC 3948).
Inbound ESP is handed over by the transport's receiver thread (which reads port 4500 for
IKE as well), decapsulated and written to the TUN device. Counters are kept for tests
and logs; nothing here touches IKE state, so a flood of data cannot delay an IKE answer.

A CHILD SA rekey installs the new SA pair while the old one still exists (RFC 7296 2.8):
outbound switches to the new SA at once, inbound accepts both SPIs until the old SA is
deleted, so packets in flight during the rekey are not lost.

Packets to the gateway's own (IKE) address are never tunnelled: Windows cannot reach the
VPN server's physical address through the tunnel (reference 8). It matters when the
network goes away (MOBIKE outage): the full tunnel's /1 routes then also cover the
gateway, and the ESP packets of the data path would otherwise loop back into the device.
"""

from __future__ import annotations

import contextlib
import os
import select
import threading
import time

from emulator.log import ClientLog
from emulator.net.esp import EspError, EspSa
from emulator.net.selectors import Selector, allowed, packet_addresses
from emulator.net.transport import Transport

_READ_SIZE = 65535


class DataPlane:
    """Moves packets between one TUN device and one ESP SA pair."""

    def __init__(
        self,
        tun_fd: int,
        esp: EspSa,
        transport: Transport,
        *,
        tsi: tuple[Selector, ...],
        tsr: tuple[Selector, ...],
        log: ClientLog,
    ) -> None:
        self.esp: EspSa | None = esp
        """The SA outbound packets use (the newest; None once every SA is deleted)."""
        self._inbound: dict[bytes, EspSa] = {esp.spi_in: esp}
        self._retired: list[EspSa] = []
        self._sa_lock = threading.Lock()
        self._tun = tun_fd
        self._transport = transport
        self._tsi = tsi
        self._tsr = tsr
        self._log = log
        self._wake_r, self._wake_w = os.pipe()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="emulator-esp", daemon=True)
        self.dropped_outbound = 0
        self.dropped_inbound = 0
        self.last_traffic = time.monotonic()
        """When the last packet went through, either way (Windows' idle timer, 4.6)."""
        self._closed = False

    def start(self) -> None:
        self._transport.set_esp_sink(self.inbound)
        self._thread.start()

    def install(self, esp: EspSa) -> None:
        """A rekeyed CHILD SA: send with ESP from now on, receive on both until retire()."""
        with self._sa_lock:
            self._inbound[esp.spi_in] = esp
            self.esp = esp

    def retire(self, spi_in: bytes) -> EspSa | None:
        """Stop accepting the SA with inbound SPI_IN (deleted); its counters stay counted."""
        with self._sa_lock:
            old = self._inbound.pop(spi_in, None)
            if old is not None:
                self._retired.append(old)
                if old is self.esp:
                    self.esp = None
            return old

    def counters(self) -> tuple[int, int]:
        """Packets out and in over every SA this data path has used."""
        with self._sa_lock:
            every = (*self._inbound.values(), *self._retired, *([self.esp] if self.esp else []))
            sas = {id(sa): sa for sa in every}
        return (
            sum(sa.packets_out for sa in sas.values()),
            sum(sa.packets_in for sa in sas.values()),
        )

    def inbound(self, packet: bytes) -> None:
        """One UDP-encapsulated ESP packet from the gateway (transport thread)."""
        with self._sa_lock:
            esp = self._inbound.get(packet[:4], self.esp)
        if esp is None:
            self.dropped_inbound += 1
            return
        try:
            inner = esp.decapsulate(packet)
        except EspError as exc:
            self.dropped_inbound += 1
            if self.dropped_inbound <= 5:
                self._log.line("ESP", f"dropping inbound ESP packet: {exc}")
            return
        if not allowed(inner, self._tsr, self._tsi):
            self.dropped_inbound += 1
            return
        self.last_traffic = time.monotonic()
        with contextlib.suppress(OSError):
            os.write(self._tun, inner)

    def _to_gateway(self, packet: bytes) -> bool:
        addresses = packet_addresses(packet)
        return addresses is not None and addresses[2] == self._transport.server.packed

    def _run(self) -> None:
        while not self._stop.is_set():
            ready, _, _ = select.select([self._tun, self._wake_r], [], [])
            if self._tun not in ready:
                continue
            try:
                packet = os.read(self._tun, _READ_SIZE)
            except OSError:
                return
            if not allowed(packet, self._tsi, self._tsr) or self._to_gateway(packet):
                self.dropped_outbound += 1
                continue
            esp = self.esp
            if esp is None:  # the CHILD SA was deleted (idle or expired): no tunnel
                self.dropped_outbound += 1
                continue
            self.last_traffic = time.monotonic()
            try:
                self._transport.send_esp(esp.encapsulate(packet))
            except (OSError, EspError) as exc:
                self.dropped_outbound += 1
                self._log.line("ESP", f"dropping outbound packet: {exc}")

    def close(self) -> None:
        """Detach from the transport and stop the thread (the TUN device is its owner's)."""
        if self._closed:
            return
        self._closed = True
        self._transport.set_esp_sink(None)
        self._stop.set()
        os.write(self._wake_w, b"x")
        if self._thread.is_alive():
            self._thread.join(timeout=5)
        for fd in (self._wake_r, self._wake_w):
            with contextlib.suppress(OSError):
                os.close(fd)
        out, inbound = self.counters()
        self._log.line(
            "ESP",
            f"data path closed: {out} packets out, {inbound} in, "
            f"{self.dropped_outbound} / {self.dropped_inbound} dropped",
        )
