"""CHILD SA (ESP) keys from charon's log, as Wireshark's `esp_sa` table.

With `chd = 4` charon's filelog prints, per CHILD SA, the selected ESP proposal, the four
keys as hex dumps ("encryption initiator key => 32 bytes", ...) and then "CHILD_SA
name{N} established with SPIs <in>_i <out>_o". "Initiator" is the initiator of the exchange
that created the CHILD SA (RFC 7296 2.17): the client for IKE_AUTH and its own rekeys, the
gateway for a rekey it started. So the SPI the gateway receives on (<in>) carries the
initiator's keys unless the gateway started that exchange. Like the IKE table, this reads the
gateway's log, never the emulator's keys. With the table tshark decrypts the ESP traffic
(UDP-encapsulated on port 4500) and dissects what is inside: ICMP, DHCP, DNS.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from infra.capture.keys import LOG_LINE, HexDumps

_PROPOSAL = re.compile(r"selected proposal: ESP:(\S+)")
_KEY = re.compile(r"(encryption|integrity) (initiator|responder) key => (\d+) bytes")
_ESTABLISHED = re.compile(
    r"CHILD_SA \S+\{\d+\} established with SPIs ([0-9a-f]{8})_i ([0-9a-f]{8})_o"
)
_GATEWAY_STARTS = re.compile(r"generating CREATE_CHILD_SA request")
_CLIENT_STARTS = re.compile(r"parsed (?:CREATE_CHILD_SA|IKE_AUTH) request")

# charon's names -> Wireshark 4.0 esp_sa names (ESP's own table, not IKEv2's).
_ENCRYPTION = {
    "AES_CBC_128": "AES-CBC [RFC3602]",
    "AES_CBC_192": "AES-CBC [RFC3602]",
    "AES_CBC_256": "AES-CBC [RFC3602]",
    "3DES_CBC": "TripleDES-CBC [RFC2451]",
    "DES_CBC": "DES-CBC [RFC2405]",
    "AES_GCM_8_128": "AES-GCM with 8 octet ICV [RFC4106]",
    "AES_GCM_8_256": "AES-GCM with 8 octet ICV [RFC4106]",
    "AES_GCM_12_128": "AES-GCM with 12 octet ICV [RFC4106]",
    "AES_GCM_12_256": "AES-GCM with 12 octet ICV [RFC4106]",
    "AES_GCM_16_128": "AES-GCM with 16 octet ICV [RFC4106]",
    "AES_GCM_16_192": "AES-GCM with 16 octet ICV [RFC4106]",
    "AES_GCM_16_256": "AES-GCM with 16 octet ICV [RFC4106]",
    "NULL": "NULL",
}
_INTEGRITY = {
    "HMAC_MD5_96": "HMAC-MD5-96 [RFC2403]",
    "HMAC_SHA1_96": "HMAC-SHA-1-96 [RFC2404]",
    "HMAC_SHA2_256_128": "HMAC-SHA-256-128 [RFC4868]",
    "HMAC_SHA2_384_192": "HMAC-SHA-384-192 [RFC4868]",
    "HMAC_SHA2_512_256": "HMAC-SHA-512-256 [RFC4868]",
}
_NO_INTEGRITY = "NULL"


@dataclass
class ChildSaKeys:
    """One CHILD SA as the gateway holds it: its SPIs, proposal and the four keys."""

    spi_in: str = ""
    spi_out: str = ""
    proposal: str = ""
    gateway_started: bool = False
    keys: dict[str, bytes] = field(default_factory=dict)

    def _name(self, table: dict[str, str], default: str | None) -> str | None:
        for part in self.proposal.split("/"):
            if part in table:
                return table[part]
        return default

    @property
    def supported(self) -> bool:
        return self._name(_ENCRYPTION, None) is not None and len(self.keys) in (2, 4)

    def rows(self, family: str) -> list[str]:
        """Two esp_sa rows (UAT syntax, every field quoted), one per direction, for outer
        addresses of FAMILY ("IPv4" or "IPv6"), any address (NAT rewrites them)."""
        encryption = self._name(_ENCRYPTION, None)
        integrity = self._name(_INTEGRITY, _NO_INTEGRITY)
        assert encryption is not None and integrity is not None
        inbound = "responder" if self.gateway_started else "initiator"
        outbound = "initiator" if self.gateway_started else "responder"
        rows = []
        for spi, side in ((self.spi_in, inbound), (self.spi_out, outbound)):
            encr = self.keys.get(f"encryption {side}", b"").hex()
            integ = self.keys.get(f"integrity {side}", b"").hex()
            fields = [family, "*", "*", f"0x{spi}", encryption, f"0x{encr}", integrity]
            fields.append(f"0x{integ}" if integ else "")
            rows.append(",".join(f'"{f}"' for f in fields))
        return rows


def parse_child_sas(text: str) -> list[ChildSaKeys]:
    """Every CHILD SA established in the log whose keys it shows, in order."""
    building: dict[int, ChildSaKeys] = {}
    proposal: dict[int, str] = {}
    started_by_gateway: dict[int, bool] = {}
    dumps = HexDumps()
    done: list[ChildSaKeys] = []
    for line in text.splitlines():
        parsed = LOG_LINE.match(line)
        if parsed is None:
            continue
        thread, context, rest = parsed.group(1), int(parsed.group(2)), parsed.group(3)
        if dumps.feed(thread, rest):
            continue
        if _GATEWAY_STARTS.search(rest):
            started_by_gateway[context] = True
        elif _CLIENT_STARTS.search(rest):
            started_by_gateway[context] = False
        elif m := _PROPOSAL.search(rest):
            proposal[context] = m.group(1)
        elif m := _KEY.search(rest):
            name = f"{m.group(1)} {m.group(2)}"
            current = building.get(context)
            if current is None or name in current.keys:
                current = building[context] = ChildSaKeys(
                    proposal=proposal.get(context, ""),
                    gateway_started=started_by_gateway.get(context, False),
                )
            dumps.start(thread, current.keys, name, int(m.group(3)))
        elif m := _ESTABLISHED.search(rest):
            finished = building.pop(context, None)
            if finished is not None:
                finished.spi_in, finished.spi_out = m.group(1), m.group(2)
                done.append(finished)
    return [child for child in done if child.supported]


def write_esp_table(log_path: Path, table_path: Path) -> list[str]:
    """Write Wireshark's `esp_sa` table for the CHILD SAs in LOG_PATH (rows for IPv4 and
    IPv6 outer addresses: the table matches on the family); return its rows."""
    children = parse_child_sas(log_path.read_text(errors="replace"))
    rows = [row for child in children for family in ("IPv4", "IPv6") for row in child.rows(family)]
    table_path.write_text("".join(row + "\n" for row in rows))
    return rows
