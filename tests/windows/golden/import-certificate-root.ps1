# winterop script: import-certificate
# expects: {store: str, certificates: [{thumbprint, subject, issuer, has_private_key, not_after}]}
$ErrorActionPreference = 'Stop'
$ProgressPreference = 'SilentlyContinue'
$ConfirmPreference = 'None'
Set-StrictMode -Version 1.0
# Values from the harness; the rest of the script is constant text.
$CertificateBase64 = 'AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8gISIjJCUmJygpKissLS4v'
$CertStoreLocation = 'Cert:\LocalMachine\Root'
function New-WinteropTempPath {
    param([string]$Extension)
    $leaf = 'winterop-' + [guid]::NewGuid().ToString('N') + $Extension
    return Join-Path ([System.IO.Path]::GetTempPath()) $leaf
}
function ConvertTo-WinteropCertificateInfo {
    param($Certificate)
    return [ordered]@{
        thumbprint = [string]$Certificate.Thumbprint
        subject = [string]$Certificate.Subject
        issuer = [string]$Certificate.Issuer
        has_private_key = [bool]$Certificate.HasPrivateKey
        not_after = $Certificate.NotAfter.ToUniversalTime().ToString('o')
    }
}
$WinteropOk = $false
$WinteropData = $null
$WinteropFailure = $null
try {
    $null = . {
        $certificatePath = New-WinteropTempPath -Extension '.cer'
        try {
            $bytes = [System.Convert]::FromBase64String($CertificateBase64)
            [System.IO.File]::WriteAllBytes($certificatePath, $bytes)
            # docs: pki/Import-Certificate.md
            $importArgs = @{
                FilePath = $certificatePath            # -FilePath: DER/Base64 .cer; first cert only
                CertStoreLocation = $CertStoreLocation # -CertStoreLocation: Cert:\LocalMachine\<store>
            }
            $imported = @(Import-Certificate @importArgs)
        }
        finally {
            Remove-Item -LiteralPath $certificatePath -Force -ErrorAction SilentlyContinue
        }
        $WinteropData = [ordered]@{
            store = $CertStoreLocation
            certificates = @($imported | ForEach-Object { ConvertTo-WinteropCertificateInfo $_ })
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
