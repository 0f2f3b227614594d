"""EAP-TLS Type-Data: flags, length field, fragmentation and reassembly (RFC 5216 3)."""

from __future__ import annotations

import pytest

from emulator.eap import EapParseError
from emulator.eap.tls_framing import (
    ACK,
    MIN_FRAGMENT_SIZE,
    Reassembler,
    TlsFlags,
    build_eap_tls,
    fragment,
    parse_eap_tls,
)


def test_start_and_ack() -> None:
    start = parse_eap_tls(b"\x20")
    assert start.start and not start.is_ack
    ack = parse_eap_tls(ACK)
    assert ack.is_ack and not ack.more and ack.tls_length is None


def test_length_field() -> None:
    part = parse_eap_tls(bytes([0xC0]) + (10).to_bytes(4, "big") + b"abc")
    assert part.more and part.tls_length == 10 and part.data == b"abc"
    assert build_eap_tls(TlsFlags.MORE, b"abc", 10) == bytes([0xC0, 0, 0, 0, 10]) + b"abc"
    assert build_eap_tls(TlsFlags.LENGTH, b"x") == b"\x00x"  # no length, no L


@pytest.mark.parametrize(
    "raw",
    [b"", b"\x80\x00\x00", bytes([0x80, 0, 0, 0, 1]) + b"ab", bytes([0x80, 0xFF, 0, 0, 0])],
)
def test_parse_rejects(raw: bytes) -> None:
    with pytest.raises(EapParseError):
        parse_eap_tls(raw)


@pytest.mark.parametrize("size", [MIN_FRAGMENT_SIZE, 64, 100, 1024, 1398])
@pytest.mark.parametrize("length", [0, 1, 50, 1000, 5000])
def test_fragments_respect_the_size_and_reassemble(size: int, length: int) -> None:
    message = bytes(i % 251 for i in range(length))
    for single_length in (True, False):
        pieces = fragment(message, size, length_in_single=single_length)
        assert all(len(p) + 5 <= size for p in pieces)  # + EAP header and Type octet
        parts = [parse_eap_tls(p) for p in pieces]
        assert [p.more for p in parts] == [True] * (len(parts) - 1) + [False]
        if len(parts) > 1:
            assert parts[0].tls_length == length
            assert all(p.tls_length is None for p in parts[1:])
        else:
            assert parts[0].tls_length == (length if single_length else None)
        reassembler = Reassembler()
        results = [reassembler.add(p) for p in parts]
        assert results[:-1] == [None] * (len(parts) - 1) and results[-1] == message
        assert not reassembler.active


def test_fragment_size_too_small() -> None:
    with pytest.raises(ValueError):
        fragment(b"x", MIN_FRAGMENT_SIZE - 1, length_in_single=True)


def test_reassembly_length_mismatches_are_errors() -> None:
    reassembler = Reassembler()
    reassembler.add(parse_eap_tls(bytes([0xC0, 0, 0, 0, 4]) + b"ab"))
    with pytest.raises(EapParseError):
        reassembler.add(parse_eap_tls(b"\x00cde"))  # 5 bytes > 4 announced
    reassembler = Reassembler()
    reassembler.add(parse_eap_tls(bytes([0xC0, 0, 0, 0, 4]) + b"ab"))
    with pytest.raises(EapParseError):
        reassembler.add(parse_eap_tls(b"\x00c"))  # 3 bytes < 4 announced
    reassembler = Reassembler()
    reassembler.add(parse_eap_tls(bytes([0xC0, 0, 0, 0, 4]) + b"ab"))
    with pytest.raises(EapParseError):
        reassembler.add(parse_eap_tls(bytes([0xC0, 0, 0, 0, 9]) + b"c"))  # another length


def test_first_fragment_without_length_is_tolerated() -> None:
    reassembler = Reassembler()
    assert reassembler.add(parse_eap_tls(b"\x40ab")) is None
    assert reassembler.add(parse_eap_tls(b"\x00cd")) == b"abcd"
