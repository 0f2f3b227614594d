"""The SSH transport against a real OpenSSH server in a lab namespace.

sshd runs with a generated host key; the client authenticates with a generated key; the
server's `powershell` is the stand-in in tests/windows/standin (it runs the bootstrap's
stdin plumbing and echoes a digest of the script instead of running PowerShell). What is
real here: SSH transport, host-key checking, public-key auth, the command line, stdin
delivery of the script, stderr and exit status, the harness deadline and channel close.
"""

from __future__ import annotations

import hashlib
import logging
import os
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from infra.proc import run
from infra.windows.script import Param, PsScript, build_script
from infra.windows.transports import bootstrap
from infra.windows.transports.base import TransportError, TransportTimeout
from infra.windows.transports.credentials import Credentials
from infra.windows.transports.settings import SshSettings
from infra.windows.transports.ssh import SshTransport
from tests.windows.sshd_lab import SshdLab, start_sshd

pytestmark = [
    pytest.mark.root,
    pytest.mark.skipif(os.geteuid() != 0, reason="sshd in a network namespace needs root"),
    pytest.mark.skipif(not Path("/usr/sbin/sshd").exists(), reason="openssh-server missing"),
]


@pytest.fixture(scope="module")
def sshd() -> Iterator[SshdLab]:
    lab = start_sshd(os.environ.get("PYTEST_XDIST_WORKER", "main"))
    try:
        yield lab
    finally:
        lab.down()


def transport(sshd: SshdLab, **overrides: object) -> SshTransport:
    creds = overrides.pop("credentials", Credentials("root", key_file=str(sshd.client_key)))
    settings = overrides.pop(
        "settings", SshSettings(port=sshd.port, known_hosts=str(sshd.known_hosts))
    )
    assert not overrides
    return SshTransport(sshd.host, creds, settings, sock_factory=sshd.socket)  # type: ignore[arg-type]


def probe(name: str = "stand-in-probe", **values: int | str) -> PsScript:
    return build_script(
        name,
        "the stand-in's echo of the script",
        [Param(k, v) for k, v in values.items()],
        "$WinteropData = $true",
    )


def digest(script: PsScript) -> str:
    return hashlib.sha256(script.text.encode()).hexdigest()


def test_script_runs_with_public_key_auth(sshd: SshdLab) -> None:
    t = transport(sshd)
    try:
        script = probe(Answer=42)
        result = t.run(script, 15)
    finally:
        t.close()
    data = result.parse().unwrap()
    assert isinstance(data, dict)
    assert data["script"] == "stand-in-probe"
    assert data["sha256"] == digest(script)
    assert data["user"] == "root"
    assert data["params"] == {"Answer": 42}
    assert (result.transport, result.exit_code, result.stderr, result.errors) == ("ssh", 0, "", ())
    assert 0 < result.duration < 15


def test_long_script_travels_on_stdin_not_the_command_line(sshd: SshdLab) -> None:
    """A 300 000-character value: 36 times cmd.exe's limit, arrives intact."""
    big = "".join(chr(0x41 + i % 26) for i in range(300_000)) + " caf\u00e9 'quoted' $(x)"
    script = probe("stand-in-long", Blob=big)
    assert len(bootstrap.command_line()) < bootstrap.CMD_EXE_LIMIT < len(script.text)
    t = transport(sshd)
    try:
        data = t.run(script, 30).parse().unwrap()
    finally:
        t.close()
    assert isinstance(data, dict)
    assert data["sha256"] == digest(script)
    assert data["chars"] == len(script.text)


def test_stderr_records_and_exit_code_are_kept(sshd: SshdLab) -> None:
    t = transport(sshd)
    try:
        result = t.run(probe(StandInStderr="first line\nsecond line", StandInExitCode=3), 15)
    finally:
        t.close()
    assert result.stderr.startswith("#< CLIXML")
    assert result.errors == ("first line\nsecond line",)
    assert result.exit_code == 3
    assert result.parse().ok


def _standins(sshd: SshdLab) -> list[int]:
    found = []
    for pid in sshd.session_pids():
        try:
            cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
        except FileNotFoundError:
            continue
        if b"powershell" in cmdline:
            found.append(pid)
    return found


def test_deadline_stops_a_script_and_the_connection_stays_usable(sshd: SshdLab) -> None:
    t = transport(sshd)
    try:
        start = time.monotonic()
        with pytest.raises(TransportTimeout) as caught:
            t.run(probe("stand-in-sleep", StandInSleepSeconds=60), 1.5)
        elapsed = time.monotonic() - start
        assert 1.5 <= elapsed < 4.0
        assert caught.value.script == "stand-in-sleep"
        assert caught.value.deadline == 1.5
        assert "'stand-in-sleep'" in str(caught.value) and "1.5 s deadline" in str(caught.value)
        # The closed channel ends the remote command (its next write to stderr fails).
        end = time.monotonic() + 5
        while _standins(sshd) and time.monotonic() < end:
            time.sleep(0.1)
        assert _standins(sshd) == []
        assert t.run(probe(After=1), 15).parse().ok
    finally:
        t.close()


def test_unknown_host_key_is_refused(sshd: SshdLab, tmp_path: Path) -> None:
    empty = tmp_path / "known_hosts"
    empty.write_text("")
    t = transport(sshd, settings=SshSettings(port=sshd.port, known_hosts=str(empty)))
    with pytest.raises(TransportError, match="SSH connection failed"):
        t.run(probe(), 10)


def test_changed_host_key_is_refused(sshd: SshdLab, tmp_path: Path) -> None:
    run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(tmp_path / "other")])
    kind, key = (tmp_path / "other.pub").read_text().split()[:2]
    known = tmp_path / "known_hosts"
    known.write_text(f"[{sshd.host}]:{sshd.port} {kind} {key}\n")
    t = transport(sshd, settings=SshSettings(port=sshd.port, known_hosts=str(known)))
    with pytest.raises(TransportError, match="host key does not match"):
        t.run(probe(), 10)


def test_unauthorised_key_fails_authentication(sshd: SshdLab, tmp_path: Path) -> None:
    run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(tmp_path / "stranger")])
    t = transport(sshd, credentials=Credentials("root", key_file=str(tmp_path / "stranger")))
    with pytest.raises(TransportError, match="authentication failed"):
        t.run(probe(), 10)


def test_rejected_password_is_not_in_the_error(sshd: SshdLab) -> None:
    secret = "pw-" + os.urandom(8).hex()
    t = transport(sshd, credentials=Credentials("root", password=secret))
    with pytest.raises(TransportError) as caught:
        t.run(probe(), 10)
    assert secret not in str(caught.value)
    assert secret not in repr(t)


def test_ssh_logs_no_secret(sshd: SshdLab, caplog: pytest.LogCaptureFixture) -> None:
    """paramiko and the transport log at DEBUG; neither the script's secret value appears."""
    secret = "eap-" + os.urandom(8).hex()
    script = build_script(
        "rasdial-connect", "x", [Param("Password", secret, secret=True)], "$WinteropData = 1"
    )
    caplog.set_level(logging.DEBUG)
    t = transport(sshd)
    try:
        assert t.run(script, 15).parse().ok
    finally:
        t.close()
    assert any(r.name.startswith("paramiko") for r in caplog.records)
    assert secret not in caplog.text
    assert all(secret not in r.getMessage() for r in caplog.records)
