# winterop script: add-vpn-connection
# expects: {replaced: bool, connection: {name, server_address, tunnel_type, authentication_method: [str], encryption_level, split_tunneling, remember_credential, all_user_connection, connection_status, guid}, eap_xml: str | null}
$ErrorActionPreference = 'Stop'
$ProgressPreference = 'SilentlyContinue'
$ConfirmPreference = 'None'
Set-StrictMode -Version 1.0
# Values from the harness; the rest of the script is constant text.
$Name = 'sw-ikev2'
$AllUserConnection = $true
$HangUpArguments = 'sw-ikev2 /DISCONNECT'
$ServerAddress = 'gw.lab.test'
$AuthenticationMethod = @('MachineCertificate')
$EncryptionLevel = 'Required'
$SplitTunneling = $false
$RememberCredential = $false
$Force = $true
$ReplaceExisting = $true
$IssuerThumbprint = '3F2A9C0D5E7B41A8C6D2E0F1B4A7C9D8E6F5A4B3'
$EkuFilter = @('1.3.6.1.5.5.7.3.2')
$EapMethod = 'None'
$EapUseWinlogonCredential = $false
$EapUserCertificate = $false
$EapVerifyServerIdentity = $false
function Invoke-WinteropProcess {
    # docs: .NET System.Diagnostics.ProcessStartInfo(String, String), Process.WaitForExit(Int32)
    param([string]$FilePath, [string]$Arguments, [int]$TimeoutMs)
    $startInfo = [System.Diagnostics.ProcessStartInfo]::new($FilePath, $Arguments)
    $startInfo.UseShellExecute = $false
    $startInfo.RedirectStandardOutput = $true
    $startInfo.RedirectStandardError = $true
    $startInfo.CreateNoWindow = $true
    $watch = [System.Diagnostics.Stopwatch]::StartNew()
    $process = [System.Diagnostics.Process]::Start($startInfo)
    $stdout = $process.StandardOutput.ReadToEndAsync()
    $stderr = $process.StandardError.ReadToEndAsync()
    $timedOut = -not $process.WaitForExit($TimeoutMs)
    $exitCode = $null
    if ($timedOut) {
        try { $process.Kill() } catch { }
        $null = $process.WaitForExit(5000)
    }
    else {
        $process.WaitForExit()
        $exitCode = $process.ExitCode
    }
    $out = ''
    $err = ''
    if ($stdout.Wait(5000)) { $out = $stdout.Result }
    if ($stderr.Wait(5000)) { $err = $stderr.Result }
    return [ordered]@{
        exit_code = $exitCode
        stdout = $out
        stderr = $err
        timed_out = $timedOut
        seconds = [math]::Round($watch.Elapsed.TotalSeconds, 3)
    }
}
function Get-WinteropVpnConnection {
    param([string]$ConnectionName, [bool]$AllUsers)
    # docs: vpnclient/Get-VpnConnection.md (-AllUserConnection; properties as in its examples)
    $found = @(Get-VpnConnection -AllUserConnection:$AllUsers |
        Where-Object { $_.Name -eq $ConnectionName })
    if ($found.Count -eq 0) { return $null }
    $c = $found[0]
    return [ordered]@{
        name = [string]$c.Name
        server_address = [string]$c.ServerAddress
        tunnel_type = [string]$c.TunnelType
        authentication_method = @($c.AuthenticationMethod | ForEach-Object { [string]$_ })
        encryption_level = [string]$c.EncryptionLevel
        split_tunneling = [bool]$c.SplitTunneling
        remember_credential = [bool]$c.RememberCredential
        all_user_connection = [bool]$c.AllUserConnection
        connection_status = [string]$c.ConnectionStatus
        guid = [string]$c.Guid
    }
}
function Invoke-WinteropHangUp {
    param([string]$ConnectionName, [bool]$AllUsers, [string]$HangUpArguments)
    # docs: windows-driving.md section 4.1 (rasdial "<entry>" /DISCONNECT; no Microsoft page)
    $current = Get-WinteropVpnConnection -ConnectionName $ConnectionName -AllUsers $AllUsers
    if ($null -eq $current -or $current.connection_status -ne 'Connected') { return $null }
    $rasdial = Join-Path $env:SystemRoot 'System32\rasdial.exe'
    return Invoke-WinteropProcess -FilePath $rasdial -Arguments $HangUpArguments -TimeoutMs 30000
}
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
