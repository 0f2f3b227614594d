"""tcpdump in the gateway namespace, writing IKE (UDP 500/4500) to a pcap.

tcpdump rather than dumpcap: dumpcap 4.0 loses the last packets when stopped within about
0.3 s of them (TPACKET_V3 block timeout); tcpdump with `-U --immediate-mode` writes every
packet as it arrives (lab reference, section 8).
"""

from __future__ import annotations

import contextlib
import select
import signal
import subprocess
import time
from pathlib import Path

from infra.capture.sync import send_marker, wait_for_marker
from infra.errors import LabError
from infra.lab.lab import Lab
from infra.lab.topology import Role

IKE_FILTER = (
    "udp port 500 or udp port 4500 or (ip and ip[6:2] & 0x1fff != 0) or (ip6 and ip6[6] == 44)"
)
"""IKE and ESP-in-UDP, plus the non-first IP fragments of large datagrams: clients without
IKEv2 fragmentation (Windows before 10 1803) send IKE_AUTH as IP fragments, and only the
first fragment carries the UDP header a port filter matches; tshark needs them all to
reassemble the message."""


class CaptureError(LabError):
    """tcpdump did not start or did not finish cleanly; carries its own words."""


class Capture:
    """A running capture; `stop()` flushes and returns the pcap path."""

    def __init__(self, lab: Lab, pcap: Path, *, role: Role = Role.GATEWAY, ifname: str = "wan0"):
        self.lab = lab
        self.pcap = pcap
        self.role = role
        self.ifname = ifname
        self._proc: subprocess.Popen[bytes] | None = None

    def start(self, *, timeout: float = 5.0) -> None:
        """Start tcpdump and return once it says it is listening."""
        self.launch()
        self.wait_listening(timeout=timeout)

    def launch(self) -> None:
        """Spawn tcpdump without waiting (other start-ups can overlap its start-up)."""
        self._proc = self.lab.spawn(
            self.role,
            [
                "tcpdump",
                "-i",
                self.ifname,
                "-U",
                "--immediate-mode",
                "-s",
                "0",
                "-n",
                "-w",
                str(self.pcap),
                IKE_FILTER,
            ],
            stderr=subprocess.PIPE,
        )

    def wait_listening(self, *, timeout: float = 5.0) -> None:
        """Return once tcpdump says it is listening; raise CaptureError with its words."""
        if self._proc is None or self._proc.stderr is None:
            raise CaptureError("tcpdump was not launched")
        deadline = time.monotonic() + timeout
        seen = b""
        while time.monotonic() < deadline:
            ready, _, _ = select.select([self._proc.stderr], [], [], 0.05)
            if ready:
                chunk = self._proc.stderr.read1(4096)  # type: ignore[attr-defined]
                if not chunk:
                    break
                seen += chunk
                if b"listening on" in seen:
                    return
            if self._proc.poll() is not None:
                break
        self.lab.stop(self._proc)
        raise CaptureError(
            f"tcpdump on {self.ifname} in {self.lab.ns(self.role)} did not start within "
            f"{timeout} s: {seen.decode(errors='replace').strip() or '(no output)'}"
        )

    def stop(self) -> Path:
        """Let tcpdump catch up (see infra.capture.sync), SIGINT it (it flushes and exits),
        wait, and return the pcap path."""
        proc, self._proc = self._proc, None
        if proc is None:
            return self.pcap
        if proc.poll() is not None:
            self.lab.stop(proc)
            size = self.pcap.stat().st_size if self.pcap.exists() else 0
            raise CaptureError(
                f"tcpdump in {self.lab.ns(self.role)} exited with status {proc.returncode} "
                f"before the capture was stopped: the capture ends early ({size} bytes)"
            )
        self._drain()
        proc.send_signal(signal.SIGINT)
        with contextlib.suppress(subprocess.TimeoutExpired):
            proc.wait(timeout=3)
        self.lab.stop(proc)
        if proc.stderr is not None:
            proc.stderr.close()
        return self.pcap

    def _drain(self) -> None:
        """Send the marker through the gateway's outside interface and await it in the file."""
        plan = self.lab.plan
        if self.role is not Role.GATEWAY or self.ifname != "wan0":
            return
        peer = plan.nat_outside or plan.client_address
        try:
            port = send_marker(self.lab.ns(self.role), plan.gateway_outside, peer)
        except OSError:
            return
        wait_for_marker(self.pcap, port)
