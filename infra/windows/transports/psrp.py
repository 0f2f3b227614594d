"""PSRP (PowerShell Remoting Protocol over WS-Management) with pypsrp: the main transport.

windows-driving.md section 9 recommends it: the script travels inside a CREATE_PIPELINE
message fragmented to the envelope size (MS-PSRP 2.2.4, 3.1.4.2), so it has no length
limit; output comes back as objects and the error, warning and verbose streams as records
(MS-PSRP 2.2.2.19-2.2.2.25). One RunspacePool per guest is opened on first use and
reused; it is thrown away and reopened after a transport error, since pypsrp cannot reuse
a pool after a read timeout or a dropped shell (pypsrp #21, #22).

The deadline: the pipeline is started with `begin_invoke`, polled with `poll_invoke`
whose WSMan OperationTimeout never exceeds what is left, and stopped with `stop()` (a
PS Ctrl-C signal, MS-PSRP 3.1.4.4) when the deadline passes. Output objects are joined
with newlines, so `parse_script_output` sees the same text a console would print.
"""

from __future__ import annotations

import logging
import math
from typing import Any

import requests
from pypsrp.complex_objects import PSInvocationState
from pypsrp.exceptions import WinRMError
from pypsrp.powershell import PowerShell, RunspacePool
from pypsrp.wsman import WSMan

from infra.windows.script import PsScript
from infra.windows.transports import logsafe
from infra.windows.transports.base import Deadline, TransportError, TransportResult
from infra.windows.transports.credentials import Credentials
from infra.windows.transports.settings import WsmanSettings

log = logging.getLogger(__name__)

_LIBRARY_ERRORS = (WinRMError, requests.exceptions.RequestException, OSError)


class PsrpTransport:
    """pypsrp over HTTPS; one RunspacePool per guest, one pipeline per script."""

    name = "psrp"

    def __init__(
        self, host: str, credentials: Credentials, settings: WsmanSettings | None = None
    ) -> None:
        if credentials.password is None:
            raise ValueError("the PSRP transport authenticates with a password")
        logsafe.install()
        self.settings = settings or WsmanSettings()
        self.host = host
        self.target = f"{host}:{self.settings.port}"
        self._credentials = credentials
        self._pool: RunspacePool | None = None

    def __repr__(self) -> str:
        return f"PsrpTransport({self.target!r}, user={self._credentials.user!r})"

    def _open(self, deadline: Deadline) -> RunspacePool:
        if self._pool is not None:
            return self._pool
        s = self.settings
        cert_validation: bool | str = s.validate_certificate
        if s.validate_certificate and s.ca_file is not None:
            cert_validation = s.ca_file
        wsman = WSMan(
            self.host,
            port=s.port,
            username=self._credentials.user,
            password=self._credentials.password,
            ssl=True,
            path=s.path,
            auth=s.auth,
            cert_validation=cert_validation,  # type: ignore[arg-type]  # a CA path is accepted
            operation_timeout=s.operation_timeout,
            read_timeout=s.read_timeout,
            connection_timeout=max(1, min(s.read_timeout, math.ceil(deadline.remaining()))),
            no_proxy=True,  # lab VMs are on-link on the management network: no proxy
        )
        pool = RunspacePool(wsman, no_profile=True)
        try:
            pool.open()
        except _LIBRARY_ERRORS as exc:
            raise deadline.error(
                "cannot open a RunspacePool", exc, secrets=self._credentials.secrets()
            ) from None
        self._pool = pool
        return pool

    def run(self, script: PsScript, timeout: float) -> TransportResult:
        deadline = Deadline(script, timeout, transport=self.name, target=self.target)
        log.info("running %s over psrp to %s (deadline %.1f s)", script.name, self.target, timeout)
        pool = self._open(deadline)
        shell = PowerShell(pool)
        shell.add_script(script.text)
        try:
            shell.begin_invoke()
            while shell.state == PSInvocationState.RUNNING:
                remaining = deadline.remaining()
                if remaining <= 0:
                    self._stop(shell)
                    raise deadline.timeout(stdout=_join(shell.output), stderr=_streams(shell))
                operation = max(1, min(self.settings.operation_timeout, math.ceil(remaining)))
                shell.poll_invoke(timeout=operation)
        except TransportError:
            raise
        except _LIBRARY_ERRORS as exc:
            self._discard()
            raise deadline.error(
                "PSRP exchange failed", exc, secrets=self._credentials.secrets()
            ) from None
        try:
            shell.close()
        except _LIBRARY_ERRORS as exc:
            log.warning("closing the pipeline on %s failed: %s", self.target, type(exc).__name__)
        errors = tuple(str(e) for e in shell.streams.error)
        duration = deadline.elapsed()
        log.debug(
            "%s over psrp finished: state %s, %d output objects, %d errors, %.3f s",
            script.name,
            shell.state,
            len(shell.output),
            len(errors),
            duration,
        )
        return TransportResult(
            script=script.name,
            transport=self.name,
            stdout=_join(shell.output),
            stderr=_streams(shell),
            errors=errors,
            exit_code=None,
            duration=duration,
        )

    def _stop(self, shell: PowerShell) -> None:
        try:
            shell.stop()
        except _LIBRARY_ERRORS as exc:
            log.warning("stopping the pipeline on %s failed: %s", self.target, type(exc).__name__)
            self._discard()

    def _discard(self) -> None:
        """Forget the pool after a transport error (pypsrp #21/#22); reopened on next run."""
        self._pool = None

    def close(self) -> None:
        pool, self._pool = self._pool, None
        if pool is not None:
            try:
                pool.close()
            except _LIBRARY_ERRORS as exc:
                log.warning(
                    "closing the RunspacePool on %s failed: %s", self.target, type(exc).__name__
                )


def _join(output: list[Any]) -> str:
    """Output objects as console text: one line per object (strings as they are)."""
    return "\n".join("" if item is None else str(item) for item in output)


def _streams(shell: PowerShell) -> str:
    """The non-output streams as a console shows them: one prefixed line per record."""
    lines: list[str] = []
    for label, records in (
        ("ERROR", shell.streams.error),
        ("WARNING", shell.streams.warning),
        ("VERBOSE", shell.streams.verbose),
        ("DEBUG", shell.streams.debug),
    ):
        lines.extend(f"{label}: {record}" for record in records)
    return "\n".join(lines)
