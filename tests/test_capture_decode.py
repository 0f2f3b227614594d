"""Decoding real gateway-side captures into typed facts, through tshark.

The captures are the lab's strongSwan reference client behind a NAT (198.51.100.2 -> NAT
192.0.2.100) against a strongSwan 5.9.8 gateway (192.0.2.1), with the gateway's key tables.
The expected values are written out literally from the captures as tshark shows them and
from strongSwan's log format (message.c get_string), never derived from the decoder.
Each capture is decoded once per module; decoding costs about 0.5 s, mostly tshark start-up.
"""

from __future__ import annotations

import ipaddress
import shutil
import struct
from pathlib import Path
from typing import Any

import pytest
from cryptography import x509
from cryptography.x509.oid import NameOID

from infra.capture.decode import (
    DecodeError,
    decode_capture,
    read_decryption_table,
    tshark_key_options,
)
from infra.capture.facts import (
    MS_NOTIFY_STATUS,
    NAT_DETECTION_DESTINATION_IP,
    NAT_DETECTION_SOURCE_IP,
    UPDATE_SA_ADDRESSES,
    CaptureFacts,
    ConfigPayload,
    CpAttribute,
    EapFacts,
    Exchange,
    IkeMessage,
    Notify,
    Payload,
    TlsRecord,
    TlsStep,
    natd_hash,
    natd_matches,
)
from suites.wire import assert_eap_tls_handshake

CAPTURES = Path(__file__).parent / "data" / "captures"
CASES = ("machine-cert", "eap-tls", "eap-mschapv2")
CLIENT_REAL_ADDRESS = "198.51.100.2"
NAT_OUTSIDE_ADDRESS = "192.0.2.100"
GATEWAY_ADDRESS = "192.0.2.1"
POOL = ipaddress.ip_network("198.19.3.0/26")

needs_tshark = pytest.mark.skipif(shutil.which("tshark") is None, reason="tshark not installed")

INIT_REQUEST = (
    "IKE_SA_INIT request 0 [ SA KE No N(NATD_S_IP) N(NATD_D_IP) N(FRAG_SUP) N(HASH_ALG)"
    " N(REDIR_SUP) ]"
)
INIT_RESPONSE = (
    "IKE_SA_INIT response 0 [ SA KE No N(NATD_S_IP) N(NATD_D_IP) CERTREQ N(FRAG_SUP)"
    " N(HASH_ALG) N(CHDLESS_SUP) N(MULT_AUTH) ]"
)
# The reference client's notifies at the end of its first IKE_AUTH request.
CLIENT_AUTH_NOTIFIES = "N(MOBIKE_SUP) N(NO_ADD_ADDR) N(MULT_AUTH) N(EAP_ONLY) N(MSG_ID_SYN_SUP)"


def rounds(exchange: int, first: int, last: int) -> list[tuple[int, int, bool]]:
    """(exchange, message id, response) of request/response pairs FIRST..LAST."""
    return [
        (exchange, mid, response) for mid in range(first, last + 1) for response in (False, True)
    ]


# Every whole message of each capture, in order: IKE_SA_INIT, IKE_AUTH rounds, DELETE.
SEQUENCES = {
    "machine-cert": [*rounds(34, 0, 0), *rounds(35, 1, 1), *rounds(37, 2, 2)],
    "eap-tls": [*rounds(34, 0, 0), *rounds(35, 1, 8), *rounds(37, 9, 9)],
    "eap-mschapv2": [*rounds(34, 0, 0), *rounds(35, 1, 5), *rounds(37, 6, 6)],
}


def capture(case: str) -> Path:
    return CAPTURES / f"nat-{case}.pcap"


def key_table(case: str) -> Path:
    return CAPTURES / f"nat-{case}.ikev2_decryption_table"


@pytest.fixture(scope="module")
def decoded() -> dict[str, CaptureFacts]:
    if shutil.which("tshark") is None:
        pytest.skip("tshark not installed")
    return {case: decode_capture(capture(case), key_table(case)) for case in CASES}


