"""Pieces of the IKE engine: CP request/reply, proposal selection checks, NAT detection,
inbound SKF reassembly, answers to gateway requests, the key-table row."""

from __future__ import annotations

import ipaddress
import os
from dataclasses import replace

import pytest

from emulator.codec import (
    ConfigAttribute,
    CpPayload,
    DeletePayload,
    KePayload,
    NoncePayload,
    NotifyPayload,
    Payload,
    Proposal,
    SaPayload,
    TrafficSelector,
    Transform,
    TransformAttribute,
    summarize,
)
from emulator.const import (
    CfgType,
    ConfigAttributeType,
    DhGroup,
    EncrId,
    ExchangeType,
    IntegId,
    NotifyType,
    PrfId,
    ProtocolId,
    TransformType,
)
from emulator.crypto import IkeSuite, SkProtection, ike_sa_keys, key_exchange, protect_fragments
from emulator.crypto.keymat import ChildSaKeys
from emulator.net.esp_algorithms import EspSuite
from emulator.profiles import load_profile
from emulator.profiles.schema import ProfileOptions
from emulator.sa import ike_rekey
from emulator.sa.child import ChildSa
from emulator.sa.child_rekey import answer_gateway
from emulator.sa.cp import ConfigReply, cp_request, parse_reply
from emulator.sa.dial import DialConfig
from emulator.sa.errors import ProtocolViolation
from emulator.sa.ike_sa import Dropped, IkeSa
from emulator.sa.informational import answer
from emulator.sa.keytable import decryption_table_row
from emulator.sa.natt import behind_nat, natd_hash
from emulator.sa.selection import check_selection
from infra.capture.keys import IkeSaKeys as GatewayKeys

OPTIONS = load_profile("win10-22h2").options
A = ConfigAttributeType


def test_cp_request_is_windows_order_with_the_private_server_attributes() -> None:
    request = cp_request(ipv4=True, ipv6=True, pcscf=False)
    assert summarize([request]) == "[ CPRQ(ADDR DNS NBNS SRV ADDR6 DNS6 SRV6) ]"
    assert all(a.value == b"" for a in request.attributes)
    with_pcscf = cp_request(ipv4=True, ipv6=False, pcscf=True)
    assert summarize([with_pcscf]) == "[ CPRQ(ADDR PCSCF4 DNS NBNS SRV) ]"
    again = cp_request(
        ipv4=False, ipv6=True, pcscf=False, previous_ipv6=ipaddress.IPv6Address("2001:db8::7")
    )
    assert again.attributes[0].value == ipaddress.IPv6Address("2001:db8::7").packed + b"\x80"


def test_cp_reply_keeps_two_servers_per_family_and_skips_malformed_values() -> None:
    dns = [ConfigAttribute(A.INTERNAL_IP4_DNS, bytes([198, 19, 1, n])) for n in (1, 2, 3)]
    reply = CpPayload(
        CfgType.REPLY,
        (
            ConfigAttribute(A.INTERNAL_IP4_ADDRESS, b"\x01\x02"),  # wrong length: ignored
            ConfigAttribute(A.INTERNAL_IP4_ADDRESS, bytes([198, 19, 3, 9])),
            *dns,
            ConfigAttribute(
                A.INTERNAL_IP6_ADDRESS, ipaddress.IPv6Address("2001:db8:3::1").packed + b"\x7a"
            ),
            ConfigAttribute(A.INTERNAL_IP4_SERVER, b"\x01\x02\x03"),  # must be 4 bytes
        ),
    )
    parsed = parse_reply(reply)
    assert str(parsed.ipv4) == "198.19.3.9" and parsed.ipv6_prefix == 122
    assert [str(d) for d in parsed.dns4] == ["198.19.1.1", "198.19.1.2"]
    assert parsed.server4 is None
    assert parse_reply(replace(reply, cfg_type=CfgType.REQUEST)) == ConfigReply()


def _ike(number: int, group: int = DhGroup.MODP_2048) -> Proposal:
    return Proposal(
        number,
        ProtocolId.IKE,
        (
            Transform(TransformType.ENCR, EncrId.AES_CBC, (TransformAttribute.key_length(256),)),
            Transform(TransformType.INTEG, IntegId.HMAC_SHA1_96),
            Transform(TransformType.PRF, PrfId.HMAC_SHA1),
            Transform(TransformType.DH, group),
        ),
    )


