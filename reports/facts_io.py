"""CaptureFacts to and from facts.json, the decoded capture kept next to each pcap.

Why a file: the suite decodes every capture with tshark anyway (that is where verdicts come
from); saving the same typed facts when a test ends lets the report builder draw ladder
diagrams on any machine, without tshark, without the key table, and from exactly the decode
(and tshark version, see the record's provenance) the verdict was made with. Bytes are
lower-case hex; everything else is the dataclass field as is, so the file reads like the
facts module documents it.
"""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path
from typing import Any

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
    Proposal,
    TlsRecord,
    TrafficSelector,
    Transform,
)

FACTS_KIND = "winterop.capture-facts"
FACTS_VERSION = 1


class FactsError(ValueError):
    """facts.json is not readable (truncated, foreign, or of an unknown version)."""


def facts_to_json(facts: CaptureFacts, *, decode_error: str | None = None) -> dict[str, Any]:
    return {
        "schema": FACTS_KIND,
        "schema_version": FACTS_VERSION,
        "decode_error": decode_error,
        "esp_packets": facts.esp_packets,
        "malformed_frames": list(facts.malformed_frames),
        "esp": [_plain(e) for e in facts.esp],
        "messages": [_plain(m) for m in facts.messages],
    }


def write_facts(path: Path, facts: CaptureFacts, *, decode_error: str | None = None) -> None:
    path.write_text(json.dumps(facts_to_json(facts, decode_error=decode_error), indent=1) + "\n")


def _plain(value: Any) -> Any:
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: _plain(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, bytes):
        return value.hex()
    if isinstance(value, tuple | list):
        return [_plain(v) for v in value]
    return value


def read_facts(path: Path) -> tuple[CaptureFacts, str | None]:
    """(facts, the decode error tshark reported when they were saved, if any)."""
    try:
        data = json.loads(path.read_text())
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise FactsError(f"{path.name}: {exc}") from exc
    return facts_from_json(data)


def facts_from_json(data: Any) -> tuple[CaptureFacts, str | None]:
    if not isinstance(data, dict) or data.get("schema") != FACTS_KIND:
        raise FactsError("not a winterop capture-facts document")
    if data.get("schema_version") != FACTS_VERSION:
        raise FactsError(f"capture-facts version {data.get('schema_version')!r} is unknown")
    try:
        facts = CaptureFacts(
            messages=tuple(_message(m) for m in data["messages"]),
            esp_packets=int(data.get("esp_packets", 0)),
            malformed_frames=tuple(int(f) for f in data.get("malformed_frames", ())),
            esp=tuple(_esp(e) for e in data.get("esp", ())),
        )
    except (KeyError, TypeError, ValueError) as exc:
        raise FactsError(f"malformed message in capture facts: {exc!r}") from exc
    error = data.get("decode_error")
    return facts, (str(error) if error else None)


def _esp(e: dict[str, Any]) -> EspPacket:
    return EspPacket(
        frame=int(e["frame"]),
        time=float(e["time"]),
        spi=str(e["spi"]),
        src=str(e["src"]),
        dst=str(e["dst"]),
        decrypted=bool(e.get("decrypted", False)),
        inner_src=str(e.get("inner_src", "")),
        inner_dst=str(e.get("inner_dst", "")),
        inner_protocol=str(e.get("inner_protocol", "")),
        inner_detail=str(e.get("inner_detail", "")),
        dhcp_type=int(e.get("dhcp_type", 0)),
        dhcp_vendor_class=str(e.get("dhcp_vendor_class", "")),
        dhcp_routes=tuple(str(r) for r in e.get("dhcp_routes", ())),
    )


def _b(text: Any) -> bytes:
    return bytes.fromhex(str(text or ""))


def _opt_pair(value: Any) -> tuple[int, int] | None:
    return None if value is None else (int(value[0]), int(value[1]))


