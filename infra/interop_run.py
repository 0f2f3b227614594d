"""One interop attempt: lab + gateway + capture + client, wired together, with its evidence.

The pytest fixtures stay thin: they create an InteropRun for a cell, and its `close()`
writes the evidence (capture.pcap, ikev2_decryption_table, gateway.log, client.log) before
the lab, and with it every file and process, is removed.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from infra.auth_cases import AuthCase
from infra.capture.decode import ESP_TABLE, decode_capture
from infra.capture.esp_keys import write_esp_table
from infra.capture.facts import CaptureFacts
from infra.capture.keys import write_decryption_table
from infra.capture.tcpdump import Capture
from infra.cell import Cell
from infra.client_setup import ClientSetup, UserCertificate, client_setup
from infra.clients.protocol import (
    ClientKind,
    ConnectOutcome,
    Credentials,
    VpnProfile,
    WindowsClient,
)
from infra.gateway.builds import BuildStatus, by_version, status
from infra.gateway.gateway import Gateway
from infra.gateway.presets import PRESETS
from infra.gateway.spec import EapSecret, GatewaySpec
from infra.lab.lab import Lab
from infra.phases import PhaseClock
from infra.pki.lab_pki import LabPki
from infra.pki.material import PkiMaterial
from infra.pki.variants import GatewayCertVariant

PROFILE_NAME = "winterop"
"""The VPN profile (connection) name every suite dials."""

ClientFactory = Callable[[Cell, Lab], WindowsClient]


@dataclass(frozen=True)
class LabCredentials:
    """The EAP user of a run; the password is random per run and never logged."""

    user: str
    password: str

    def __repr__(self) -> str:
        return f"LabCredentials(user={self.user!r}, password=<hidden>)"

    def secret(self) -> EapSecret:
        return EapSecret(self.user, self.password)

    def credentials(self) -> Credentials:
        return Credentials(self.user, self.password)


class InteropRun:
    """Everything one test needs for one cell; build with `start()`, end with `close()`."""

    def __init__(
        self,
        cell: Cell,
        *,
        run_id: str,
        worker: str,
        pki: LabPki,
        eap: LabCredentials,
        make_client: ClientFactory,
        spec: GatewaySpec | None = None,
        gateway_cert: GatewayCertVariant = GatewayCertVariant.GOOD,
        setup: ClientSetup | None = None,
        gateway_build: BuildStatus | None = None,
    ) -> None:
        self.cell = cell
        self.gateway_build = gateway_build or status(by_version(cell.gateway))
        """The strongSwan the gateway runs: the cell's release (a benchmark may pass another
        build of the same release, e.g. the host's version from a root filesystem)."""
        self.pki = pki
        self.eap = eap
        self.spec = spec or PRESETS[cell.preset](cell.auth, (eap.secret(),))
        self.gateway_cert = gateway_cert
        """Which gateway certificate to present; charon's local ID is that certificate's
        identity (Gateway.identity), since a gateway can only prove what it holds."""
        self.setup = setup if setup is not None else client_setup(cell.preset)
        """The Windows-side setup the preset's documentation prescribes."""
        self.phases = PhaseClock()
        """Where this attempt's time went (infra.phases), written into result.json."""
        with self.phases.phase("lab bring-up"):
            self.lab = Lab.up(cell.topology, run_id, worker)
        self.gateway: Gateway | None = None
        self.capture: Capture | None = None
        self.client: WindowsClient | None = None
        self._make_client = make_client
        self._facts: CaptureFacts | None = None
        self.outcome: ConnectOutcome | None = None

    @property
    def server_address(self) -> str:
        return str(self.lab.plan.gateway_outside)

    @property
    def key_table(self) -> Path:
        return self.lab.workdir / "ikev2_decryption_table"

    @property
    def esp_table(self) -> Path:
        """Wireshark's esp_sa table of the gateway's CHILD SAs (infra.capture.esp_keys)."""
        return self.lab.workdir / ESP_TABLE

    @property
    def pcap(self) -> Path:
        return self.lab.workdir / "capture.pcap"

    def start(self) -> InteropRun:
        """Gateway up and configured, capture listening, client ready with certificates."""
        clock = self.phases
        with clock.phase("gateway start"):
            self.gateway = Gateway(
                self.lab,
                self.spec,
                certificate=self.pki.gateway(self.gateway_cert),
                issuers=self.pki.issuers_of(self.pki.gateway(self.gateway_cert)),
                extra_cas=self.pki.filler_cas[: self.spec.filler_cas],
                ca=self.pki.root_ca,
                build=self.gateway_build,
            )
            # The gateway's charon and tcpdump boot while the client starts up; the capture
            # is listening before anything can dial.
            self.gateway.launch()
            self.capture = Capture(self.lab, self.pcap)
            self.capture.launch()
        with clock.phase("client start"):
            self.client = self._make_client(self.cell, self.lab)
        with clock.phase("capture ready"):
            self.capture.wait_listening()
        with clock.phase("gateway load"):
            self.gateway.finish_start()
        with clock.phase("client set-up"):
            self._set_up_client(self.client)
        return self

    def _set_up_client(self, client: WindowsClient) -> None:
        """Certificates, registry values and the VPN profile, as the preset prescribes."""
        for root in self.pki.roots_for(self.pki.gateway(self.gateway_cert)):
            client.install_root_ca(root)
        if self.cell.auth is AuthCase.MACHINE_CERT and self.setup.machine_certificate:
            client.install_machine_certificate(self.pki.machine())
        elif self.cell.auth is AuthCase.EAP_TLS:
            client.install_user_certificate(self._user_certificate())
        if client.kind is not ClientKind.REFERENCE:
            for name, value in self.setup.registry:
                client.set_registry_value(name, value)
        client.add_vpn_connection(
            VpnProfile(
                PROFILE_NAME,
                self.server_address,
                self.cell.auth,
                encryption_level=self.setup.encryption_level,
                split_tunneling=self.setup.split_tunneling,
            )
        )

    def _user_certificate(self) -> PkiMaterial:
        if self.setup.user_certificate is UserCertificate.NO_CLIENT_AUTH:
            return self.pki.user_without_client_auth()
        return self.pki.user()

    def connect(
        self, credentials: Credentials | None = None, timeout: float = 20.0
    ) -> ConnectOutcome:
        """Dial the profile; EAP-MSCHAPv2 uses the run's credentials unless given others."""
        assert self.client is not None, "start() first"
        if credentials is None and self.cell.auth is AuthCase.EAP_MSCHAPV2:
            credentials = self.eap.credentials()
        with self.phases.phase("connect"):
            self.outcome = self.client.connect(PROFILE_NAME, credentials, timeout=timeout)
        return self.outcome

    def wire(self) -> CaptureFacts:
        """Stop the capture, derive the keys from the gateway log, decode once (cached)."""
        if self._facts is None:
            assert self.capture is not None and self.gateway is not None, "start() first"
            with self.phases.phase("capture stop"):
                self.capture.stop()
            with self.phases.phase("decode"):
                write_decryption_table(self.gateway.log_path, self.key_table)
                write_esp_table(self.gateway.log_path, self.esp_table)
                self._facts = decode_capture(self.pcap, self.key_table, self.esp_table)
        return self._facts

    @property
    def decoded(self) -> CaptureFacts | None:
        """The facts wire() decoded, or None if the test never looked at the wire."""
        return self._facts

    def close(self, evidence: Path | None) -> list[Path]:
        """Stop everything; copy the evidence into EVIDENCE first; remove the lab."""
        written: list[Path] = []
        clock = self.phases
        try:
            if self.client is not None:
                # Close first, so the client log also shows the hang-up.
                with clock.phase("teardown"):
                    self.client.close()
                if evidence is not None:
                    with clock.phase("evidence"):
                        evidence.mkdir(parents=True, exist_ok=True)
                        written += self.client.collect_logs(evidence)
            with clock.phase("teardown"):
                if self.capture is not None:
                    self.capture.stop()
                if self.gateway is not None:
                    self.gateway.stop()
            if evidence is not None:
                with clock.phase("evidence"):
                    written += self._collect(evidence)
        finally:
            with clock.phase("lab teardown"):
                self.lab.down()
        return written

    def _collect(self, evidence: Path) -> list[Path]:
        evidence.mkdir(parents=True, exist_ok=True)
        written = []
        if self.gateway is not None and self.gateway.log_path.exists():
            write_decryption_table(self.gateway.log_path, self.key_table)
            write_esp_table(self.gateway.log_path, self.esp_table)
        for source, name in (
            (self.pcap, "capture.pcap"),
            (self.key_table, "ikev2_decryption_table"),
            (self.esp_table, ESP_TABLE),
            (self.lab.workdir / "gateway" / "charon.log", "gateway.log"),
            (self.lab.workdir / "dnsmasq" / "dnsmasq.log", "dnsmasq.log"),
        ):
            if source.exists():
                shutil.copyfile(source, evidence / name)
                written.append(evidence / name)
        return written