@pytest.fixture(scope="module")
def machine_cert_without_keys() -> CaptureFacts:
    if shutil.which("tshark") is None:
        pytest.skip("tshark not installed")
    return decode_capture(capture("machine-cert"), None)


def frame(facts: CaptureFacts, number: int) -> IkeMessage:
    return next(m for m in facts.messages if m.frame == number)


# --- every capture ----------------------------------------------------------------------


@pytest.mark.parametrize("case", CASES)
def test_exchange_sequence_and_message_ids(decoded: dict[str, CaptureFacts], case: str) -> None:
    facts = decoded[case]
    seen = [(m.exchange, m.message_id, m.response) for m in facts.whole_messages()]
    assert seen == SEQUENCES[case]
    assert all(m.initiator != m.response for m in facts.messages)  # client initiates all


@pytest.mark.parametrize("case", CASES)
def test_ike_sa_init_request(decoded: dict[str, CaptureFacts], case: str) -> None:
    request = decoded[case].ike_sa_init_request()
    assert request is not None
    assert request.frame == 1 and request.time > 1.6e9  # wall-clock (epoch) seconds
    assert (request.src, request.sport, request.dst, request.dport) == (
        NAT_OUTSIDE_ADDRESS,
        500,
        GATEWAY_ADDRESS,
        500,
    )
    assert request.payloads == (33, 34, 40, 41, 41, 41, 41, 41)
    assert request.outer == request.payloads and not request.encrypted
    assert request.notify_types() == (16388, 16389, 16430, 16431, 16406)
    assert request.find_notify(16431) == Notify(16431, 0, b"", bytes.fromhex("0002000300040005"))
    assert request.ke_group == 31 and request.nonce_length == 32
    assert len(request.spi_i) == 8 and request.spi_r == bytes(8)
    assert [(p.number, p.protocol, p.spi) for p in request.proposals] == [(1, 1, b""), (2, 1, b"")]
    first = request.proposals[0]
    assert (first.transforms[0].type, first.transforms[0].id) == (1, 12)  # ENCR_AES_CBC
    assert [t.key_length for t in first.transforms[:3]] == [128, 192, 256]
    assert first.transform_ids(3)[:2] == (12, 13)  # HMAC-SHA2-256-128, -384-192
    assert 31 in first.transform_ids(4)  # curve25519


@pytest.mark.parametrize("case", CASES)
def test_summary_of_the_first_two_messages(decoded: dict[str, CaptureFacts], case: str) -> None:
    first, second = decoded[case].messages[:2]
    assert first.summary() == INIT_REQUEST
    assert second.summary() == INIT_RESPONSE


@pytest.mark.parametrize("case", CASES)
def test_ike_auth_moves_to_port_4500(decoded: dict[str, CaptureFacts], case: str) -> None:
    for message in decoded[case].exchanges(Exchange.IKE_AUTH):
        assert {message.sport, message.dport} == {4500}
        assert {message.src, message.dst} == {NAT_OUTSIDE_ADDRESS, GATEWAY_ADDRESS}
        assert message.encrypted and message.decrypted


@pytest.mark.parametrize("case", CASES)
def test_responder_detected_the_nat(decoded: dict[str, CaptureFacts], case: str) -> None:
    facts = decoded[case]
    assert facts.nat_detected_by_responder(CLIENT_REAL_ADDRESS) is True
    assert facts.nat_detected_by_responder(NAT_OUTSIDE_ADDRESS) is False


@pytest.mark.parametrize("case", CASES)
def test_config_reply_assigns_a_pool_address(decoded: dict[str, CaptureFacts], case: str) -> None:
    facts = decoded[case]
    request_cp = facts.ike_auth_requests()[0].cp
    assert request_cp == ConfigPayload(1, (CpAttribute(1, ""),))
    reply = facts.ike_auth_responses()[-1]
    assert reply.cp is not None and reply.cp.type == 2
    (address,) = reply.cp.values(1)
    assert ipaddress.ip_address(address) in POOL
    assert reply.cp.values(3) == ("198.19.1.53",)
    assert [(ts.start, ts.end) for ts in reply.tsi] == [(address, address)]
    assert [(ts.start, ts.end) for ts in reply.tsr] == [("0.0.0.0", "255.255.255.255")]
    assert "CPRP(ADDR DNS)" in reply.summary()


