"""ESP keys from charon's log (infra.capture.esp_keys) and tshark decrypting with them.

The committed capture is a real one (emulated win10-22h2, case A, behind the NAT, one ping
through the tunnel) with the gateway's log; the synthetic log checks the key direction of a
CHILD SA the gateway itself created (its rekey), where "initiator" means the gateway.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from infra.capture.decode import decode_capture
from infra.capture.dhcp_routes import describe_classless_routes
from infra.capture.esp_keys import parse_child_sas, write_esp_table

CAPTURES = Path(__file__).parent / "data" / "captures"

GATEWAY_REKEY_LOG = "\n".join(
    [
        "10:00:00.000 05[ENC] <win|1> generating CREATE_CHILD_SA request 4 [ N(REKEY_SA) SA ]",
        "10:00:00.001 05[CFG] <win|1> selected proposal: ESP:AES_GCM_16_256/NO_EXT_SEQ",
        "10:00:00.002 05[CHD] <win|1> encryption initiator key => 4 bytes @ 0x1",
        "10:00:00.002 05[CHD] <win|1>    0: 11 11 11 11                                      ....",
        "10:00:00.003 05[CHD] <win|1> encryption responder key => 4 bytes @ 0x2",
        "10:00:00.003 05[CHD] <win|1>    0: 22 22 22 22                                      ....",
        "10:00:00.004 05[IKE] <win|1> CHILD_SA win{2} established with SPIs c0000001_i "
        "c0000002_o and TS 0.0.0.0/0 === 198.19.3.1/32",
    ]
)


def test_a_client_created_child_sa_gives_the_initiator_keys_to_the_gateway_s_inbound_spi() -> None:
    (child,) = parse_child_sas((CAPTURES / "nat-esp-cbc.gateway.log").read_text())
    assert child.proposal == "AES_CBC_256/HMAC_SHA1_96/NO_EXT_SEQ"
    assert not child.gateway_started
    assert {k: len(v) for k, v in child.keys.items()} == {
        "encryption initiator": 32,
        "encryption responder": 32,
        "integrity initiator": 20,
        "integrity responder": 20,
    }
    inbound, outbound = child.rows("IPv4")
    assert inbound.startswith(f'"IPv4","*","*","0x{child.spi_in}","AES-CBC [RFC3602]",')
    assert child.keys["encryption initiator"].hex() in inbound
    assert child.keys["encryption responder"].hex() in outbound
    assert '"HMAC-SHA-1-96 [RFC2404]"' in inbound


def test_a_gateway_created_child_sa_swaps_the_directions_and_aead_has_no_integrity() -> None:
    (child,) = parse_child_sas(GATEWAY_REKEY_LOG)
    assert child.gateway_started and (child.spi_in, child.spi_out) == ("c0000001", "c0000002")
    inbound, outbound = child.rows("IPv6")
    assert '"0xc0000001","AES-GCM with 16 octet ICV [RFC4106]","0x22222222","NULL",""' in inbound
    assert '"0xc0000002","AES-GCM with 16 octet ICV [RFC4106]","0x11111111","NULL",""' in outbound


@pytest.mark.skipif(shutil.which("tshark") is None, reason="tshark not installed")
def test_tshark_decrypts_the_ping_through_the_tunnel(tmp_path: Path) -> None:
    esp_table = tmp_path / "esp_sa"
    rows = write_esp_table(CAPTURES / "nat-esp-cbc.gateway.log", esp_table)
    assert len(rows) == 4  # two directions, IPv4 and IPv6 outer addresses
    facts = decode_capture(
        CAPTURES / "nat-esp-cbc.pcap", CAPTURES / "nat-esp-cbc.ikev2_decryption_table", esp_table
    )
    assert [(e.decrypted, e.inner_protocol, e.inner_detail) for e in facts.esp] == [
        (True, "icmp", "type 8"),
        (True, "icmp", "type 0"),
    ]
    request = facts.esp[0]
    assert (request.src, request.dst) == ("192.0.2.100", "192.0.2.1")  # the NAT's address
    assert (request.inner_src, request.inner_dst) == ("198.19.3.1", "198.19.1.1")
    without = decode_capture(CAPTURES / "nat-esp-cbc.pcap", None)
    assert [e.decrypted for e in without.esp] == [False, False]
    assert "not decrypted" in without.esp[0].summary()


@pytest.mark.skipif(shutil.which("tshark") is None, reason="tshark not installed")
def test_dhcp_inside_esp_has_its_type_vendor_class_and_option_249(tmp_path: Path) -> None:
    """A split-tunnel emulated win11 dial against dnsmasq (suites/test_dhcp_routes.py): the
    DHCPINFORM to the broadcast address and dnsmasq's DHCPACK with option 249, decrypted."""
    esp_table = tmp_path / "esp_sa"
    write_esp_table(CAPTURES / "direct-dhcp-249.gateway.log", esp_table)
    facts = decode_capture(
        CAPTURES / "direct-dhcp-249.pcap",
        CAPTURES / "direct-dhcp-249.ikev2_decryption_table",
        esp_table,
    )
    dhcp = [e for e in facts.esp if e.inner_protocol == "dhcp"]
    assert [(e.dhcp_type, e.inner_src, e.inner_dst) for e in dhcp] == [
        (8, "198.19.3.1", "255.255.255.255"),
        (5, "198.19.1.1", "198.19.3.1"),
    ]
    inform, ack = dhcp
    assert inform.dhcp_vendor_class == "MSFT 5.0" and inform.dhcp_routes == ()
    assert ack.dhcp_routes == ("198.19.1.0/24 via 0.0.0.0",)
    assert inform.inner_detail == "message type 8"


@pytest.mark.parametrize(
    ("hex_text", "routes"),
    [
        ("18:c6:13:01:00:00:00:00", ("198.19.1.0/24 via 0.0.0.0",)),
        (
            "01:00:00:00:00:00:01:80:00:00:00:00",
            ("0.0.0.0/1 via 0.0.0.0", "128.0.0.0/1 via 0.0.0.0"),
        ),
        ("00:0a:00:00:01", ("0.0.0.0/0 via 10.0.0.1",)),
        ("21:c6:13:01:00:00", ("malformed: route at byte 0 (/33) in 6 bytes",)),
        ("18:c6:13", ("malformed: route at byte 0 (/24) in 3 bytes",)),
        ("zz", ("malformed: not hex ('zz')",)),
    ],
)
def test_the_verdict_side_reads_option_249_itself(hex_text: str, routes: tuple[str, ...]) -> None:
    assert describe_classless_routes(hex_text) == routes
