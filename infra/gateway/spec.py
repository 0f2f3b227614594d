"""GatewaySpec: a typed, validated description of a strongSwan gateway's VICI configuration.

A spec is validated on construction, so a mistake in a suite (an unknown proposal keyword, a
pool that does not exist, a negative rekey time) fails with the field's path before any
namespace or daemon exists. `None` always means "not set: charon's own default applies";
that is how the `strongswan-defaults` preset expresses "what charon does when nothing is
set".
"""

from __future__ import annotations

import enum
import ipaddress
from dataclasses import dataclass, field

from infra.gateway.proposals import unknown_keywords


class SpecError(ValueError):
    """An invalid GatewaySpec; the message starts with the path of the offending field."""


class RemoteAuth(enum.StrEnum):
    """How the gateway authenticates clients (swanctl `remote.auth`)."""

    PUBKEY = "pubkey"
    EAP_MSCHAPV2 = "eap-mschapv2"
    EAP_TLS = "eap-tls"
    EAP_DYNAMIC = "eap-dynamic"

    @property
    def is_eap(self) -> bool:
        return self is not RemoteAuth.PUBKEY


class Fragmentation(enum.StrEnum):
    YES = "yes"
    NO = "no"
    ACCEPT = "accept"
    FORCE = "force"


class DpdAction(enum.StrEnum):
    CLEAR = "clear"
    TRAP = "trap"
    RESTART = "restart"


@dataclass(frozen=True)
class ChildSpec:
    """One CHILD SA configuration (swanctl `children.<name>`); times in seconds."""

    name: str = "net"
    local_ts: tuple[str, ...] = ("0.0.0.0/0", "::/0")
    esp_proposals: tuple[str, ...] | None = None
    rekey_time: int | None = None
    life_time: int | None = None
    rand_time: int | None = None
    dpd_action: DpdAction | None = None


@dataclass(frozen=True)
class ConnectionSpec:
    """One IKE connection (swanctl `connections.<name>`); times in seconds."""

    name: str
    remote_auth: RemoteAuth
    children: tuple[ChildSpec, ...] = (ChildSpec(),)
    pools: tuple[str, ...] = ()
    proposals: tuple[str, ...] | None = None
    remote_id: str | None = None
    eap_id: str | None = None
    fragmentation: Fragmentation | None = None
    dpd_delay: int | None = None
    rekey_time: int | None = None
    reauth_time: int | None = None
    over_time: int | None = None
    rand_time: int | None = None
    send_certreq: bool | None = None
    mobike: bool | None = None
    trust_remote_ca: bool = True
    """Pin the remote's CA (`remote.cacerts`) as the documented configurations do."""
    second_remote_auth: RemoteAuth | None = None
    """A second authentication round the client must complete (RFC 4739; swanctl
    `remote-1` = remote_auth, `remote-2` = this); None: one round (`remote`). eap_id
    belongs to whichever round is EAP."""

    @property
    def remote_rounds(self) -> tuple[RemoteAuth, ...]:
        """The authentication rounds, in order."""
        second = (self.second_remote_auth,) if self.second_remote_auth is not None else ()
        return (self.remote_auth, *second)


@dataclass(frozen=True)
class PoolSpec:
    """A virtual IP pool with the attributes handed out in the CP reply."""

    name: str
    addrs: str
    dns: tuple[str, ...] = ()
    nbns: tuple[str, ...] = ()


@dataclass(frozen=True)
class EapSecret:
    """An EAP secret (swanctl `secrets.eap-*`). Never logged: see __repr__."""

    identity: str
    secret: str = field(repr=False)


