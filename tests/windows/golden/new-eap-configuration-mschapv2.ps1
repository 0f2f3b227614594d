# winterop script: new-eap-configuration
# expects: {method: 'MsChapv2' | 'Tls', eap_xml: str}
$ErrorActionPreference = 'Stop'
$ProgressPreference = 'SilentlyContinue'
$ConfirmPreference = 'None'
Set-StrictMode -Version 1.0
# Values from the harness; the rest of the script is constant text.
$EapMethod = 'MsChapv2'
$EapUseWinlogonCredential = $false
$EapUserCertificate = $false
$EapVerifyServerIdentity = $false
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
$WinteropOk = $false
$WinteropData = $null
$WinteropFailure = $null
try {
    $null = . {
        $eapConfiguration = New-WinteropEapConfiguration
        $WinteropData = [ordered]@{
            method = $EapMethod
            eap_xml = [string]$eapConfiguration.EapConfigXmlStream.OuterXml
        }
    }
    $WinteropOk = $true
}
catch {
    $WinteropFailure = $_
}
$WinteropDocument = [ordered]@{ ok = $WinteropOk; data = $WinteropData; error = $null }
if ($null -ne $WinteropFailure) {
    $WinteropDocument.error = [ordered]@{
        message = [string]$WinteropFailure.Exception.Message
        category = [string]$WinteropFailure.CategoryInfo.Category
        hresult = [int]$WinteropFailure.Exception.HResult
    }
}
try {
    # docs: PowerShell-Docs reference/5.1/Microsoft.PowerShell.Utility/ConvertTo-Json.md
    $WinteropJson = ConvertTo-Json -InputObject $WinteropDocument -Depth 6 -Compress
}
catch {
    $WinteropJson = ConvertTo-Json -Depth 6 -Compress -InputObject ([ordered]@{
        ok = $false
        data = $null
        error = [ordered]@{
            message = 'result serialisation failed: ' + $_.Exception.Message
            category = [string]$_.CategoryInfo.Category
            hresult = [int]$_.Exception.HResult
        }
    })
}
$WinteropEscape = [System.Text.RegularExpressions.MatchEvaluator]{
    param($m)
    '\u{0:x4}' -f [int][char]$m.Value
}
[regex]::Replace($WinteropJson, '[^\x00-\x7F]', $WinteropEscape)
