"""The codec's exceptions.

Decoding reads bytes a gateway (or an attacker, or a fuzzer) chose, so it has exactly
one way to fail: :class:`IkeParseError`. Callers can therefore write one ``except``
around ``decode`` and know that anything else escaping is a bug in the codec. The
error also says which notify an IKEv2 responder would answer with, so the state
machine can reply like a real peer (RFC 7296 2.21 / 3.2).
"""

from __future__ import annotations

from emulator.const import NotifyType


class IkeParseError(ValueError):
    """The bytes are not a well-formed IKEv2 message (or payload chain).

    ``offset`` is the absolute byte offset in the buffer handed to the decoder where
    the problem was found, ``expected`` says what should have been there. ``notify``
    is the notify type a responder would send back: INVALID_SYNTAX for malformed
    input, UNSUPPORTED_CRITICAL_PAYLOAD (with the one-octet payload type as
    ``notify_data``) for an unknown payload with the critical bit set, and
    INVALID_MAJOR_VERSION for a header that is not IKEv2.
    """

    def __init__(
        self,
        offset: int,
        expected: str,
        *,
        notify: NotifyType = NotifyType.INVALID_SYNTAX,
        notify_data: bytes = b"",
    ) -> None:
        super().__init__(f"at offset {offset}: expected {expected}")
        self.offset = offset
        self.expected = expected
        self.notify = notify
        self.notify_data = notify_data


class IkeEncodeError(ValueError):
    """A message object cannot be put on the wire (a field does not fit its octets).

    The codec encodes deliberately odd but representable values (wrong lengths,
    unknown numbers, critical bits) so tests can send them; it refuses only what has
    no wire form at all.
    """
