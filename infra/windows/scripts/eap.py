"""EAP settings of a VPN profile, produced on the guest by New-EapConfiguration.

winterop never hand-writes EAP XML for the standard cases: the guest's own cmdlet produces
what a Windows administrator would get, which is the behaviour under test. Two methods are
modelled, the ones the auth suites use (DESIGN.md cases B and C):

* `EapMsChapV2` - parameter set EapMsChapv2Auth, the cmdlet's default (EAP type 26);
* `EapTls` - parameter set EapTlsAuth; `user_certificate=True` is required for a soft
  certificate, since `-Tls` alone means smart card (docs: vpnclient/New-EapConfiguration.md).

A switch bound to `$false` still selects its parameter set, so the script passes only the
switches of the chosen set instead of splatting every switch.
"""

from __future__ import annotations

from dataclasses import dataclass

from infra.windows.script import Param, PsScript, build_script
from infra.windows.scripts import _check


@dataclass(frozen=True)
class EapMsChapV2:
    """EAP-MSCHAPv2; `use_winlogon_credential` is workaround 4 of windows-driving.md 4.2."""

    use_winlogon_credential: bool = False

    def __post_init__(self) -> None:
        _check.flag("use_winlogon_credential", self.use_winlogon_credential)


@dataclass(frozen=True)
class EapTls:
    """EAP-TLS; `verify_server_identity` may prompt on first use (windows-driving.md 15.2)."""

    user_certificate: bool = True
    verify_server_identity: bool = False

    def __post_init__(self) -> None:
        _check.flag("user_certificate", self.user_certificate)
        _check.flag("verify_server_identity", self.verify_server_identity)


EapConfig = EapMsChapV2 | EapTls

# Needs $EapMethod, $EapUseWinlogonCredential, $EapUserCertificate, $EapVerifyServerIdentity.
NEW_EAP_CONFIGURATION = r"""
function New-WinteropEapConfiguration {
    # docs: vpnclient/New-EapConfiguration.md
    if ($EapMethod -eq 'Tls') {
        $tlsArgs = @{                                     # parameter set EapTlsAuth
            Tls = $true                                   # -Tls: EAP-TLS
            UserCertificate = $EapUserCertificate         # -UserCertificate: soft cert
            VerifyServerIdentity = $EapVerifyServerIdentity # -VerifyServerIdentity
        }
        return New-EapConfiguration @tlsArgs
    }
    # parameter set EapMsChapv2Auth (default): -UseWinlogonCredential
    return New-EapConfiguration -UseWinlogonCredential:$EapUseWinlogonCredential
}
"""

_NEW_EAP_BODY = r"""
$eapConfiguration = New-WinteropEapConfiguration
$WinteropData = [ordered]@{
    method = $EapMethod
    eap_xml = [string]$eapConfiguration.EapConfigXmlStream.OuterXml
}
"""


def eap_params(eap: EapConfig | None) -> list[Param]:
    """Value-block entries that `NEW_EAP_CONFIGURATION` reads; `None` means no EAP."""
    if eap is None:
        return [
            Param("EapMethod", "None"),
            Param("EapUseWinlogonCredential", False),
            Param("EapUserCertificate", False),
            Param("EapVerifyServerIdentity", False),
        ]
    if isinstance(eap, EapTls):
        return [
            Param("EapMethod", "Tls"),
            Param("EapUseWinlogonCredential", False),
            Param("EapUserCertificate", eap.user_certificate),
            Param("EapVerifyServerIdentity", eap.verify_server_identity),
        ]
    if isinstance(eap, EapMsChapV2):
        return [
            Param("EapMethod", "MsChapv2"),
            Param("EapUseWinlogonCredential", eap.use_winlogon_credential),
            Param("EapUserCertificate", False),
            Param("EapVerifyServerIdentity", False),
        ]
    raise ValueError(f"unknown EAP configuration {eap!r}")


def new_eap_configuration(eap: EapConfig) -> PsScript:
    """Run New-EapConfiguration alone and return its XML, for evidence and inspection."""
    if eap is None:
        raise ValueError("new_eap_configuration needs an EAP configuration")
    return build_script(
        "new-eap-configuration",
        "{method: 'MsChapv2' | 'Tls', eap_xml: str}",
        eap_params(eap),
        _NEW_EAP_BODY,
        helpers=[NEW_EAP_CONFIGURATION],
    )
