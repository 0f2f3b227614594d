"""Decode a gateway-side pcap into `CaptureFacts` with tshark, through pyshark.

Why tshark: verdicts must come from a decoder independent of the emulator's own codec
(DESIGN.md), and Wireshark's IKEv2 dissector decrypts SK/SKF payloads and reassembles RFC 7383
fragments given the IKE SA keys. Why one pass in JSON mode with raw bytes: starting tshark
dominates the cost (~0.3 s per capture); JSON keeps the nesting the facts need (SA > proposal
> transform, SK > decrypted payloads, payload > EAP) that PDML's flat field lists lose; and
`-x` adds the bytes of certificates and IDs that the tree otherwise shows only dissected.
Keys go in as one `-o uat:ikev2_decryption_table:<row>` per row, because `override_prefs` is
a dict and holds one row only (lab reference, section 10).

Everything pyshark-specific is in the "pyshark boundary" section; past it, frames are plain
dicts as tshark printed them.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import signal
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import pyshark
from pyshark.tshark.tshark import get_tshark_version

from infra.capture.dhcp_routes import describe_classless_routes
from infra.capture.facts import (
    CaptureFacts,
    ConfigPayload,
    CpAttribute,
    Delete,
    EapFacts,
    EspPacket,
    Identity,
    IkeMessage,
    Notify,
    Payload,
    Proposal,
    TlsRecord,
    TrafficSelector,
    Transform,
)
from infra.errors import LabError

Tree = dict[str, Any]
PayloadList = list[tuple[int, Tree]]

_UAT_PREFIX = "uat:ikev2_decryption_table:"
_PROPOSAL_SUBSTRUCTURE = 2
_TRANSFORM_SUBSTRUCTURE = 3
_KEY_LENGTH_ATTRIBUTE = 14
_CERTREQ_X509_SIGNATURE = 4
_SHA1_LENGTH = 20
_TLS_SERVER_HELLO = 2
# Wireshark expert severities (epan/proto.h PI_WARN, PI_ERROR).
_SEVERITY_WARN = 0x00600000
_SEVERITY_ERROR = 0x00800000


class DecodeError(LabError):
    """tshark could not read the capture.

    The message names the pcap and quotes tshark's error (key-table rows, which tshark echoes
    when it rejects one, are redacted: keys belong in the key table, not in reports).
    `partial` holds the facts of the frames tshark produced before failing, e.g. for a capture
    cut short in the middle of a packet.
    """

    def __init__(self, pcap: Path, reason: str, *, partial: CaptureFacts | None = None):
        super().__init__(f"cannot decode {pcap}: {reason}")
        self.pcap = pcap
        self.reason = reason
        self.partial = partial


def read_decryption_table(path: Path) -> list[str]:
    """The rows of a Wireshark `ikev2_decryption_table` (UAT file syntax), one per IKE SA."""
    lines = (line.strip() for line in path.read_text().splitlines())
    return [line for line in lines if line and not line.startswith("#")]


def tshark_key_options(rows: Sequence[str]) -> list[str]:
    """tshark arguments feeding every key-table row (one `-o` per row)."""
    options: list[str] = []
    for row in rows:
        options += ["-o", _UAT_PREFIX + row]
    return options


ESP_TABLE = "esp_sa"
"""The ESP key table's file name, next to the IKE one (infra.capture.esp_keys)."""


def decode_capture(
    pcap: Path, decryption_table: Path | None, esp_table: Path | None = None
) -> CaptureFacts:
    """Decode PCAP, decrypting the IKE SAs whose keys DECRYPTION_TABLE holds (None: no keys)
    and the ESP traffic of the CHILD SAs in ESP_TABLE (default: the `esp_sa` file next to
    DECRYPTION_TABLE, if there is one)."""
    rows = _table_rows(pcap, decryption_table)
    if esp_table is None and decryption_table is not None:
        esp_table = decryption_table.with_name(ESP_TABLE)
    esp_rows = _table_rows(pcap, esp_table) if esp_table and esp_table.exists() else []
    options = tshark_key_options(rows) + esp_key_options(esp_rows)
    frames, failure = _read_frames(pcap, options)
    if failure is not None and _decoder_lost(failure):
        # tshark ended by a signal, or its exit status was lost (not an error of its own):
        # decode once more, and report the second result, so a killed decoder is never
        # taken for a bad capture.
        frames, failure = _read_frames(pcap, options)
    facts = _facts(frames)
    if failure is not None:
        raise DecodeError(pcap, _redact(failure, [*rows, *esp_rows]), partial=facts)
    return facts


