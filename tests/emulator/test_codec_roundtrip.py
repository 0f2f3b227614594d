"""Every payload kind survives encode -> decode unchanged, alone and in long chains."""

from __future__ import annotations

import pytest

from emulator.codec import (
    IkeMessage,
    Payload,
    SaPayload,
    decode,
    decode_payloads,
    encode,
    encode_payloads,
)
from emulator.const import ExchangeType, HeaderFlag
from tests.emulator.samples import SAMPLE_PAYLOADS, SEALED_PAYLOADS, header, windows_sa_init


@pytest.mark.parametrize("name", sorted(SAMPLE_PAYLOADS))
def test_payload_round_trip(name: str) -> None:
    message = IkeMessage(header(), (SAMPLE_PAYLOADS[name],))
    wire = encode(message)
    assert decode(wire) == message
    assert encode(decode(wire)) == wire


@pytest.mark.parametrize("name", sorted(SEALED_PAYLOADS))
def test_sealed_payload_round_trip(name: str) -> None:
    message = IkeMessage(
        header(ExchangeType.IKE_AUTH, 1), (SAMPLE_PAYLOADS["vendor-ms"], SEALED_PAYLOADS[name])
    )
    wire = encode(message)
    assert decode(wire) == message


def test_every_payload_in_one_chain() -> None:
    payloads: tuple[Payload, ...] = (*SAMPLE_PAYLOADS.values(), SEALED_PAYLOADS["sk"])
    message = IkeMessage(header(ExchangeType.INFORMATIONAL, 7, HeaderFlag.RESPONSE), payloads)
    assert decode(encode(message)) == message


def test_inner_chain_round_trip() -> None:
    payloads = tuple(SAMPLE_PAYLOADS.values())
    first, data = encode_payloads(payloads)
    assert first == payloads[0].payload_type
    assert decode_payloads(first, data) == payloads


def test_empty_message_round_trip() -> None:
    message = IkeMessage(header(ExchangeType.INFORMATIONAL, 3))
    wire = encode(message)
    assert len(wire) == 28
    assert decode(wire) == message


def test_windows_sa_init_round_trip() -> None:
    message = windows_sa_init()
    assert decode(encode(message)) == message


def test_decoded_numbers_are_enum_members_when_known() -> None:
    decoded = decode(encode(windows_sa_init()))
    sa = decoded.payloads[0]
    assert isinstance(sa, SaPayload)
    assert type(decoded.header.exchange).__name__ == "ExchangeType"
    transform = sa.proposals[0].transforms[0]
    assert repr(transform.transform_id) == "<EncrId.TRIPLE_DES: 3>"
