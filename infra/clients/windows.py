"""The `windows` client kind: a real Windows 10/11 VM driven by winterop's PowerShell scripts.

Every operation of the WindowsClient protocol is one script from infra.windows.scripts, run
over a transport (infra.windows.transports), and judged from the one JSON document it
prints. Outcomes are reported the way the other kinds report them: `connect()` returns a
ConnectOutcome carrying the Windows error number from infra.clients.windows_errors (the
number rasdial reported: RAS 6xx-8xx or IPsec 13xxx), so a suite's
`assert_failed_with(outcome, 13801)` reads the same for a VM, the emulator and the
reference client. A script that fails to run (ok: false) is a harness failure and raises;
a VPN that fails to come up is a result and does not.
"""

from __future__ import annotations

import dataclasses
import json
import logging
import math
import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.serialization import PrivateFormat, pkcs12

from infra.auth_cases import AuthCase
from infra.clients.ping import PingStream
from infra.clients.protocol import (
    ClientKind,
    ClientState,
    CmdletRefused,
    ConnectOutcome,
    Credentials,
    IPsecConfiguration,
    NotSupportedByClient,
    VpnProfile,
)
from infra.clients.windows_errors import windows_error
from infra.errors import LabError
from infra.pki.material import PkiMaterial
from infra.windows import rasdial
from infra.windows.inventory import Timeouts
from infra.windows.result import JsonValue, ScriptFailedError, ScriptOutputError, ScriptResult
from infra.windows.script import PsScript
from infra.windows.scripts import (
    certificates,
    dial,
    ipsec,
    logs,
    profile,
    reach,
    registry,
    routes,
    state,
)
from infra.windows.scripts.eap import EapMsChapV2, EapTls
from infra.windows.transports.base import Transport

log = logging.getLogger(__name__)

# rasdial_connect runs each method with the dial timeout; the scheduled-task method waits up
# to 30 s more for its result file (scripts/_dial_methods.py), the rest is start-up slack.
_PER_METHOD_SLACK = 35.0
_EAP_CASES = (AuthCase.EAP_TLS, AuthCase.EAP_MSCHAPV2)
_LINK_LOCAL = ("fe80:", "169.254.")


class WindowsHarnessError(LabError):
    """The VM could not do what the harness asked (not a VPN result): e.g. no dial ran."""


@dataclass(frozen=True)
class TranscriptEntry:
    """One script run, for client.log: name, transport, verdict, duration, error text."""

    script: str
    transport: str
    ok: bool
    seconds: float
    note: str = ""


@dataclass
class _Installed:
    """What the client put on the VM, so a reused (non-disposable) VM can be cleaned."""

    certificates: list[tuple[str, certificates.CertStore, certificates.StoreLocation]] = field(
        default_factory=list
    )
    profiles: list[str] = field(default_factory=list)
    registry_values: list[str] = field(default_factory=list)


def pfx_bytes(credential: PkiMaterial, password: str) -> bytes:
    """CREDENTIAL as PKCS#12, encrypted the way every Windows 10/11 build imports.

    PBES1 SHA1/3DES with a SHA-1 MAC is `openssl pkcs12 -legacy`: OpenSSL 3's default
    AES-256/PBES2 is readable only from Windows 10 1809 on (windows-driving.md section 2);
    the file lives seconds on the guest and is deleted by the import script.
    """
    encryption = (
        PrivateFormat.PKCS12.encryption_builder()
        .kdf_rounds(2048)
        .key_cert_algorithm(pkcs12.PBES.PBESv1SHA1And3KeyTripleDESCBC)
        .hmac_hash(hashes.SHA1())
        .build(password.encode())
    )
    return pkcs12.serialize_key_and_certificates(
        credential.name.encode(),
        credential.private_key(),
        credential.cert,
        None,
        encryption,
    )


def thumbprint(certificate: x509.Certificate) -> str:
    """The SHA-1 thumbprint Windows shows (upper-case hex)."""
    return certificate.fingerprint(hashes.SHA1()).hex().upper()


def map_connect(outcome: rasdial.ConnectOutcome, seconds: float) -> ConnectOutcome:
    """The protocol's ConnectOutcome for what rasdial_connect found.

    The profile's ConnectionStatus decides whether the VPN is up when the script could read
    it (windows-driving.md 4.1: one report has rasdial exit non-zero after success; trust
    the status); otherwise RAS error 0 does. The error is the RAS/IPsec number of the last
    attempt that ran, looked up in the shared table.
    """
    ran = [a for a in outcome.attempts if a.harness_error is None]
    if not ran:
        failures = "; ".join(f"{a.method}: {a.harness_error}" for a in outcome.attempts)
        raise WindowsHarnessError(f"no dial method could run on the VM: {failures}")
    decisive = ran[-1]
    status = outcome.connection_status
    connected = status == "Connected" if status is not None else outcome.ras_error == 0
    code = outcome.ras_error
    error = None
    if not connected and code is not None and code != rasdial.ERROR_SUCCESS:
        error = windows_error(code)
    tried = ", ".join(
        f"{a.method}={'harness error' if a.harness_error else a.outcome.ras_error}"
        for a in outcome.attempts
    )
    timed_out = " (rasdial timed out)" if decisive.outcome.timed_out else ""
    detail = (
        f"{decisive.method}: {decisive.outcome.message or '(no output)'}{timed_out}; "
        f"attempts: {tried}; profile status: {status or 'unknown'}"
    )
    return ConnectOutcome(connected=connected, error=error, detail=detail, seconds=seconds)


