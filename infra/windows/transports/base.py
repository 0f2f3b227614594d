"""What every transport returns, the errors it raises, and the deadline it enforces.

A transport runs one `PsScript` on a Windows guest and hands back what the guest printed.
The three implementations (pywinrm, pypsrp, paramiko) differ in how the script travels and
what comes back, so this module fixes the common shape: stdout, stderr and the decoded
error records kept apart, the exit code where the channel has one, and the wall-clock
duration. The deadline is the harness's, not the library's: WinRM retries operation
timeouts forever (pywinrm #157, #274) and SSH has no notion of one, so each transport
checks `Deadline` between the protocol steps it takes and raises `TransportTimeout` naming
the script and the deadline when it passes.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Protocol, runtime_checkable

from infra.errors import LabError
from infra.windows.result import ScriptResult, parse_script_output
from infra.windows.script import PsScript


class TransportError(LabError):
    """The script could not be run or its output not fetched (connection, auth, protocol).

    Messages name the script and the target, never a credential.
    """


class TransportTimeout(TransportError):
    """The harness deadline passed before the script finished; partial output is kept."""

    def __init__(
        self,
        *,
        script: str,
        deadline: float,
        transport: str,
        target: str,
        stdout: str = "",
        stderr: str = "",
    ) -> None:
        super().__init__(
            f"script {script!r} did not finish within its {deadline:.1f} s deadline "
            f"({transport} to {target}); the remote command was told to stop"
        )
        self.script = script
        self.deadline = deadline
        self.transport = transport
        self.target = target
        self.stdout = stdout
        self.stderr = stderr


@dataclass(frozen=True)
class TransportResult:
    """What one script run produced, as the transport saw it.

    `stdout` holds the script's output (for PSRP: the output objects joined with newlines);
    `stderr` is the raw error channel (CLIXML for powershell.exe, rendered records for PSRP);
    `errors` are the error records decoded to text. `exit_code` is the process exit code,
    None where the channel has none (PSRP pipelines).
    """

    script: str
    transport: str
    stdout: str
    stderr: str
    errors: tuple[str, ...]
    exit_code: int | None
    duration: float

    def parse(self) -> ScriptResult:
        """The script's result document (infra.windows.result); errors name the script."""
        return parse_script_output(self.stdout, script=self.script)


@runtime_checkable
class Transport(Protocol):
    """Runs winterop scripts on one Windows guest."""

    name: str
    """'winrm', 'psrp' or 'ssh': appears in results and error messages."""
    target: str
    """host:port, for messages (never credentials)."""

    def run(self, script: PsScript, timeout: float) -> TransportResult:
        """Run SCRIPT, raising TransportTimeout once TIMEOUT seconds have passed."""
        ...

    def close(self) -> None:
        """Release the connection; further runs reconnect."""
        ...


class Deadline:
    """A script's wall-clock deadline on the monotonic clock."""

    def __init__(self, script: PsScript, seconds: float, *, transport: str, target: str) -> None:
        if not seconds > 0:
            raise ValueError(f"a deadline must be positive, got {seconds!r}")
        self.script = script.name
        self.seconds = float(seconds)
        self.transport = transport
        self.target = target
        self.start = time.monotonic()
        self.end = self.start + self.seconds

    def remaining(self) -> float:
        return max(0.0, self.end - time.monotonic())

    def expired(self) -> bool:
        return time.monotonic() >= self.end

    def elapsed(self) -> float:
        return time.monotonic() - self.start

    def timeout(self, *, stdout: str = "", stderr: str = "") -> TransportTimeout:
        """The exception to raise once this deadline has passed."""
        return TransportTimeout(
            script=self.script,
            deadline=self.seconds,
            transport=self.transport,
            target=self.target,
            stdout=stdout,
            stderr=stderr,
        )

    def error(
        self, what: str, exc: BaseException | None = None, *, secrets: tuple[str, ...] = ()
    ) -> TransportError:
        """A TransportError naming the script and target, with EXC's text scrubbed of SECRETS.

        Library exceptions can quote what they were given; every secret the transport holds
        is replaced before the text reaches a message, and the text is cut to a line.
        """
        detail = ""
        if exc is not None:
            text = scrub(str(exc), secrets)
            detail = f" ({type(exc).__name__}: {text})" if text else f" ({type(exc).__name__})"
        return TransportError(
            f"script {self.script!r} over {self.transport} to {self.target}: {what}{detail}"
        )


_MAX_DETAIL = 300


def scrub(text: str, secrets: tuple[str, ...]) -> str:
    """TEXT with every non-empty secret replaced by <redacted>, on one line, bounded."""
    for secret in secrets:
        if secret:
            text = text.replace(secret, "<redacted>")
    text = " ".join(text.split())
    return text if len(text) <= _MAX_DETAIL else text[: _MAX_DETAIL - 3] + "..."
