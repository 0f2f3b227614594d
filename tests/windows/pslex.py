"""A small PowerShell lexer for tests: just enough to find where string literals are.

PowerShell itself is not available on the test machine, so the injection tests need an
independent reading of the generated text. This lexer follows the tokenizer rules that
decide where a literal starts and ends (PowerShell language specification 2.3.5.2):

* a single-quoted literal opens and closes with any of ' U+2018 U+2019 U+201A U+201B, and
  two adjacent quote characters inside it stand for the second one;
* a double-quoted literal opens and closes with any of " U+201C U+201D U+201E; inside it a
  backtick escapes the next character and two adjacent double quotes stand for one;
* `#` starts a comment to the end of the line, `<#` a block comment to `#>`;
* outside literals a backtick escapes the next character.

Here-strings are reported as errors: the generators never produce them, and a lexer that
silently misread one would weaken the tests.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

SINGLE_QUOTES = frozenset("'\u2018\u2019\u201a\u201b")
DOUBLE_QUOTES = frozenset('"\u201c\u201d\u201e')

TokenKind = Literal["code", "single", "double", "comment"]


class LexError(ValueError):
    """The text is not valid PowerShell as far as literals and comments go."""


@dataclass(frozen=True)
class Token:
    kind: TokenKind
    text: str  # the source text of the token
    value: str  # the literal's value for single/double, else the text


def _single(src: str, start: int) -> tuple[Token, int]:
    i = start + 1
    value: list[str] = []
    while True:
        if i >= len(src):
            raise LexError(f"unterminated single-quoted string starting at {start}")
        ch = src[i]
        if ch in SINGLE_QUOTES:
            if i + 1 < len(src) and src[i + 1] in SINGLE_QUOTES:
                value.append(src[i + 1])
                i += 2
                continue
            i += 1
            return Token("single", src[start:i], "".join(value)), i
        value.append(ch)
        i += 1


def _double(src: str, start: int) -> tuple[Token, int]:
    i = start + 1
    value: list[str] = []
    while True:
        if i >= len(src):
            raise LexError(f"unterminated double-quoted string starting at {start}")
        ch = src[i]
        if ch == "`":
            if i + 1 >= len(src):
                raise LexError("backtick at end of input")
            value.append(src[i + 1])
            i += 2
            continue
        if ch in DOUBLE_QUOTES:
            if i + 1 < len(src) and src[i + 1] in DOUBLE_QUOTES:
                value.append(src[i + 1])
                i += 2
                continue
            i += 1
            return Token("double", src[start:i], "".join(value)), i
        value.append(ch)
        i += 1


def lex(src: str) -> list[Token]:
    """Split `src` into code, comment and literal tokens."""
    tokens: list[Token] = []
    code: list[str] = []
    i = 0

    def flush() -> None:
        if code:
            text = "".join(code)
            tokens.append(Token("code", text, text))
            code.clear()

    while i < len(src):
        ch = src[i]
        nxt = src[i + 1] if i + 1 < len(src) else ""
        if ch == "@" and (nxt in SINGLE_QUOTES or nxt in DOUBLE_QUOTES):
            rest = src[i + 2 : i + 3]
            if rest in ("\n", "\r"):
                raise LexError(f"here-string at {i}")
        if ch in SINGLE_QUOTES:
            flush()
            token, i = _single(src, i)
            tokens.append(token)
        elif ch in DOUBLE_QUOTES:
            flush()
            token, i = _double(src, i)
            tokens.append(token)
        elif ch == "<" and nxt == "#":
            flush()
            end = src.find("#>", i + 2)
            if end < 0:
                raise LexError(f"unterminated block comment at {i}")
            tokens.append(Token("comment", src[i : end + 2], src[i : end + 2]))
            i = end + 2
        elif ch == "#":
            flush()
            end = src.find("\n", i)
            end = len(src) if end < 0 else end
            tokens.append(Token("comment", src[i:end], src[i:end]))
            i = end
        elif ch == "`":
            code.append(src[i : i + 2])
            i += 2
        else:
            code.append(ch)
            i += 1
    flush()
    return tokens


def single_quoted_values(src: str) -> list[str]:
    """The values of every single-quoted literal, in order."""
    return [t.value for t in lex(src) if t.kind == "single"]


def skeleton(src: str) -> str:
    """The script with every single-quoted literal replaced by `'?'`: its code structure."""
    return "".join("'?'" if t.kind == "single" else t.text for t in lex(src))
