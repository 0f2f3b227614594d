"""A GatewaySpec as recorded in result.json: swanctl.conf's shape, without any secret.

Why swanctl's shape: the record says what the gateway was configured with in the words an
operator would type into swanctl.conf, so the "recommended gateway settings" page can quote it
as is. It comes from the same VICI message builder the gateway was loaded with, so the summary
cannot drift from what charon received. Certificates become file-name placeholders and EAP
secrets are only counted: the report must never hold a password.
"""

from __future__ import annotations

from typing import Any

from infra.gateway.dhcp_server import documented_config
from infra.gateway.spec import GatewaySpec
from infra.gateway.vici_messages import connection_message, pool_message

GATEWAY_CERT = "gateway.pem"
CLIENT_CA = "ca.pem"
GATEWAY_ID = "<the gateway's DNS name>"


def summarize(spec: GatewaySpec) -> dict[str, Any]:
    """swanctl.conf sections of SPEC (`connections`, `pools`) plus the strongswan.conf
    options the spec sets; unset options are absent (charon's compiled-in default applies)."""
    connections = {
        conn.name: _placeholders(
            connection_message(conn, local_id=GATEWAY_ID, local_cert_pem=b"", remote_ca_pem=b"")
        )
        for conn in spec.connections
    }
    charon: dict[str, Any] = {}
    if spec.fragment_size is not None:
        charon["fragment_size"] = spec.fragment_size
    if spec.send_vendor_id:
        charon["send_vendor_id"] = "yes"
    return {
        "preset": spec.preset,
        "source": spec.source,
        "connections": connections,
        "pools": {pool.name: pool_message(pool) for pool in spec.pools},
        "eap_secrets": len(spec.eap_secrets),
        "charon": charon,
        "filler_cas": spec.filler_cas,
        "dnsmasq": documented_config(spec.dhcp_routes) if spec.dhcp_routes else [],
    }


def _placeholders(message: dict[str, Any]) -> dict[str, Any]:
    """Certificates in a VICI message are PEM bytes; in swanctl.conf they are file names."""
    local = dict(message["local"])
    local["certs"] = [GATEWAY_CERT]
    rounds = {}
    for section in (k for k in message if k == "remote" or k.startswith("remote-")):
        remote = dict(message[section])
        if "cacerts" in remote:
            remote["cacerts"] = [CLIENT_CA]
        rounds[section] = remote  # one round: `remote`; several (RFC 4739): remote-1, -2
    return {**message, "local": local, **rounds}
