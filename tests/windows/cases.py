"""Representative calls of every script builder, shared by the golden and structure tests.

The values are lab-style and fake (documentation address ranges, a throwaway password);
each case name is also the golden file name under tests/windows/golden/.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

from infra.windows.script import PsScript
from infra.windows.scripts.certificates import (
    import_certificate,
    import_pfx_certificate,
    remove_certificate,
)
from infra.windows.scripts.dial import RasCredentials, rasdial_connect, rasdial_disconnect
from infra.windows.scripts.eap import EapMsChapV2, EapTls, new_eap_configuration
from infra.windows.scripts.ipsec import IpsecPolicy, set_vpn_ipsec_configuration
from infra.windows.scripts.logs import collect_logs
from infra.windows.scripts.pktmon import pktmon_start, pktmon_stop
from infra.windows.scripts.profile import add_vpn_connection, remove_vpn_connection
from infra.windows.scripts.reach import reachability
from infra.windows.scripts.registry import set_negotiate_dh2048_aes256, set_registry_dword
from infra.windows.scripts.routes import add_vpn_connection_route
from infra.windows.scripts.state import net_routes, vpn_state

CA_DER = bytes(range(48))
PFX = bytes(range(200, 256)) * 2
CA_THUMBPRINT = "3f2a9c0d5e7b41a8c6d2e0f1b4a7c9d8e6f5a4b3"
LAB_PASSWORD = "Lab-Passw0rd"
GCM_POLICY = IpsecPolicy(
    authentication_transform_constants="GCMAES256",
    cipher_transform_constants="GCMAES256",
    encryption_method="GCMAES256",
    integrity_check_method="SHA384",
    dh_group="ECP384",
    pfs_group="ECP384",
)

CASES: dict[str, Callable[[], PsScript]] = {
    "import-certificate-root": lambda: import_certificate(CA_DER, store="Root"),
    "import-pfx-machine": lambda: import_pfx_certificate(PFX, LAB_PASSWORD, target="machine"),
    "import-pfx-user": lambda: import_pfx_certificate(
        PFX, LAB_PASSWORD, target="user", user="labuser"
    ),
    "remove-certificate-machine-my": lambda: remove_certificate(CA_THUMBPRINT, store="My"),
    "add-vpn-connection-machine-cert": lambda: add_vpn_connection(
        "sw-ikev2",
        "gw.lab.test",
        authentication_method="MachineCertificate",
        machine_certificate_issuer_thumbprint=CA_THUMBPRINT,
        machine_certificate_eku_filter=("1.3.6.1.5.5.7.3.2",),
    ),
    "add-vpn-connection-eap-mschapv2": lambda: add_vpn_connection(
        "sw-eap",
        "198.51.100.10",
        authentication_method="Eap",
        split_tunneling=True,
        remember_credential=True,
    ),
    "add-vpn-connection-eap-tls": lambda: add_vpn_connection(
        "sw-eaptls",
        "gw.lab.test",
        authentication_method="Eap",
        eap=EapTls(user_certificate=True),
        all_user_connection=False,
    ),
    "remove-vpn-connection": lambda: remove_vpn_connection("sw-ikev2"),
    "new-eap-configuration-mschapv2": lambda: new_eap_configuration(EapMsChapV2()),
    "new-eap-configuration-tls": lambda: new_eap_configuration(
        EapTls(user_certificate=True, verify_server_identity=True)
    ),
    "set-ipsec-gcm-ecp384": lambda: set_vpn_ipsec_configuration("sw-ikev2", GCM_POLICY),
    "set-ipsec-revert": lambda: set_vpn_ipsec_configuration("sw-ikev2", None),
    "set-negotiate-dh2048-aes256-2": lambda: set_negotiate_dh2048_aes256(2),
    "delete-negotiate-dh2048-aes256": lambda: set_negotiate_dh2048_aes256(None, restart=False),
    "set-registry-dword-policyagent": lambda: set_registry_dword(
        "HKLM:\\SYSTEM\\CurrentControlSet\\Services\\PolicyAgent",
        "AssumeUDPEncapsulationContextOnSendRule",
        2,
        restart_services=("PolicyAgent",),
    ),
    "add-route-ipv4": lambda: add_vpn_connection_route("sw-eap", "198.18.0.0/15"),
    "add-route-ipv6-metric": lambda: add_vpn_connection_route(
        "sw-eap", "2000::/3", route_metric=23
    ),
    "rasdial-connect-machine-cert": lambda: rasdial_connect(
        "sw-ikev2", methods=("rasdial-session",), timeout_seconds=60
    ),
    "rasdial-connect-eap-with-fallbacks": lambda: rasdial_connect(
        "sw-eap",
        credentials=RasCredentials("alice", LAB_PASSWORD),
        interactive_user="labuser",
    ),
    "rasdial-disconnect": lambda: rasdial_disconnect("sw-eap"),
    "vpn-state": lambda: vpn_state("sw-eap"),
    "net-routes-all": lambda: net_routes(),
    "reach-icmp": lambda: reachability("198.51.100.20"),
    "reach-tcp": lambda: reachability("2001:db8:1::20", port=22, count=1),
    "collect-logs": lambda: collect_logs(datetime(2025, 1, 2, 3, 4, 5, tzinfo=UTC)),
    "pktmon-start": lambda: pktmon_start("cell-1"),
    "pktmon-stop": lambda: pktmon_stop("cell-1"),
}
