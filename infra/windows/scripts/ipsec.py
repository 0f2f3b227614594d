"""Custom IKE/ESP proposals for a profile: Set-VpnConnectionIPsecConfiguration.

The proposals suite varies exactly these six values. The cmdlet has two parameter sets:
CustomPolicy, where all six are mandatory together, and Default (`-RevertToDefault`), which
returns to the built-in proposal list; `IpsecPolicy` holds the six and `None` means revert.
Accepted values are the documented sets (windows-client-behavior.md section 9.1; docs:
vpnclient/Set-VpnConnectionIPsecConfiguration.md). Values outside them are refused here, so
a typo fails before a VM is touched instead of as a localised parameter-binding error.
Which IKEv2 transform each value becomes on the wire is section 9.2, and is checked by the
suites from the capture, not here.
"""

from __future__ import annotations

from dataclasses import dataclass

from infra.windows.script import Param, PsScript, build_script
from infra.windows.scripts import _check

AUTHENTICATION_TRANSFORM_CONSTANTS = (
    "MD596",
    "SHA196",
    "SHA256128",
    "GCMAES128",
    "GCMAES192",
    "GCMAES256",
    "None",
)
CIPHER_TRANSFORM_CONSTANTS = (
    "DES",
    "DES3",
    "AES128",
    "AES192",
    "AES256",
    "GCMAES128",
    "GCMAES192",
    "GCMAES256",
    "None",
)
ENCRYPTION_METHODS = ("DES", "DES3", "AES128", "AES192", "AES256", "GCMAES128", "GCMAES256")
INTEGRITY_CHECK_METHODS = ("MD5", "SHA1", "SHA256", "SHA384")
DH_GROUPS = ("None", "Group1", "Group2", "Group14", "ECP256", "ECP384", "Group24")
PFS_GROUPS = ("None", "PFS1", "PFS2", "PFS2048", "ECP256", "ECP384", "PFSMM", "PFS24")


@dataclass(frozen=True)
class IpsecPolicy:
    """The six CustomPolicy values; field names follow the cmdlet's parameter names.

    ESP: `authentication_transform_constants`, `cipher_transform_constants`, `pfs_group`.
    IKE: `encryption_method`, `integrity_check_method` (also the PRF), `dh_group`.
    """

    authentication_transform_constants: str
    cipher_transform_constants: str
    encryption_method: str
    integrity_check_method: str
    dh_group: str
    pfs_group: str

    def __post_init__(self) -> None:
        _check.choice(
            "AuthenticationTransformConstants",
            self.authentication_transform_constants,
            AUTHENTICATION_TRANSFORM_CONSTANTS,
        )
        _check.choice(
            "CipherTransformConstants", self.cipher_transform_constants, CIPHER_TRANSFORM_CONSTANTS
        )
        _check.choice("EncryptionMethod", self.encryption_method, ENCRYPTION_METHODS)
        _check.choice("IntegrityCheckMethod", self.integrity_check_method, INTEGRITY_CHECK_METHODS)
        _check.choice("DHGroup", self.dh_group, DH_GROUPS)
        _check.choice("PfsGroup", self.pfs_group, PFS_GROUPS)


_BODY = r"""
# docs: vpnclient/Set-VpnConnectionIPsecConfiguration.md
if ($RevertToDefault) {
    $ipsecArgs = @{                             # parameter set Default
        ConnectionName = $Name                  # -ConnectionName (alias Name)
        AllUserConnection = $AllUserConnection  # -AllUserConnection: global phone book
        RevertToDefault = $true                 # -RevertToDefault: built-in proposals
        Force = $true                           # -Force: no confirmation prompt
    }                                           # (-PassThru exists only in CustomPolicy)
    Set-VpnConnectionIPsecConfiguration @ipsecArgs
    $WinteropData = [ordered]@{ reverted = $true; policy = $null }
}
else {
    $ipsecArgs = @{                                               # parameter set CustomPolicy
        ConnectionName = $Name                                    # -ConnectionName
        AuthenticationTransformConstants = $AuthenticationTransformConstants # ESP integrity
        CipherTransformConstants = $CipherTransformConstants      # ESP cipher
        EncryptionMethod = $EncryptionMethod                      # IKE cipher
        IntegrityCheckMethod = $IntegrityCheckMethod              # IKE integrity and PRF
        DHGroup = $DHGroup                                        # IKE D-H group
        PfsGroup = $PfsGroup                                      # CHILD SA D-H (rekeys)
        AllUserConnection = $AllUserConnection                    # -AllUserConnection
        PassThru = $true                                          # -PassThru: read back
        Force = $true                                             # -Force: no prompt
    }
    $applied = Set-VpnConnectionIPsecConfiguration @ipsecArgs
    $WinteropData = [ordered]@{
        reverted = $false
        policy = [ordered]@{
            authentication_transform_constants = [string]$applied.AuthenticationTransformConstants
            cipher_transform_constants = [string]$applied.CipherTransformConstants
            encryption_method = [string]$applied.EncryptionMethod
            integrity_check_method = [string]$applied.IntegrityCheckMethod
            dh_group = [string]$applied.DHGroup
            pfs_group = [string]$applied.PfsGroup
        }
    }
}
"""


def set_vpn_ipsec_configuration(
    name: str, policy: IpsecPolicy | None, *, all_user_connection: bool = True
) -> PsScript:
    """Apply `policy` to profile `name`, or revert to the defaults when `policy` is None.

    The custom form returns the values the cmdlet read back (its -PassThru object), so a
    test can see whether Windows stored what was asked for.
    """
    if policy is not None and not isinstance(policy, IpsecPolicy):
        raise ValueError(f"policy must be an IpsecPolicy or None, got {type(policy).__name__}")
    names = (
        "AuthenticationTransformConstants",
        "CipherTransformConstants",
        "EncryptionMethod",
        "IntegrityCheckMethod",
        "DHGroup",
        "PfsGroup",
    )
    values: tuple[str | None, ...] = (None,) * len(names)
    if policy is not None:
        values = (
            policy.authentication_transform_constants,
            policy.cipher_transform_constants,
            policy.encryption_method,
            policy.integrity_check_method,
            policy.dh_group,
            policy.pfs_group,
        )
    return build_script(
        "set-vpn-ipsec-configuration",
        "{reverted: bool, policy: {authentication_transform_constants, "
        "cipher_transform_constants, encryption_method, integrity_check_method, dh_group, "
        "pfs_group} | null}",
        [
            Param("Name", _check.profile_name(name)),
            Param("AllUserConnection", _check.flag("all_user_connection", all_user_connection)),
            Param("RevertToDefault", policy is None),
            *(Param(n, v) for n, v in zip(names, values, strict=True)),
        ],
        _BODY,
    )
