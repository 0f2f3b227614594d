"""The vendor ID payloads Windows puts at the end of IKE_SA_INIT (reference section 1.4).

Byte strings as strongSwan's ike_vendor.c (commit c5a41c9162) and libreswan's vendor.c
know them; strongSwan logs the first three by name ("received MS NT5 ISAKMPOAKLEY v9
vendor ID") and the fourth as an unknown vendor ID.
"""

from __future__ import annotations

from collections.abc import Sequence

MS_NT5_ISAKMPOAKLEY = bytes.fromhex("1e2b516905991c7d7c96fcbfb587e461")
MS_NEGOTIATION_DISCOVERY = bytes.fromhex("fb1de3cdf341b7ea16b7e5be0855f120")
VID_INITIAL_CONTACT = bytes.fromhex("26244d38eddb61b3172a36e3d0cfb819")
WINDOWS_KEY_MODS = bytes.fromhex("01528bbbc00696121849ab9a1c5b2a51")


def vendor_id_bytes(
    names: Sequence[str], *, nt5_version: int, key_mods_version: int, omit_initial_contact: bool
) -> tuple[bytes, ...]:
    """The payload data of each named vendor ID, in the given order."""
    table = {
        "ms-nt5-isakmpoakley": MS_NT5_ISAKMPOAKLEY + nt5_version.to_bytes(4, "big"),
        "ms-negotiation-discovery": MS_NEGOTIATION_DISCOVERY,
        "vid-initial-contact": VID_INITIAL_CONTACT,
        "windows-key-mods": WINDOWS_KEY_MODS + key_mods_version.to_bytes(4, "big"),
    }
    return tuple(
        table[name]
        for name in names
        if not (omit_initial_contact and name == "vid-initial-contact")
    )