@pytest.mark.parametrize("case", CASES)
def test_esp_counted_and_nothing_malformed(decoded: dict[str, CaptureFacts], case: str) -> None:
    facts = decoded[case]
    assert facts.esp_packets == 2
    assert facts.malformed_frames == ()
    assert not any(m.malformed or m.warnings for m in facts.messages)


@pytest.mark.parametrize("case", CASES)
def test_delete_exchange_decrypted(decoded: dict[str, CaptureFacts], case: str) -> None:
    request, response = decoded[case].exchanges(Exchange.INFORMATIONAL)
    assert request.payloads == (Payload.DELETE,) and request.outer == (Payload.SK,)
    assert response.payloads == () and response.decrypted
    assert response.summary() == f"INFORMATIONAL response {response.message_id} [ ]"


@pytest.mark.parametrize("case", CASES)
def test_gateway_authenticates_with_its_certificate(
    decoded: dict[str, CaptureFacts], case: str
) -> None:
    response = decoded[case].ike_auth_responses()[0]
    assert response.idr is not None and (response.idr.type, response.idr.data) == (
        2,
        "gw.example.test",
    )
    assert response.auth_method == 14  # digital signature
    (der,) = response.certs
    cert = x509.load_der_x509_certificate(der)
    assert cert.subject.get_attributes_for_oid(NameOID.COMMON_NAME)[0].value == "gw.example.test"
    assert response.fragment == (2, 2) and response.reassembled


# --- case A: machine certificate, fragmented IKE_AUTH ------------------------------------


def test_machine_cert_ike_auth_request(decoded: dict[str, CaptureFacts]) -> None:
    (request,) = decoded["machine-cert"].ike_auth_requests()
    assert request.frame == 4 and request.fragment == (2, 2) and request.reassembled
    assert request.outer == (Payload.SKF,)
    assert request.payloads == (35, 37, 38, 39, 47, 33, 44, 45, 41, 41, 41, 41, 41)
    assert request.idi is not None
    assert (request.idi.type, request.idi.data) == (9, "C=CH, O=winterop, CN=client1.example.test")
    assert request.idr is None  # the reference client sends no IDr; Windows does not either
    assert request.auth_method == 14
    (der,) = request.certs
    subject = x509.load_der_x509_certificate(der).subject.rfc4514_string()
    assert subject == "CN=client1.example.test,O=winterop,C=CH"
    assert request.certreq_authorities == (
        bytes.fromhex("a3cfdaed9412597a5af77058f089bba4189e6c9f"),
    )
    assert [(p.number, p.protocol, len(p.spi)) for p in request.proposals] == [(1, 3, 4), (2, 3, 4)]
    assert request.summary() == (
        f"IKE_AUTH request 1 [ IDi CERT CERTREQ AUTH CPRQ(ADDR) SA TSi TSr {CLIENT_AUTH_NOTIFIES} ]"
    )


def test_machine_cert_fragments(decoded: dict[str, CaptureFacts]) -> None:
    facts = decoded["machine-cert"]
    fragments = [(m.frame, m.response, m.fragment, m.reassembled) for m in facts.messages[2:6]]
    assert fragments == [
        (3, False, (1, 2), False),
        (4, False, (2, 2), True),
        (5, True, (1, 2), False),
        (6, True, (2, 2), True),
    ]
    first = frame(facts, 3)
    assert first.decrypted and first.payloads == ()
    assert first.summary() == "IKE_AUTH request 1 [ EF(1/2) ]"
    assert frame(facts, 6).summary() == (
        "IKE_AUTH response 1 [ IDr CERT AUTH CPRP(ADDR DNS) SA TSi TSr N(MOBIKE_SUP)"
        " N(NO_ADD_ADDR) ]"
    )


