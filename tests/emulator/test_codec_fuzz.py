"""Property tests of the codec: decode raises only IkeParseError, encode/decode agree.

Bounded to a few hundred examples per property so the suite stays fast; the
``derandomize`` setting keeps CI runs reproducible.
"""

from __future__ import annotations

import ipaddress

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from emulator.codec import (
    AuthPayload,
    CertPayload,
    CertReqPayload,
    ConfigAttribute,
    CpPayload,
    DeletePayload,
    EapPayload,
    IdiPayload,
    IdrPayload,
    IkeHeader,
    IkeMessage,
    IkeParseError,
    KePayload,
    NoncePayload,
    NotifyPayload,
    Payload,
    Proposal,
    SaPayload,
    SkfPayload,
    SkPayload,
    TrafficSelector,
    Transform,
    TransformAttribute,
    TsiPayload,
    TsrPayload,
    UnknownPayload,
    UnknownTrafficSelector,
    VendorIdPayload,
    decode,
    encode,
)
from tests.emulator import aosp_vectors
from tests.emulator.samples import SAMPLE_PAYLOADS, SEALED_PAYLOADS, header, windows_sa_init
from tests.emulator.test_codec_wire import HAND_BUILT

FUZZ = settings(
    max_examples=300,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow],
)

CORPUS = (
    HAND_BUILT,
    aosp_vectors.PSK_INIT_REQUEST,
    aosp_vectors.CBC_MESSAGE,
    aosp_vectors.GCM_FRAGMENT,
    encode(windows_sa_init()),
    encode(IkeMessage(header(), (*SAMPLE_PAYLOADS.values(), SEALED_PAYLOADS["sk"]))),
)


def _check_decode(data: bytes) -> None:
    """The contract: IkeParseError or a message that re-encodes to an equal message."""
    try:
        message = decode(data)
    except IkeParseError as error:
        assert error.__cause__ is None, f"decoder bug hidden by the safety net: {error}"
        assert 0 <= error.offset <= len(data)
        return
    assert decode(encode(message)) == message


@FUZZ
@given(st.binary(max_size=512))
def test_random_bytes(data: bytes) -> None:
    _check_decode(data)


@FUZZ
@given(st.sampled_from(range(256)), st.binary(max_size=400), st.booleans())
def test_random_chain_behind_valid_header(first: int, body: bytes, fix_length: bool) -> None:
    """A correct header in front of random payload bytes reaches the payload decoders."""
    length = 28 + len(body) if fix_length else 0xFFFF
    raw = bytes(8) + bytes(8) + bytes([first, 0x20, 34, 0x08]) + bytes(4)
    _check_decode(raw + length.to_bytes(4, "big") + body)


@st.composite
def mutated(draw: st.DrawFn) -> bytes:
    data = bytearray(draw(st.sampled_from(CORPUS)))
    for _ in range(draw(st.integers(1, 4))):
        kind = draw(st.sampled_from(["flip", "set", "truncate", "insert", "delete"]))
        index = draw(st.integers(0, max(len(data) - 1, 0)))
        if kind == "flip" and data:
            data[index] ^= 1 << draw(st.integers(0, 7))
        elif kind == "set" and data:
            data[index] = draw(st.sampled_from([0x00, 0x01, 0x02, 0x03, 0x7F, 0x80, 0xFF]))
        elif kind == "truncate":
            del data[index:]
        elif kind == "insert":
            data[index:index] = draw(st.binary(min_size=1, max_size=8))
        elif kind == "delete":
            del data[index : index + draw(st.integers(1, 8))]
    if draw(st.booleans()) and len(data) >= 28:
        data[24:28] = len(data).to_bytes(4, "big")  # keep the header consistent: go deeper
    return bytes(data)


@FUZZ
@given(mutated())
def test_mutated_valid_messages(data: bytes) -> None:
    _check_decode(data)


# --- generated valid messages ------------------------------------------------------------

