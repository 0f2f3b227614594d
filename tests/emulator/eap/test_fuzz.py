"""Property tests: the EAP parsers raise only EapParseError, the peer never raises.

Bounded (300 examples per property, derandomized) like the codec's fuzz tests, so the
suite stays fast and reproducible.
"""

from __future__ import annotations

import contextlib

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from emulator.codec import EapPayload
from emulator.const import EapCode
from emulator.eap import (
    EapParseError,
    EapPeer,
    EapTlsMethod,
    MschapV2Method,
    TlsPeerConfig,
    decode_eap,
    encode_eap,
)
from emulator.eap.mschapv2_wire import parse_challenge, parse_failure, parse_header, parse_success
from emulator.eap.tls_framing import Reassembler, parse_eap_tls
from tests.emulator.eap.certs import lab

FUZZ = settings(
    max_examples=300,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow],
)

# Mostly well-framed packets with random contents, plus raw noise.
_framed = st.builds(
    lambda code, ident, typ, data: (
        bytes([code, ident])
        + (4 + (1 if typ is not None else 0) + len(data)).to_bytes(2, "big")
        + (bytes([typ]) if typ is not None else b"")
        + data
    ),
    st.integers(0, 6),
    st.integers(0, 255),
    st.one_of(st.none(), st.sampled_from([1, 2, 3, 13, 26, 254]), st.integers(0, 255)),
    st.binary(max_size=80),
)
_packets = st.one_of(_framed, st.binary(max_size=64))


@FUZZ
@given(_packets)
def test_decode_raises_only_parse_errors(raw: bytes) -> None:
    try:
        packet = decode_eap(raw)
    except EapParseError:
        return
    assert decode_eap(encode_eap(packet)) == packet


@FUZZ
@given(
    st.sampled_from([EapCode.REQUEST, EapCode.RESPONSE]),
    st.integers(0, 255),
    st.integers(0, 255),
    st.binary(max_size=300),
)
def test_encode_decode_round_trip(code: int, identifier: int, eap_type: int, data: bytes) -> None:
    packet = EapPayload(code, identifier, eap_type, data)
    assert decode_eap(encode_eap(packet)) == packet


@FUZZ
@given(st.binary(max_size=120))
def test_method_parsers_raise_only_parse_errors(data: bytes) -> None:
    for parse in (parse_header, parse_challenge, parse_success, parse_failure, parse_eap_tls):
        with contextlib.suppress(EapParseError):
            parse(data)


@FUZZ
@given(st.lists(st.binary(max_size=40), max_size=8))
def test_reassembler_raises_only_parse_errors(pieces: list[bytes]) -> None:
    reassembler = Reassembler()
    for piece in pieces:
        try:
            reassembler.add(parse_eap_tls(piece))
        except EapParseError:
            reassembler = Reassembler()


@FUZZ
@given(st.lists(_packets, min_size=1, max_size=6))
def test_peer_never_raises_and_none_means_done(requests: list[bytes]) -> None:
    peer = EapPeer("carol", MschapV2Method("carol", "pw"))
    for request in requests:
        reply = peer.respond(request)
        if reply is None:
            assert peer.done
        else:
            decode_eap(reply)


_tls_type_data = st.one_of(
    st.binary(max_size=60),
    st.builds(
        lambda flags, data: bytes([flags]) + data,
        st.sampled_from([0, 0x40]),
        st.binary(max_size=60),
    ),
)


@FUZZ
@given(st.lists(_tls_type_data, min_size=1, max_size=5))
def test_tls_peer_never_raises(type_datas: list[bytes]) -> None:
    certs = lab()
    config = TlsPeerConfig(certs.client.cert, certs.client.key, trusted_roots=(certs.ca.cert,))
    peer = EapPeer("carol", EapTlsMethod(config))
    assert peer.respond(bytes([1, 1, 0, 6, 13, 0x20])) is not None  # Start -> ClientHello
    for identifier, type_data in enumerate(type_datas, start=2):
        request = (
            bytes([1, identifier]) + (5 + len(type_data)).to_bytes(2, "big") + b"\x0d" + type_data
        )
        reply = peer.respond(request)
        if reply is None:
            assert peer.done