def test_machine_cert_auth_methods(decoded: dict[str, CaptureFacts]) -> None:
    facts = decoded["machine-cert"]
    assert facts.auth_methods(initiator=True) == (14,)
    assert facts.auth_methods(initiator=False) == (14,)
    assert facts.eap_types() == ()


# --- cases B and C: EAP ------------------------------------------------------------------


def test_eap_tls(decoded: dict[str, CaptureFacts]) -> None:
    facts = decoded["eap-tls"]
    assert facts.eap_types() == (1, 13)
    first = facts.ike_auth_requests()[0]
    assert first.idi is not None
    assert (first.idi.type, first.idi.data) == (9, "C=CH, O=winterop, CN=alice@example.test")
    assert first.auth_method is None  # no AUTH: the client asks for EAP
    assert first.summary() == (
        f"IKE_AUTH request 1 [ IDi CERTREQ CPRQ(ADDR) SA TSi TSr {CLIENT_AUTH_NOTIFIES} ]"
    )
    eaps = [m.eap for m in facts.ike_auth_responses() + facts.ike_auth_requests() if m.eap]
    assert EapFacts(2, 0, 1, "alice@example.test") in eaps
    start = facts.ike_auth_responses()[1]
    assert start.eap == EapFacts(1, 16, 13, tls_flags=0x20)  # EAP-TLS Start
    assert start.summary() == "IKE_AUTH response 2 [ EAP/REQ/TLS ]"
    assert facts.ike_auth_responses()[-2].summary() == "IKE_AUTH response 7 [ EAP/SUCC ]"
    assert facts.auth_methods(initiator=True) == (2,)  # shared key MAC over the EAP MSK
    assert facts.auth_methods(initiator=False) == (14, 2)


# The TLS 1.2 handshake of the reference client's EAP-TLS session, as Wireshark shows it:
# frame, sender is the client, content type (20 ChangeCipherSpec, 22 Handshake), handshake
# type (None: a ChangeCipherSpec, or the encrypted Finished).
EAP_TLS_HANDSHAKE = [
    (8, True, 22, 1),  # Client Hello
    (11, False, 22, 2),  # Server Hello
    (11, False, 22, 11),  # Certificate
    (11, False, 22, 12),  # Server Key Exchange
    (11, False, 22, 13),  # Certificate Request
    (11, False, 22, 14),  # Server Hello Done
    (14, True, 22, 11),  # Certificate
    (14, True, 22, 16),  # Client Key Exchange
    (14, True, 22, 15),  # Certificate Verify
    (14, True, 20, None),  # Change Cipher Spec
    (14, True, 22, None),  # Encrypted Handshake Message (Finished)
    (15, False, 20, None),  # Change Cipher Spec
    (15, False, 22, None),  # Encrypted Handshake Message (Finished)
]


def test_eap_tls_records_on_the_frames_completing_a_reassembly(
    decoded: dict[str, CaptureFacts],
) -> None:
    facts = decoded["eap-tls"]
    tls = {m.frame: m.eap for m in facts.exchanges(Exchange.IKE_AUTH) if m.eap and m.eap.type == 13}
    assert sorted(tls) == list(range(7, 17))
    # The Start, the acknowledgements and the first fragments (M) of the two long flights
    # (9 and 12) carry no complete TLS: tshark decodes it on the last fragment.
    assert [f for f, eap in tls.items() if eap and eap.tls_records] == [8, 11, 14, 15]
    client_hello, server_flight = tls[8], tls[11]
    assert client_hello is not None and server_flight is not None
    assert client_hello.tls_records == (TlsRecord(22, (1,)),)
    assert client_hello.tls_version is None  # only a ServerHello says what was negotiated
    assert server_flight.tls_records == (TlsRecord(22, (2, 11, 12, 13, 14)),)
    assert server_flight.tls_version == 0x0303  # TLS 1.2 (strongSwan 5.9.8: version_max 1.2)
    client_flight = tls[14]
    assert client_flight is not None
    assert client_flight.tls_records == (TlsRecord(22, (11, 16, 15)), TlsRecord(20), TlsRecord(22))
    assert client_flight.tls_content_types() == (22, 20, 22)
    assert client_flight.tls_handshake_types() == (11, 16, 15)
    assert frame(facts, 15).eap == EapFacts(
        1, 21, 13, tls_flags=0x80, tls_records=(TlsRecord(20), TlsRecord(22))
    )


