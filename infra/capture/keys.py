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

_SA_TAG = re.compile(r"\[\w+\] <(?:[^|>]*\|)?(\d+)> ")
_SPIS = re.compile(r"with SPIs ([0-9a-f]{16})_i ([0-9a-f]{16})_r")
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


def parse_charon_log(text: str) -> list[IkeSaKeys]:
    """Every IKE SA whose keys the log shows, in order of first appearance."""
    sas: dict[int, IkeSaKeys] = {}
    pending: tuple[IkeSaKeys, str, int] | None = None
    for line in text.splitlines():
        if pending is not None:
            sa, name, size = pending
            dump = _HEXDUMP.match(line.split("> ", 1)[-1])
            if dump:
                sa.secrets[name] = sa.secrets.get(name, b"") + bytes.fromhex(dump.group(1))
                if len(sa.secrets[name]) >= size:
                    pending = None
                continue
            pending = None
        tag = _SA_TAG.search(line)
        if tag is None:
            continue
        uid = int(tag.group(1))
        sa = sas.setdefault(uid, IkeSaKeys(uid))
        if (m := _SPIS.search(line)) and m.group(2) != "0" * 16 and not sa.secrets:
            sa.spi_i, sa.spi_r = m.group(1), m.group(2)
        elif m := _PROPOSAL.search(line):
            sa.proposal = m.group(1)
        elif m := _SECRET.search(line):
            sa.secrets[m.group(1)] = b""
            pending = (sa, m.group(1), int(m.group(2)))
    return [sa for sa in sas.values() if sa.complete]


def write_decryption_table(log_path: Path, table_path: Path) -> list[IkeSaKeys]:
    """Write `ikev2_decryption_table` for every IKE SA in LOG_PATH; return them."""
    sas = parse_charon_log(log_path.read_text(errors="replace"))
    table_path.write_text("".join(sa.table_row() + "\n" for sa in sas))
    return sas
