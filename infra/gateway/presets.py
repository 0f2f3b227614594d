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

`eap-dynamic` is that EAP page taken literally, for cases B and C: one connection with
`remote.auth = eap-dynamic` (and eap-identity), so the gateway offers EAP-TLS first and a
password client has to NAK it (the session in
https://docs.strongswan.org/docs/latest/interop/windowsEapServerStatus.html). It needs
charon's eap-dynamic plugin, which Debian 12 does not ship and which the lab's charon does
not load; REQUIRED_PLUGINS says so, infra.doctor reports it as an optional check, and the
cells of this preset skip at collection with that reason (fixtures.clients).

`strongswan-defaults` is what the installed charon does when nothing is set: only what a
connection cannot work without (its certificate, the remote auth method, a virtual IP pool
and `local_ts = 0.0.0.0/0`); proposals, fragmentation, rekeying, DPD and the rest are left to
the compiled-in defaults of the gateway's release (5.9.8 on the host; infra.gateway.releases
lists what 6.x does differently).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from infra.auth_cases import AuthCase
from infra.charon.config import PLUGINS
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
        source="charon's compiled-in defaults of the gateway's release (swanctl.conf(5))",
    )


def eap_dynamic(case: AuthCase, eap_secrets: tuple[EapSecret, ...] = ()) -> GatewaySpec:
    """The documented EAP gateway as written: `remote.auth = eap-dynamic`, EAP-TLS offered
    first (cases B and C only; needs the eap-dynamic plugin, see REQUIRED_PLUGINS)."""
    if case is AuthCase.MACHINE_CERT:
        raise ValueError("the eap-dynamic preset is for the EAP cases (eap-tls, eap-mschapv2)")
    return GatewaySpec(
        preset="eap-dynamic",
        connections=(
            ConnectionSpec(
                name="eap",
                remote_auth=RemoteAuth.EAP_DYNAMIC,
                pools=("ipv4", "ipv6"),
                eap_id="%any",
                children=(ChildSpec(name="eap", local_ts=("0.0.0.0/0", "::/0")),),
            ),
        ),
        pools=(
            PoolSpec("ipv4", VIP_POOL4, dns=(INTERNAL_DNS,)),
            PoolSpec("ipv6", VIP_POOL6),
        ),
        eap_secrets=eap_secrets,
        source=_DOCS_URL + _DOCS_PAGE[AuthCase.EAP_MSCHAPV2],
    )


PRESETS: dict[str, Callable[[AuthCase, tuple[EapSecret, ...]], GatewaySpec]] = {
    "docs-recommended": docs_recommended,
    "eap-dynamic": eap_dynamic,
    "strongswan-defaults": strongswan_defaults,
}

CHARON_PLUGIN_DIR = Path("/usr/lib/ipsec/plugins")
REQUIRED_PLUGINS: dict[str, tuple[str, ...]] = {"eap-dynamic": ("eap-dynamic",)}
"""charon plugins a preset needs beyond what every lab gateway loads."""


def missing_plugins(preset: str, plugin_dir: Path = CHARON_PLUGIN_DIR) -> list[str]:
    """Why PRESET cannot run on this machine, one sentence per missing plugin (empty: it can).

    A plugin counts as present when its shared object is installed and the lab's charon
    loads it (infra.charon.config.PLUGINS)."""
    loaded = set(PLUGINS.split())
    reasons = []
    for plugin in REQUIRED_PLUGINS.get(preset, ()):
        installed = (plugin_dir / f"libstrongswan-{plugin}.so").exists()
        if installed and plugin in loaded:
            continue
        where = [] if installed else [f"not installed in {plugin_dir} (Debian 12 does not ship it)"]
        if plugin not in loaded:
            where.append("not in the lab charon's plugin list (infra.charon.config.PLUGINS)")
        reasons.append(f"charon plugin {plugin} " + " and ".join(where))
    return reasons
