"""GatewaySpec validation and its VICI messages (no daemon needed)."""

from __future__ import annotations

from pathlib import Path

import pytest

from infra.auth_cases import AuthCase
from infra.gateway.dhcp_server import dnsmasq_args
from infra.gateway.presets import docs_recommended, strongswan_defaults
from infra.gateway.spec import (
    ChildSpec,
    ConnectionSpec,
    EapSecret,
    GatewaySpec,
    PoolSpec,
    RemoteAuth,
    SpecError,
)
from infra.gateway.vici_messages import gateway_messages

SECRET = (EapSecret("alice", "pw"),)


def conn(**kw: object) -> ConnectionSpec:
    base: dict[str, object] = {"name": "rw", "remote_auth": RemoteAuth.PUBKEY}
    base.update(kw)
    return ConnectionSpec(**base)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        (
            {"connections": (conn(proposals=("aes999-sha1-modp1024",)),)},
            r"connections\[0\]\.proposals\[0\]: unknown keyword\(s\) aes999",
        ),
        (
            {"connections": (conn(pools=("nope",)),)},
            r"connections\[0\]\.pools\[0\]: no pool named 'nope'",
        ),
        ({"connections": (conn(rekey_time=-1),)}, r"connections\[0\]\.rekey_time: -1"),
        ({"connections": (conn(),), "filler_cas": 65}, r"filler_cas: 65 is outside 0\.\.64"),
        (
            {"connections": (conn(children=(ChildSpec(esp_proposals=("aes128-shaX",)),)),)},
            r"connections\[0\]\.children\[0\]\.esp_proposals\[0\]: unknown keyword\(s\) shaX",
        ),
        (
            {"connections": (conn(children=(ChildSpec(rekey_time=60, life_time=30),)),)},
            r"children\[0\]\.life_time: 30 must exceed rekey_time 60",
        ),
        (
            {"connections": (conn(children=(ChildSpec(local_ts=("10.0.0.0/33",)),)),)},
            r"children\[0\]\.local_ts\[0\]: '10.0.0.0/33' is not an IP network",
        ),
        (
            {"connections": (conn(remote_auth=RemoteAuth.EAP_MSCHAPV2),)},
            r"connections\[0\]\.remote_auth: eap-mschapv2 needs at least one eap_secret",
        ),
        ({"connections": (conn(), conn())}, r"connections\[1\]\.name: duplicate connection 'rw'"),
        ({"connections": ()}, r"connections: a gateway needs at least one connection"),
        (
            {"connections": (conn(),), "pools": (PoolSpec("p", "198.19.3.0/24", dns=("x",)),)},
            r"pools\[0\]\.dns\[0\]: 'x' is not an IP address",
        ),
        ({"connections": (conn(),), "fragment_size": 100}, r"fragment_size: 100 is outside"),
        (
            {"connections": (conn(name="a b"),)},
            r"connections\[0\]\.name: 'a b' is not a valid name",
        ),
        ({"connections": (conn(eap_id="%any"),)}, r"connections\[0\]\.eap_id: only meaningful"),
        (
            {"connections": (conn(second_remote_auth=RemoteAuth.EAP_MSCHAPV2),)},
            r"connections\[0\]\.second_remote_auth: eap-mschapv2 needs at least one eap_secret",
        ),
        (
            {"connections": (conn(second_remote_auth=RemoteAuth.PUBKEY),)},
            r"connections\[0\]\.second_remote_auth: pubkey again",
        ),
        (
            {
                "connections": (
                    conn(
                        remote_auth=RemoteAuth.EAP_TLS,
                        second_remote_auth=RemoteAuth.EAP_MSCHAPV2,
                    ),
                ),
                "eap_secrets": SECRET,
            },
            r"second_remote_auth: eap-mschapv2 after eap-tls; at most one round may be EAP",
        ),
        (
            {"connections": (conn(second_remote_auth="eap-mschapv2"),), "eap_secrets": SECRET},
            r"connections\[0\]\.second_remote_auth: 'eap-mschapv2' is not a RemoteAuth",
        ),
        (
            {"connections": (conn(),), "dhcp_routes": ("198.19.1.0/24",)},
            r"dhcp_routes: the DHCP server needs an IPv4 virtual IP pool",
        ),
        (
            {
                "connections": (conn(),),
                "pools": (PoolSpec("p", "198.19.3.0/24"),),
                "dhcp_routes": ("2001:db8::/32",),
            },
            r"dhcp_routes\[0\]: '2001:db8::/32': option 249 carries IPv4 routes only",
        ),
        (
            {
                "connections": (conn(),),
                "pools": (PoolSpec("p", "198.19.3.0/24"),),
                "dhcp_routes": ("198.19.1.0/33",),
            },
            r"dhcp_routes\[0\]: '198.19.1.0/33' is not an IP network",
        ),
    ],
)
def test_invalid_spec_names_the_field(kwargs: dict[str, object], message: str) -> None:
    with pytest.raises(SpecError, match=message):
        GatewaySpec(preset="test", **kwargs)  # type: ignore[arg-type]


def test_secret_is_not_in_repr() -> None:
    assert "pw" not in repr(EapSecret("alice", "pw"))