def esp_key_options(rows: Sequence[str]) -> list[str]:
    """tshark arguments turning ESP decryption on with every `esp_sa` row."""
    if not rows:
        return []
    options = ["-o", "esp.enable_encryption_decode:TRUE"]
    for row in rows:
        options += ["-o", f"uat:esp_sa:{row}"]
    return options


_ROOT_BANNER = 'Running as user "root" and group "root". This could be dangerous.'
"""tshark's warning on every start as root: its only stderr line when nothing went wrong."""


def _decoder_lost(failure: str) -> bool:
    """True when FAILURE says nothing about the capture: tshark ended by a signal, or asyncio
    reported 255 because another waiter reaped the child first ("Unknown child process pid
    N, will report returncode 255") while tshark itself printed no error."""
    if "status -" in failure:
        return True
    return failure.startswith("tshark exited with status 255: ") and failure.endswith(_ROOT_BANNER)


def _table_rows(pcap: Path, decryption_table: Path | None) -> list[str]:
    if decryption_table is None:
        return []
    try:
        return read_decryption_table(decryption_table)
    except OSError as exc:
        raise DecodeError(pcap, f"cannot read the key table {decryption_table}: {exc}") from exc


def _redact(text: str, rows: Sequence[str]) -> str:
    for number, row in enumerate(rows, start=1):
        text = text.replace(row, f"<key table row {number}>")
    return text


# --- pyshark boundary -------------------------------------------------------------------


@dataclass(frozen=True)
class _Frame:
    """One frame as tshark's JSON printed it: layer name -> field tree."""

    number: int
    time: float
    layers: dict[str, Tree]


def _read_frames(pcap: Path, options: list[str]) -> tuple[list[_Frame], str | None]:
    """All frames tshark produced, and tshark's error if it failed (after those frames)."""
    if not pcap.is_file():
        raise DecodeError(pcap, "no such capture file")
    if pcap.stat().st_size == 0:
        # tshark reads a 0-byte file as an empty capture; it means tcpdump never wrote.
        raise DecodeError(pcap, "empty file, not even a pcap header")
    _ensure_event_loop()
    capture = pyshark.FileCapture(
        str(pcap), use_json=True, include_raw=True, custom_parameters=options
    )
    _reuse_tshark_version(capture)
    frames: list[_Frame] = []
    raised: Exception | None = None
    try:
        for packet in capture:
            frames.append(_frame(packet))
    except Exception as exc:  # any pyshark failure means "tshark failed"
        raised = exc
    status, last_line = _finish(capture)
    if status != 0:
        return frames, f"tshark exited with status {status}: {last_line or '(no message)'}"
    if raised is not None:
        return frames, f"{type(raised).__name__}: {raised}"
    return frames, None


def _ensure_event_loop() -> None:
    """Give pyshark a current event loop: it takes the thread's loop and, in the main thread,
    fails when an earlier `asyncio.run()` left none."""
    policy = asyncio.get_event_loop_policy()
    try:
        policy.get_event_loop()
    except RuntimeError:
        policy.set_event_loop(policy.new_event_loop())


@functools.cache
def _tshark_version() -> Any:
    return get_tshark_version()


def _reuse_tshark_version(capture: Any) -> None:
    """Spare pyshark its `tshark -v` run per capture (0.25 s, nearly half of a decode).

    pyshark caches the version per capture object only, in the name-mangled private
    `_Capture__tshark_version` (pyshark 0.6.x; pyproject pins <0.7).
    """
    capture._Capture__tshark_version = _tshark_version()


def _frame(packet: Any) -> _Frame:
    info = _layer_tree(packet.frame_info)
    layers: dict[str, Tree] = {}
    for layer in packet.layers:
        # A repeated layer (the inner IP of decrypted ESP) is one pyshark layer with
        # `duplicate_layers` (pyshark internal, like `_all_fields`): kept as "ip#2".
        name = str(layer.layer_name)
        for n, part in enumerate([layer, *getattr(layer, "duplicate_layers", [])], start=1):
            layers.setdefault(name if n == 1 else f"{name}#{n}", _layer_tree(part))
    return _Frame(int(packet.number), float(info.get("frame.time_epoch", 0.0)), layers)


