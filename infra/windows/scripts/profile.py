"""Create and delete the IKEv2 VPN profile, exactly as an administrator's Add-VpnConnection would.

The profile is the Windows-side half of a matrix cell: tunnel type IKEv2, one of the two
authentication methods the suites use (MachineCertificate for case A, Eap for cases B and C),
the encryption level and split-tunnel choice, and whether it lives in the global (all users)
phone book. Creation first removes a same-named profile (hanging it up if connected, since
deleting a connected profile fails with 817) so a retried test never inherits stale settings.
A profile created with -AllUserConnection is invisible to every VpnClient cmdlet that does not
pass it too, so the flag is carried consistently (windows-driving.md section 1).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

from infra.windows import pshelpers
from infra.windows.script import Param, PsScript, build_script
from infra.windows.scripts import _check
from infra.windows.scripts.eap import NEW_EAP_CONFIGURATION, EapConfig, EapMsChapV2, eap_params
from infra.windows.winargv import join_windows_args

AuthenticationMethod = Literal["MachineCertificate", "Eap"]
EncryptionLevel = Literal["NoEncryption", "Optional", "Required", "Maximum", "Custom"]
# docs: vpnclient/Add-VpnConnection.md, "Accepted values" of -AuthenticationMethod and
# -EncryptionLevel. Pap, Chap and MSChapv2 are accepted by the cmdlet but not IKEv2 cases.
AUTHENTICATION_METHODS: tuple[AuthenticationMethod, ...] = ("MachineCertificate", "Eap")
ENCRYPTION_LEVELS: tuple[EncryptionLevel, ...] = (
    "NoEncryption",
    "Optional",
    "Required",
    "Maximum",
    "Custom",
)

_REMOVE_EXISTING = r"""
function Remove-WinteropVpnConnection {
    $existing = Get-WinteropVpnConnection -ConnectionName $Name -AllUsers $AllUserConnection
    if ($null -eq $existing) { return $false }
    $hangUpArgs = @{
        ConnectionName = $Name
        AllUsers = $AllUserConnection
        HangUpArguments = $HangUpArguments
    }
    $null = Invoke-WinteropHangUp @hangUpArgs
    # docs: vpnclient/Remove-VpnConnection.md
    $removeArgs = @{
        Name = $Name                            # -Name (String[], alias ConnectionName)
        AllUserConnection = $AllUserConnection  # -AllUserConnection: global phone book
        Force = $true                           # -Force: no confirmation prompt
    }
    Remove-VpnConnection @removeArgs
    return $true
}
"""

_ADD_BODY = r"""
$replaced = $false
if ($ReplaceExisting) {
    $replaced = Remove-WinteropVpnConnection
}
# docs: vpnclient/Add-VpnConnection.md, parameter set InboxProfile
$addArgs = @{
    Name = $Name                                 # -Name: also the VPN interface alias
    ServerAddress = $ServerAddress               # -ServerAddress: name, IPv4 or IPv6 literal
    TunnelType = 'Ikev2'                         # -TunnelType: Pptp|L2tp|Sstp|Ikev2|Automatic
    AuthenticationMethod = $AuthenticationMethod # -AuthenticationMethod (String[])
    EncryptionLevel = $EncryptionLevel           # -EncryptionLevel
    SplitTunneling = $SplitTunneling             # -SplitTunneling: absent = full tunnel
    RememberCredential = $RememberCredential     # -RememberCredential
    AllUserConnection = $AllUserConnection       # -AllUserConnection: global phone book
    Force = $Force                               # -Force: documented for the L2TP PSK case
    PassThru = $true                             # -PassThru: return the VpnConnection object
}
$eapXml = $null
if ($EapMethod -ne 'None') {
    $eapConfiguration = New-WinteropEapConfiguration
    $addArgs.EapConfigXmlStream = $eapConfiguration.EapConfigXmlStream # -EapConfigXmlStream
    $eapXml = [string]$eapConfiguration.EapConfigXmlStream.OuterXml
}
if ($IssuerThumbprint.Length -gt 0) {
    $issuer = @(Get-ChildItem -LiteralPath 'Cert:\LocalMachine\Root', 'Cert:\LocalMachine\CA' |
        Where-Object { $_.Thumbprint -eq $IssuerThumbprint })
    if ($issuer.Count -eq 0) {
        throw ('issuer filter ' + $IssuerThumbprint + ' is not in LocalMachine\Root or \CA')
    }
    $addArgs.MachineCertificateIssuerFilter = $issuer[0] # -MachineCertificateIssuerFilter
}
if ($EkuFilter.Count -gt 0) {
    $addArgs.MachineCertificateEKUFilter = [string[]]$EkuFilter # -MachineCertificateEKUFilter
}
$null = Add-VpnConnection @addArgs
$WinteropData = [ordered]@{
    replaced = $replaced
    connection = Get-WinteropVpnConnection -ConnectionName $Name -AllUsers $AllUserConnection
    eap_xml = $eapXml
}
"""

_REMOVE_BODY = r"""
$removed = Remove-WinteropVpnConnection
$WinteropData = [ordered]@{ removed = $removed }
"""

_PROFILE_HELPERS = [
    pshelpers.INVOKE_PROCESS,
    pshelpers.GET_VPN_CONNECTION,
    pshelpers.DISCONNECT_IF_CONNECTED,
    _REMOVE_EXISTING,
]


def _profile_params(name: str, all_user_connection: bool) -> list[Param]:
    return [
        Param("Name", _check.profile_name(name)),
        Param("AllUserConnection", _check.flag("all_user_connection", all_user_connection)),
        Param("HangUpArguments", join_windows_args([name, "/DISCONNECT"])),
    ]


def add_vpn_connection(
    name: str,
    server_address: str,
    *,
    authentication_method: AuthenticationMethod,
    eap: EapConfig | None = None,
    encryption_level: EncryptionLevel = "Required",
    split_tunneling: bool = False,
    remember_credential: bool = False,
    all_user_connection: bool = True,
    machine_certificate_issuer_thumbprint: str | None = None,
    machine_certificate_eku_filter: Sequence[str] = (),
    force: bool = True,
    replace_existing: bool = True,
) -> PsScript:
    """Build the script that (re)creates an IKEv2 profile and reads it back.

    `eap` applies to `authentication_method="Eap"` and defaults to EAP-MSCHAPv2 (the
    cmdlet's default set). The issuer filter names a CA already installed in
    LocalMachine\\Root or \\CA by thumbprint; the issuer and EKU filters select the machine
    certificate and so apply to MachineCertificate only.
    """
    _check.choice("authentication_method", authentication_method, AUTHENTICATION_METHODS)
    _check.choice("encryption_level", encryption_level, ENCRYPTION_LEVELS)
    _check.text("server_address", server_address, max_len=255, single_line=True)
    if server_address != server_address.strip():
        raise ValueError("server_address must not start or end with whitespace")
    machine = authentication_method == "MachineCertificate"
    if machine and eap is not None:
        raise ValueError("eap applies only to authentication_method='Eap'")
    if not machine and eap is None:
        eap = EapMsChapV2()
    ekus = tuple(_check.oid(o) for o in machine_certificate_eku_filter)
    issuer = ""
    if machine_certificate_issuer_thumbprint is not None:
        issuer = _check.thumbprint(machine_certificate_issuer_thumbprint)
    if not machine and (issuer or ekus):
        raise ValueError("machine certificate filters apply only to MachineCertificate")
    params = [
        *_profile_params(name, all_user_connection),
        Param("ServerAddress", server_address),
        Param("AuthenticationMethod", (authentication_method,)),
        Param("EncryptionLevel", encryption_level),
        Param("SplitTunneling", _check.flag("split_tunneling", split_tunneling)),
        Param("RememberCredential", _check.flag("remember_credential", remember_credential)),
        Param("Force", _check.flag("force", force)),
        Param("ReplaceExisting", _check.flag("replace_existing", replace_existing)),
        Param("IssuerThumbprint", issuer),
        Param("EkuFilter", ekus),
        *eap_params(eap),
    ]
    return build_script(
        "add-vpn-connection",
        "{replaced: bool, connection: {name, server_address, tunnel_type, "
        "authentication_method: [str], encryption_level, split_tunneling, remember_credential, "
        "all_user_connection, connection_status, guid}, eap_xml: str | null}",
        params,
        _ADD_BODY,
        helpers=[*_PROFILE_HELPERS, NEW_EAP_CONFIGURATION],
    )


def remove_vpn_connection(name: str, *, all_user_connection: bool = True) -> PsScript:
    """Hang up the profile if connected, then delete it; a missing profile is not an error."""
    return build_script(
        "remove-vpn-connection",
        "{removed: bool (false when no such profile existed)}",
        _profile_params(name, all_user_connection),
        _REMOVE_BODY,
        helpers=_PROFILE_HELPERS,
    )
