"""A real OpenSSH server in a lab namespace, for the SSH transport tests.

The lab (infra.lab.lab.Lab, topology `direct`) gives two namespaces joined by a veth pair:
sshd listens on the gateway side (192.0.2.1), and the test's paramiko client connects from
the client side (192.0.2.2) through a socket opened by a thread that has entered the
client namespace (setns(2) changes only the calling thread's network namespace). All
traffic therefore stays inside namespaces this test created. Keys, sshd_config,
authorized_keys and the stand-in `powershell` live in the lab's work directory, which
`Lab.down()` removes with the namespaces.
"""

from __future__ import annotations

import ctypes
import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from infra.lab.lab import Lab
from infra.lab.topology import Role, TopologyKind
from infra.proc import ProcessId, run, signal_if_same

HERE = Path(__file__).resolve().parent
SSH_PORT = 2222
CLONE_NEWNET = 0x40000000
_libc = ctypes.CDLL(None, use_errno=True)


def netns_socket(namespace: str, host: str, port: int, timeout: float = 5.0) -> socket.socket:
    """A TCP connection to HOST:PORT opened from inside NAMESPACE (by a helper thread)."""
    result: list[socket.socket | BaseException] = []

    def connect() -> None:
        try:
            fd = os.open(f"/run/netns/{namespace}", os.O_RDONLY)
            try:
                if _libc.setns(fd, CLONE_NEWNET) != 0:
                    raise OSError(ctypes.get_errno(), "setns failed")
            finally:
                os.close(fd)
            result.append(socket.create_connection((host, port), timeout=timeout))
        except BaseException as exc:  # handed to the caller's thread
            result.append(exc)

    thread = threading.Thread(target=connect, name=f"netns-{namespace}")
    thread.start()
    thread.join()
    outcome = result[0]
    if isinstance(outcome, BaseException):
        raise outcome
    return outcome


@dataclass
class SshdLab:
    """A running sshd with a generated host key and an authorised client key."""

    lab: Lab
    daemon: subprocess.Popen[bytes]
    host: str
    port: int
    user: str
    client_key: Path
    known_hosts: Path
    log: Path

    @property
    def server_ns(self) -> str:
        return self.lab.ns(Role.GATEWAY)

    @property
    def client_ns(self) -> str:
        return self.lab.ns(Role.CLIENT)

    def socket(self) -> socket.socket:
        return netns_socket(self.client_ns, self.host, self.port)

    def server_pids(self) -> list[int]:
        """Every process in the server namespace (sshd, its sessions, stand-ins)."""
        out = run(["ip", "netns", "pids", self.server_ns])
        return sorted(int(p) for p in out.split())

    def session_pids(self) -> list[int]:
        return [p for p in self.server_pids() if p != self.daemon.pid]

    def down(self) -> None:
        """Stop sshd by PID, end what it left in its namespace, remove the lab."""
        try:
            if self.daemon.poll() is None:
                self.lab.stop(self.daemon)
            for pid in self.session_pids():
                ident = ProcessId.of(pid)
                if ident is not None:
                    signal_if_same(ident, signal.SIGKILL)
        finally:
            self.lab.down()


def _keygen(path: Path) -> None:
    run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "winterop-test", "-f", str(path)])


def start_sshd(worker: str) -> SshdLab:
    """Bring up the lab and sshd; wait until it accepts connections from the client side."""
    lab = Lab.up(TopologyKind.DIRECT, "tssh", worker)
    try:
        work = lab.workdir
        bindir = work / "bin"
        bindir.mkdir()
        shutil.copy(HERE / "standin" / "powershell", bindir / "powershell")
        (bindir / "powershell").chmod(0o755)
        _keygen(work / "host_key")
        _keygen(work / "client_key")
        (work / "authorized_keys").write_text((work / "client_key.pub").read_text())
        host = str(lab.plan.gateway_outside)
        host_pub = (work / "host_key.pub").read_text().split()
        known_hosts = work / "known_hosts"
        known_hosts.write_text(f"[{host}]:{SSH_PORT} {host_pub[0]} {host_pub[1]}\n")
        config = work / "sshd_config"
        config.write_text(
            "\n".join(
                [
                    f"ListenAddress {host}",
                    f"Port {SSH_PORT}",
                    f"HostKey {work / 'host_key'}",
                    f"AuthorizedKeysFile {work / 'authorized_keys'}",
                    "PidFile none",
                    "UsePAM no",
                    "StrictModes no",
                    "PermitRootLogin prohibit-password",
                    "PubkeyAuthentication yes",
                    "PasswordAuthentication no",
                    "KbdInteractiveAuthentication no",
                    "AllowTcpForwarding no",
                    "X11Forwarding no",
                    "PrintMotd no",
                    f"SetEnv PATH={bindir}:/usr/bin:/bin",
                    "LogLevel VERBOSE",
                    "",
                ]
            )
        )
        log = work / "sshd.log"
        with log.open("wb") as sink:
            daemon = lab.spawn(
                Role.GATEWAY,
                [
                    "unshare",
                    "--mount",
                    "--propagation",
                    "private",
                    "--",
                    sys.executable,
                    str(HERE / "sshd_launcher.py"),
                    "/usr/sbin/sshd",
                    "-D",
                    "-e",
                    "-f",
                    str(config),
                ],
                stderr=sink,
            )
        sshd = SshdLab(
            lab=lab,
            daemon=daemon,
            host=host,
            port=SSH_PORT,
            user="root",
            client_key=work / "client_key",
            known_hosts=known_hosts,
            log=log,
        )
        _wait_listening(sshd)
        return sshd
    except BaseException:
        lab.down()
        raise


def _wait_listening(sshd: SshdLab, seconds: float = 10.0) -> None:
    end = time.monotonic() + seconds
    while True:
        if sshd.daemon.poll() is not None:
            raise RuntimeError(f"sshd exited: {sshd.log.read_text(errors='replace')}")
        try:
            sshd.socket().close()
            return
        except OSError:
            if time.monotonic() > end:
                raise
            time.sleep(0.05)
