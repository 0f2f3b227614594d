"""The registry values that change the Windows IKEv2 client, and how Windows reads them.

Only values the emulator models are accepted, so a typo in a suite fails loudly instead
of being silently ignored (a real registry would accept any name, but then the test would
not test anything). Sources: windows-client-behavior.md 1.6 D, 2.5, 3.
"""

from __future__ import annotations

from dataclasses import dataclass

_RASMAN = r"HKLM\SYSTEM\CurrentControlSet\Services\RasMan"


@dataclass(frozen=True)
class RegistryValue:
    name: str
    key: str
    meaning: str


KNOWN_VALUES = {
    v.name: v
    for v in (
        RegistryValue(
            "NegotiateDH2048_AES256",
            _RASMAN + r"\Parameters",
            "0 = default proposals, 1 = enable, 2 = enforce AES-256-CBC + MODP-2048 (1.6 D)",
        ),
        RegistryValue(
            "DisableIKENameEkuCheck",
            _RASMAN + r"\Parameters",
            "1 = skip the gateway certificate's name and EKU checks (3)",
        ),
        RegistryValue(
            "DisableCertReqPayload",
            _RASMAN + r"\IKEv2",
            "1 = send no CERTREQ in IKE_AUTH (2.5)",
        ),
        RegistryValue(
            "ExtendedIDiSupport",
            _RASMAN + r"\IKEv2",
            "non-zero = derive IDi from the EAP identity instead of the local address (2.6)",
        ),
        RegistryValue(
            "UseRSACertForEcpDHGroups",
            _RASMAN + r"\IKEv2",
            "1 = keep RSA machine authentication with an ECP DH group (2.5)",
        ),
    )
}


class UnknownRegistryValue(KeyError):
    """A value the emulator does not model."""


class Registry:
    """DWORD values by name (the key is implied by the name)."""

    def __init__(self) -> None:
        self._values: dict[str, int] = {}

    def set(self, name: str, value: int) -> None:
        if name not in KNOWN_VALUES:
            raise UnknownRegistryValue(
                f"{name!r} is not a registry value the emulator models; known: "
                + ", ".join(sorted(KNOWN_VALUES))
            )
        if not 0 <= value <= 0xFFFFFFFF:
            raise ValueError(f"{name}: {value} is not a DWORD")
        self._values[name] = value

    def dword(self, name: str) -> int | None:
        return self._values.get(name)

    @property
    def negotiate_dh2048_aes256(self) -> int:
        """0, 1 or 2; anything but DWORD 1 or 2 counts as 0 (reverse-engineered client)."""
        value = self._values.get("NegotiateDH2048_AES256")
        return value if value in (1, 2) else 0

    def nonzero(self, name: str) -> bool:
        """True for any DWORD other than 0 (values Windows tests with ``!= 0``)."""
        return bool(self._values.get(name))

    def flag(self, name: str) -> bool:
        """True only for DWORD 1 (Windows tests these values for exactly 1)."""
        return self._values.get(name) == 1

    def items(self) -> list[tuple[str, int]]:
        return sorted(self._values.items())
