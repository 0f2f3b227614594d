"""IKE SA keys from charon's log, as Wireshark's `ikev2_decryption_table`.

Debian's strongSwan 5.9.8 has no save-keys plugin, but with `ike = 4` and `mgr = 2` its
filelog prints, per IKE SA (prefixed `<name|unique-id>`), the SPIs on check-in, the selected
IKE proposal and the SK_* secrets as hex dumps (lab reference, section 9). That covers SAs
that failed authentication too, which list-sas no longer shows. The gateway's log is used,
never the emulator's own keys: the emulator must not grade itself.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

LOG_LINE = re.compile(r"^\S+ (\d+)\[\w+\] <(?:[^|>]*\|)?(\d+)> (.*)$")
_CHECKIN = re.compile(r"checkin IKEv2 SA .*\[(\d+)\] with SPIs ([0-9a-f]{16})_i ([0-9a-f]{16})_r")
_PROPOSAL = re.compile(r"selected proposal: IKE:(\S+)")
_SECRET = re.compile(r"(Sk_ei|Sk_er|Sk_ai|Sk_ar) secret => (\d+) bytes")
_HEXDUMP = re.compile(r"^\s*\d+: ((?:[0-9A-F]{2} {1,2})+)")

# charon's algorithm names -> Wireshark 4.0 ikev2_decryption_table names.
_ENCRYPTION = {
    "3DES_CBC": "3DES [RFC2451]",
    "AES_CBC_128": "AES-CBC-128 [RFC3602]",
    "AES_CBC_192": "AES-CBC-192 [RFC3602]",
    "AES_CBC_256": "AES-CBC-256 [RFC3602]",
    "AES_GCM_8_128": "AES-GCM-128 with 8 octet ICV [RFC5282]",
    "AES_GCM_8_192": "AES-GCM-192 with 8 octet ICV [RFC5282]",
    "AES_GCM_8_256": "AES-GCM-256 with 8 octet ICV [RFC5282]",
    "AES_GCM_12_128": "AES-GCM-128 with 12 octet ICV [RFC5282]",
    "AES_GCM_12_192": "AES-GCM-192 with 12 octet ICV [RFC5282]",
    "AES_GCM_12_256": "AES-GCM-256 with 12 octet ICV [RFC5282]",
    "AES_GCM_16_128": "AES-GCM-128 with 16 octet ICV [RFC5282]",
    "AES_GCM_16_192": "AES-GCM-192 with 16 octet ICV [RFC5282]",
    "AES_GCM_16_256": "AES-GCM-256 with 16 octet ICV [RFC5282]",
    "AES_CCM_16_128": "AES-CCM-128 with 16 octet ICV [RFC5282]",
    "AES_CCM_16_256": "AES-CCM-256 with 16 octet ICV [RFC5282]",
    "NULL": "NULL [RFC2410]",
}
_INTEGRITY = {
    "HMAC_MD5_96": "HMAC_MD5_96 [RFC2403]",
    "HMAC_SHA1_96": "HMAC_SHA1_96 [RFC2404]",
    "HMAC_SHA2_256_128": "HMAC_SHA2_256_128 [RFC4868]",
    "HMAC_SHA2_384_192": "HMAC_SHA2_384_192 [RFC4868]",
    "HMAC_SHA2_512_256": "HMAC_SHA2_512_256 [RFC4868]",
}
_NO_INTEGRITY = "NONE [RFC4306]"


class UnsupportedAlgorithm(ValueError):
    """The negotiated algorithm has no Wireshark decryption-table name."""


@dataclass
class IkeSaKeys:
    """The keys Wireshark needs to decrypt one IKE SA's SK payloads."""

    unique_id: int
    spi_i: str = ""
    spi_r: str = ""
    proposal: str = ""
    secrets: dict[str, bytes] = field(default_factory=dict)

    @property
    def complete(self) -> bool:
        have = {"Sk_ei", "Sk_er"} <= self.secrets.keys()
        return bool(have and self.spi_r and self.spi_r != "0" * 16 and self.proposal)

    def encryption_name(self) -> str:
        for part in self.proposal.split("/"):
            if part in _ENCRYPTION:
                return _ENCRYPTION[part]
        raise UnsupportedAlgorithm(f"no Wireshark name for the cipher of {self.proposal}")

    def integrity_name(self) -> str:
        for part in self.proposal.split("/"):
            if part in _INTEGRITY:
                return _INTEGRITY[part]
        return _NO_INTEGRITY

    def table_row(self) -> str:
        """One row in UAT file syntax: hex fields unquoted, names quoted."""
        aead = self.integrity_name() == _NO_INTEGRITY
        ai = "" if aead else self.secrets.get("Sk_ai", b"").hex()
        ar = "" if aead else self.secrets.get("Sk_ar", b"").hex()
        return (
            f"{self.spi_i},{self.spi_r},{self.secrets['Sk_ei'].hex()},"
            f'{self.secrets["Sk_er"].hex()},"{self.encryption_name()}",'
            f'{ai},{ar},"{self.integrity_name()}"'
        )


