"""WinRM (WS-Management, WinRS shell) with pywinrm's low-level Protocol.

pywinrm's `Session.run_ps` passes the whole script as `powershell -encodedcommand <base64>`
on the command line, which cmd.exe cuts at 8191 characters, and its `get_command_output`
retries operation timeouts forever (windows-driving.md section 9). So this adapter drives
`winrm.protocol.Protocol` itself, one WinRS shell per script (MS-WSMV 3.1.4.1 Create):

1. Create a cmd shell with code page 65001 and no profile (WINRS_CODEPAGE, WINRS_NOPROFILE);
2. Command: the constant bootstrap (bootstrap.command_line), with
   WINRS_CONSOLEMODE_STDIN false so stdin is a pipe (MS-WSMV 3.1.4.11 Command);
3. Send: the script as base64 lines in chunks, End="true" on the last (MS-WSMV 3.1.4.15);
4. Receive until CommandState Done, each with an OperationTimeout no longer than what is
   left of the deadline (MS-WSMV 3.1.4.14; a w:TimedOut fault, code 2150858793, only means
   "no output yet");
5. Signal terminate, required after a text shell command (MS-WSMV 3.1.4.14, 3.1.4.12), and
   Delete the shell (MS-WSMV 3.1.4.2).

On the deadline the command is signalled and the shell deleted before TransportTimeout.
"""

from __future__ import annotations

import logging
import math
from typing import Literal

import requests
from winrm.exceptions import WinRMError, WinRMOperationTimeoutError
from winrm.protocol import Protocol

from infra.windows.script import PsScript
from infra.windows.transports import bootstrap
from infra.windows.transports.base import Deadline, TransportError, TransportResult
from infra.windows.transports.clixml import error_records
from infra.windows.transports.credentials import Credentials
from infra.windows.transports.settings import WsmanSettings

log = logging.getLogger(__name__)

UTF8_CODEPAGE = 65001
_LIBRARY_ERRORS = (WinRMError, requests.exceptions.RequestException, OSError)