def _layer_tree(layer: Any) -> Tree:
    """The field tree tshark printed for one layer.

    pyshark's JsonLayer exposes fields one at a time and hides the nesting; its `_all_fields`
    (internal, unchanged across pyshark 0.6.x; pyproject pins <0.7) is tshark's dict itself.
    """
    tree = layer._all_fields
    return tree if isinstance(tree, dict) else {}


def _finish(capture: Any) -> tuple[int, str]:
    """Close the capture; return tshark's exit status and the last line of its stderr.

    pyshark <0.7 notices a failed tshark only by a race: when it reaps the process before
    cleaning up it raises TSharkCrashException, otherwise it "kills" the already dead process
    and reports nothing (a garbage file then reads as an empty capture). The exit status
    itself is reliable once the output has ended, so it is read from the process objects in
    `_running_processes` (internal). Exited processes are then dropped from that set, or
    `close()` and `__del__` would raise the same exception again; `close()` still kills any
    tshark left running and waits for pyshark's stderr reader, whose last line
    (`_last_error_line`, internal) is tshark's error message.
    """
    running = capture._running_processes
    statuses = [process.returncode for process in running]
    running.difference_update([process for process in running if process.returncode is not None])
    with contextlib.suppress(Exception):
        capture.close()
    # pyshark SIGKILLs a tshark that has not exited yet when its output ends (a race seen
    # under load): that -9 is pyshark's own cleanup, not a tshark failure.
    status = next((code for code in statuses if code and code != -signal.SIGKILL), 0)
    return status, str(capture._last_error_line or "")


# --- frames -> facts --------------------------------------------------------------------


def _facts(frames: Sequence[_Frame]) -> CaptureFacts:
    messages: list[IkeMessage] = []
    malformed: list[int] = []
    esp: list[EspPacket] = []
    for frame in frames:
        if "esp" in frame.layers:
            esp.append(_esp_packet(frame))
        message, bad = _frame_message(frame)
        if message is not None:
            messages.append(message)
        if bad:
            malformed.append(frame.number)
    return CaptureFacts(tuple(messages), len(esp), tuple(malformed), tuple(esp))


_INNER_PROTOCOLS = (
    ("dhcp", "dhcp"),
    ("dns", "dns"),
    ("icmpv6", "icmpv6"),
    ("icmp", "icmp"),
    ("tcp", "tcp"),
    ("udp", "udp#2"),
)
"""(name, layer key) of what a decrypted ESP packet may carry, innermost first; the outer
UDP (the encapsulation) is the first "udp" layer, an inner one "udp#2"."""


def _esp_packet(frame: _Frame) -> EspPacket:
    """An ESP frame: its SPI, and when tshark decrypted it, the inner addresses and the
    innermost protocol it dissected (with a detail for ICMP and DHCP)."""
    esp = frame.layers["esp"]
    outer = frame.layers.get("ip") or frame.layers.get("ipv6") or {}
    family = "ip" if "ip" in frame.layers else "ipv6"
    # The inner packet: the second IP layer, of either family (IPv6 in IPv4 is "ipv6").
    other = "ipv6" if family == "ip" else "ip"
    inner_key = next((k for k in (f"{family}#2", other) if k in frame.layers), "")
    inner = frame.layers.get(inner_key, {})
    prefix = inner_key.split("#")[0]
    decrypted = bool(inner_key)
    protocol = (
        next((n for n, key in _INNER_PROTOCOLS if key in frame.layers), "") if decrypted else ""
    )
    try:
        detail = _inner_detail(frame, protocol)
        dhcp = _dhcp_options(frame) if protocol == "dhcp" else {}
    except _UNEXPECTED_TREE:
        detail, dhcp = "", {}
    return EspPacket(
        frame=frame.number,
        time=frame.time,
        spi=str(_text(esp, "esp.spi") or ""),
        src=str(_text(outer, f"{family}.src") or ""),
        dst=str(_text(outer, f"{family}.dst") or ""),
        decrypted=decrypted,
        inner_src=str(_text(inner, f"{prefix}.src") or "") if decrypted else "",
        inner_dst=str(_text(inner, f"{prefix}.dst") or "") if decrypted else "",
        inner_protocol=protocol,
        inner_detail=detail,
        dhcp_type=int(_text(dhcp.get(53, {}), "dhcp.option.dhcp") or 0),
        dhcp_vendor_class=str(_text(dhcp.get(60, {}), "dhcp.option.vendor_class_id") or ""),
        dhcp_routes=(
            describe_classless_routes(str(_text(dhcp[249], "dhcp.option.value") or ""))
            if 249 in dhcp
            else ()
        ),
    )