def test_eap_tls_handshake_sequence(decoded: dict[str, CaptureFacts]) -> None:
    facts = decoded["eap-tls"]
    assert facts.tls_handshake() == tuple(TlsStep(*step) for step in EAP_TLS_HANDSHAKE)
    assert facts.tls_version() == 0x0303
    assert_eap_tls_handshake(facts)


@pytest.mark.parametrize("case", ["machine-cert", "eap-mschapv2"])
def test_no_tls_without_eap_tls(decoded: dict[str, CaptureFacts], case: str) -> None:
    facts = decoded[case]
    assert facts.tls_handshake() == () and facts.tls_version() is None
    with pytest.raises(AssertionError, match="no TLS record decoded"):
        assert_eap_tls_handshake(facts)


def test_eap_mschapv2(decoded: dict[str, CaptureFacts]) -> None:
    facts = decoded["eap-mschapv2"]
    assert facts.eap_types() == (1, 26)
    first = facts.ike_auth_requests()[0]
    assert first.idi is not None and (first.idi.type, first.idi.data) == (1, CLIENT_REAL_ADDRESS)
    summaries = [m.summary() for m in facts.exchanges(Exchange.IKE_AUTH)]
    assert summaries[1:8] == [
        "IKE_AUTH response 1 [ IDr CERT AUTH EAP/REQ/ID ]",
        "IKE_AUTH request 2 [ EAP/RES/ID ]",
        "IKE_AUTH response 2 [ EAP/REQ/MSCHAPV2 ]",
        "IKE_AUTH request 3 [ EAP/RES/MSCHAPV2 ]",
        "IKE_AUTH response 3 [ EAP/REQ/MSCHAPV2 ]",
        "IKE_AUTH request 4 [ EAP/RES/MSCHAPV2 ]",
        "IKE_AUTH response 4 [ EAP/SUCC ]",
    ]
    opcodes = [m.eap.mschapv2_opcode for m in facts.exchanges(Exchange.IKE_AUTH) if m.eap]
    assert opcodes == [None, None, 1, 2, 3, 3, None]  # Challenge, Response, Success x2
    identity = frame(facts, 6).eap
    assert identity == EapFacts(2, 0, 1, "alice")
    assert facts.auth_methods(initiator=False) == (14, 2)


# --- without the key table ----------------------------------------------------------------


def test_without_keys_only_the_outer_payloads(machine_cert_without_keys: CaptureFacts) -> None:
    facts = machine_cert_without_keys
    assert facts.messages[0].summary() == INIT_REQUEST
    for message in facts.exchanges(Exchange.IKE_AUTH) + facts.exchanges(Exchange.INFORMATIONAL):
        assert message.encrypted and not message.decrypted
        assert message.payloads == () and message.idi is None and message.auth_method is None
    assert [m.summary() for m in facts.ike_auth_requests()] == ["IKE_AUTH request 1 [ EF(2/2) ]"]
    assert [m.fragment for m in facts.messages[2:6]] == [(1, 2), (2, 2), (1, 2), (2, 2)]
    assert not any(m.reassembled for m in facts.messages)
    assert facts.exchanges(Exchange.INFORMATIONAL)[0].summary() == "INFORMATIONAL request 2 [ E ]"
    assert facts.nat_detected_by_responder(CLIENT_REAL_ADDRESS)  # IKE_SA_INIT needs no keys
    assert facts.malformed_frames == () and facts.esp_packets == 2


# --- damaged input ------------------------------------------------------------------------


