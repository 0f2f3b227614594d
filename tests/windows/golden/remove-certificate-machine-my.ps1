# winterop script: remove-certificate
# expects: {store: str, removed: int (0 when the certificate was absent)}
$ErrorActionPreference = 'Stop'
$ProgressPreference = 'SilentlyContinue'
$ConfirmPreference = 'None'
Set-StrictMode -Version 1.0
# Values from the harness; the rest of the script is constant text.
$Thumbprint = '3F2A9C0D5E7B41A8C6D2E0F1B4A7C9D8E6F5A4B3'
$CertStorePath = 'Cert:\LocalMachine\My'
$WinteropOk = $false
$WinteropData = $null
$WinteropFailure = $null
try {
    $null = . {
        $found = @(Get-ChildItem -LiteralPath $CertStorePath |
            Where-Object { $_.Thumbprint -eq $Thumbprint })
        foreach ($certificate in $found) {
            # docs: PowerShell-Docs reference/5.1/Microsoft.PowerShell.Security/About/
            #       about_Certificate_Provider.md (Remove-Item -DeleteKey removes the private key too)
            if ($certificate.HasPrivateKey) {
                Remove-Item -LiteralPath $certificate.PSPath -DeleteKey -Force
            }
            else {
                Remove-Item -LiteralPath $certificate.PSPath -Force
            }
        }
        $WinteropData = [ordered]@{ store = $CertStorePath; removed = $found.Count }
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