def _inner_detail(frame: _Frame, protocol: str) -> str:
    layer = frame.layers.get(protocol, {})
    if protocol in ("icmp", "icmpv6"):
        return f"type {_text(layer, f'{protocol}.type') or '?'}"
    if protocol == "dhcp":
        kind = _text(_dhcp_options(frame).get(53, {}), "dhcp.option.dhcp")
        return f"message type {kind or '?'}"
    return ""


def _dhcp_options(frame: _Frame) -> dict[int, Tree]:
    """The DHCP options by code: tshark lists the codes in `dhcp.option.type` and repeats
    `dhcp.option.type_tree` once per option in the same order (pyshark makes both lists).
    Option 249's value is only hex in its tree (tshark does not dissect it)."""
    layer = frame.layers.get("dhcp", {})
    codes = _as_list(layer.get("dhcp.option.type"))
    trees = _as_list(layer.get("dhcp.option.type_tree"))
    pairs = zip(codes, trees, strict=True)  # misaligned: ValueError, no DHCP facts
    return {int(code): tree for code, tree in pairs if isinstance(tree, dict)}


# What a tree in an unexpected shape raises in the accessors below.
_UNEXPECTED_TREE = (ValueError, TypeError, KeyError, IndexError, AttributeError)


def _frame_message(frame: _Frame) -> tuple[IkeMessage | None, bool]:
    """The frame's IKE message (None for ESP, keep-alives, ICMP quotes) and whether the frame
    is malformed.

    A frame this decoder cannot interpret counts as malformed rather than aborting the whole
    capture: without its header it is left out; with a header but payloads in an unexpected
    shape (garbage decrypted with a wrong key, say) it keeps the header facts only.
    """
    experts = list(_experts(frame.layers))
    malformed = any(severity >= _SEVERITY_ERROR for severity, _ in experts)
    if "isakmp" not in frame.layers or "icmp" in frame.layers or "icmpv6" in frame.layers:
        return None, malformed
    try:
        message, body = _header(frame, malformed, _warnings(experts))
    except _UNEXPECTED_TREE:
        return None, True
    try:
        return replace(message, **_contents(body)), malformed
    except _UNEXPECTED_TREE:
        return replace(message, malformed=True), True


def _header(
    frame: _Frame, malformed: bool, warnings: tuple[str, ...]
) -> tuple[IkeMessage, PayloadList]:
    """The message's header facts, and the payloads its contents are read from (decrypted
    inner ones for SK/SKF)."""
    tree = frame.layers["isakmp"]
    outer = _payloads(tree)
    encrypted = _first(outer, Payload.SK, Payload.SKF)
    body, decrypted = _decrypted(encrypted) if encrypted is not None else (outer, False)
    fragment = _fragment(encrypted)
    src, sport, dst, dport = _endpoints(frame)
    flags = _dict(tree.get("isakmp.flags_tree"))
    message = IkeMessage(
        frame=frame.number,
        time=frame.time,
        src=src,
        sport=sport,
        dst=dst,
        dport=dport,
        spi_i=_hex_bytes(_text(tree, "isakmp.ispi")),
        spi_r=_hex_bytes(_text(tree, "isakmp.rspi")),
        exchange=_need_int(tree, "isakmp.exchangetype"),
        message_id=_need_int(tree, "isakmp.messageid"),
        initiator=_int(flags, "isakmp.flag_i") == 1,
        response=_int(flags, "isakmp.flag_r") == 1,
        payloads=tuple(t for t, _ in body),
        outer=tuple(t for t, _ in outer),
        encrypted=encrypted is not None,
        decrypted=decrypted,
        fragment=fragment,
        reassembled=fragment is not None and bool(body),
        ip_length=_ip_length(frame),
        ip_fragments=_ip_fragments(frame),
        malformed=malformed,
        warnings=warnings,
    )
    return message, body


