"""The EAP layer's one input exception.

Every byte the EAP peer parses was chosen by the gateway (or a fuzzer), so parsing has
exactly one way to fail: :class:`EapParseError`. A caller can wrap a decode in one
``except`` and know that anything else escaping is a bug in this package. The peer
itself never lets it escape ``respond``: a malformed request ends the conversation with
a Windows error number instead (see :mod:`emulator.eap.peer`).
"""

from __future__ import annotations


class EapParseError(ValueError):
    """Bytes that are not a well-formed EAP packet or method payload.

    ``offset`` is the byte offset, within the buffer handed to the parser, where the
    problem was found; ``expected`` says what should have been there.
    """

    def __init__(self, offset: int, expected: str) -> None:
        super().__init__(f"at offset {offset}: expected {expected}")
        self.offset = offset
        self.expected = expected