@needs_tshark
def test_truncated_capture_reports_and_keeps_what_was_read(tmp_path: Path) -> None:
    cut = tmp_path / "cut.pcap"
    cut.write_bytes(capture("eap-tls").read_bytes()[:3000])
    with pytest.raises(DecodeError, match="cut short") as caught:
        decode_capture(cut, key_table("eap-tls"))
    assert str(cut) in str(caught.value)
    assert caught.value.partial is not None
    read = caught.value.partial.messages
    assert [m.summary() for m in read[:2]] == [INIT_REQUEST, INIT_RESPONSE]
    assert read[-1].exchange == Exchange.IKE_AUTH and read[-1].idi is not None


@needs_tshark
@pytest.mark.parametrize(
    ("content", "error"),
    [
        (b"\xd4\xc3\xb2\xa1\x02\x00", "cut short"),  # inside the pcap header
        (b"not a capture at all, just text\n", "isn't a capture file"),
    ],
    ids=["header-cut", "garbage"],
)
def test_unreadable_capture_raises(tmp_path: Path, content: bytes, error: str) -> None:
    bad = tmp_path / "bad.pcap"
    bad.write_bytes(content)
    with pytest.raises(DecodeError, match=error) as caught:
        decode_capture(bad, None)
    assert str(bad) in str(caught.value)


def test_missing_or_empty_capture_raises(tmp_path: Path) -> None:
    with pytest.raises(DecodeError, match="no such capture file"):
        decode_capture(tmp_path / "absent.pcap", None)
    empty = tmp_path / "empty.pcap"
    empty.touch()
    with pytest.raises(DecodeError, match="empty file"):
        decode_capture(empty, None)
    with pytest.raises(DecodeError, match="key table"):
        decode_capture(capture("eap-tls"), tmp_path / "absent.table")


@needs_tshark
def test_rejected_key_row_is_redacted(tmp_path: Path) -> None:
    row = read_decryption_table(key_table("machine-cert"))[0].split(",")
    row[2] = "00"  # SK_ei of the wrong length: tshark rejects the -o option
    table = tmp_path / "keys"
    table.write_text(",".join(row) + "\n")
    with pytest.raises(DecodeError, match="SK_ei") as caught:
        decode_capture(capture("machine-cert"), table)
    assert "<key table row 1>" in str(caught.value)
    assert row[5] not in str(caught.value)  # SK_ai never reaches a report


@needs_tshark
def test_malformed_payload_is_flagged(tmp_path: Path) -> None:
    data = bytearray(capture("machine-cert").read_bytes())
    # pcap header 24 + record header 16 + Ethernet/IPv4/UDP 42 + IKE header 28 -> SA payload;
    # the KE payload follows the 700-byte SA: give it an impossible length of 3.
    ke = 24 + 16 + 42 + 28 + 700
    assert data[ke + 4 : ke + 6] == struct.pack("!H", 31)  # KE's DH group: the right spot
    data[ke + 2 : ke + 4] = struct.pack("!H", 3)
    bad = tmp_path / "bad-ke.pcap"
    bad.write_bytes(data)
    facts = decode_capture(bad, None)
    assert facts.malformed_frames == (1,)
    first = facts.messages[0]
    assert first.malformed and first.payloads[:2] == (33, 34)
    assert "Payload (bogus, length is 3, must be at least 4)" in first.warnings
    assert not any(m.malformed for m in facts.messages[1:])


@needs_tshark
@pytest.mark.parametrize("field", [2, 5], ids=["wrong-sk_ei", "wrong-sk_ai"])
def test_wrong_initiator_key_is_visible(tmp_path: Path, field: int) -> None:
    row = read_decryption_table(key_table("eap-mschapv2"))[0].split(",")
    row[field] = ("1" if row[field][0] == "0" else "0") + row[field][1:]
    table = tmp_path / "keys"
    table.write_text(",".join(row) + "\n")
    facts = decode_capture(capture("eap-mschapv2"), table)
    sent_by_client = [m for m in facts.messages if m.initiator and m.encrypted]
    if field == 2:  # garbage plaintext: tshark declares the frames malformed
        assert set(facts.malformed_frames) == {m.frame for m in sent_by_client}
    else:  # plaintext fine, but the ICV does not verify: a warning on each
        assert facts.malformed_frames == ()
        assert all(
            "IKEv2 Integrity Checksum Data is incorrect" in m.warnings for m in sent_by_client
        )
        assert facts.eap_types() == (1, 26)