def _contents(body: PayloadList) -> dict[str, Any]:
    """The IkeMessage fields read from the payloads themselves."""
    return {
        "proposals": _proposals(body),
        "notifies": tuple(_notify(p) for p in _all(body, Payload.NOTIFY)),
        "vendor_ids": tuple(
            _hex_bytes(_text(p, "isakmp.vid_bytes")) for p in _all(body, Payload.VENDOR_ID)
        ),
        "idi": _identity(_first(body, Payload.IDI)),
        "idr": _identity(_first(body, Payload.IDR)),
        "auth_method": _int(_first(body, Payload.AUTH) or {}, "isakmp.auth.method"),
        "certs": _certs(body),
        "certreq_authorities": _certreq_authorities(body),
        "cp": _config(_first(body, Payload.CP)),
        "tsi": _selectors(_first(body, Payload.TSI)),
        "tsr": _selectors(_first(body, Payload.TSR)),
        "eap": _eap(_first(body, Payload.EAP)),
        "ke_group": _int(_first(body, Payload.KE) or {}, "isakmp.key_exchange.dh_group"),
        "nonce_length": _nonce_length(_first(body, Payload.NONCE)),
        "deletes": tuple(_delete(p) for p in _all(body, Payload.DELETE)),
    }


def _delete(tree: Tree) -> Delete:
    return Delete(
        protocol=_int(tree, "isakmp.delete.protoid") or 0,
        spis=tuple(_hex_bytes(t) for t in _texts(tree, "isakmp.delete.spi")),
    )


def _payloads(container: Tree) -> PayloadList:
    """(type, subtree) per payload: tshark prints `isakmp.typepayload` and
    `isakmp.typepayload_tree` side by side, each a single value or a list when repeated."""
    types = _as_list(container.get("isakmp.typepayload"))
    trees = _as_list(container.get("isakmp.typepayload_tree"))
    return [(_to_int(t), _dict(trees[i] if i < len(trees) else None)) for i, t in enumerate(types)]


def _decrypted(encrypted: Tree) -> tuple[PayloadList, bool]:
    """The inner payloads of an SK/SKF payload and whether tshark decrypted it.

    They sit in `isakmp.enc.decrypted` > `isakmp.enc.contained` for SK, and directly in the
    SKF payload on the frame that completed a reassembly; other fragments decrypt to nothing.
    """
    decrypted = _dict(encrypted.get("isakmp.enc.decrypted"))
    contained = _dict(decrypted.get("isakmp.enc.contained"))
    for candidate in (encrypted, decrypted, contained):
        if "isakmp.typepayload" in candidate:
            return _payloads(candidate), True
    return [], "isakmp.enc.decrypted" in encrypted


def _fragment(encrypted: Tree | None) -> tuple[int, int] | None:
    if encrypted is None:
        return None
    number = _int(encrypted, "isakmp.frag.number")
    total = _int(encrypted, "isakmp.frag.total")
    return None if number is None or total is None else (number, total)


def _endpoints(frame: _Frame) -> tuple[str, int, str, int]:
    """Addresses and ports as the gateway saw them (IPv4 or IPv6; UDP, or TCP per RFC 8229)."""
    family = "ip" if "ip" in frame.layers else "ipv6"
    transport = "udp" if "udp" in frame.layers else "tcp"
    net, ports = frame.layers[family], frame.layers[transport]
    return (
        _text(net, f"{family}.src") or "",
        _need_int(ports, f"{transport}.srcport"),
        _text(net, f"{family}.dst") or "",
        _need_int(ports, f"{transport}.dstport"),
    )


def _ip_length(frame: _Frame) -> int:
    """The IP datagram's size: this frame's packet, or the whole datagram when tshark
    reassembled it from IP fragments (reassembled payload + this header)."""
    family = "ip" if "ip" in frame.layers else "ipv6"
    net = frame.layers.get(family, {})
    header = (_int(net, "ip.hdr_len") or 20) if family == "ip" else 40
    reassembled = _int(_dict(net.get(f"{family}.fragments_tree")), f"{family}.reassembled.length")
    if reassembled:
        return reassembled + header
    if family == "ip":
        return _int(net, "ip.len") or 0
    return (_int(net, "ipv6.plen") or 0) + 40


def _ip_fragments(frame: _Frame) -> int:
    """The fragment count of tshark's IP reassembly on this frame (0: none happened)."""
    family = "ip" if "ip" in frame.layers else "ipv6"
    tree = _dict(frame.layers.get(family, {}).get(f"{family}.fragments_tree"))
    return _int(tree, f"{family}.fragment.count") or 0


# --- payload contents -------------------------------------------------------------------


def _proposals(body: PayloadList) -> tuple[Proposal, ...]:
    sa = _first(body, Payload.SA)
    if sa is None:
        return ()
    return tuple(_proposal(p) for t, p in _payloads(sa) if t == _PROPOSAL_SUBSTRUCTURE)


