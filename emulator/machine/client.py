"""EmulatedClient: the WindowsClient protocol implemented by the emulated Windows machine.

It keeps what a Windows machine keeps (certificate stores, registry values, VPN profiles
as Add-VpnConnection creates them, IPsec policies as Set-VpnConnectionIPsecConfiguration
sets them), builds the dial from them the way the profile's Windows build would, and
reports outcomes as Windows does: connected, or a RAS / IPsec error number with its text.
"""

from __future__ import annotations

import dataclasses
import hashlib
import ipaddress
import subprocess
import time
from pathlib import Path

from cryptography import x509

from emulator.log import ClientLog, Echo
from emulator.machine.connection import Connection
from emulator.machine.dial_setup import DEFAULT_COMPUTER_NAME, dial_config
from emulator.machine.ipsec_policy import CustomPolicy, custom_policy
from emulator.machine.registry import Registry, UnknownRegistryValue
from emulator.machine.stores import MachineStores, PrivateKey
from emulator.net.dhcp_inform import InformPlan
from emulator.profiles import Profile, load_profile
from emulator.sa.errors import ConnectError
from emulator.sa.names import proposal_name
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
from infra.lab.netns import NamespaceThread
from infra.pki.material import PkiMaterial

ERROR_CANNOT_FIND_PHONEBOOK_ENTRY = 623
ERROR_DNSNAME_NOT_RESOLVABLE = 868


IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network


class MachineError(ValueError):
    """An administrator action Windows itself would refuse (unknown connection, bad value)."""