# --- pure facts (no tshark) --------------------------------------------------------------


def _message(**fields: Any) -> IkeMessage:
    header: dict[str, Any] = dict(
        frame=1,
        time=0.0,
        src="192.0.2.100",
        sport=4500,
        dst="192.0.2.1",
        dport=4500,
        spi_i=bytes(range(8)),
        spi_r=bytes(range(8, 16)),
        exchange=35,
        message_id=1,
        initiator=False,
        response=True,
    )
    header.update(fields)
    return IkeMessage(**header)


def test_summary_names_follow_strongswan() -> None:
    message = _message(
        payloads=(41, 41, 41, 47, 48, 54),
        notifies=(
            Notify(MS_NOTIFY_STATUS, data=struct.pack("!I", 13801)),
            Notify(24),
            Notify(16999),
        ),
        cp=ConfigPayload(2, ()),
        eap=EapFacts(1, 7, 254),
    )
    assert message.summary() == (
        "IKE_AUTH response 1 [ N(MS_STATUS(13801)) N(AUTH_FAILED) N((16999)) CP EAP/REQ/EXP"
        " UNKN(54) ]"
    )
    request = _message(exchange=36, response=False, initiator=True, message_id=7, payloads=(48,))
    assert request.summary() == "CREATE_CHILD_SA request 7 [ EAP ]"  # EAP without its packet
    failure = _message(payloads=(48,), eap=EapFacts(4, 9))
    assert failure.summary() == "IKE_AUTH response 1 [ EAP/FAIL ]"


def test_whole_messages_fall_back_to_the_last_fragment() -> None:
    fragments = (
        _message(frame=3, outer=(53,), encrypted=True, fragment=(1, 2)),
        _message(frame=4, outer=(53,), encrypted=True, fragment=(2, 2)),
    )
    assert [m.frame for m in CaptureFacts(fragments).whole_messages()] == [4]
    reassembled_first = (
        _message(frame=3, outer=(53,), encrypted=True, decrypted=True, fragment=(2, 2)),
        _message(
            frame=4, outer=(53,), encrypted=True, decrypted=True, fragment=(1, 2), reassembled=True
        ),
    )
    assert [m.frame for m in CaptureFacts(reassembled_first).whole_messages()] == [4]


def _tls_message(frame: int, message_id: int, initiator: bool, *records: TlsRecord) -> IkeMessage:
    eap = EapFacts(2 if initiator else 1, message_id, 13, tls_records=records)
    return _message(
        frame=frame, message_id=message_id, initiator=initiator, response=not initiator, eap=eap
    )


def test_tls_handshake_counts_a_retransmission_once() -> None:
    hello = TlsRecord(22, (1,))
    server = TlsRecord(22, (2, 11, 13, 14))
    facts = CaptureFacts(
        (
            _tls_message(8, 3, True, hello),
            _tls_message(9, 3, True, hello),  # the client retransmits its request
            _tls_message(10, 3, False, server),
            _tls_message(12, 4, True, TlsRecord(21)),  # an Alert
        )
    )
    assert facts.tls_handshake() == (
        TlsStep(8, True, 22, 1),
        *(TlsStep(10, False, 22, h) for h in (2, 11, 13, 14)),
        TlsStep(12, True, 21),
    )