def _proposal(tree: Tree) -> Proposal:
    return Proposal(
        number=_need_int(tree, "isakmp.prop.number"),
        protocol=_need_int(tree, "isakmp.prop.protoid"),
        spi=_hex_bytes(_text(tree, "isakmp.spi")),
        transforms=tuple(_transform(t) for k, t in _payloads(tree) if k == _TRANSFORM_SUBSTRUCTURE),
    )


def _transform(tree: Tree) -> Transform:
    # The algorithm number's field is named after the type: isakmp.tf.id.encr / .prf / ...
    id_keys = [k for k in tree if k.startswith("isakmp.tf.id") and not k.endswith("_raw")]
    algorithm = _int(tree, id_keys[0]) if id_keys else None
    return Transform(
        type=_need_int(tree, "isakmp.tf.type"),
        id=0 if algorithm is None else algorithm,
        key_length=_key_length(tree),
    )


def _key_length(tree: Tree) -> int | None:
    for attribute in _dicts(tree.get("isakmp.ike2.attr")):
        if _int(attribute, "isakmp.ike2.attr.type") == _KEY_LENGTH_ATTRIBUTE:
            value = _hex_bytes(_text(attribute, "isakmp.ike2.attr.value"))
            return _int(attribute, "isakmp.ike2.attr.key_length") or int.from_bytes(value, "big")
    return None


def _notify(tree: Tree) -> Notify:
    return Notify(
        type=_need_int(tree, "isakmp.notify.msgtype"),
        protocol=_int(tree, "isakmp.notify.protoid") or 0,
        spi=_hex_bytes(_text(tree, "isakmp.spi")),
        data=_hex_bytes(_text(tree, "isakmp.notify.data")),
    )


_DN_NAMES = {
    "2.5.4.3": "CN",
    "2.5.4.4": "SN",
    "2.5.4.5": "serialNumber",
    "2.5.4.6": "C",
    "2.5.4.7": "L",
    "2.5.4.8": "ST",
    "2.5.4.9": "STREET",
    "2.5.4.10": "O",
    "2.5.4.11": "OU",
    "2.5.4.12": "T",
    "2.5.4.13": "D",
    "2.5.4.41": "N",
    "2.5.4.42": "G",
    "2.5.4.43": "I",
    "1.2.840.113549.1.9.1": "E",
    "0.9.2342.19200300.100.1.1": "UID",
    "0.9.2342.19200300.100.1.25": "DC",
}
_ID_TEXT_FIELDS = ("fqdn", "user_fqdn", "ipv4_addr", "ipv6_addr")


def _identity(tree: Tree | None) -> Identity | None:
    if tree is None:
        return None
    id_type = _need_int(tree, "isakmp.id.type")
    data = _dict(tree.get("isakmp.id.data"))
    dn = data.get("isakmp.id.data.der_asn1_dn_tree")
    if isinstance(dn, dict) and (dn_text := _dn_text(dn)):
        return Identity(id_type, dn_text)
    for name in _ID_TEXT_FIELDS:
        if (text := _text(data, f"isakmp.id.data.{name}")) is not None:
            return Identity(id_type, text)
    raw = _raw_bytes(tree, "isakmp.id.data") or _hex_bytes(_text(data, "isakmp.id.data.key_id"))
    return Identity(id_type, raw.hex())


def _dn_text(tree: Tree) -> str:
    """The DN in strongSwan's notation ("C=CH, O=Lab, CN=x"), so suites can compare it with the
    identities they configured; tshark's JSON has only the RDN tree, not its display text."""
    parts = []
    for element in _find(tree, "x509if.RelativeDistinguishedName_item_element"):
        for ava in _dicts(element):
            oid = _text(ava, "x509if.oid") or "?"
            parts.append(f"{_DN_NAMES.get(oid, oid)}={_ava_value(ava)}")
    return ", ".join(parts)


def _ava_value(ava: Tree) -> str:
    """The string of one attribute: directly (CountryName) or inside its CHOICE subtree
    (DirectoryString > printableString / uTF8String / ...)."""
    for key, value in ava.items():
        if key.endswith("_tree") and isinstance(value, dict):
            return next(_leaves(value), "")
    for key, value in ava.items():
        if key != "x509if.oid" and not key.endswith("_raw") and isinstance(value, str):
            return value
    return ""


