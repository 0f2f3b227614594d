"""The `reference` client kind: strongSwan's charon as a standards client in the client namespace.

It answers the baseline question of every matrix cell: does *any* client work against this
gateway configuration, or only Windows fails? It does what charon can do of the
WindowsClient protocol; Windows-only knobs (registry values, Windows IPsec policy names)
raise NotSupportedByClient. Like Windows it sends no IDr (remote.id %any) and takes its own
address as IKE identity in the EAP cases.
"""

from __future__ import annotations

import shutil
import time
from pathlib import Path
from typing import Any

import vici.exception

from infra.auth_cases import AuthCase
from infra.charon.daemon import CharonDaemon
from infra.clients.classify import classify_failure
from infra.clients.ping import PingStream
from infra.clients.protocol import (
    ClientKind,
    ClientState,
    ConnectOutcome,
    Credentials,
    IPsecConfiguration,
    NotSupportedByClient,
    TimerPlan,
    VpnProfile,
)
from infra.clients.windows_errors import windows_error
from infra.lab.lab import Lab
from infra.lab.topology import Role
from infra.pki.material import PkiMaterial
from infra.proc import CommandFailed

NO_ROUTE_CMDLET = (
    "Add-VpnConnectionRoute is a Windows cmdlet; charon routes what the negotiated traffic "
    "selectors cover (its own routing table 220), with no per-connection route list"
)
CARRYING_TRAFFIC = frozenset({"INSTALLED", "UPDATING", "REKEYING", "REKEYED"})
"""charon's CHILD SA states in which the SA is in the kernel and carries traffic: while it
is being rekeyed (REKEYING, then REKEYED until the old SA is deleted) the tunnel is up."""