def test_eap_tls_handshake_check_names_the_missing_step() -> None:
    # The client answers the CertificateRequest without a certificate (RFC 5246 7.4.6).
    facts = CaptureFacts(
        (
            _tls_message(8, 3, True, TlsRecord(22, (1,))),
            _tls_message(11, 4, False, TlsRecord(22, (2, 11, 12, 13, 14))),
            _tls_message(14, 6, True, TlsRecord(22, (16,)), TlsRecord(20), TlsRecord(22)),
            _tls_message(15, 6, False, TlsRecord(21)),
        )
    )
    with pytest.raises(AssertionError) as caught:
        assert_eap_tls_handshake(facts)
    message = str(caught.value)
    assert "missing client Certificate after frame 11 (no ServerHello decoded)" in message
    assert "expected the EAP-TLS handshake in this order: client Client Hello, " in message
    assert "  frame 11: gateway Server Hello, Certificate, Server Key Exchange," in message
    assert (
        "  frame 14: client Client Key Exchange, Change Cipher Spec, Encrypted Handshake Message"
        in message
    )
    assert "  frame 15: gateway Alert" in message


def test_nat_detection_needs_the_responder_notify() -> None:
    spi_i, spi_r = bytes(range(8)), bytes(range(8, 16))
    digest = natd_hash(spi_i, spi_r, "192.0.2.100", 500)
    assert len(digest) == 20
    response = _message(
        exchange=34,
        message_id=0,
        payloads=(41,),
        notifies=(Notify(NAT_DETECTION_DESTINATION_IP, data=digest),),
    )
    facts = CaptureFacts((response,))
    assert facts.nat_detected_by_responder("192.0.2.100") is False
    assert facts.nat_detected_by_responder("192.0.2.100", 4500) is True
    with pytest.raises(LookupError, match="NATD_D_IP"):
        CaptureFacts().nat_detected_by_responder("192.0.2.100")


def test_key_table_rows_become_one_option_each(tmp_path: Path) -> None:
    table = tmp_path / "ikev2_decryption_table"
    table.write_text("# comment\n\nrow-one\n  row-two  \n")
    rows = read_decryption_table(table)
    assert rows == ["row-one", "row-two"]
    assert tshark_key_options(rows) == [
        "-o",
        "uat:ikev2_decryption_table:row-one",
        "-o",
        "uat:ikev2_decryption_table:row-two",
    ]


def test_a_lost_exit_status_is_retried_but_a_real_tshark_error_is_not() -> None:
    """asyncio reports 255 when another waiter reaped tshark first; with only the root
    banner on stderr that says nothing about the capture, so the decode is tried again."""
    from infra.capture.decode import _decoder_lost

    banner = 'Running as user "root" and group "root". This could be dangerous.'
    assert _decoder_lost(f"tshark exited with status 255: {banner}")
    assert _decoder_lost("tshark exited with status -9: (no message)")
    assert not _decoder_lost("tshark exited with status 2: The file appears to be damaged")
    assert not _decoder_lost("tshark exited with status 255: Unknown UAT record")


@needs_tshark
def test_a_mobike_address_update_and_its_nat_detection() -> None:
    """A recorded move (emulated win11-23h2, direct, charon 5.9.8): the client's update from
    its new address 203.0.113.2 and the gateway's answer, whose NATD_D_IP hashes the address
    it saw the update come from (no NAT), not the client's old one."""
    facts = decode_capture(
        CAPTURES / "direct-mobike.pcap", CAPTURES / "direct-mobike.ikev2_decryption_table"
    )
    [update] = facts.address_updates()
    assert (update.src, update.sport, update.dst) == ("203.0.113.2", 4500, GATEWAY_ADDRESS)
    assert update.notify_types()[0] == UPDATE_SA_ADDRESSES and not update.response
    assert natd_matches(update, NAT_DETECTION_SOURCE_IP, "203.0.113.2", 4500)
    assert not natd_matches(update, NAT_DETECTION_SOURCE_IP, "192.0.2.2", 4500)
    [answer] = [
        m
        for m in facts.exchanges(Exchange.INFORMATIONAL, response=True)
        if m.message_id == update.message_id and m.src == GATEWAY_ADDRESS
    ]  # the gateway's own request 2 (N(ADD_4_ADDR)) has an answer with that ID too
    assert natd_matches(answer, NAT_DETECTION_DESTINATION_IP, "203.0.113.2", 4500)
    assert not natd_matches(answer, UPDATE_SA_ADDRESSES, "203.0.113.2", 4500)