def _certs(body: PayloadList) -> tuple[bytes, ...]:
    ders = (_raw_bytes(p, "isakmp.cert.data") for p in _all(body, Payload.CERT))
    return tuple(der for der in ders if der)


def _certreq_authorities(body: PayloadList) -> tuple[bytes, ...]:
    """CA hashes of all CERTREQ payloads; X.509 CERTREQs carry concatenated 20-byte SHA-1
    hashes of CA public keys (RFC 7296 3.7), split here whatever tshark grouped."""
    authorities: list[bytes] = []
    for tree in _all(body, Payload.CERTREQ):
        blob = b"".join(_hex_bytes(v) for v in _texts(tree, "isakmp.ike.certreq.authority"))
        x509 = _int(tree, "isakmp.certreq.type") == _CERTREQ_X509_SIGNATURE
        if x509 and blob and len(blob) % _SHA1_LENGTH == 0:
            authorities += [blob[i : i + _SHA1_LENGTH] for i in range(0, len(blob), _SHA1_LENGTH)]
        elif blob:
            authorities.append(blob)
    return tuple(authorities)


_CP_HEADER_FIELDS = frozenset(
    f"isakmp.cfg.attr.{name}" for name in ("format", "type", "length", "value")
)


def _config(tree: Tree | None) -> ConfigPayload | None:
    if tree is None:
        return None
    attributes = (_cp_attribute(a) for a in _dicts(tree.get("isakmp.cfg.attr")))
    return ConfigPayload(_need_int(tree, "isakmp.cfg.type"), tuple(attributes))


def _cp_attribute(tree: Tree) -> CpAttribute:
    """tshark's interpretation ("198.19.3.1"; "addr/mask" when it splits the value), else hex."""
    parts = [
        text
        for key in tree
        if key.startswith("isakmp.cfg.attr.")
        and key not in _CP_HEADER_FIELDS
        and not key.endswith(("_raw", "_tree"))
        for text in _texts(tree, key)
    ]
    value = "/".join(parts) if parts else _hex_bytes(_text(tree, "isakmp.cfg.attr.value")).hex()
    return CpAttribute(_need_int(tree, "isakmp.cfg.attr.type"), value)


def _selectors(tree: Tree | None) -> tuple[TrafficSelector, ...]:
    if tree is None:
        return ()
    return tuple(_selector(ts) for ts in _dicts(tree.get("isakmp.ts.data")))


def _selector(ts: Tree) -> TrafficSelector:
    return TrafficSelector(
        ts_type=_need_int(ts, "isakmp.ts.type"),
        protocol=_need_int(ts, "isakmp.ts.protoid"),
        start_port=_need_int(ts, "isakmp.ts.start_port"),
        end_port=_need_int(ts, "isakmp.ts.end_port"),
        start=_text(ts, "isakmp.ts.start_ipv4") or _text(ts, "isakmp.ts.start_ipv6") or "",
        end=_text(ts, "isakmp.ts.end_ipv4") or _text(ts, "isakmp.ts.end_ipv6") or "",
    )


def _eap(tree: Tree | None) -> EapFacts | None:
    eap = _dict(None if tree is None else tree.get("eap"))
    if not eap:
        return None
    records = [r for tls in _dicts(eap.get("tls")) for r in _dicts(tls.get("tls.record"))]
    tls_records = (_tls_record(r) for r in records)
    return EapFacts(
        code=_need_int(eap, "eap.code"),
        identifier=_need_int(eap, "eap.id"),
        type=_int(eap, "eap.type"),
        identity=_text(eap, "eap.identity"),
        mschapv2_opcode=_int(eap, "eap.ms_chap_v2.opcode"),
        tls_flags=_int(eap, "eap.tls.flags"),
        tls_records=tuple(r for r in tls_records if r is not None),
        tls_version=_tls_version(records),
    )


def _tls_record(record: Tree) -> TlsRecord | None:
    """tshark nests the TLS it decoded in EAP as `eap` > `tls` > `tls.record` (one or a
    list) > `tls.handshake` (one or a list; the empty string for an encrypted handshake
    message). A TLS 1.3 encrypted record has an opaque type instead of a content type; an
    entry with neither is not a record (None)."""
    content_type = _int(record, "tls.record.content_type")
    if content_type is None:
        content_type = _int(record, "tls.record.opaque_type")
    if content_type is None:
        return None
    handshakes = (_int(h, "tls.handshake.type") for h in _dicts(record.get("tls.handshake")))
    return TlsRecord(content_type, tuple(h for h in handshakes if h is not None))


