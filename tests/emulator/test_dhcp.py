"""The emulator's DHCP codec: the DHCPINFORM it sends and the option 249 parser, including
what a hostile or broken DHCP server may send (issue: never a traceback, a clear error)."""

from __future__ import annotations

import ipaddress

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from emulator.net.dhcp import (
    DHCPACK,
    MAGIC_COOKIE,
    OPT_MS_CLASSLESS_ROUTES,
    DhcpError,
    classless_routes,
    encode_classless_routes,
    inform,
    parse_reply,
)

VIP = ipaddress.IPv4Address("198.19.3.1")
MAC = bytes.fromhex("02aabbccddee")


def _reply(options: bytes, *, op: int = 2, xid: int = 7) -> bytes:
    fixed = bytes([op, 1, 6, 0]) + xid.to_bytes(4, "big") + bytes(4) + VIP.packed + bytes(12)
    return fixed + MAC.ljust(16, b"\0") + bytes(192) + MAGIC_COOKIE + options


routes_strategy = st.lists(
    st.tuples(st.integers(0, 32), st.integers(0, 2**32 - 1), st.integers(0, 2**32 - 1)).map(
        lambda t: (
            ipaddress.IPv4Network((t[1], t[0]), strict=False),
            ipaddress.IPv4Address(t[2]),
        )
    ),
    max_size=12,
)


@settings(max_examples=2_000, deadline=None)
@given(routes_strategy)
def test_option_249_round_trips(
    routes: list[tuple[ipaddress.IPv4Network, ipaddress.IPv4Address]],
) -> None:
    assert classless_routes(encode_classless_routes(tuple(routes))) == tuple(routes)


@settings(max_examples=5_000, deadline=None)
@given(st.binary(max_size=300))
def test_option_249_garbage_is_a_dhcp_error_or_routes(value: bytes) -> None:
    """Any bytes: routes that re-encode to the same bytes, or DhcpError; nothing else."""
    try:
        routes = classless_routes(value)
    except DhcpError as exc:
        assert "option 249 byte" in str(exc)
        return
    assert encode_classless_routes(routes) == value
    assert all(n.prefixlen <= 32 for n, _ in routes)


@settings(max_examples=5_000, deadline=None)
@given(st.binary(max_size=600))
def test_a_reply_of_garbage_is_a_dhcp_error(data: bytes) -> None:
    try:
        reply = parse_reply(data)
    except DhcpError:
        return
    assert data[0] == 2 and reply.xid == int.from_bytes(data[4:8], "big")


@settings(max_examples=2_000, deadline=None)
@given(st.binary(max_size=400))
def test_reply_options_of_garbage_are_a_dhcp_error(options: bytes) -> None:
    try:
        reply = parse_reply(_reply(options))
    except DhcpError:
        return
    assert 0 <= reply.message_type <= 255


@pytest.mark.parametrize(
    ("value", "message"),
    [
        (bytes([33, 198, 19, 1, 0, 0, 0, 0, 0, 0]), "prefix length 33 is over 32"),
        (bytes([24, 198, 19, 1, 0, 0]), "a /24 route needs 8 bytes, 6 remain"),
        (bytes([8, 10, 0, 0, 0, 0, 16, 10]), "a /16 route needs 7 bytes, 2 remain"),
        (bytes([24, 198, 19, 1]) + bytes([255]) * 300, "prefix length 255 is over 32"),
        (bytes([23, 198, 19, 1, 0, 0, 0, 0]), "198.19.1.0/23 has bits set beyond the prefix"),
    ],
)
def test_malformed_option_249_names_the_defect(value: bytes, message: str) -> None:
    with pytest.raises(DhcpError, match=message):
        classless_routes(value)


def test_the_docs_routes_decode() -> None:
    """[SW-WC]'s two halves of the IPv4 space, router 0.0.0.0, and a /24."""
    value = bytes([1, 0, 0, 0, 0, 0, 1, 128, 0, 0, 0, 0, 24, 198, 19, 1, 0, 0, 0, 0])
    assert [str(n) for n, _ in classless_routes(value)] == [
        "0.0.0.0/1",
        "128.0.0.0/1",
        "198.19.1.0/24",
    ]


def test_inform_is_what_dnsmasq_and_tshark_read() -> None:
    """Field by field: BOOTREQUEST, ciaddr = the VIP, no yiaddr, options 53=8, 60, 55."""
    data = inform(
        xid=0x01020304,
        ciaddr=VIP,
        hardware=MAC,
        vendor_class="MSFT 5.0",
        host_name="DESKTOP-WINTEROP",
        parameters=(1, 249),
    )
    assert data[0] == 1 and data[4:8] == bytes([1, 2, 3, 4])
    assert data[12:16] == VIP.packed and data[16:20] == bytes(4)
    assert data[28:34] == MAC
    options = data[240:]
    assert data[236:240] == MAGIC_COOKIE
    assert bytes([53, 1, 8]) in options
    assert bytes([60, 8]) + b"MSFT 5.0" in options
    assert bytes([55, 2, 1, 249]) in options
    assert options.endswith(bytes([255]))


def test_a_repeated_option_is_concatenated() -> None:
    """RFC 3396: a long option 249 split over two instances is one value."""
    first = bytes([24, 198, 19, 1])
    second = bytes([0, 0, 0, 0])
    options = bytes([53, 1, DHCPACK, 249, 4]) + first + bytes([249, 4]) + second + b"\xff"
    reply = parse_reply(_reply(options))
    assert reply.options[OPT_MS_CLASSLESS_ROUTES] == first + second
    assert [str(n) for n, _ in classless_routes(first + second)] == ["198.19.1.0/24"]


def test_an_option_running_past_the_message_is_named() -> None:
    with pytest.raises(DhcpError, match="option 249 at byte 243 runs past the message"):
        parse_reply(_reply(bytes([53, 1, DHCPACK, 249, 200, 1, 2])))