def _message(m: dict[str, Any]) -> IkeMessage:
    return IkeMessage(
        frame=int(m["frame"]),
        time=float(m["time"]),
        src=str(m["src"]),
        sport=int(m["sport"]),
        dst=str(m["dst"]),
        dport=int(m["dport"]),
        spi_i=_b(m["spi_i"]),
        spi_r=_b(m["spi_r"]),
        exchange=int(m["exchange"]),
        message_id=int(m["message_id"]),
        initiator=bool(m["initiator"]),
        response=bool(m["response"]),
        payloads=tuple(int(p) for p in m.get("payloads", ())),
        outer=tuple(int(p) for p in m.get("outer", ())),
        encrypted=bool(m.get("encrypted", False)),
        decrypted=bool(m.get("decrypted", False)),
        fragment=_opt_pair(m.get("fragment")),
        reassembled=bool(m.get("reassembled", False)),
        proposals=tuple(_proposal(p) for p in m.get("proposals", ())),
        notifies=tuple(
            Notify(int(n["type"]), int(n.get("protocol", 0)), _b(n.get("spi")), _b(n.get("data")))
            for n in m.get("notifies", ())
        ),
        vendor_ids=tuple(_b(v) for v in m.get("vendor_ids", ())),
        idi=_identity(m.get("idi")),
        idr=_identity(m.get("idr")),
        auth_method=m.get("auth_method"),
        certs=tuple(_b(c) for c in m.get("certs", ())),
        certreq_authorities=tuple(_b(c) for c in m.get("certreq_authorities", ())),
        cp=_config(m.get("cp")),
        tsi=tuple(_selector(t) for t in m.get("tsi", ())),
        tsr=tuple(_selector(t) for t in m.get("tsr", ())),
        eap=_eap(m.get("eap")),
        ke_group=m.get("ke_group"),
        nonce_length=m.get("nonce_length"),
        deletes=tuple(
            Delete(int(d["protocol"]), tuple(_b(spi) for spi in d.get("spis", ())))
            for d in m.get("deletes", ())
        ),
        ip_length=int(m.get("ip_length", 0)),
        ip_fragments=int(m.get("ip_fragments", 0)),
        malformed=bool(m.get("malformed", False)),
        warnings=tuple(str(w) for w in m.get("warnings", ())),
    )


def _proposal(p: dict[str, Any]) -> Proposal:
    return Proposal(
        number=int(p["number"]),
        protocol=int(p["protocol"]),
        spi=_b(p.get("spi")),
        transforms=tuple(
            Transform(int(t["type"]), int(t["id"]), t.get("key_length"))
            for t in p.get("transforms", ())
        ),
    )


def _identity(value: Any) -> Identity | None:
    return None if value is None else Identity(int(value["type"]), str(value["data"]))


def _config(value: Any) -> ConfigPayload | None:
    if value is None:
        return None
    attributes = tuple(
        CpAttribute(int(a["type"]), str(a.get("value", ""))) for a in value.get("attributes", ())
    )
    return ConfigPayload(int(value["type"]), attributes)


def _selector(t: dict[str, Any]) -> TrafficSelector:
    return TrafficSelector(
        ts_type=int(t["ts_type"]),
        protocol=int(t["protocol"]),
        start_port=int(t["start_port"]),
        end_port=int(t["end_port"]),
        start=str(t["start"]),
        end=str(t["end"]),
    )


def _eap(value: Any) -> EapFacts | None:
    if value is None:
        return None
    return EapFacts(
        code=int(value["code"]),
        identifier=int(value["identifier"]),
        type=value.get("type"),
        identity=value.get("identity"),
        mschapv2_opcode=value.get("mschapv2_opcode"),
        tls_flags=value.get("tls_flags"),
        tls_records=tuple(
            TlsRecord(
                content_type=int(r["content_type"]),
                handshakes=tuple(int(h) for h in r.get("handshakes", ())),
            )
            for r in value.get("tls_records", ())
        ),
        tls_version=value.get("tls_version"),
    )
