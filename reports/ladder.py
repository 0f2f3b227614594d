"""The IKE ladder diagram of one capture: client and gateway lifelines, one arrow per frame.

Why drawn here (a layout model rendered by templates/ladder.svg.j2) and not by a plotting
library: the diagram is text-heavy and must stay selectable, searchable and linkable
(`#frame-14` from a failure message), and the site must work offline from file://. So the
layout is plain arithmetic on a monospace font: every row knows its lines and its height.

The capture is the gateway's, so the client's address is the one the gateway saw (the NAT's
outside address behind a NAT). Left is whoever sent the capture's first IKE_SA_INIT request;
every frame from that address is drawn left to right.
"""

from __future__ import annotations

import textwrap
from dataclasses import dataclass, field

from infra.capture.facts import MS_NOTIFY_STATUS, CaptureFacts, IkeMessage, Notify
from infra.clients.windows_errors import windows_error
from reports.proposal_names import proposal_name

WIDTH = 1000
LEFT_X = 200
RIGHT_X = 900
HEADER = 64
LINE = 15
ARROW_GAP = 14
ROW_PAD = 10
CHARS_PER_LINE = 96
FIRST_ERROR_STATUS = 1
LAST_ERROR_STATUS = 16383
"""RFC 7296 3.10.1: notify types below 16384 report errors."""
ERROR_NOTIFIES = {
    1: "UNSUPPORTED_CRITICAL_PAYLOAD",
    4: "INVALID_IKE_SPI",
    5: "INVALID_MAJOR_VERSION",
    7: "INVALID_SYNTAX",
    9: "INVALID_MESSAGE_ID",
    11: "INVALID_SPI",
    14: "NO_PROPOSAL_CHOSEN",
    17: "INVALID_KE_PAYLOAD",
    24: "AUTHENTICATION_FAILED",
    34: "SINGLE_PAIR_REQUIRED",
    35: "NO_ADDITIONAL_SAS",
    36: "INTERNAL_ADDRESS_FAILURE",
    37: "FAILED_CP_REQUIRED",
    38: "TS_UNACCEPTABLE",
    39: "INVALID_SELECTORS",
    43: "TEMPORARY_FAILURE",
    44: "CHILD_SA_NOT_FOUND",
}
"""RFC 7296's names of the error notifies a Windows interop failure typically shows."""


@dataclass(frozen=True)
class TextLine:
    text: str
    css: str = ""


@dataclass(frozen=True)
class Row:
    frame: int
    offset: str
    y: int
    height: int
    lines: tuple[TextLine, ...]
    rightward: bool
    css: str
    tooltip: str

    @property
    def arrow_y(self) -> int:
        return self.y + ROW_PAD + LINE * len(self.lines) + ARROW_GAP // 2

    @property
    def x1(self) -> int:
        return LEFT_X if self.rightward else RIGHT_X

    @property
    def x2(self) -> int:
        return RIGHT_X if self.rightward else LEFT_X

    @property
    def text_x(self) -> int:
        return (LEFT_X + RIGHT_X) // 2

    def line_y(self, index: int) -> int:
        return self.y + ROW_PAD + LINE * (index + 1) - 3


@dataclass(frozen=True)
class Ladder:
    client: str
    gateway: str
    rows: tuple[Row, ...]
    height: int
    notes: tuple[str, ...] = field(default_factory=tuple)
    """Warnings: what the reader should know before trusting the drawing."""
    esp_packets: int = 0
    width: int = WIDTH
    left_x: int = LEFT_X
    right_x: int = RIGHT_X


def build_ladder(
    facts: CaptureFacts, *, highlight: frozenset[int] = frozenset(), decode_error: str | None = None
) -> Ladder:
    messages = facts.messages
    client = _client_address(messages)
    gateway = next((m.dst if m.src == client else m.src for m in messages), "gateway")
    start = messages[0].time if messages else 0.0
    rows = []
    y = HEADER
    seen: dict[tuple[bytes, int, bool, bool, tuple[int, int] | None], int] = {}
    for message in messages:
        key = (
            message.spi_i,
            message.message_id,
            message.response,
            message.src == client,
            message.fragment,
        )
        first = seen.setdefault(key, message.frame)
        retransmit = first if first != message.frame else None
        row = _row(message, y, client, start, message.frame in highlight, retransmit)
        rows.append(row)
        y += row.height
    notes = []
    if decode_error:
        notes.append(f"tshark reported: {decode_error}")
    if not messages:
        notes.append("no IKE message in the capture")
    if any(m.encrypted and not m.decrypted and _whole(m) for m in messages):
        notes.append("some messages could not be decrypted with the key table")
    return Ladder(client, gateway, tuple(rows), y + 20, tuple(notes), facts.esp_packets)


