# winterop script: set-registry-dword
# expects: {key: str, name: str, before: int | str | null, after: int | null, services: [{name: str, status: str}]}
$ErrorActionPreference = 'Stop'
$ProgressPreference = 'SilentlyContinue'
$ConfirmPreference = 'None'
Set-StrictMode -Version 1.0
# Values from the harness; the rest of the script is constant text.
$RegistryKey = 'HKLM:\SYSTEM\CurrentControlSet\Services\RasMan\Parameters'
$RegistrySubKey = 'SYSTEM\CurrentControlSet\Services\RasMan\Parameters'
$ValueName = 'NegotiateDH2048_AES256'
$Value = $null
$RestartServices = @()
$WinteropOk = $false
$WinteropData = $null
$WinteropFailure = $null
try {
    $null = . {
        if (-not (Test-Path -LiteralPath $RegistryKey)) {
            # docs: PowerShell-Docs reference/5.1/Microsoft.PowerShell.Management/New-Item.md
            $null = New-Item -Path $RegistryKey -Force
        }
        $before = (Get-Item -LiteralPath $RegistryKey).GetValue($ValueName, $null)
        if ($null -eq $Value) {
            if ($null -ne $before) {
                # Deleted through .NET: Remove-ItemProperty -Name reads wildcards.
                $writable = [Microsoft.Win32.Registry]::LocalMachine.OpenSubKey($RegistrySubKey, $true)
                try { $writable.DeleteValue($ValueName, $false) } finally { $writable.Close() }
            }
        }
        else {
            # docs: PowerShell-Docs reference/5.1/Microsoft.PowerShell.Management/New-ItemProperty.md
            $propertyArgs = @{
                LiteralPath = $RegistryKey   # -LiteralPath: no wildcard reading of the key
                Name = $ValueName            # -Name: the value name
                PropertyType = 'DWord'       # -PropertyType DWord: REG_DWORD
                Value = $Value               # -Value
                Force = $true                # -Force: overwrite an existing value
            }
            $null = New-ItemProperty @propertyArgs
        }
        $after = (Get-Item -LiteralPath $RegistryKey).GetValue($ValueName, $null)
        $restore = @()
        foreach ($service in $RestartServices) {
            $restore += @((Get-Service -Name $service).DependentServices |
                Where-Object { $_.Status -eq 'Running' } | ForEach-Object { $_.Name })
        }
        foreach ($service in $RestartServices) {
            # docs: PowerShell-Docs reference/5.1/Microsoft.PowerShell.Management/Restart-Service.md
            # (-Name; -Force restarts a service that has dependent services)
            Restart-Service -Name $service -Force
        }
        foreach ($service in (@($RestartServices) + $restore)) {
            if ((Get-Service -Name $service).Status -ne 'Running') {
                # docs: PowerShell-Docs reference/5.1/Microsoft.PowerShell.Management/Start-Service.md
                Start-Service -Name $service
            }
        }
        $WinteropData = [ordered]@{
            key = $RegistryKey
            name = $ValueName
            before = $before
            after = $after
            services = @(@($RestartServices) + $restore | ForEach-Object {
                [ordered]@{ name = $_; status = [string](Get-Service -Name $_).Status }
            })
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