@dataclass(frozen=True)
class GatewaySpec:
    """Everything loaded into one gateway over VICI. PRESET names it in test IDs."""

    preset: str
    connections: tuple[ConnectionSpec, ...]
    pools: tuple[PoolSpec, ...] = ()
    eap_secrets: tuple[EapSecret, ...] = ()
    fragment_size: int | None = None
    send_vendor_id: bool = False
    filler_cas: int = 0
    """How many unrelated CAs the gateway trusts besides the lab's (infra.pki FILLER_CAS):
    each adds a 20-byte hash to the CERTREQ of its IKE_SA_INIT response."""
    retransmit_tries: int | None = None
    """strongswan.conf charon.retransmit_tries (with a 1 s first timeout); None: charon's 5
    tries over about 165 s, too long to watch a vanished client being given up on."""
    dhcp_routes: tuple[str, ...] = ()
    """IPv4 routes the LAN's DHCP server (dnsmasq, infra.gateway.dhcp_server) hands out in
    option 249 to Windows' DHCPINFORM; empty: no DHCP server on the LAN."""
    source: str = ""
    """Where the configuration comes from (a documentation URL for documented presets)."""

    def __post_init__(self) -> None:
        _validate(self)

    def dhcp_pool(self) -> str | None:
        """The IPv4 pool the DHCP server's subnet covers (where DHCPINFORMs come from)."""
        for pool in self.pools:
            try:
                if ipaddress.ip_network(pool.addrs, strict=False).version == 4:
                    return pool.addrs
            except ValueError:
                return None
        return None

    def connection(self, name: str) -> ConnectionSpec:
        for conn in self.connections:
            if conn.name == name:
                return conn
        raise KeyError(name)


def _check_name(path: str, name: str) -> None:
    if not name or not all(c.isalnum() or c in "-_" for c in name):
        raise SpecError(f"{path}: {name!r} is not a valid name (letters, digits, '-', '_')")


def _check_time(path: str, value: int | None) -> None:
    if value is not None and (not isinstance(value, int) or value < 0):
        raise SpecError(f"{path}: {value!r} must be a whole number of seconds >= 0")


def _check_proposals(path: str, proposals: tuple[str, ...] | None) -> None:
    if proposals is None:
        return
    if not proposals:
        raise SpecError(f"{path}: empty tuple; use None for charon's default proposals")
    for i, proposal in enumerate(proposals):
        bad = unknown_keywords(proposal)
        if bad:
            raise SpecError(f"{path}[{i}]: unknown keyword(s) {', '.join(bad)} in {proposal!r}")


def _check_network(path: str, text: str) -> None:
    try:
        ipaddress.ip_network(text, strict=False)
    except ValueError as exc:
        raise SpecError(f"{path}: {text!r} is not an IP network ({exc})") from None


def _check_address(path: str, text: str) -> None:
    try:
        ipaddress.ip_address(text)
    except ValueError:
        raise SpecError(f"{path}: {text!r} is not an IP address") from None


def _check_rounds(path: str, conn: ConnectionSpec) -> None:
    """A second round must be a RemoteAuth, differ from the first, and at most one round
    may be EAP (charon runs one EAP method per IKE SA, and eap_id names one round)."""
    second = conn.second_remote_auth
    if second is None:
        return
    if not isinstance(second, RemoteAuth):
        raise SpecError(f"{path}.second_remote_auth: {second!r} is not a RemoteAuth")
    if second is conn.remote_auth:
        raise SpecError(
            f"{path}.second_remote_auth: {second.value} again; a second round must "
            "authenticate with another method"
        )
    if second.is_eap and conn.remote_auth.is_eap:
        raise SpecError(
            f"{path}.second_remote_auth: {second.value} after {conn.remote_auth.value}; at most "
            "one round may be EAP"
        )


