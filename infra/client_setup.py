"""What the administrator does on the Windows side for a gateway preset.

A preset is a documented configuration, and the same documentation tells the Windows
administrator what to change on the client, so a matrix cell is "this gateway *and* the
client as its documentation sets it up". `docs-recommended` follows strongSwan's Windows
pages: the NegotiateDH2048_AES256 registry value set to 2 ("Enable Strong Key Exchange",
windowsClients.adoc; Windows 7 to 11 otherwise offer only MODP1024, which charon's default
proposals lack) and "Maximum strength encryption" on the connection (windowsMachineConf,
windowsUserConf, windowsEapConf: `esp = aes256-3des-sha1`). `strongswan-defaults` leaves
Windows at its defaults, so the cell shows what happens when nobody reads the docs.

The reference client is strongSwan itself: registry values mean nothing to it, so they
are applied to Windows client kinds only.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

from infra.clients.protocol import EncryptionLevel

DOCS = "https://docs.strongswan.org/docs/latest/interop/"


class UserCertificate(enum.StrEnum):
    """Which lab user certificate goes into CurrentUser\\My for EAP-TLS (case B)."""

    GOOD = "good"
    """CN and SAN = the user name, EKU clientAuth (LabPki.user)."""
    NO_CLIENT_AUTH = "no-client-auth"
    """EKU serverAuth only, which Windows must not pick (LabPki.user_without_client_auth)."""


@dataclass(frozen=True)
class ClientSetup:
    registry: tuple[tuple[str, int], ...] = ()
    """RasMan DWORD values, set before dialling."""
    encryption_level: EncryptionLevel = EncryptionLevel.REQUIRED
    """Add-VpnConnection -EncryptionLevel (the GUI's "Data encryption")."""
    source: str = ""
    user_certificate: UserCertificate = UserCertificate.GOOD
    """The user certificate imported for EAP-TLS (Import-PfxCertificate)."""
    machine_certificate: bool = True
    """Whether case A imports the lab machine certificate into LocalMachine\\My."""
    split_tunneling: bool = False
    """Add-VpnConnection -SplitTunneling (without it the profile is a full tunnel)."""


CLIENT_SETUP: dict[str, ClientSetup] = {
    "docs-recommended": ClientSetup(
        registry=(("NegotiateDH2048_AES256", 2),),
        encryption_level=EncryptionLevel.MAXIMUM,
        source=DOCS + "windowsClients.html#strong_ke and windowsMachineConf.html",
    ),
    "eap-dynamic": ClientSetup(
        registry=(("NegotiateDH2048_AES256", 2),),
        encryption_level=EncryptionLevel.MAXIMUM,
        source=DOCS + "windowsClients.html#strong_ke and windowsEapConf.html",
    ),
    "strongswan-defaults": ClientSetup(source="Windows defaults: nothing changed"),
}


def client_setup(preset: str) -> ClientSetup:
    """The documented Windows-side setup of PRESET (Windows defaults when none is known)."""
    return CLIENT_SETUP.get(preset, ClientSetup(source="no documented client setup"))
