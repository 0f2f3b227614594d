"""Gateway presets: named, documented gateway configurations the suites run against.

`docs-recommended` is the configuration strongSwan documents for Windows clients:
- case A: https://docs.strongswan.org/docs/latest/interop/windowsMachineServerConf.html
- case B: https://docs.strongswan.org/docs/latest/interop/windowsUserServerConf.html
- case C: https://docs.strongswan.org/docs/latest/interop/windowsEapServerConf.html
  (strongswan-docs `docs/modules/ROOT/pages/interop/windows*ServerConf.adoc`).
Pools for IPv4 and IPv6 with an internal DNS server, `local_ts = 0.0.0.0/0, ::/0`, the gateway
identified by its DNS name, clients' CA pinned, and no proposals configured (the docs leave
charon's defaults in place on purpose, to accept stronger client proposals). One deviation:
the EAP page configures `remote.auth = eap-dynamic`, but Debian 12 does not ship the
eap-dynamic plugin, so case C uses `eap-mschapv2`, the method eap-dynamic settles on for a
Windows password client (it NAKs the EAP-TLS offer).

`strongswan-defaults` is what the installed charon does when nothing is set: only what a
connection cannot work without (its certificate, the remote auth method, a virtual IP pool
and `local_ts = 0.0.0.0/0`); proposals, fragmentation, rekeying, DPD and the rest are left to
charon 5.9.8's compiled-in defaults.
"""

from __future__ import annotations

from collections.abc import Callable

from infra.auth_cases import AuthCase
from infra.gateway.spec import (
    ChildSpec,
    ConnectionSpec,
    EapSecret,
    GatewaySpec,
    PoolSpec,
    RemoteAuth,
)

VIP_POOL4 = "198.19.3.0/26"
VIP_POOL6 = "2001:db8:3::/122"
INTERNAL_DNS = "198.19.1.53"

_DOCS_URL = "https://docs.strongswan.org/docs/latest/interop/"
_DOCS_PAGE = {
    AuthCase.MACHINE_CERT: "windowsMachineServerConf.html",
    AuthCase.EAP_TLS: "windowsUserServerConf.html",
    AuthCase.EAP_MSCHAPV2: "windowsEapServerConf.html",
}
_REMOTE_AUTH = {
    AuthCase.MACHINE_CERT: RemoteAuth.PUBKEY,
    AuthCase.EAP_TLS: RemoteAuth.EAP_TLS,
    AuthCase.EAP_MSCHAPV2: RemoteAuth.EAP_MSCHAPV2,
}
_CONN_NAME = {
    AuthCase.MACHINE_CERT: "win",
    AuthCase.EAP_TLS: "eap-tls",
    AuthCase.EAP_MSCHAPV2: "eap",
}


def docs_recommended(case: AuthCase, eap_secrets: tuple[EapSecret, ...] = ()) -> GatewaySpec:
    """strongSwan's documented gateway for Windows clients, for one authentication case."""
    remote_auth = _REMOTE_AUTH[case]
    name = _CONN_NAME[case]
    return GatewaySpec(
        preset="docs-recommended",
        connections=(
            ConnectionSpec(
                name=name,
                remote_auth=remote_auth,
                pools=("ipv4", "ipv6"),
                eap_id="%any" if remote_auth.is_eap else None,
                children=(ChildSpec(name=name, local_ts=("0.0.0.0/0", "::/0")),),
            ),
        ),
        pools=(
            PoolSpec("ipv4", VIP_POOL4, dns=(INTERNAL_DNS,)),
            PoolSpec("ipv6", VIP_POOL6),
        ),
        eap_secrets=eap_secrets if remote_auth.is_eap else (),
        source=_DOCS_URL + _DOCS_PAGE[case],
    )


def strongswan_defaults(case: AuthCase, eap_secrets: tuple[EapSecret, ...] = ()) -> GatewaySpec:
    """Only what a connection cannot do without; everything else is charon's default."""
    remote_auth = _REMOTE_AUTH[case]
    return GatewaySpec(
        preset="strongswan-defaults",
        connections=(
            ConnectionSpec(
                name="rw",
                remote_auth=remote_auth,
                pools=("ipv4",),
                children=(ChildSpec(name="net", local_ts=("0.0.0.0/0",)),),
            ),
        ),
        pools=(PoolSpec("ipv4", VIP_POOL4),),
        eap_secrets=eap_secrets if remote_auth.is_eap else (),
        source="charon 5.9.8 compiled-in defaults (swanctl.conf(5))",
    )


PRESETS: dict[str, Callable[[AuthCase, tuple[EapSecret, ...]], GatewaySpec]] = {
    "docs-recommended": docs_recommended,
    "strongswan-defaults": strongswan_defaults,
}
