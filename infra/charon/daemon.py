"""One charon-systemd instance in a lab namespace, reachable over its own VICI socket.

charon-systemd runs in the foreground, writes no pid file, and reads `charon.*` settings,
so many instances can run at once, one per namespace (lab reference, section 3.1). The VICI
socket is a filesystem unix socket in the lab's work directory: reachable from the root
namespace, so pytest talks to every instance directly. A gateway build other than the
host's runs its charon from its root filesystem (infra.charon.launch) with the same paths.
"""

from __future__ import annotations

import os
import socket
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import vici

from infra.charon.config import CharonPaths, strongswan_conf
from infra.charon.launch import charon_command
from infra.errors import LabError
from infra.gateway.builds import BUILDS, BuildStatus, status
from infra.lab.lab import Lab
from infra.lab.ownership import work_root
from infra.lab.topology import Role


class CharonError(LabError):
    """charon did not start, died, or refused a VICI command; says what and why."""


class CharonDaemon:
    """Start, talk to and stop one charon. The instance name becomes the directory name."""

    def __init__(
        self,
        lab: Lab,
        role: Role,
        name: str,
        *,
        fragment_size: int | None = None,
        send_vendor_id: bool = False,
        retransmit_tries: int | None = None,
        build: BuildStatus | None = None,
    ) -> None:
        self.lab = lab
        self.build = build if build is not None else status(BUILDS[0])
        """Which strongSwan runs (default: the host's), and so which config it reads."""
        self.role = role
        self.name = name
        self.paths = CharonPaths(lab.workdir / name)
        self._fragment_size = fragment_size
        self._send_vendor_id = send_vendor_id
        self._retransmit_tries = retransmit_tries
        self._proc: subprocess.Popen[bytes] | None = None
        self._session: vici.Session | None = None
        self.version = ""
        """The version the running charon reports over VICI (set once it answers)."""

    def start(self, *, timeout: float = 10.0) -> None:
        """Write the config, start charon, and return once VICI answers a version request."""
        self.launch()
        self.wait_ready(timeout=timeout)

    def launch(self) -> None:
        """Write the config and spawn charon without waiting (to overlap several start-ups)."""
        self.paths.directory.mkdir(exist_ok=True)
        self.paths.conf.write_text(
            strongswan_conf(
                self.paths,
                self.build.release,
                fragment_size=self._fragment_size,
                send_vendor_id=self._send_vendor_id,
                retransmit_tries=self._retransmit_tries,
            )
        )
        env = {"PATH": os.environ.get("PATH", "/usr/sbin:/usr/bin:/sbin:/bin")}
        env["STRONGSWAN_CONF"] = str(self.paths.conf)
        with self.paths.stderr.open("wb") as err:
            command = charon_command(self.build.root, self.paths.directory, work_root())
            self._proc = self.lab.spawn(self.role, command, env=env, stderr=err)

    def wait_ready(self, *, timeout: float = 10.0) -> None:
        """Poll the VICI socket (deadline TIMEOUT) until charon answers a version request."""
        if self._proc is None:
            raise CharonError(f"charon ({self.name}) was not launched")
        deadline = time.monotonic() + timeout
        last_error = "socket not created yet"
        while time.monotonic() < deadline:
            if self._proc.poll() is not None:
                raise CharonError(
                    f"charon ({self.name}) exited with {self._proc.returncode} during start-up; "
                    f"stderr: {self._tail(self.paths.stderr)}; log: {self._tail(self.paths.log)}"
                )
            try:
                self._session = self._connect()
                self.version = decode(self._session.version()).get("version", "")
                self._check_version()
                return
            except OSError as exc:
                last_error = str(exc)
                time.sleep(0.002)
        raise CharonError(
            f"charon ({self.name}) VICI socket {self.paths.vici_socket} did not answer within "
            f"{timeout} s; last error: {last_error}"
        )

    def _check_version(self) -> None:
        """A build whose root holds another charon than its stamp says is broken: fail with
        both versions instead of grading the wrong release."""
        if self.version != self.build.version:
            raise CharonError(
                f"charon ({self.name}) of gateway build {self.build.build.name} reports "
                f"strongSwan {self.version!r}, but the build is {self.build.version} "
                f"({self.build.package or 'no package version'})"
            )

    def _connect(self) -> vici.Session:
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            sock.connect(str(self.paths.vici_socket))
        except OSError:
            sock.close()
            raise
        return vici.Session(sock)

    @property
    def session(self) -> vici.Session:
        if self._session is None:
            raise CharonError(f"charon ({self.name}) is not running")
        return self._session

    @contextmanager
    def extra_session(self) -> Iterator[vici.Session]:
        """A second VICI connection (for event listeners, which block their connection)."""
        session = self._connect()
        try:
            yield session
        finally:
            session.transport.socket.close()

    def list_sas(self) -> list[dict[str, Any]]:
        """list-sas as plain Python (bytes decoded), one dict per IKE SA name."""
        return [decode(sa) for sa in self.session.list_sas()]

    @property
    def running(self) -> bool:
        return self._proc is not None and self._proc.poll() is None

    def crash(self) -> int | None:
        """SIGKILL charon now, as a crash would end it (no Deletes, no clean-up of its own);
        returns the PID it had. stop() afterwards only reaps what is left."""
        if self._proc is None or self._proc.poll() is not None:
            return None
        self._proc.kill()
        self._proc.wait()
        return self._proc.pid

    def stop(self) -> None:
        """Close VICI, SIGTERM charon, wait, SIGKILL after 3 s."""
        if self._session is not None:
            self._session.transport.socket.close()
            self._session = None
        if self._proc is not None:
            self.lab.stop(self._proc)
            self._proc = None

    @staticmethod
    def _tail(path: Path, lines: int = 5) -> str:
        try:
            return " | ".join(path.read_text(errors="replace").splitlines()[-lines:])
        except FileNotFoundError:
            return "(none)"


def decode(value: Any) -> Any:
    """VICI answers carry bytes: turn them (recursively) into str."""
    if isinstance(value, bytes):
        return value.decode(errors="replace")
    if isinstance(value, dict):
        return {str(k): decode(v) for k, v in value.items()}
    if isinstance(value, list):
        return [decode(v) for v in value]
    return value