class ReferenceClient:
    """charon-systemd in the lab's client namespace, driven over VICI."""

    kind = ClientKind.REFERENCE

    def __init__(
        self, lab: Lab, *, profile: str = "strongswan", timers: TimerPlan | None = None
    ) -> None:
        self.lab = lab
        self.profile = profile
        self.timers = timers
        """Windows timer values to rekey at (scaled), so charon acts when Windows would."""
        self.daemon = CharonDaemon(lab, Role.CLIENT, "client", retransmit_tries=2)
        self.daemon.start()
        self._roots: list[PkiMaterial] = []
        self._machine: PkiMaterial | None = None
        self._user: PkiMaterial | None = None
        self._profiles: dict[str, VpnProfile] = {}
        self._second_round: Credentials | None = None

    def install_root_ca(self, ca: PkiMaterial) -> None:
        self.daemon.session.load_cert({"type": "X509", "flag": "CA", "data": ca.cert_pem})
        self._roots.append(ca)

    def install_machine_certificate(self, credential: PkiMaterial) -> None:
        self._load_key(credential)
        self._machine = credential

    def install_user_certificate(self, credential: PkiMaterial) -> None:
        self._load_key(credential)
        self._user = credential

    def _load_key(self, credential: PkiMaterial) -> None:
        self.daemon.session.load_key({"type": credential.key_type, "data": credential.key_pem})

    def add_vpn_connection(self, profile: VpnProfile) -> None:
        self._profiles[profile.name] = profile

    def add_vpn_connection_route(self, name: str, prefix: str) -> None:
        raise NotSupportedByClient(self.kind, "add_vpn_connection_route", NO_ROUTE_CMDLET)

    def add_second_round(self, credentials: Credentials) -> None:
        """Authenticate a second time, with EAP-MSCHAPv2 after the certificate (RFC 4739;
        swanctl local-1 / local-2): what a gateway requiring two rounds needs, and what no
        Windows profile can express (reference 6). charon announces MULTIPLE_AUTH_SUPPORTED
        by default (charon.multiple_authentication = yes)."""
        self._second_round = credentials

    def set_ipsec_configuration(self, name: str, config: IPsecConfiguration | None) -> None:
        raise NotSupportedByClient(
            self.kind, "set_ipsec_configuration", "Windows policy names have no charon mapping"
        )

    def set_registry_value(self, name: str, value: int) -> None:
        raise NotSupportedByClient(self.kind, "set_registry_value", "charon has no registry")

    def _connection(self, profile: VpnProfile, credentials: Credentials | None) -> dict[str, Any]:
        local: dict[str, Any]
        if profile.auth is AuthCase.MACHINE_CERT:
            if self._machine is None:
                raise NotSupportedByClient(self.kind, "connect", "no machine certificate installed")
            local = {
                "auth": "pubkey",
                "certs": [self._machine.cert_pem],
                "id": self._machine.identity,
            }
        elif profile.auth is AuthCase.EAP_TLS:
            if self._user is None:
                raise NotSupportedByClient(self.kind, "connect", "no user certificate installed")
            local = {
                "auth": "eap-tls",
                "certs": [self._user.cert_pem],
                "eap_id": self._user.identity,
            }
        else:
            if credentials is None:
                raise NotSupportedByClient(self.kind, "connect", "EAP-MSCHAPv2 needs credentials")
            local = self._mschapv2(credentials)
        rounds: dict[str, Any] = {"local": local}
        if self._second_round is not None:
            rounds = {"local-1": local, "local-2": self._mschapv2(self._second_round)}
        return {
            "version": "2",
            "remote_addrs": [profile.server_address],
            # Windows asks for both families (CP ADDR and ADDR6); the reference does too
            # where the lab carries IPv6, and only there, so IPv4 labs keep its old requests.
            "vips": ["0.0.0.0", "::"] if self.lab.plan.ipv6 else ["0.0.0.0"],
            **rounds,
            "remote": {"auth": "pubkey", "id": "%any"},
            "children": {
                profile.name: {
                    "remote_ts": ["0.0.0.0/0", "::/0"] if self.lab.plan.ipv6 else ["0.0.0.0/0"],
                    "esp_proposals": ["default"],
                    **self._child_timers(),
                }
            },
            **self._ike_timers(),
        }

    def _mschapv2(self, credentials: Credentials) -> dict[str, Any]:
        """An EAP-MSCHAPv2 round with CREDENTIALS (its secret loaded into charon)."""
        user = credentials.user
        if credentials.domain:
            user = f"{credentials.domain}\\{user}"
        self.daemon.session.load_shared(
            {"type": "EAP", "data": credentials.password, "owners": [user]}
        )
        return {"auth": "eap-mschapv2", "eap_id": user}

    def _child_timers(self) -> dict[str, str]:
        timers = self.timers
        if timers is None:
            return {}
        settings: dict[str, str] = {}
        if timers.child_rekey_s is not None:
            rekey = max(1, round(timers.real(timers.child_rekey_s)))
            # No jitter, and a hard lifetime well after the rekey (charon's ratio is 1.1).
            settings |= {"rekey_time": f"{rekey}s", "rand_time": "0s", "life_time": f"{rekey * 2}s"}
        return settings

    def _ike_timers(self) -> dict[str, str]:
        timers = self.timers
        if timers is None or timers.ike_rekey_s is None:
            return {}
        rekey = max(1, round(timers.real(timers.ike_rekey_s)))
        return {"rekey_time": f"{rekey}s", "rand_time": "0s", "over_time": f"{rekey}s"}

    def connect(
        self, name: str, credentials: Credentials | None = None, *, timeout: float = 30.0
    ) -> ConnectOutcome:
        profile = self._profiles.get(name)
        if profile is None:
            return ConnectOutcome(False, windows_error(623), f"no VPN profile {name!r}", 0.0)
        self.daemon.session.load_conn({name: self._connection(profile, credentials)})
        log_start = self._log_size()
        start = time.perf_counter()
        try:
            for _ in self.daemon.session.initiate(
                {"ike": name, "child": name, "timeout": int(timeout * 1000), "init-limits": "no"}
            ):
                pass
        except vici.exception.CommandException as exc:
            elapsed = time.perf_counter() - start
            verdict = classify_failure(self._log_lines(log_start), profile.auth)
            return ConnectOutcome(False, verdict.error, f"{exc}; {verdict.evidence}", elapsed)
        return ConnectOutcome(
            True, None, "IKE SA and CHILD SA established", time.perf_counter() - start
        )

    def _log_size(self) -> int:
        try:
            return self.daemon.paths.log.stat().st_size
        except FileNotFoundError:
            return 0

    def _log_lines(self, start: int) -> list[str]:
        with self.daemon.paths.log.open("rb") as log:
            log.seek(start)
            return log.read().decode(errors="replace").splitlines()

    def disconnect(self, name: str) -> None:
        for _ in self.daemon.session.terminate({"ike": name, "timeout": 5000, "force": "yes"}):
            pass

    def state(self, name: str) -> ClientState:
        for sas in self.daemon.list_sas():
            sa = sas.get(name)
            if sa is None:
                continue
            children = sa.get("child-sas", {})
            installed = any(c.get("state") in CARRYING_TRAFFIC for c in children.values())
            return ClientState(
                connected=sa.get("state") == "ESTABLISHED" and installed,
                virtual_ips=tuple(sa.get("local-vips", [])),
            )
        return ClientState(connected=False)

    def reach(self, address: str, *, timeout: float = 2.0) -> bool:
        try:
            self.lab.exec(
                Role.CLIENT,
                ["ping", "-c", "1", "-W", str(max(1, round(timeout))), address],
                timeout=timeout + 2,
            )
        except CommandFailed:
            return False
        return True

    def pings(self, address: str, *, interval: float) -> PingStream:
        return PingStream(
            ["ip", "netns", "exec", self.lab.ns(Role.CLIENT)], address, interval=interval
        )

    def collect_logs(self, directory: Path) -> list[Path]:
        target = directory / "client.log"
        if self.daemon.paths.log.exists():
            shutil.copyfile(self.daemon.paths.log, target)
            return [target]
        return []

    def close(self) -> None:
        self.daemon.stop()
