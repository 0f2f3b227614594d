# winterop script: set-vpn-ipsec-configuration
# expects: {reverted: bool, policy: {authentication_transform_constants, cipher_transform_constants, encryption_method, integrity_check_method, dh_group, pfs_group} | null}
$ErrorActionPreference = 'Stop'
$ProgressPreference = 'SilentlyContinue'
$ConfirmPreference = 'None'
Set-StrictMode -Version 1.0
# Values from the harness; the rest of the script is constant text.
$Name = 'sw-ikev2'
$AllUserConnection = $true
$RevertToDefault = $false
$AuthenticationTransformConstants = 'GCMAES256'
$CipherTransformConstants = 'GCMAES256'
$EncryptionMethod = 'GCMAES256'
$IntegrityCheckMethod = 'SHA384'
$DHGroup = 'ECP384'
$PfsGroup = 'ECP384'
$WinteropOk = $false
$WinteropData = $null
$WinteropFailure = $null
try {
    $null = . {
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
