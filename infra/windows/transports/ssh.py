"""PowerShell over OpenSSH with paramiko: the transport for sessions that need a user's logon.

Windows OpenSSH logs a password-authenticated user on with credentials, so DPAPI works in
the session: the way to import a PFX into that user's CurrentUser\\My (windows-driving.md
section 2; Ansible windows_ssh.rst: delegation with password auth, not with keys). The
command is the constant bootstrap of `bootstrap.command_line()`, run by whatever
DefaultShell the server has (cmd.exe or powershell.exe, HKLM:\\SOFTWARE\\OpenSSH); the
script follows on stdin, and EOF (SSH_MSG_CHANNEL_EOF, RFC 4254 section 5.3) ends it.

The deadline: reads wait at most until the deadline; when it passes the channel is closed
(RFC 4254 section 5.3 CHANNEL_CLOSE), which ends the session's pipes on the server, and
TransportTimeout is raised. Host keys are checked against `known_hosts` and unknown hosts
are refused: a lab that reinstalls a VM must update its known_hosts, not switch checking off.
"""

from __future__ import annotations

import logging
import select
import socket
from collections.abc import Callable

import paramiko  # type: ignore[import-untyped]

from infra.windows.script import PsScript
from infra.windows.transports import bootstrap
from infra.windows.transports.base import Deadline, TransportResult
from infra.windows.transports.clixml import error_records
from infra.windows.transports.credentials import Credentials
from infra.windows.transports.settings import SshSettings

log = logging.getLogger(__name__)

SocketFactory = Callable[[], socket.socket]
_READ = 65536


class SshTransport:
    """One SSH connection to a guest; each script runs in its own session channel."""

    name = "ssh"

    def __init__(
        self,
        host: str,
        credentials: Credentials,
        settings: SshSettings | None = None,
        *,
        sock_factory: SocketFactory | None = None,
    ) -> None:
        """`sock_factory`, when given, makes the connected socket paramiko runs over (a
        jump host, or a socket opened inside a network namespace)."""
        self.settings = settings or SshSettings()
        self.host = host
        self.target = f"{host}:{self.settings.port}"
        self._credentials = credentials
        self._sock_factory = sock_factory
        self._client: paramiko.SSHClient | None = None

    def __repr__(self) -> str:
        return f"SshTransport({self.target!r}, user={self._credentials.user!r})"

    def _connect(self, deadline: Deadline) -> paramiko.SSHClient:
        client = self._client
        if client is not None:
            transport = client.get_transport()
            if transport is not None and transport.is_active():
                return client
            self.close()
        client = paramiko.SSHClient()
        if self.settings.known_hosts is not None:
            client.load_host_keys(self.settings.known_hosts)
        else:
            client.load_system_host_keys()
        client.set_missing_host_key_policy(paramiko.RejectPolicy())
        timeout = max(0.5, min(self.settings.connect_timeout, deadline.remaining()))
        creds = self._credentials
        try:
            client.connect(
                self.host,
                port=self.settings.port,
                username=creds.user,
                password=creds.password,
                key_filename=creds.key_file,
                look_for_keys=False,
                allow_agent=False,
                timeout=timeout,
                banner_timeout=timeout,
                auth_timeout=timeout,
                channel_timeout=timeout,
                sock=self._sock_factory() if self._sock_factory is not None else None,
            )
        except paramiko.AuthenticationException as exc:
            client.close()
            raise deadline.error("authentication failed", exc, secrets=creds.secrets()) from None
        except paramiko.BadHostKeyException as exc:
            client.close()
            raise deadline.error("host key does not match known_hosts", exc) from None
        except paramiko.SSHException as exc:
            client.close()
            raise deadline.error("SSH connection failed", exc, secrets=creds.secrets()) from None
        except OSError as exc:
            client.close()
            raise deadline.error("cannot connect", exc) from None
        transport = client.get_transport()
        if transport is not None:
            transport.set_keepalive(self.settings.keepalive)
        self._client = client
        return client

    def run(self, script: PsScript, timeout: float) -> TransportResult:
        deadline = Deadline(script, timeout, transport=self.name, target=self.target)
        log.info("running %s over ssh to %s (deadline %.1f s)", script.name, self.target, timeout)
        client = self._connect(deadline)
        transport = client.get_transport()
        if transport is None:  # pragma: no cover - connect() guarantees a transport
            raise deadline.error("no SSH transport after connect")
        try:
            channel = transport.open_session(timeout=max(0.5, deadline.remaining()))
        except (paramiko.SSHException, OSError) as exc:
            self.close()
            raise deadline.error("cannot open a session channel", exc) from None
        try:
            return self._exchange(channel, script, deadline)
        finally:
            channel.close()

    def _exchange(
        self, channel: paramiko.Channel, script: PsScript, deadline: Deadline
    ) -> TransportResult:
        stdout = bytearray()
        stderr = bytearray()
        try:
            channel.exec_command(bootstrap.command_line())
            channel.settimeout(max(0.1, deadline.remaining()))
            channel.sendall(b"".join(bootstrap.payload_chunks(script)))
            channel.shutdown_write()
        except TimeoutError:
            raise deadline.timeout() from None
        except (paramiko.SSHException, OSError) as exc:
            raise deadline.error("sending the script failed", exc) from None
        while True:
            while channel.recv_ready():
                stdout += channel.recv(_READ)
            while channel.recv_stderr_ready():
                stderr += channel.recv_stderr(_READ)
            if (
                channel.exit_status_ready()
                and not channel.recv_ready()
                and not channel.recv_stderr_ready()
            ):
                break
            if channel.eof_received and channel.closed:
                break
            remaining = deadline.remaining()
            if remaining <= 0:
                raise deadline.timeout(stdout=_text(stdout), stderr=_text(stderr))
            select.select([channel], [], [], min(remaining, 1.0))
        exit_code = channel.recv_exit_status() if channel.exit_status_ready() else None
        # Output sent just before the exit status may still be buffered.
        while channel.recv_ready():
            stdout += channel.recv(_READ)
        while channel.recv_stderr_ready():
            stderr += channel.recv_stderr(_READ)
        err_text = _text(stderr)
        duration = deadline.elapsed()
        log.debug(
            "%s over ssh finished: exit %s, %d bytes out, %d bytes err, %.3f s",
            script.name,
            exit_code,
            len(stdout),
            len(stderr),
            duration,
        )
        return TransportResult(
            script=script.name,
            transport=self.name,
            stdout=_text(stdout),
            stderr=err_text,
            errors=error_records(err_text),
            exit_code=exit_code if exit_code is None or exit_code >= 0 else None,
            duration=duration,
        )

    def close(self) -> None:
        client, self._client = self._client, None
        if client is not None:
            client.close()


def _text(data: bytes | bytearray) -> str:
    """Decode channel bytes; the result document is ASCII, stderr may be the OEM code page."""
    return bytes(data).decode("utf-8", errors="replace")