class EmulatedClient:
    """A Windows machine of one build, networked inside NAMESPACE (None: this one)."""

    kind = ClientKind.EMULATED

    def __init__(
        self,
        profile: Profile | str,
        *,
        namespace: str | None,
        time_scale: float = 1.0,
        retransmit_scale: float | None = None,
        echo: Echo | None = None,
    ) -> None:
        self.build = load_profile(profile) if isinstance(profile, str) else profile
        self.profile = self.build.name
        self.namespace = namespace
        self.time_scale = time_scale
        """Windows seconds per real second for lifecycle timers (emulator.sa.clock)."""
        self.retransmit_scale = retransmit_scale
        self.log = ClientLog(echo)
        self.computer_name = DEFAULT_COMPUTER_NAME
        self.registry = Registry()
        self.stores = MachineStores(self.build.options.certreq_filler_roots)
        self.vpn_profiles: dict[str, VpnProfile] = {}
        self.policies: dict[str, CustomPolicy] = {}
        self.vpn_routes: dict[str, list[IPNetwork]] = {}
        """Add-VpnConnectionRoute prefixes per VPN profile, installed on connect."""
        self._connection: Connection | None = None
        self._key_rows: list[str] = []
        # Entered once, like IKEEXT starting at boot: dialling then costs no namespace switch.
        self._netns = NamespaceThread(namespace) if namespace is not None else None
        self.log.line("CFG", f"Windows build profile {self.profile}: {self.build.description}")

    # --- administrator actions -------------------------------------------------------

    def install_root_ca(self, ca: PkiMaterial) -> None:
        self.trust_root(ca.cert)

    def install_machine_certificate(self, credential: PkiMaterial) -> None:
        self.import_machine_certificate(credential.cert, credential.private_key())

    def trust_root(self, certificate: x509.Certificate) -> None:
        """Import-Certificate -CertStoreLocation Cert:\\LocalMachine\\Root."""
        self.stores.local_machine_root.add(certificate)
        self.log.line("CFG", f"LocalMachine\\Root += {certificate.subject.rfc4514_string()}")

    def import_machine_certificate(
        self, certificate: x509.Certificate, key: PrivateKey | None
    ) -> None:
        """Import-PfxCertificate into Cert:\\LocalMachine\\My (KEY None: certificate only)."""
        self.stores.local_machine_my.add(certificate, key)
        with_key = "with private key" if key is not None else "without private key"
        self.log.line(
            "CFG", f"LocalMachine\\My += {certificate.subject.rfc4514_string()} ({with_key})"
        )

    def install_user_certificate(self, credential: PkiMaterial) -> None:
        self.import_user_certificate(credential.cert, credential.private_key())

    def import_user_certificate(
        self, certificate: x509.Certificate, key: PrivateKey | None
    ) -> None:
        """Import-PfxCertificate into Cert:\\CurrentUser\\My (KEY None: certificate only)."""
        self.stores.current_user_my.add(certificate, key)
        with_key = "with private key" if key is not None else "without private key"
        self.log.line(
            "CFG", f"CurrentUser\\My += {certificate.subject.rfc4514_string()} ({with_key})"
        )

    def add_vpn_connection(self, profile: VpnProfile) -> None:
        self.vpn_profiles[profile.name] = profile
        self.policies.pop(profile.name, None)
        self.log.line(
            "CFG",
            f"Add-VpnConnection {profile.name!r} -ServerAddress {profile.server_address} "
            f"-TunnelType Ikev2 -AuthenticationMethod {profile.auth.value} "
            f"-EncryptionLevel {profile.encryption_level.value}"
            + (" -SplitTunneling" if profile.split_tunneling else ""),
        )

    def set_ipsec_configuration(self, name: str, config: IPsecConfiguration | None) -> None:
        if name not in self.vpn_profiles:
            raise MachineError(f"Set-VpnConnectionIPsecConfiguration: no VPN connection {name!r}")
        if config is None:
            self.policies.pop(name, None)
            self.log.line("CFG", f"Set-VpnConnectionIPsecConfiguration {name!r} -RevertToDefault")
            return
        self.policies[name] = custom_policy(**dataclasses.asdict(config))
        self.log.line(
            "CFG",
            f"Set-VpnConnectionIPsecConfiguration {name!r} "
            f"-EncryptionMethod {config.encryption_method} "
            f"-IntegrityCheckMethod {config.integrity_check_method} -DHGroup {config.dh_group} "
            f"-CipherTransformConstants {config.cipher_transform_constants} "
            f"-AuthenticationTransformConstants {config.authentication_transform_constants} "
            f"-PfsGroup {config.pfs_group}",
        )

    def add_vpn_connection_route(self, name: str, prefix: str) -> None:
        """Add-VpnConnectionRoute -ConnectionName NAME -DestinationPrefix PREFIX."""
        if name not in self.vpn_profiles:
            raise MachineError(f"Add-VpnConnectionRoute: no VPN connection {name!r}")
        try:
            network = ipaddress.ip_network(prefix, strict=True)
        except ValueError as exc:
            raise CmdletRefused("Add-VpnConnectionRoute", f"{prefix!r}: {exc}") from None
        refused = {ipaddress.ip_network(p) for p in self.build.options.vpn_route_refused_prefixes}
        if network in refused:
            raise CmdletRefused(
                "Add-VpnConnectionRoute",
                f"the destination prefix {network} is refused (profile option "
                "vpn_route_refused_prefixes, reference 8)",
            )
        routes = self.vpn_routes.setdefault(name, [])
        if network not in routes:
            routes.append(network)
        self.log.line(
            "CFG", f"Add-VpnConnectionRoute -ConnectionName {name!r} -DestinationPrefix {network}"
        )

    def set_registry_value(self, name: str, value: int) -> None:
        try:
            self.registry.set(name, value)
        except UnknownRegistryValue as exc:
            raise NotSupportedByClient(self.kind, "set_registry_value", str(exc)) from None
        self.log.line("CFG", f"registry {name} = {value} (RasMan restarted)")

    # --- dialling --------------------------------------------------------------------

    def connect(
        self, name: str, credentials: Credentials | None = None, *, timeout: float = 30.0
    ) -> ConnectOutcome:
        start = time.perf_counter()
        profile = self.vpn_profiles.get(name)
        if profile is None:
            return self._failed(
                ERROR_CANNOT_FIND_PHONEBOOK_ENTRY, f"no VPN profile {name!r}", start
            )
        if self._connection is not None and self._connection.up:
            return ConnectOutcome(True, None, "already connected", 0.0)
        self._drop_connection()
        try:
            server = self._resolve(profile.server_address)
            config = dial_config(
                self.build.options,
                self.registry,
                self.stores,
                profile,
                self.policies.get(profile.name),
                credentials=credentials,
                computer_name=self.computer_name,
                time_scale=self.time_scale,
                retransmit_scale=self.retransmit_scale,
                log=self.log,
            )
            connection = Connection(
                name,
                self._netns,
                server,
                config,
                self.log,
                split_tunneling=profile.split_tunneling,
                routes=tuple(self.vpn_routes.get(name, ())),
                dhcp=self._inform_plan(),
            )
        except ConnectError as exc:
            return self._failed(exc.code, exc.reason, start)
        self._connection = connection
        try:
            established = connection.connect(timeout)
        except ConnectError as exc:
            self._key_rows += connection.key_rows
            return self._failed(exc.code, exc.reason, start)
        self._key_rows += connection.key_rows
        seconds = time.perf_counter() - start
        child = established.child
        detail = (
            f"IKE SA {proposal_name(established.sa.proposal)}, CHILD SA "
            f"{proposal_name(child.proposal)}, virtual IP {', '.join(child.config.addresses)}"
        )
        self.log.line("IKE", f"connected in {seconds:.3f} s: {detail}")
        return ConnectOutcome(True, None, detail, seconds)

    def _inform_plan(self) -> InformPlan | None:
        """The profile's DHCPINFORM (reference 8), its waits scaled like every Windows timer;
        the hardware address is derived from the computer name, stable across dials."""
        options = self.build.options
        if not options.dhcp_inform:
            return None
        digest = hashlib.sha256(self.computer_name.encode()).digest()
        return InformPlan(
            vendor_class=options.dhcp_vendor_class,
            host_name=self.computer_name,
            hardware=bytes([0x02]) + digest[:5],  # locally administered, unicast
            parameters=options.dhcp_parameter_list,
            timeouts=tuple(t / self.time_scale for t in options.dhcp_inform_timeouts_s),
        )

    def _failed(self, code: int, reason: str, start: float) -> ConnectOutcome:
        error = windows_error(code)
        self.log.line("IKE", f"dial failed: {error}: {reason}")
        return ConnectOutcome(False, error, reason, time.perf_counter() - start)

    def _resolve(self, server_address: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address:
        try:
            return ipaddress.ip_address(server_address)
        except ValueError:
            raise ConnectError(
                ERROR_DNSNAME_NOT_RESOLVABLE,
                f"{server_address!r}: the lab has no DNS; dial the gateway by address",
            ) from None

    def disconnect(self, name: str) -> None:
        connection = self._connection
        if connection is not None and connection.name == name:
            connection.disconnect()
            self._connection = None

    def _drop_connection(self) -> None:
        if self._connection is not None:
            self._connection.teardown()
            self._connection = None

    # --- inspection ------------------------------------------------------------------

    def state(self, name: str) -> ClientState:
        connection = self._connection
        if connection is None or connection.name != name:
            return ClientState(connected=False)
        if not connection.up:
            code = connection.session.down_error
            return ClientState(
                connected=False, ended_with=windows_error(code) if code is not None else None
            )
        assert connection.established is not None
        config = connection.established.child.config
        return ClientState(
            connected=True,
            virtual_ips=config.addresses,
            dns_servers=tuple(str(a) for a in (*config.dns4, *config.dns6)),
            routes=connection.tun.installed_routes(),
        )

    def reach(self, address: str, *, timeout: float = 2.0) -> bool:
        prefix = ["ip", "netns", "exec", self.namespace] if self.namespace else []
        wait = str(max(1, round(timeout)))
        try:
            done = subprocess.run(
                [*prefix, "ping", "-c", "1", "-W", wait, address],
                capture_output=True,
                timeout=timeout + 2,
                check=False,
            )
        except subprocess.TimeoutExpired:
            return False
        return done.returncode == 0

    def pings(self, address: str, *, interval: float) -> PingStream:
        prefix = ["ip", "netns", "exec", self.namespace] if self.namespace else []
        return PingStream(prefix, address, interval=interval)

    def decryption_table_rows(self) -> list[str]:
        """Wireshark rows of every IKE SA this machine set up (its own view of the keys)."""
        return list(self._key_rows)

    def collect_logs(self, directory: Path) -> list[Path]:
        written = [self.log.write(directory / "client.log")]
        if self._key_rows:
            table = directory / "client-ikev2_decryption_table"
            table.write_text("".join(row + "\n" for row in self._key_rows))
            written.append(table)
        return written

    def close(self) -> None:
        connection, self._connection = self._connection, None
        if connection is not None:
            if connection.up:
                connection.disconnect()
            else:
                connection.teardown()
        if self._netns is not None:
            self._netns.close()