def _validate(spec: GatewaySpec) -> None:
    _check_name("preset", spec.preset)
    if not spec.connections:
        raise SpecError("connections: a gateway needs at least one connection")
    if spec.fragment_size is not None and not 512 <= spec.fragment_size <= 65535:
        raise SpecError(f"fragment_size: {spec.fragment_size} is outside 512..65535")
    if not 0 <= spec.filler_cas <= 64:
        raise SpecError(f"filler_cas: {spec.filler_cas} is outside 0..64 (the lab has 64)")
    if spec.retransmit_tries is not None and not 0 <= spec.retransmit_tries <= 20:
        raise SpecError(f"retransmit_tries: {spec.retransmit_tries} is outside 0..20")
    for i, route in enumerate(spec.dhcp_routes):
        _check_network(f"dhcp_routes[{i}]", route)
        if ipaddress.ip_network(route, strict=False).version != 4:
            raise SpecError(f"dhcp_routes[{i}]: {route!r}: option 249 carries IPv4 routes only")
    if spec.dhcp_routes and spec.dhcp_pool() is None:
        raise SpecError("dhcp_routes: the DHCP server needs an IPv4 virtual IP pool to serve")
    pool_names = set()
    for i, pool in enumerate(spec.pools):
        _check_name(f"pools[{i}].name", pool.name)
        if pool.name in pool_names:
            raise SpecError(f"pools[{i}].name: duplicate pool {pool.name!r}")
        pool_names.add(pool.name)
        _check_network(f"pools[{i}].addrs", pool.addrs)
        for j, dns in enumerate(pool.dns):
            _check_address(f"pools[{i}].dns[{j}]", dns)
        for j, nbns in enumerate(pool.nbns):
            _check_address(f"pools[{i}].nbns[{j}]", nbns)
    for i, secret in enumerate(spec.eap_secrets):
        if not secret.identity:
            raise SpecError(f"eap_secrets[{i}].identity: must not be empty")
        if not secret.secret:
            raise SpecError(f"eap_secrets[{i}].secret: must not be empty")
    names = set()
    for i, conn in enumerate(spec.connections):
        path = f"connections[{i}]"
        _check_name(f"{path}.name", conn.name)
        if conn.name in names:
            raise SpecError(f"{path}.name: duplicate connection {conn.name!r}")
        names.add(conn.name)
        if not isinstance(conn.remote_auth, RemoteAuth):
            raise SpecError(f"{path}.remote_auth: {conn.remote_auth!r} is not a RemoteAuth")
        for j, pool_name in enumerate(conn.pools):
            if pool_name not in pool_names:
                raise SpecError(f"{path}.pools[{j}]: no pool named {pool_name!r} in pools")
        _check_proposals(f"{path}.proposals", conn.proposals)
        for attr in ("dpd_delay", "rekey_time", "reauth_time", "over_time", "rand_time"):
            _check_time(f"{path}.{attr}", getattr(conn, attr))
        _check_rounds(path, conn)
        if conn.eap_id is not None and not any(r.is_eap for r in conn.remote_rounds):
            raise SpecError(f"{path}.eap_id: only meaningful with an EAP remote_auth")
        for field_name, auth in (
            ("remote_auth", conn.remote_auth),
            ("second_remote_auth", conn.second_remote_auth),
        ):
            if auth is RemoteAuth.EAP_MSCHAPV2 and not spec.eap_secrets:
                raise SpecError(f"{path}.{field_name}: eap-mschapv2 needs at least one eap_secret")
        if not conn.children:
            raise SpecError(f"{path}.children: a connection needs at least one child")
        child_names = set()
        for j, child in enumerate(conn.children):
            cpath = f"{path}.children[{j}]"
            _check_name(f"{cpath}.name", child.name)
            if child.name in child_names:
                raise SpecError(f"{cpath}.name: duplicate child {child.name!r}")
            child_names.add(child.name)
            if not child.local_ts:
                raise SpecError(f"{cpath}.local_ts: at least one traffic selector")
            for k, ts in enumerate(child.local_ts):
                _check_network(f"{cpath}.local_ts[{k}]", ts)
            _check_proposals(f"{cpath}.esp_proposals", child.esp_proposals)
            for attr in ("rekey_time", "life_time", "rand_time"):
                _check_time(f"{cpath}.{attr}", getattr(child, attr))
            if (
                child.rekey_time is not None
                and child.life_time is not None
                and child.life_time != 0
                and child.life_time <= child.rekey_time
            ):
                raise SpecError(
                    f"{cpath}.life_time: {child.life_time} must exceed rekey_time "
                    f"{child.rekey_time} (charon would never rekey)"
                )