def test_selection_accepts_an_offered_proposal() -> None:
    offered = (_ike(1), _ike(2, DhGroup.ECP_256))
    assert check_selection(offered, SaPayload((_ike(2, DhGroup.ECP_256),)), spi_size=0, what="t")


@pytest.mark.parametrize(
    ("chosen", "why"),
    [
        ((_ike(3),), "was not offered"),
        ((_ike(1), _ike(1)), "2 proposals"),
        ((_ike(1, DhGroup.ECP_384),), "not in offered proposal"),
        ((replace(_ike(1), transforms=_ike(1).transforms[:3]),), "0 transforms of type DH"),
        ((replace(_ike(1), spi=b"\x01" * 8),), "SPI of 8 bytes"),
    ],
    ids=["unknown-number", "two", "other-group", "missing-dh", "spi"],
)
def test_selection_rejects_what_was_never_offered(chosen: tuple[Proposal, ...], why: str) -> None:
    with pytest.raises(ProtocolViolation, match=why):
        check_selection((_ike(1), _ike(2)), SaPayload(chosen), spi_size=0, what="t")


def test_nat_detection_uses_the_responder_s_destination_hash() -> None:
    spi_i, spi_r = os.urandom(8), os.urandom(8)
    me = ipaddress.IPv4Address("198.51.100.2")
    seen = natd_hash(spi_i, spi_r, me, 500)
    assert not behind_nat((seen,), spi_i, spi_r, me, 500)
    nat = natd_hash(spi_i, spi_r, ipaddress.IPv4Address("192.0.2.100"), 500)
    assert behind_nat((nat,), spi_i, spi_r, me, 500)


def _sa() -> IkeSa:
    proposal = _ike(1)
    suite = IkeSuite.from_proposal(proposal)
    keys = ike_sa_keys(
        suite.prf,
        os.urandom(32),
        os.urandom(32),
        os.urandom(256),
        os.urandom(8),
        os.urandom(8),
        32,
        20,
    )
    return IkeSa(os.urandom(8), os.urandom(8), suite, keys, proposal, True, 512)


def _gateway_fragments(sa: IkeSa, payloads: tuple[NotifyPayload, ...]) -> list[bytes]:
    header = replace(sa.header(ExchangeType.IKE_AUTH, 1, response=True), flags=0x20)
    protection = SkProtection.for_sender(sa.suite, sa.keys, initiator=False)
    return protect_fragments(header, payloads, protection, 100)


def test_fragments_reassemble_in_any_order_and_bad_ones_are_dropped() -> None:
    sa = _sa()
    payloads = tuple(NotifyPayload(16384 + n, os.urandom(40)) for n in range(8))
    fragments = _gateway_fragments(sa, payloads)
    assert len(fragments) > 2
    forged = fragments[1][:-1] + bytes([fragments[1][-1] ^ 1])
    with pytest.raises(Dropped, match="authenticate"):
        sa.open(forged)
    for fragment in reversed(fragments[1:]):
        assert sa.open(fragment) is None
    opened = sa.open(fragments[0])
    assert opened is not None and opened.payloads == payloads and opened.fragments == len(fragments)


@pytest.mark.parametrize(
    ("mtu", "chunk"),
    [(0, 511), (1500, 511), (608, 511), (607, 495), (576, 479)],
    ids=["unknown", "1500", "608", "607", "576"],
)
def test_fragments_keep_512_bytes_of_ciphertext_until_the_path_mtu_is_smaller(
    mtu: int, chunk: int
) -> None:
    """AES-CBC-256 / HMAC-SHA1-96 (16-byte IV, 12-byte ICV): a 512-byte fragment is 608
    bytes on the wire (20 IP + 8 UDP + 4 marker + 28 + 8 + 16 + 512 + 12); below that the
    fragment shrinks to whole blocks that fit (RFC 7383 2.5.1)."""
    sa = replace(_sa(), message_limit=mtu - 32 if mtu else 0)
    assert sa.fragment_chunk() == chunk
    payloads = tuple(NotifyPayload(16384 + n, os.urandom(200)) for n in range(10))
    datagrams = sa.seal(ExchangeType.IKE_AUTH, 1, payloads, response=False)
    assert len(datagrams) > 3
    assert all(len(d) + 32 <= (mtu or 608) for d in datagrams)
    assert len(datagrams[0]) == 28 + 8 + 16 + chunk + 1 + 12