def _client_address(messages: tuple[IkeMessage, ...]) -> str:
    first = next((m for m in messages if m.exchange == 34 and not m.response), None)
    first = first or (messages[0] if messages else None)
    return first.src if first else "client"


def _whole(m: IkeMessage) -> bool:
    return m.fragment is None or m.reassembled


def _row(
    m: IkeMessage, y: int, client: str, start: float, highlighted: bool, retransmit: int | None
) -> Row:
    title, _, body = m.summary().partition(" [")
    body = body.rstrip("]").strip()
    lines = [TextLine(_title(m, title), "title")]
    if retransmit is not None:
        lines.append(TextLine(f"retransmission of frame {retransmit}", "warn"))
    lines += [TextLine(part, "payloads") for part in _wrap(f"[ {body} ]" if body else "[ ]")]
    lines += _details(m)
    fragment_only = m.fragment is not None and not m.reassembled and m.encrypted and not body
    css = " ".join(
        c
        for c in (
            "c2g" if m.src == client else "g2c",
            "fragment" if m.fragment is not None and not m.reassembled else "",
            "hl" if highlighted else "",
            "bad" if any(_is_error(n) for n in m.notifies) or m.malformed else "",
            "thin" if fragment_only else "",
        )
        if c
    )
    height = ROW_PAD + LINE * len(lines) + ARROW_GAP + ROW_PAD
    tooltip = (
        f"frame {m.frame}: {m.src}:{m.sport} -> {m.dst}:{m.dport}, "
        f"SPIs {m.spi_i.hex()}/{m.spi_r.hex()}, "
        f"{'encrypted' if m.encrypted else 'plain'}"
        f"{', decrypted' if m.decrypted else ''}"
    )
    return Row(
        frame=m.frame,
        offset=f"+{m.time - start:.3f} s",
        y=y,
        height=height,
        lines=tuple(lines),
        rightward=m.src == client,
        css=css,
        tooltip=tooltip,
    )


def _title(m: IkeMessage, title: str) -> str:
    ports = f"{m.sport}\u2192{m.dport}"
    extra = []
    if m.fragment is not None:
        extra.append(f"fragment {m.fragment[0]}/{m.fragment[1]}")
        if m.reassembled:
            extra.append("reassembled")
    return "  ".join([title, f"(udp {ports})", *extra])


def _wrap(text: str) -> list[str]:
    return textwrap.wrap(text, CHARS_PER_LINE, break_on_hyphens=False) or [text]


def _details(m: IkeMessage) -> list[TextLine]:
    lines: list[TextLine] = []
    if m.proposals:
        label = "SA chosen" if m.response else "SA offered"
        shown = m.proposals if not m.response else m.proposals[:1]
        for p in shown[:4]:
            lines += [TextLine(t, "detail") for t in _wrap(f"{label}: {proposal_name(p)}")]
        if len(shown) > 4:
            lines.append(TextLine(f"... and {len(shown) - 4} more proposals", "detail"))
    for name, identity in (("IDi", m.idi), ("IDr", m.idr)):
        if identity is not None:
            lines.append(TextLine(f"{name}: {identity.data}", "detail"))
    if m.eap is not None and m.eap.identity:
        lines.append(TextLine(f"EAP identity: {m.eap.identity}", "detail"))
    for notify in m.notifies:
        if _is_error(notify):
            lines.append(TextLine(_notify_text(notify), "error"))
    if m.encrypted and not m.decrypted and _whole(m):
        lines.append(TextLine("not decrypted: no key for this IKE SA in the key table", "error"))
    if m.malformed:
        lines.append(TextLine("tshark: malformed frame", "error"))
    lines += [TextLine(f"tshark: {w}", "error") for w in m.warnings[:3]]
    return lines


def _is_error(notify: Notify) -> bool:
    return FIRST_ERROR_STATUS <= notify.type <= LAST_ERROR_STATUS


def _notify_text(notify: Notify) -> str:
    if notify.type == MS_NOTIFY_STATUS and len(notify.data) == 4:
        code = int.from_bytes(notify.data, "big", signed=True)
        return f"Windows status {code}: {windows_error(code)}"
    name = ERROR_NOTIFIES.get(notify.type, "error notify")
    data = f", data {notify.data.hex()}" if notify.data else ""
    return f"{name} (notify {notify.type}{data})"