@pytest.mark.parametrize("case", list(AuthCase))
def test_docs_recommended_follows_the_documentation(case: AuthCase) -> None:
    spec = docs_recommended(case, SECRET)
    conns, pools, secrets = gateway_messages(
        spec, local_id="gw.example.test", local_cert_pem=b"CERT", remote_ca_pem=b"CA"
    )
    ((name, msg),) = conns.items()
    assert msg["pools"] == ["ipv4", "ipv6"]
    assert msg["local"] == {"auth": "pubkey", "certs": [b"CERT"], "id": "gw.example.test"}
    assert msg["children"][name]["local_ts"] == ["0.0.0.0/0", "::/0"]
    assert "proposals" not in msg, "the docs leave charon's default proposals in place"
    assert pools["ipv4"]["dns"] == ["198.19.1.53"]
    if case is AuthCase.MACHINE_CERT:
        assert msg["remote"] == {"auth": "pubkey", "cacerts": [b"CA"]} and not secrets
    elif case is AuthCase.EAP_TLS:
        assert msg["remote"] == {"auth": "eap-tls", "eap_id": "%any", "cacerts": [b"CA"]}
    else:
        assert msg["remote"] == {"auth": "eap-mschapv2", "eap_id": "%any"}
        assert secrets == [{"type": "EAP", "data": "pw", "owners": ["alice"]}]
    assert spec.source.startswith("https://docs.strongswan.org/")


def test_strongswan_defaults_sets_nothing_optional() -> None:
    spec = strongswan_defaults(AuthCase.MACHINE_CERT)
    conns, _, _ = gateway_messages(spec, local_id="gw", local_cert_pem=b"C", remote_ca_pem=b"A")
    msg = conns["rw"]
    for key in ("proposals", "fragmentation", "rekey_time", "dpd_delay", "send_certreq", "mobike"):
        assert key not in msg
    assert msg["children"]["net"] == {"local_ts": ["0.0.0.0/0"]}


def test_times_and_flags_are_rendered_as_swanctl_would() -> None:
    spec = GatewaySpec(
        preset="t",
        connections=(
            conn(
                rekey_time=0,
                dpd_delay=30,
                send_certreq=False,
                proposals=("aes256-sha256-modp2048",),
                children=(
                    ChildSpec(rekey_time=3600, life_time=3700, esp_proposals=("aes256-sha1",)),
                ),
            ),
        ),
    )
    conns, _, _ = gateway_messages(spec, local_id="gw", local_cert_pem=b"C", remote_ca_pem=b"A")
    msg = conns["rw"]
    assert msg["rekey_time"] == "0s" and msg["dpd_delay"] == "30s" and msg["send_certreq"] == "no"
    assert msg["children"]["net"]["rekey_time"] == "3600s"
    assert msg["children"]["net"]["esp_proposals"] == ["aes256-sha1"]


def test_two_rounds_become_remote_1_and_remote_2() -> None:
    """RFC 4739: certificate first, then EAP-MSCHAPv2; the CA pin goes with the certificate
    round and eap_id with the EAP round (swanctl.conf(5) remote<suffix>)."""
    spec = GatewaySpec(
        preset="t",
        connections=(
            conn(second_remote_auth=RemoteAuth.EAP_MSCHAPV2, eap_id="%any", remote_id="*@x"),
        ),
        eap_secrets=SECRET,
    )
    assert spec.connections[0].remote_rounds == (RemoteAuth.PUBKEY, RemoteAuth.EAP_MSCHAPV2)
    conns, _, _ = gateway_messages(spec, local_id="gw", local_cert_pem=b"C", remote_ca_pem=b"A")
    msg = conns["rw"]
    assert "remote" not in msg
    assert msg["remote-1"] == {"auth": "pubkey", "id": "*@x", "cacerts": [b"A"]}
    assert msg["remote-2"] == {"auth": "eap-mschapv2", "eap_id": "%any"}


def test_one_round_stays_the_remote_section() -> None:
    spec = GatewaySpec(preset="t", connections=(conn(),))
    conns, _, _ = gateway_messages(spec, local_id="gw", local_cert_pem=b"C", remote_ca_pem=b"A")
    assert conns["rw"]["remote"] == {"auth": "pubkey", "cacerts": [b"A"]}
    assert "remote-1" not in conns["rw"]


def test_the_report_summary_keeps_both_rounds_without_certificates() -> None:
    """result.json's gateway spec (reports.spec_summary) in swanctl's shape: remote-1 and
    remote-2, the CA pin as a file name, no PEM bytes."""
    from reports.spec_summary import CLIENT_CA, summarize

    spec = GatewaySpec(
        preset="t",
        connections=(conn(second_remote_auth=RemoteAuth.EAP_MSCHAPV2, eap_id="%any"),),
        eap_secrets=SECRET,
    )
    summary = summarize(spec)["connections"]["rw"]
    assert summary["remote-1"] == {"auth": "pubkey", "cacerts": [CLIENT_CA]}
    assert summary["remote-2"] == {"auth": "eap-mschapv2", "eap_id": "%any"}
    assert "remote" not in summary


def test_dnsmasq_runs_the_documented_configuration(tmp_path: Path) -> None:
    """[SW-WC]'s dnsmasq lines (vendor-class tag, option 249 to the tag, router 0.0.0.0),
    DHCP only, on charon's ipsec0, every file in the lab's directory."""
    args = dnsmasq_args(
        routes=("198.19.1.0/24", "10.0.0.0/8"),
        pool="198.19.3.0/26",
        workdir=tmp_path,
        log=tmp_path / "dnsmasq.log",
    )
    assert "--dhcp-vendorclass=set:msipsec,MSFT 5.0" in args
    assert "--dhcp-option=tag:msipsec,249,198.19.1.0/24,0.0.0.0,10.0.0.0/8,0.0.0.0" in args
    assert "--port=0" in args and "--interface=ipsec0" in args
    assert "--dhcp-range=198.19.3.0,static,255.255.255.192" in args
    paths = [a.split("=", 1)[1] for a in args if a.startswith(("--dhcp-leasefile", "--pid-file"))]
    assert len(paths) == 2 and all(p.startswith(str(tmp_path)) for p in paths)