def test_a_build_without_rfc_7383_drops_fragments_it_cannot_parse() -> None:
    """charon's fragmentation = force sends fragments to clients that never announced
    support; a build before Windows 10 1803 has no SKF payload to open them with."""
    sa = replace(_sa(), fragmentation=False, understands_fragments=False)
    fragments = _gateway_fragments(sa, tuple(NotifyPayload(16384 + n) for n in range(8)))
    for fragment in fragments:
        with pytest.raises(Dropped, match="does not implement"):
            sa.open(fragment)


def test_a_message_limit_without_room_for_a_fragment_is_refused() -> None:
    with pytest.raises(ValueError, match="no room"):
        replace(_sa(), message_limit=80).fragment_chunk()


def test_foreign_spis_and_initiator_flag_are_dropped() -> None:
    sa = _sa()
    fragment = _gateway_fragments(sa, (NotifyPayload(16384),))[0]
    with pytest.raises(Dropped, match="not this IKE SA"):
        sa.open(bytes(8) + fragment[8:])
    with pytest.raises(Dropped, match="initiator flag"):
        sa.open(fragment[:19] + bytes([0x08]) + fragment[20:])
    with pytest.raises(Dropped, match="undecodable"):
        sa.open(fragment[:30])


def _child() -> ChildSa:
    proposal = Proposal(
        1,
        ProtocolId.ESP,
        (
            Transform(TransformType.ENCR, EncrId.AES_CBC, (TransformAttribute.key_length(256),)),
            Transform(TransformType.INTEG, IntegId.HMAC_SHA1_96),
        ),
        b"\x0a\x0b\x0c\x0d",
    )
    keys = ChildSaKeys(bytes(32), bytes(20), bytes(32), bytes(20))
    selector = (TrafficSelector.any_ipv4(),)
    return ChildSa(
        b"\x01\x02\x03\x04",
        b"\x0a\x0b\x0c\x0d",
        proposal,
        EspSuite.from_proposal(proposal),
        keys,
        selector,
        selector,
        ConfigReply(),
    )


def _dial_config(options: ProfileOptions, *, pfs_group: int | None = None) -> DialConfig:
    """What the rekey answers read of a dial: its ESP proposals, PFS group and options
    (authentication is over by then, so it has none)."""
    offered = replace(_child().proposal, spi=b"")
    return DialConfig(
        ike_proposals=(_ike(1),),
        esp_proposals=(offered,),
        authenticator=None,  # type: ignore[arg-type]
        verify_gateway=None,  # type: ignore[arg-type]
        cp=cp_request(ipv4=True, ipv6=False, pcscf=False),
        tsi=(TrafficSelector.any_ipv4(),),
        tsr=(TrafficSelector.any_ipv4(),),
        vendor_ids=(),
        options=options,
        pfs_group=pfs_group,
    )


def test_answers_to_gateway_requests() -> None:
    child = _child()
    dpd = answer((), (child,))
    assert dpd.payloads == () and not dpd.ike_deleted and not dpd.deleted
    delete_child = answer((DeletePayload(ProtocolId.ESP, 4, (child.spi_out,)),), (child,))
    assert delete_child.deleted == (child,)
    assert delete_child.payloads == (DeletePayload(ProtocolId.ESP, 4, (child.spi_in,)),)
    unknown = answer((DeletePayload(ProtocolId.ESP, 4, (b"\xde\xad\xbe\xef",)),), (child,))
    assert unknown.payloads == () and not unknown.deleted and "deadbeef" in unknown.note
    delete_ike = answer((DeletePayload(ProtocolId.IKE),), (child,))
    assert delete_ike.ike_deleted


