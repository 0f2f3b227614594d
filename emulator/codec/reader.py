"""A bounds-checked cursor over received bytes.

Every read names what it expected, so a short or inconsistent message becomes an
:class:`IkeParseError` with an absolute offset instead of an ``IndexError`` or a
silently truncated field. Sub-readers share the parent's buffer and keep absolute
offsets, which makes errors inside nested structures point at the right byte.
"""

from __future__ import annotations

from emulator.codec.errors import IkeParseError


class Reader:
    """Reads big-endian fields from ``data[start:end]``; never past ``end``."""

    __slots__ = ("_base", "_data", "_end", "_pos")

    def __init__(self, data: bytes, start: int = 0, end: int | None = None, base: int = 0) -> None:
        self._data = data
        self._pos = start
        self._end = len(data) if end is None else end
        self._base = base

    @property
    def offset(self) -> int:
        """Absolute offset of the next byte (as reported in errors)."""
        return self._base + self._pos

    @property
    def remaining(self) -> int:
        return self._end - self._pos

    def at_end(self) -> bool:
        return self._pos >= self._end

    def fail(self, expected: str) -> IkeParseError:
        """An error located at the current position (the caller raises it)."""
        return IkeParseError(self.offset, expected)

    def take(self, n: int, what: str) -> bytes:
        if n < 0 or n > self.remaining:
            raise self.fail(f"{what} ({n} bytes, {self.remaining} left)")
        chunk = self._data[self._pos : self._pos + n]
        self._pos += n
        return chunk

    def rest(self) -> bytes:
        return self.take(self.remaining, "rest")

    def u8(self, what: str) -> int:
        return self.take(1, what)[0]

    def u16(self, what: str) -> int:
        return int.from_bytes(self.take(2, what), "big")

    def u32(self, what: str) -> int:
        return int.from_bytes(self.take(4, what), "big")

    def sub(self, n: int, what: str) -> Reader:
        """A reader over the next ``n`` bytes; this reader skips past them."""
        if n < 0 or n > self.remaining:
            raise self.fail(f"{what} ({n} bytes, {self.remaining} left)")
        child = Reader(self._data, self._pos, self._pos + n, self._base)
        self._pos += n
        return child