class WinrmTransport:
    """pywinrm over HTTPS; a new WinRS shell for every script."""

    name = "winrm"

    def __init__(
        self, host: str, credentials: Credentials, settings: WsmanSettings | None = None
    ) -> None:
        if credentials.password is None:
            raise ValueError("the WinRM transport authenticates with a password")
        self.settings = settings or WsmanSettings()
        self.host = host
        self.target = f"{host}:{self.settings.port}"
        self.endpoint = f"https://{_url_host(host)}:{self.settings.port}/{self.settings.path}"
        self._credentials = credentials
        self._protocol: Protocol | None = None

    def __repr__(self) -> str:
        return f"WinrmTransport({self.endpoint!r}, user={self._credentials.user!r})"

    def _open(self) -> Protocol:
        if self._protocol is None:
            s = self.settings
            validation: Literal["validate", "ignore"] = (
                "validate" if s.validate_certificate else "ignore"
            )
            self._protocol = Protocol(
                endpoint=self.endpoint,
                transport=s.auth,
                username=self._credentials.user,
                password=self._credentials.password,
                server_cert_validation=validation,
                ca_trust_path=s.ca_file if s.ca_file is not None else "legacy_requests",
                read_timeout_sec=s.read_timeout,
                operation_timeout_sec=s.operation_timeout,
                proxy=None,  # lab VMs are on-link on the management network: no proxy
            )
        return self._protocol

    def run(self, script: PsScript, timeout: float) -> TransportResult:
        deadline = Deadline(script, timeout, transport=self.name, target=self.target)
        log.info("running %s over winrm to %s (deadline %.1f s)", script.name, self.target, timeout)
        secrets = self._credentials.secrets()
        protocol = self._open()
        try:
            shell_id = protocol.open_shell(codepage=UTF8_CODEPAGE, noprofile=True)
        except _LIBRARY_ERRORS as exc:
            self.close()
            raise deadline.error("cannot create a WinRS shell", exc, secrets=secrets) from None
        try:
            return self._execute(protocol, shell_id, script, deadline)
        finally:
            try:
                protocol.close_shell(shell_id, close_session=False)
            except _LIBRARY_ERRORS as exc:
                log.warning(
                    "deleting WinRS shell on %s failed: %s", self.target, type(exc).__name__
                )

    def _execute(
        self, protocol: Protocol, shell_id: str, script: PsScript, deadline: Deadline
    ) -> TransportResult:
        secrets = self._credentials.secrets()
        try:
            command_id = protocol.run_command(
                shell_id,
                bootstrap.POWERSHELL,
                bootstrap.powershell_arguments(),
                console_mode_stdin=False,
            )
        except _LIBRARY_ERRORS as exc:
            raise deadline.error("cannot start powershell", exc, secrets=secrets) from None
        stdout: list[bytes] = []
        stderr: list[bytes] = []
        try:
            chunks = bootstrap.payload_chunks(script)
            for index, chunk in enumerate(chunks):
                if deadline.expired():
                    raise deadline.timeout()
                protocol.send_command_input(
                    shell_id, command_id, chunk, end=index == len(chunks) - 1
                )
            exit_code = self._receive(protocol, shell_id, command_id, deadline, stdout, stderr)
        except TransportError:
            self._terminate(protocol, shell_id, command_id)
            raise
        except _LIBRARY_ERRORS as exc:
            self._terminate(protocol, shell_id, command_id)
            raise deadline.error("WinRS exchange failed", exc, secrets=secrets) from None
        self._terminate(protocol, shell_id, command_id)
        out = b"".join(stdout).decode("utf-8", errors="replace")
        err = b"".join(stderr).decode("utf-8", errors="replace")
        duration = deadline.elapsed()
        log.debug(
            "%s over winrm finished: exit %s, %d bytes out, %d bytes err, %.3f s",
            script.name,
            exit_code,
            len(out),
            len(err),
            duration,
        )
        return TransportResult(
            script=script.name,
            transport=self.name,
            stdout=out,
            stderr=err,
            errors=error_records(err),
            exit_code=exit_code,
            duration=duration,
        )

    def _receive(
        self,
        protocol: Protocol,
        shell_id: str,
        command_id: str,
        deadline: Deadline,
        stdout: list[bytes],
        stderr: list[bytes],
    ) -> int:
        settings = self.settings
        while True:
            remaining = deadline.remaining()
            if remaining <= 0:
                raise deadline.timeout(
                    stdout=b"".join(stdout).decode("utf-8", "replace"),
                    stderr=b"".join(stderr).decode("utf-8", "replace"),
                )
            # The server holds a Receive up to OperationTimeout and the HTTP read waits a
            # little longer; neither may outlast the deadline by more than that margin.
            operation = max(1, min(settings.operation_timeout, math.ceil(remaining)))
            protocol.operation_timeout_sec = operation
            protocol.transport.read_timeout_sec = min(settings.read_timeout, operation + 2)
            try:
                out, err, code, done = protocol.get_command_output_raw(shell_id, command_id)
            except WinRMOperationTimeoutError:
                continue
            except requests.exceptions.Timeout:
                if deadline.expired():
                    continue
                raise
            finally:
                protocol.operation_timeout_sec = settings.operation_timeout
                protocol.transport.read_timeout_sec = settings.read_timeout
            stdout.append(out)
            stderr.append(err)
            if done:
                return code

    def _terminate(self, protocol: Protocol, shell_id: str, command_id: str) -> None:
        try:
            protocol.cleanup_command(shell_id, command_id)
        except _LIBRARY_ERRORS as exc:
            log.warning("signalling terminate on %s failed: %s", self.target, type(exc).__name__)

    def close(self) -> None:
        protocol, self._protocol = self._protocol, None
        if protocol is not None:
            protocol.transport.close_session()


def _url_host(host: str) -> str:
    return f"[{host}]" if ":" in host and not host.startswith("[") else host
