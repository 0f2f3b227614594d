"""Option 249 / 121 bytes (RFC 3442 encoding) as text, for the capture's facts.

tshark prints Microsoft's option 249 as hex only, so the decoder reads the routes itself.
This is the verdict side's reader, kept apart from the emulator's parser on purpose: the
suites grade the emulator's DHCP with a decoder that shares none of its code.
"""

from __future__ import annotations

import ipaddress


def describe_classless_routes(hex_text: str) -> tuple[str, ...]:
    """ "198.19.1.0/24 via 0.0.0.0" per route of the option value HEX_TEXT ("18:c6:13:01:..");
    one "malformed: ..." entry when the bytes are not a sequence of RFC 3442 routes."""
    try:
        data = bytes.fromhex(hex_text.replace(":", ""))
    except ValueError:
        return (f"malformed: not hex ({hex_text[:40]!r})",)
    routes: list[str] = []
    at = 0
    while at < len(data):
        width = data[at]
        size = (width + 7) // 8
        if width > 32 or at + 1 + size + 4 > len(data):
            return (f"malformed: route at byte {at} (/{width}) in {len(data)} bytes",)
        network = ipaddress.IPv4Network(
            (data[at + 1 : at + 1 + size].ljust(4, b"\0"), width), strict=False
        )
        router = ipaddress.IPv4Address(data[at + 1 + size : at + 5 + size])
        routes.append(f"{network} via {router}")
        at += 5 + size
    return tuple(routes)