def _tls_version(records: list[Tree]) -> int | None:
    """The version a ServerHello among RECORDS selected: TLS 1.3 says it in the
    supported_versions extension (the legacy version field stays 0x0303, RFC 8446 4.1.3)."""
    for record in records:
        for handshake in _dicts(record.get("tls.handshake")):
            if _int(handshake, "tls.handshake.type") != _TLS_SERVER_HELLO:
                continue
            selected = next(_find(handshake, "tls.handshake.extensions.supported_version"), None)
            if isinstance(selected, str):
                return _to_int(selected)
            return _int(handshake, "tls.handshake.version")
    return None


def _nonce_length(tree: Tree | None) -> int | None:
    return None if tree is None else len(_hex_bytes(_text(tree, "isakmp.nonce")))


# --- expert info ------------------------------------------------------------------------


def _experts(value: Any) -> Iterator[tuple[int, str]]:
    """(severity, message) of every expert item anywhere in the tree.

    tshark marks a malformed packet with a `_ws.malformed` leaf (top-level layer, or nested in
    the payload it failed on) next to an expert item; the leaf alone is enough to count as an
    error, because some malformations come with only a warning-level expert item.
    """
    if isinstance(value, dict):
        for key, sub in value.items():
            if key == "_ws.expert":
                for item in _dicts(sub):
                    severity = _int(item, "_ws.expert.severity") or 0
                    yield severity, _text(item, "_ws.expert.message") or ""
            elif key == "_ws.malformed" and isinstance(sub, str):
                yield _SEVERITY_ERROR, sub
            else:
                yield from _experts(sub)
    elif isinstance(value, list):
        for item in value:
            yield from _experts(item)


def _warnings(experts: list[tuple[int, str]]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(m for severity, m in experts if severity >= _SEVERITY_WARN))


# --- tree access ------------------------------------------------------------------------


def _first(payloads: PayloadList, *types: int) -> Tree | None:
    return next((tree for t, tree in payloads if t in types), None)


def _all(payloads: PayloadList, payload_type: int) -> list[Tree]:
    return [tree for t, tree in payloads if t == payload_type]


def _find(value: Any, key: str) -> Iterator[Any]:
    """Every value stored under KEY anywhere in the tree, in document order."""
    if isinstance(value, dict):
        for k, sub in value.items():
            if k == key:
                yield sub
            else:
                yield from _find(sub, key)
    elif isinstance(value, list):
        for item in value:
            yield from _find(item, key)


def _leaves(value: Any) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for key, sub in value.items():
            if not key.endswith("_raw"):
                yield from _leaves(sub)
    elif isinstance(value, list):
        for item in value:
            yield from _leaves(item)


def _as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def _dict(value: Any) -> Tree:
    return value if isinstance(value, dict) else {}


def _dicts(value: Any) -> list[Tree]:
    return [item for item in _as_list(value) if isinstance(item, dict)]


def _texts(tree: Tree, key: str) -> list[str]:
    return [item for item in _as_list(tree.get(key)) if isinstance(item, str)]


def _text(tree: Tree, key: str) -> str | None:
    texts = _texts(tree, key)
    return texts[0] if texts else None


def _to_int(text: str) -> int:
    return int(text, 16) if text.lower().startswith("0x") else int(text)


def _int(tree: Tree, key: str) -> int | None:
    text = _text(tree, key)
    return None if text is None else _to_int(text)


def _need_int(tree: Tree, key: str) -> int:
    value = _int(tree, key)
    if value is None:
        raise KeyError(key)
    return value


def _hex_bytes(text: str | None) -> bytes:
    """tshark prints bytes as colon-separated hex ("e4:d7:95")."""
    return bytes.fromhex(text.replace(":", "")) if text else b""


def _raw_bytes(tree: Tree, key: str) -> bytes | None:
    """The bytes of field KEY from `-x` output: `KEY_raw` is [hex, offset, length, mask, type]
    (a list of those when the field repeats)."""
    raw = tree.get(key + "_raw")
    while isinstance(raw, list) and raw and isinstance(raw[0], list):
        raw = raw[0]
    if not (isinstance(raw, list) and raw and isinstance(raw[0], str)):
        return None
    try:
        return bytes.fromhex(raw[0])
    except ValueError:  # tshark writes "field length invalid!" for a field past the data
        return None
