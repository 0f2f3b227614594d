"""A strongSwan gateway in a lab's gateway namespace, configured only over VICI.

The gateway runs one build (infra.gateway.builds: the host's charon or a root filesystem's);
a spec that asks for something its release cannot do fails here, naming the release,
before charon starts (infra.gateway.releases).
"""

from __future__ import annotations

from typing import Any

from infra.charon.daemon import CharonDaemon, decode
from infra.charon.events import EventRecorder
from infra.gateway.builds import BuildStatus
from infra.gateway.dhcp_server import DhcpServer
from infra.gateway.releases import check_spec
from infra.gateway.spec import GatewaySpec
from infra.gateway.vici_messages import gateway_messages
from infra.lab.lab import Lab
from infra.lab.topology import Role
from infra.pki.material import PkiMaterial


class Gateway:
    """charon + its configuration + its event recorder. start() returns when loaded."""

    def __init__(
        self,
        lab: Lab,
        spec: GatewaySpec,
        *,
        certificate: PkiMaterial,
        ca: PkiMaterial,
        issuers: tuple[PkiMaterial, ...] = (),
        extra_cas: tuple[PkiMaterial, ...] = (),
        build: BuildStatus | None = None,
    ) -> None:
        self.lab = lab
        self.spec = spec
        self.certificate = certificate
        self.extra_cas = extra_cas
        """Further CAs charon trusts (spec.filler_cas of the lab's filler roots)."""
        self.issuers = issuers
        """The CAs above the certificate, its root last. charon sends the intermediates as
        CERT payloads ("sending issuer cert") only when it can build its own chain up to a
        trusted root: so the root is loaded as a CA, the intermediates as plain certificates."""
        self.ca = ca
        self.daemon = CharonDaemon(
            lab,
            Role.GATEWAY,
            "gateway",
            fragment_size=spec.fragment_size,
            send_vendor_id=spec.send_vendor_id,
            retransmit_tries=spec.retransmit_tries,
            build=build,
        )
        check_spec(spec, self.daemon.build.release)
        self.events = EventRecorder(self.daemon)
        pool = spec.dhcp_pool()
        self.dhcp: DhcpServer | None = (
            DhcpServer(lab, routes=spec.dhcp_routes, pool=pool)
            if spec.dhcp_routes and pool is not None
            else None
        )
        """The LAN's DHCP server for Windows' DHCPINFORM, when the spec has dhcp_routes."""

    @property
    def identity(self) -> str:
        """The gateway's IKE identity (local.id): its DNS name, as the docs configure it."""
        return self.certificate.identity

    @property
    def log_path(self) -> Any:
        return self.daemon.paths.log

    def start(self) -> None:
        self.launch()
        self.finish_start()

    def launch(self) -> None:
        """Spawn charon; finish_start() waits for it (other start-ups can overlap)."""
        self.daemon.launch()

    def finish_start(self) -> None:
        """Wait for VICI, start the event recorder, load credentials, pools, connections."""
        try:
            self.daemon.wait_ready()
            self.events.start()
            self._load()
            if self.dhcp is not None:
                self.dhcp.start()  # after charon: dnsmasq listens on its ipsec0
        except BaseException:
            self.stop()
            raise

    def _load(self) -> None:
        session = self.daemon.session
        session.load_cert({"type": "X509", "flag": "CA", "data": self.ca.cert_pem})
        for extra in self.extra_cas:
            session.load_cert({"type": "X509", "flag": "CA", "data": extra.cert_pem})
        for issuer in self.issuers:
            if issuer.cert_pem == self.ca.cert_pem:
                continue
            flag = "CA" if issuer is self.issuers[-1] else "NONE"
            session.load_cert({"type": "X509", "flag": flag, "data": issuer.cert_pem})
        session.load_key({"type": self.certificate.key_type, "data": self.certificate.key_pem})
        conns, pools, secrets = gateway_messages(
            self.spec,
            local_id=self.identity,
            local_cert_pem=self.certificate.cert_pem,
            remote_ca_pem=self.ca.cert_pem,
        )
        for secret in secrets:
            session.load_shared(secret)
        for name, pool in pools.items():
            session.load_pool({name: pool})
        for name, conn in conns.items():
            session.load_conn({name: conn})

    def list_sas(self) -> list[dict[str, Any]]:
        return self.daemon.list_sas()

    def redirect(self, ike: str, gateway: str) -> dict[str, Any]:
        """Ask charon to redirect the IKE SAs of connection IKE to GATEWAY (an address or
        name; RFC 5685, VICI `redirect`). charon answers at once ({success, matches,
        errmsg}) and redirects in a job: whether the client supports it shows only later,
        in the log and on the wire."""
        return dict(decode(self.daemon.session.redirect({"ike": ike, "gateway": gateway})))

    def stop(self) -> None:
        if self.dhcp is not None:
            self.dhcp.stop()
        self.events.stop()
        self.daemon.stop()
