"""GatewaySpec -> VICI messages (load-conn, load-pool, load-shared), as plain dicts.

Unset spec fields are left out of the message so charon applies its compiled-in defaults;
times go out as seconds ("300s") and booleans as "yes"/"no", as swanctl sends them.
"""

from __future__ import annotations

from typing import Any

from infra.gateway.spec import ChildSpec, ConnectionSpec, EapSecret, GatewaySpec, PoolSpec

Message = dict[str, Any]


def _yes_no(value: bool) -> str:
    return "yes" if value else "no"


def _put(msg: Message, key: str, value: object) -> None:
    """Add KEY only when VALUE is set (None means: keep charon's default)."""
    if value is None:
        return
    if isinstance(value, bool):
        msg[key] = _yes_no(value)
    elif isinstance(value, int):
        msg[key] = f"{value}s"
    elif isinstance(value, tuple):
        msg[key] = list(value)
    else:
        msg[key] = str(value)


def child_message(child: ChildSpec) -> Message:
    msg: Message = {"local_ts": list(child.local_ts)}
    _put(msg, "esp_proposals", child.esp_proposals)
    _put(msg, "rekey_time", child.rekey_time)
    _put(msg, "life_time", child.life_time)
    _put(msg, "rand_time", child.rand_time)
    _put(msg, "dpd_action", child.dpd_action)
    return msg


def connection_message(
    conn: ConnectionSpec, *, local_id: str, local_cert_pem: bytes, remote_ca_pem: bytes
) -> Message:
    """The load-conn body of CONN; the gateway always authenticates with its certificate.

    One round is the `remote` section; two rounds (RFC 4739) are `remote-1` and `remote-2`,
    which charon orders by their suffix. The remote ID goes with the first round."""
    rounds = conn.remote_rounds
    sections = ["remote"] if len(rounds) == 1 else [f"remote-{n}" for n in range(1, 3)]
    msg: Message = {
        "version": "2",
        "local": {"auth": "pubkey", "certs": [local_cert_pem], "id": local_id},
    }
    for number, (section, auth) in enumerate(zip(sections, rounds, strict=True)):
        remote: Message = {"auth": auth.value}
        if number == 0:
            _put(remote, "id", conn.remote_id)
        if auth.is_eap:
            _put(remote, "eap_id", conn.eap_id)
        if conn.trust_remote_ca and auth.value in ("pubkey", "eap-tls"):
            remote["cacerts"] = [remote_ca_pem]
        msg[section] = remote
    msg["children"] = {child.name: child_message(child) for child in conn.children}
    _put(msg, "pools", conn.pools or None)
    _put(msg, "proposals", conn.proposals)
    _put(msg, "fragmentation", conn.fragmentation)
    _put(msg, "dpd_delay", conn.dpd_delay)
    _put(msg, "rekey_time", conn.rekey_time)
    _put(msg, "reauth_time", conn.reauth_time)
    _put(msg, "over_time", conn.over_time)
    _put(msg, "rand_time", conn.rand_time)
    _put(msg, "send_certreq", conn.send_certreq)
    _put(msg, "mobike", conn.mobike)
    return msg


def pool_message(pool: PoolSpec) -> Message:
    msg: Message = {"addrs": pool.addrs}
    _put(msg, "dns", pool.dns or None)
    _put(msg, "nbns", pool.nbns or None)
    return msg


def secret_message(secret: EapSecret) -> Message:
    return {"type": "EAP", "data": secret.secret, "owners": [secret.identity]}


def gateway_messages(
    spec: GatewaySpec, *, local_id: str, local_cert_pem: bytes, remote_ca_pem: bytes
) -> tuple[dict[str, Message], dict[str, Message], list[Message]]:
    """All messages of SPEC: (connections by name, pools by name, shared secrets)."""
    conns = {
        c.name: connection_message(
            c, local_id=local_id, local_cert_pem=local_cert_pem, remote_ca_pem=remote_ca_pem
        )
        for c in spec.connections
    }
    pools = {p.name: pool_message(p) for p in spec.pools}
    return conns, pools, [secret_message(s) for s in spec.eap_secrets]
