# winterop script: import-pfx-machine
# expects: {store: str, thumbprint: str (the certificate with the private key), certificates: [{thumbprint, subject, issuer, has_private_key, not_after}]}
$ErrorActionPreference = 'Stop'
$ProgressPreference = 'SilentlyContinue'
$ConfirmPreference = 'None'
Set-StrictMode -Version 1.0
# Values from the harness; the rest of the script is constant text.
$PfxBase64 = 'yMnKy8zNzs/Q0dLT1NXW19jZ2tvc3d7f4OHi4+Tl5ufo6err7O3u7/Dx8vP09fb3+Pn6+/z9/v/IycrLzM3Oz9DR0tPU1dbX2Nna29zd3t/g4eLj5OXm5+jp6uvs7e7v8PHy8/T19vf4+fr7/P3+/w=='
$PfxPassword = 'Lab-Passw0rd'
$CertStoreLocation = 'Cert:\LocalMachine\My'
$ExpectedUser = ''
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
        if ($ExpectedUser.Length -gt 0) {
            # CurrentUser\My is the store of the user this session runs as; importing over plain
            # WinRM as another account would silently fill the wrong store (windows-driving.md s.2).
            $identity = [System.Security.Principal.WindowsIdentity]::GetCurrent().Name
            $leaf = $identity.Split('\')[-1]
            if ($identity -ne $ExpectedUser -and $leaf -ne $ExpectedUser) {
                throw ('this session runs as ' + $identity + ', not ' + $ExpectedUser +
                    '; CurrentUser\My needs a session of that user (CredSSP or SSH password)')
            }
        }
        $pfxPath = New-WinteropTempPath -Extension '.pfx'
        try {
            [System.IO.File]::WriteAllBytes($pfxPath, [System.Convert]::FromBase64String($PfxBase64))
            # docs: pki/Import-PfxCertificate.md
            $pfxArgs = @{
                FilePath = $pfxPath                    # -FilePath: the PFX file
                CertStoreLocation = $CertStoreLocation # -CertStoreLocation: ...\My
            }                                          # no -Exportable: the key stays non-exportable
            if ($PfxPassword.Length -gt 0) {
                # docs: PowerShell-Docs reference/5.1/Microsoft.PowerShell.Security/
                #       ConvertTo-SecureString.md (-String -AsPlainText -Force)
                $pfxArgs.Password = ConvertTo-SecureString -String $PfxPassword -AsPlainText -Force
            }
            $imported = @(Import-PfxCertificate @pfxArgs)
        }
        finally {
            Remove-Item -LiteralPath $pfxPath -Force -ErrorAction SilentlyContinue
        }
        $withKey = @($imported | Where-Object { $_.HasPrivateKey })
        if ($withKey.Count -eq 0) {
            throw 'the PFX held no certificate with a private key (Windows would fail 13806/13820)'
        }
        $WinteropData = [ordered]@{
            store = $CertStoreLocation
            thumbprint = [string]$withKey[0].Thumbprint
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
