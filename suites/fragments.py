"""Reading IKE fragmentation off the wire: announcements, fragment frames and their sizes.

The sizes come from RFC 7383 2.5 and RFC 7296 3.14, restated here rather than taken from the
emulator: an IKE fragment on UDP 4500 is IP header (20) + UDP (8) + non-ESP marker (4) + IKE
header (28) + Encrypted Fragment header (8) + IV + ciphertext + ICV, so the ciphertext of a
fragment follows from the length of its IP packet once the negotiated cipher is known.
"""

from __future__ import annotations

from dataclasses import dataclass

from infra.capture.facts import CaptureFacts, IkeMessage

IKE_SA_INIT, IKE_AUTH = 34, 35
SA_PAYLOAD = 33
FRAG_SUP = 16430
ENCR, INTEG = 1, 3
IPV4_FRAGMENT_OVERHEAD = 20 + 8 + 4 + 28 + 8
"""IPv4 + UDP + non-ESP marker + IKE header + SKF header, in front of IV and ciphertext."""

# (IV bytes, cipher block) by ENCR transform ID, ICV bytes by INTEG ID (RFC 3602, 4106,
# 4868, 2404, RFC 5282 for GCM's 8-byte IV and 16-byte tag).
_ENCR = {3: (8, 8), 12: (16, 16), 20: (8, 1), 19: (8, 1), 18: (8, 1)}
_AEAD_ICV = {20: 16, 19: 12, 18: 8}
_INTEG_ICV = {2: 12, 12: 16, 13: 24, 14: 32}


@dataclass(frozen=True)
class SkOverhead:
    """What the negotiated IKE cipher adds to each fragment's ciphertext."""

    iv: int
    icv: int
    block: int


def overhead_of(init_response: IkeMessage) -> SkOverhead:
    """IV, ICV and block size of the IKE proposal the gateway chose."""
    if not init_response.proposals:
        raise AssertionError(f"no chosen proposal in frame {init_response.frame}")
    transforms = init_response.proposals[0].transforms
    encr = next(t.id for t in transforms if t.type == ENCR)
    iv, block = _ENCR[encr]
    if encr in _AEAD_ICV:
        return SkOverhead(iv, _AEAD_ICV[encr], block)
    integ = next(t.id for t in transforms if t.type == INTEG)
    return SkOverhead(iv, _INTEG_ICV[integ], block)


def ciphertext(message: IkeMessage, overhead: SkOverhead) -> int:
    """Ciphertext bytes in an IPv4 IKE fragment, from the length of its IP packet."""
    return message.ip_length - IPV4_FRAGMENT_OVERHEAD - overhead.iv - overhead.icv


def ciphertext_fit(mtu: int, overhead: SkOverhead) -> int:
    """The most ciphertext, in whole cipher blocks, that an IPv4 fragment on MTU carries."""
    room = mtu - IPV4_FRAGMENT_OVERHEAD - overhead.iv - overhead.icv
    return room - room % overhead.block


def init(wire: CaptureFacts, *, response: bool) -> IkeMessage:
    """The IKE_SA_INIT request that led to the SA (the last one sent), or the response that
    chose a proposal."""
    found = [m for m in wire.messages if m.exchange == IKE_SA_INIT and m.response == response]
    if response:
        found = [m for m in found if SA_PAYLOAD in m.payloads]
    if not found:
        kind = "response with an SA" if response else "request"
        raise AssertionError(f"expected an IKE_SA_INIT {kind} in the capture; saw none")
    return found[-1]


def announces(message: IkeMessage) -> bool:
    return FRAG_SUP in message.notify_types()


def first_transmission(wire: CaptureFacts, gateway: str, *, response: bool) -> list[IkeMessage]:
    """The frames of the first IKE_AUTH request (client) or response (gateway), once each:
    every fragment number's first frame in order, or the one whole message."""
    frames: dict[int, IkeMessage] = {}
    for message in wire.messages:
        sent_by_gateway = message.src == gateway
        if message.exchange != IKE_AUTH or message.message_id != 1:
            continue
        if message.response != response or sent_by_gateway != response:
            continue
        number = message.fragment[0] if message.fragment else 0
        frames.setdefault(number, message)
    if not frames:
        who = "gateway's IKE_AUTH response" if response else "client's IKE_AUTH request"
        raise AssertionError(f"expected the {who} (message ID 1) in the capture; saw none")
    return [frames[n] for n in sorted(frames)]


def size_text(frames: list[IkeMessage]) -> str:
    return f"{sum(m.ip_length for m in frames)}-byte"


def assert_fit(frames: list[IkeMessage], limit: int, what: str, *, whole: bool = False) -> None:
    """Every frame's IP datagram is at most LIMIT bytes (WHAT names it); WHOLE: and none of
    them travelled in IP fragments."""
    for message in frames:
        assert message.ip_length <= limit, (
            f"expected each fragment within {what} ({limit} bytes); frame {message.frame} "
            f"({message.summary()}) is {message.ip_length} bytes"
        )
        assert not whole or message.ip_fragments == 0, (
            f"expected no IP fragmentation of an IKE fragment; frame {message.frame} "
            f"({message.summary()}) arrived in {message.ip_fragments} IP fragments"
        )


def assert_reassembled_by_gateway(gateway_log: str, total: int) -> None:
    """charon logs the completed reassembly of the client's TOTAL fragments (on whichever
    fragment completed it: its threads take them in any order)."""
    line = f"of {total}, reassembled fragmented IKE message"
    if line in gateway_log:
        return
    seen = [entry for entry in gateway_log.splitlines() if "fragment" in entry]
    raise AssertionError(
        f"expected charon to log {line!r}; its fragment lines:\n" + "\n".join(seen[-8:])
    )


def assert_ike_auth_lost(wire: CaptureFacts, gateway_log: str, gateway: str) -> None:
    """Either the client's IKE_AUTH never reached charon whole, or the gateway's response
    never reached the client: the capture shows which went in IP fragments."""
    request = first_transmission(wire, gateway, response=False)
    parsed = "parsed IKE_AUTH request 1 [ IDi" in gateway_log
    if not parsed:
        assert request[0].ip_fragments > 1, (
            "expected the client's lost IKE_AUTH request in IP fragments; observed "
            f"{request[0].summary()} in frame {request[0].frame} ({request[0].ip_length} bytes, "
            f"{request[0].ip_fragments} IP fragments)"
        )
        return
    response = first_transmission(wire, gateway, response=True)
    assert response[0].ip_fragments > 1, (
        "charon parsed the IKE_AUTH request, so the response must be what was lost; expected "
        f"it in IP fragments, observed {response[0].summary()} in frame {response[0].frame}"
    )