class HexDumps:
    """Follows charon's multi-line hex dumps ("<name> => N bytes @ 0x..." then lines of
    "   0: 0A 1B ...") per logging thread, since several threads' lines interleave; the
    bytes go into the dict and key they were started for."""

    def __init__(self) -> None:
        self._open: dict[str, tuple[dict[str, bytes], str, int]] = {}

    def start(self, thread: str, into: dict[str, bytes], name: str, size: int) -> None:
        into[name] = b""
        self._open[thread] = (into, name, size)

    def feed(self, thread: str, rest: str) -> bool:
        """True when REST was a line of THREAD's open dump (and is consumed)."""
        if thread not in self._open:
            return False
        into, name, size = self._open.pop(thread)
        dump = _HEXDUMP.match(rest)
        if not dump:
            return False
        into[name] += bytes.fromhex(dump.group(1))
        if len(into[name]) < size:
            self._open[thread] = (into, name, size)
        return True


def parse_charon_log(text: str) -> list[IkeSaKeys]:
    """Every IKE SA whose keys the log shows, in order of their check-in.

    Keys are logged in the context (`<name|N>`) of the SA whose thread derives them, which
    for an IKE rekey is the *old* SA; the new SA is named by the "checkin IKEv2 SA name[M]
    with SPIs" line that follows in the same context. So a key set is collected per context
    and handed to the SA the next check-in names. Hex dumps are followed per logging thread
    because several threads' lines interleave. A key set no check-in follows (charon derived
    the keys while processing an IKE_AUTH request and then destroyed the SA, e.g. an
    authentication it refused in an unfragmented exchange) belongs to the SA its context
    checked in last: the SA itself, named by its IKE_SA_INIT check-in.
    """
    checked_in: dict[int, IkeSaKeys] = {}
    building: dict[int, IkeSaKeys] = {}
    proposal: dict[int, str] = {}
    dumps = HexDumps()
    last_checkin: dict[int, tuple[int, str, str]] = {}
    for line in text.splitlines():
        parsed = LOG_LINE.match(line)
        if parsed is None:
            continue
        thread, context, rest = parsed.group(1), int(parsed.group(2)), parsed.group(3)
        if dumps.feed(thread, rest):
            continue
        if m := _PROPOSAL.search(rest):
            proposal[context] = m.group(1)
        elif m := _SECRET.search(rest):
            keys = building.get(context, IkeSaKeys(context))
            if m.group(1) in keys.secrets:  # a second derivation in this context: a rekey
                keys = IkeSaKeys(context)
            keys.proposal = proposal.get(context, "")
            building[context] = keys
            dumps.start(thread, keys.secrets, m.group(1), int(m.group(2)))
        elif (m := _CHECKIN.search(rest)) and m.group(3) != "0" * 16:
            last_checkin[context] = (int(m.group(1)), m.group(2), m.group(3))
            keys = building.get(context, IkeSaKeys(context))
            if {"Sk_ei", "Sk_er"} <= keys.secrets.keys():
                del building[context]
                keys.unique_id, keys.spi_i, keys.spi_r = int(m.group(1)), m.group(2), m.group(3)
                checked_in[keys.unique_id] = keys
    for context, keys in building.items():
        known = last_checkin.get(context)
        derived = {"Sk_ei", "Sk_er"} <= keys.secrets.keys()
        if known is not None and derived and known[0] not in checked_in:
            keys.unique_id, keys.spi_i, keys.spi_r = known
            checked_in[keys.unique_id] = keys
    return [sa for sa in checked_in.values() if sa.complete]


def write_decryption_table(log_path: Path, table_path: Path) -> list[IkeSaKeys]:
    """Write `ikev2_decryption_table` for every IKE SA in LOG_PATH; return them."""
    sas = parse_charon_log(log_path.read_text(errors="replace"))
    table_path.write_text("".join(sa.table_row() + "\n" for sa in sas))
    return sas