u8 = st.integers(0, 255)
u16 = st.integers(0, 0xFFFF)
small = st.binary(max_size=40)

attributes = st.builds(
    TransformAttribute, st.integers(0, 0x7FFF), st.one_of(u16, st.binary(max_size=8))
)
transforms = st.builds(Transform, u8, u16, st.lists(attributes, max_size=2).map(tuple))
proposals = st.builds(
    Proposal, u8, u8, st.lists(transforms, max_size=4).map(tuple), st.binary(max_size=8)
)
ipv4 = st.builds(ipaddress.IPv4Address, st.integers(0, 2**32 - 1))
ipv6 = st.builds(ipaddress.IPv6Address, st.integers(0, 2**128 - 1))
selectors = st.one_of(
    st.builds(TrafficSelector, ipv4, ipv4, u8, u16, u16),
    st.builds(TrafficSelector, ipv6, ipv6, u8, u16, u16),
    st.builds(UnknownTrafficSelector, st.integers(9, 255), u8, small),
)
selector_lists = st.lists(selectors, max_size=3).map(tuple)
crit = st.booleans()
known_types = {33, 34, 35, 36, 37, 38, 39, 40, 41, 42, 43, 44, 45, 46, 47, 48, 53}

plain_payloads: st.SearchStrategy[Payload] = st.one_of(
    st.builds(SaPayload, st.lists(proposals, min_size=1, max_size=3).map(tuple), critical=crit),
    st.builds(KePayload, u16, small, critical=crit),
    st.builds(NoncePayload, small, critical=crit),
    st.builds(IdiPayload, u8, small, critical=crit),
    st.builds(IdrPayload, u8, small, critical=crit),
    st.builds(CertPayload, u8, small, critical=crit),
    st.builds(CertReqPayload, u8, small, critical=crit),
    st.builds(AuthPayload, u8, small, critical=crit),
    st.builds(NotifyPayload, u16, small, u8, st.binary(max_size=8), critical=crit),
    st.integers(0, 8).flatmap(
        lambda size: st.builds(
            DeletePayload,
            u8,
            st.just(size),
            st.lists(st.binary(min_size=size, max_size=size), max_size=3).map(tuple),
            critical=crit,
        )
    ),
    st.builds(VendorIdPayload, small, critical=crit),
    st.builds(TsiPayload, selector_lists, critical=crit),
    st.builds(TsrPayload, selector_lists, critical=crit),
    st.builds(
        CpPayload,
        u8,
        st.lists(st.builds(ConfigAttribute, st.integers(0, 0x7FFF), small), max_size=4).map(tuple),
        critical=crit,
    ),
    st.builds(EapPayload, st.sampled_from([1, 2]), u8, u8, small, critical=crit),
    st.builds(EapPayload, st.sampled_from([3, 4]), u8, critical=crit),
    st.builds(UnknownPayload, u8.filter(lambda t: t not in known_types and t != 0), small),
)
sealed_payloads: st.SearchStrategy[Payload] = st.one_of(
    st.builds(SkPayload, u8, small, critical=crit),
    st.integers(1, 20).flatmap(
        lambda total: st.builds(
            SkfPayload, st.integers(1, total), st.just(total), u8, small, critical=crit
        )
    ),
)
headers = st.builds(
    IkeHeader,
    st.binary(min_size=8, max_size=8),
    st.binary(min_size=8, max_size=8),
    u8,
    st.integers(0, 2**32 - 1),
    u8,
    st.integers(0, 15),
)


@st.composite
def messages(draw: st.DrawFn) -> IkeMessage:
    payloads = draw(st.lists(plain_payloads, max_size=6))
    if draw(st.booleans()):
        payloads.append(draw(sealed_payloads))
    return IkeMessage(draw(headers), tuple(payloads))


@FUZZ
@given(messages())
def test_generated_messages_round_trip(message: IkeMessage) -> None:
    wire = encode(message)
    assert decode(wire) == message
    assert encode(decode(wire)) == wire