def test_gateway_child_rekey_behind_nat_is_rejected_with_13863() -> None:
    child = _child()
    rekey = (NotifyPayload(NotifyType.REKEY_SA, protocol_id=ProtocolId.ESP, spi=child.spi_out),)
    config = _dial_config(OPTIONS)
    result = answer_gateway(rekey, (child,), config, _sa(), behind_nat=True)
    assert result.new is None
    assert result.payloads == (
        NotifyPayload(NotifyType.MS_NOTIFY_STATUS, (13863).to_bytes(4, "big")),
    )
    assert summarize(result.payloads) == "[ N(MS_STATUS(13863)) ]"
    esp = replace(OPTIONS, gw_child_rekey_notify_protocol="esp")
    flagged = answer_gateway(rekey, (child,), _dial_config(esp), _sa(), behind_nat=True)
    assert flagged.payloads[0].spi == child.spi_in  # type: ignore[union-attr]


def test_key_table_row_matches_what_the_gateway_side_parser_writes() -> None:
    sa = _sa()
    row = decryption_table_row(sa)
    gateway = GatewayKeys(
        unique_id=1,
        spi_i=sa.spi_i.hex(),
        spi_r=sa.spi_r.hex(),
        proposal="AES_CBC_256/HMAC_SHA1_96/PRF_HMAC_SHA1/MODP_2048",
        secrets={
            "Sk_ei": sa.keys.sk_ei,
            "Sk_er": sa.keys.sk_er,
            "Sk_ai": sa.keys.sk_ai,
            "Sk_ar": sa.keys.sk_ar,
        },
    )
    assert row == gateway.table_row()


def _gateway_ike_rekey(group: int) -> tuple[Payload, ...]:
    exchange = key_exchange(group)
    proposal = replace(_ike(1, group), spi=b"\x11" * 8)
    return (
        SaPayload((proposal,)),
        NoncePayload(os.urandom(32)),
        KePayload(exchange.group, exchange.public_value),
    )


def test_gateway_ike_rekey_in_the_negotiated_group_makes_the_gateway_the_initiator() -> None:
    old = _sa()  # negotiated MODP_2048
    result = ike_rekey.answer_gateway(
        _gateway_ike_rekey(DhGroup.MODP_2048), old, (_ike(1),), OPTIONS
    )
    assert result.new is not None and result.payloads is not None
    assert summarize(result.payloads) == "[ SA No KE ]"
    new = result.new
    assert not new.initiator and new.spi_i == b"\x11" * 8 and (new.next_mid, new.peer_mid) == (0, 0)
    assert new.keys.sk_d != old.keys.sk_d


def test_gateway_ike_rekey_in_another_group_is_refused_as_the_profile_says() -> None:
    other = _gateway_ike_rekey(DhGroup.ECP_256)
    refused = ike_rekey.answer_gateway(other, _sa(), (_ike(1),), OPTIONS)
    assert refused.new is None and refused.payloads is not None
    assert summarize(refused.payloads) == "[ N(NO_PROP) ]"
    silent = replace(OPTIONS, ike_rekey_responder_other_group="no-answer")
    assert ike_rekey.answer_gateway(other, _sa(), (_ike(1),), silent).payloads is None
    invalid_ke = replace(OPTIONS, ike_rekey_responder_other_group="invalid-ke")
    answer = ike_rekey.answer_gateway(other, _sa(), (_ike(1),), invalid_ke).payloads
    assert answer is not None and summarize(answer) == "[ N(INVAL_KE) ]"


def test_gateway_child_rekey_with_an_unasked_ke_is_refused_with_13816() -> None:
    child = _child()
    exchange = key_exchange(DhGroup.MODP_2048)
    rekey = (
        NotifyPayload(NotifyType.REKEY_SA, protocol_id=ProtocolId.ESP, spi=child.spi_out),
        SaPayload((replace(child.proposal, spi=b"\x22" * 4),)),
        NoncePayload(os.urandom(32)),
        KePayload(exchange.group, exchange.public_value),
    )
    result = answer_gateway(rekey, (child,), _dial_config(OPTIONS), _sa(), behind_nat=False)
    assert result.new is None and summarize(result.payloads) == "[ N(MS_STATUS(13816)) ]"
    accepted = answer_gateway(rekey[:3], (child,), _dial_config(OPTIONS), _sa(), behind_nat=False)
    assert accepted.new is None  # no traffic selectors: INVALID_SYNTAX, not a crash
    assert summarize(accepted.payloads) == "[ N(INVAL_SYN) ]"