class WindowsVmClient:
    """WindowsClient for one Windows VM, driven through a Transport.

    `user_transport` is a session logged on as `test_user` with a password (SSH), needed
    only for the user's certificate store. `disposable=False` marks a VM that outlives the
    test (a static VM from the inventory): `close()` then removes what the client added.
    `on_close` releases the VM (the lease) after the transports are closed.
    """

    kind = ClientKind.WINDOWS

    def __init__(
        self,
        transport: Transport,
        *,
        profile: str,
        user_transport: Transport | None = None,
        test_user: str | None = None,
        timeouts: Timeouts | None = None,
        disposable: bool = True,
        on_close: Callable[[], None] | None = None,
        now: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self.profile = profile
        self.transport = transport
        self.user_transport = user_transport
        self.test_user = test_user
        self.timeouts = timeouts or Timeouts()
        self.disposable = disposable
        self.transcript: list[TranscriptEntry] = []
        self._on_close = on_close
        self._now = now
        self._started = now()
        self._profiles: dict[str, VpnProfile] = {}
        self._installed = _Installed()

    # --- running scripts ------------------------------------------------------------------

    def _run(
        self, script: PsScript, *, timeout: float | None = None, via: Transport | None = None
    ) -> ScriptResult:
        transport = via or self.transport
        result = transport.run(script, timeout or self.timeouts.script)
        try:
            parsed = result.parse()
        except ScriptOutputError as exc:
            self.transcript.append(
                TranscriptEntry(script.name, transport.name, False, result.duration, str(exc))
            )
            raise
        note = "" if parsed.ok or parsed.error is None else parsed.error.message
        if result.errors:
            note = (note + " | stderr: " + " / ".join(result.errors)).strip(" |")
        self.transcript.append(
            TranscriptEntry(script.name, transport.name, parsed.ok, result.duration, note)
        )
        return parsed

    def _data(
        self, script: PsScript, *, timeout: float | None = None, via: Transport | None = None
    ) -> dict[str, JsonValue]:
        data = self._run(script, timeout=timeout, via=via).unwrap()
        if not isinstance(data, dict):
            raise ScriptOutputError(f"script {script.name!r}: data is not an object: {data!r}")
        return data

    # --- certificates ---------------------------------------------------------------------

    def install_root_ca(self, ca: PkiMaterial) -> None:
        data = self._data(certificates.import_certificate(ca.cert_der(), store="Root"))
        self._installed.certificates.append((thumbprint(ca.cert), "Root", "LocalMachine"))
        log.info("installed CA %s in LocalMachine\\Root: %s", ca.name, data.get("certificates"))

    def install_machine_certificate(self, credential: PkiMaterial) -> None:
        password = secrets.token_urlsafe(24)
        script = certificates.import_pfx_certificate(
            pfx_bytes(credential, password), password, target="machine"
        )
        self._check_thumbprint(self._data(script), credential)
        self._installed.certificates.append((thumbprint(credential.cert), "My", "LocalMachine"))

    def install_user_certificate(self, credential: PkiMaterial) -> None:
        if self.user_transport is None or self.test_user is None:
            raise NotSupportedByClient(
                self.kind,
                "install_user_certificate",
                "CurrentUser\\My of the test user needs a session logged on as that user "
                "with a password (inventory: credentials.test_user and transport.user_kind: "
                "ssh); over WinRM the import lands in the wrong store (windows-driving.md s.2)",
            )
        password = secrets.token_urlsafe(24)
        script = certificates.import_pfx_certificate(
            pfx_bytes(credential, password), password, target="user", user=self.test_user
        )
        self._check_thumbprint(self._data(script, via=self.user_transport), credential)
        self._installed.certificates.append((thumbprint(credential.cert), "My", "CurrentUser"))

    def _check_thumbprint(self, data: dict[str, JsonValue], credential: PkiMaterial) -> None:
        expected = thumbprint(credential.cert)
        if data.get("thumbprint") != expected:
            raise WindowsHarnessError(
                f"imported {credential.name} but the guest reports the key on "
                f"{data.get('thumbprint')!r}, not {expected}"
            )

    # --- profile, policy, registry --------------------------------------------------------

    def add_vpn_connection(self, profile_: VpnProfile) -> None:
        if profile_.auth is AuthCase.MACHINE_CERT:
            method: profile.AuthenticationMethod = "MachineCertificate"
            eap: EapTls | EapMsChapV2 | None = None
        elif profile_.auth is AuthCase.EAP_TLS:
            method, eap = "Eap", EapTls(user_certificate=True)
        else:
            method, eap = "Eap", EapMsChapV2()
        script = profile.add_vpn_connection(
            profile_.name,
            profile_.server_address,
            authentication_method=method,
            eap=eap,
            encryption_level=profile_.encryption_level.value,
            split_tunneling=profile_.split_tunneling,
            remember_credential=profile_.remember_credential,
            all_user_connection=True,
        )
        self._data(script)
        self._profiles[profile_.name] = profile_
        if profile_.name not in self._installed.profiles:
            self._installed.profiles.append(profile_.name)

    def set_ipsec_configuration(self, name: str, config: IPsecConfiguration | None) -> None:
        policy = None
        if config is not None:
            # The protocol's six values carry the cmdlet's parameter names, as IpsecPolicy does.
            policy = ipsec.IpsecPolicy(**dataclasses.asdict(config))
        data = self._data(ipsec.set_vpn_ipsec_configuration(name, policy))
        applied = data.get("policy")
        if policy is not None and isinstance(applied, dict):
            differs = {
                k: v
                for k, v in applied.items()
                if getattr(policy, k, v) != v and v not in ("", None)
            }
            if differs:
                self.transcript.append(
                    TranscriptEntry(
                        "set-vpn-ipsec-configuration",
                        self.transport.name,
                        True,
                        0.0,
                        f"Windows read back different values: {differs}",
                    )
                )

    def add_vpn_connection_route(self, name: str, prefix: str) -> None:
        """Add-VpnConnectionRoute on the VM; Windows' own refusal becomes CmdletRefused."""
        try:
            self._data(routes.add_vpn_connection_route(name, prefix))
        except ScriptFailedError as exc:
            raise CmdletRefused("Add-VpnConnectionRoute", exc.error.message) from exc

    def set_registry_value(self, name: str, value: int) -> None:
        if name == registry.NEGOTIATE_DH2048_AES256:
            script = registry.set_negotiate_dh2048_aes256(value)
        else:
            script = registry.set_registry_dword(
                registry.RASMAN_PARAMETERS, name, value, restart_services=registry.DH2048_RESTART
            )
        self._data(script, timeout=self.timeouts.script + 60)
        if name not in self._installed.registry_values:
            self._installed.registry_values.append(name)

    # --- dialling ---------------------------------------------------------------------------

    def connect(
        self, name: str, credentials: Credentials | None = None, *, timeout: float = 30.0
    ) -> ConnectOutcome:
        known = self._profiles.get(name)
        interactive = None
        if known is not None and known.auth in _EAP_CASES:
            interactive = self.test_user
        ras_credentials = None
        if credentials is not None:
            user = credentials.user
            if credentials.domain:
                user = f"{credentials.domain}\\{user}"
            ras_credentials = dial.RasCredentials(user=user, password=credentials.password)
        seconds = max(1, math.ceil(timeout))
        script = dial.rasdial_connect(
            name,
            credentials=ras_credentials,
            timeout_seconds=seconds,
            interactive_user=interactive,
        )
        methods = 3 if interactive else 2
        deadline = methods * (seconds + _PER_METHOD_SLACK) + self.timeouts.script
        result = self.transport.run(script, deadline)
        parsed = result.parse()
        self.transcript.append(
            TranscriptEntry(script.name, self.transport.name, parsed.ok, result.duration)
        )
        outcome = rasdial.parse_connect_result(parsed)
        spent = sum(a.seconds or 0.0 for a in outcome.attempts) or result.duration
        mapped = map_connect(outcome, spent)
        self.transcript[-1] = TranscriptEntry(
            script.name, self.transport.name, parsed.ok, result.duration, mapped.describe()
        )
        log.info("connect %s on %s: %s", name, self.transport.target, mapped.describe())
        return mapped

    def disconnect(self, name: str) -> None:
        self._data(dial.rasdial_disconnect(name))

    def state(self, name: str) -> ClientState:
        data = self._data(state.vpn_state(name))
        connection = data.get("connection")
        connected = (
            isinstance(connection, dict) and connection.get("connection_status") == "Connected"
        )
        addresses = data.get("addresses") or []
        dns = data.get("dns_servers") or []
        assert isinstance(addresses, list) and isinstance(dns, list)
        ips = tuple(
            str(a["ip_address"])
            for a in addresses
            if isinstance(a, dict) and not str(a.get("ip_address", "")).startswith(_LINK_LOCAL)
        )
        servers = tuple(str(d["address"]) for d in dns if isinstance(d, dict))
        routes = data.get("routes") or []
        assert isinstance(routes, list)
        prefixes = tuple(
            str(r["destination_prefix"])
            for r in routes
            if isinstance(r, dict) and r.get("destination_prefix")
        )
        return ClientState(
            connected=connected,
            virtual_ips=ips,
            dns_servers=servers,
            routes=prefixes if connected else None,
        )

    def reach(self, address: str, *, timeout: float = 2.0) -> bool:
        count = max(1, min(10, int(timeout)))
        data = self._data(
            reach.reachability(address, count=count), timeout=timeout + self.timeouts.script
        )
        return data.get("reachable") is True

    def pings(self, address: str, *, interval: float) -> PingStream:
        """Needs a ping running on the VM while the suite waits (a PowerShell job polled
        over the transport); the driver runs scripts one at a time, so the SA lifecycle
        suites measure loss on the emulated and reference kinds only."""
        raise NotSupportedByClient(
            self.kind, "pings", "the VM driver runs one script at a time; no background ping"
        )

    # --- evidence and teardown ------------------------------------------------------------

    def collect_logs(self, directory: Path) -> list[Path]:
        directory.mkdir(parents=True, exist_ok=True)
        written = []
        evidence: dict[str, JsonValue] | None = None
        failure = ""
        try:
            since = self._started - timedelta(minutes=1)
            evidence = self._data(logs.collect_logs(since))
        except Exception as exc:  # evidence of a broken VM is still worth the transcript
            failure = f"collect-logs failed: {type(exc).__name__}: {exc}"
        if evidence is not None:
            target = directory / "windows-logs.json"
            target.write_text(json.dumps(evidence, indent=2, sort_keys=True))
            written.append(target)
        client_log = directory / "client.log"
        client_log.write_text(self._client_log(evidence, failure))
        written.append(client_log)
        return written

    def _client_log(self, evidence: dict[str, JsonValue] | None, failure: str) -> str:
        lines = [
            f"windows client {self.profile} via {self.transport.name} {self.transport.target}",
            "",
            "scripts run:",
        ]
        for entry in self.transcript:
            verdict = "ok" if entry.ok else "FAILED"
            note = f" - {entry.note}" if entry.note else ""
            lines.append(
                f"  {entry.script} [{entry.transport}] {verdict} {entry.seconds:.2f}s{note}"
            )
        if failure:
            lines += ["", failure]
        if evidence is not None:
            for key, title in (
                ("rasclient_events", "RasClient events"),
                ("ipsec_events", "IPsec audit events"),
            ):
                events = evidence.get(key)
                lines += ["", f"{title}:"]
                for event in events if isinstance(events, list) else []:
                    if isinstance(event, dict):
                        message = (
                            str(event.get("message", "")).replace("\r\n", " ").replace("\n", " ")
                        )
                        lines.append(f"  {event.get('time_utc')} {event.get('id')}: {message}")
            for key in ("rasdial", "route_print", "ipconfig_all"):
                lines += ["", f"{key}:", str(evidence.get(key) or "").rstrip()]
            errors = evidence.get("errors")
            if errors:
                lines += ["", f"collection errors: {errors}"]
        return "\n".join(lines) + "\n"

    def close(self) -> None:
        problems: list[str] = []
        try:
            if not self.disposable:
                problems = self._clean()
        finally:
            for transport in (self.transport, self.user_transport):
                if transport is not None:
                    transport.close()
            if self._on_close is not None:
                self._on_close()
        if problems:
            raise WindowsHarnessError("cleaning the VM failed: " + "; ".join(problems))

    def _clean(self) -> list[str]:
        """Undo what this client added to a VM that is not thrown away."""
        problems = []
        steps: list[tuple[PsScript, Transport | None]] = []
        for name in reversed(self._installed.profiles):
            steps.append((profile.remove_vpn_connection(name), None))
        for name in self._installed.registry_values:
            if name == registry.NEGOTIATE_DH2048_AES256:
                steps.append((registry.set_negotiate_dh2048_aes256(None), None))
            else:
                steps.append(
                    (
                        registry.set_registry_dword(
                            registry.RASMAN_PARAMETERS,
                            name,
                            None,
                            restart_services=registry.DH2048_RESTART,
                        ),
                        None,
                    )
                )
        for print_, store, location in reversed(self._installed.certificates):
            via = self.user_transport if location == "CurrentUser" else None
            steps.append(
                (certificates.remove_certificate(print_, store=store, location=location), via)
            )
        for script, via in steps:
            try:
                self._data(script, via=via)
            except Exception as exc:
                problems.append(f"{script.name}: {exc}")
        return problems
