# WinRM over HTTPS (5986) for Packer during the build and for the winterop harness
# (pypsrp, windows-driving.md 9) on every clone.
#
# Runs twice in an image's life: from the answer file's FirstLogonCommands on the build VM,
# and from SetupComplete.cmd on each clone's first boot, because sysprep gives the clone a
# new computer name and the listener certificate must name it. Idempotent.
$ErrorActionPreference = 'Stop'
$ProgressPreference = 'SilentlyContinue'

# WinRM's firewall exceptions refuse networks of category Public.
Get-NetConnectionProfile |
    Where-Object { $_.NetworkCategory -eq 'Public' } |
    Set-NetConnectionProfile -NetworkCategory Private

Enable-PSRemoting -Force -SkipNetworkProfileCheck | Out-Null

# Remote admin rights for a local (non-built-in) administrator over NTLM
# (windows-driving.md 9: LocalAccountTokenFilterPolicy).
New-ItemProperty -Path 'HKLM:\SOFTWARE\Microsoft\Windows\CurrentVersion\Policies\System' `
    -Name LocalAccountTokenFilterPolicy -PropertyType DWord -Value 1 -Force | Out-Null

# One listener only: HTTPS with a self-signed certificate for this computer's name.
Get-ChildItem -Path WSMan:\localhost\Listener |
    Where-Object { $_.Keys -contains 'Transport=HTTPS' -or $_.Keys -contains 'Transport=HTTP' } |
    Remove-Item -Recurse -Force
$cert = New-SelfSignedCertificate -DnsName $env:COMPUTERNAME -CertStoreLocation Cert:\LocalMachine\My `
    -KeyExportPolicy NonExportable -NotAfter (Get-Date).AddYears(5)
New-Item -Path WSMan:\localhost\Listener -Transport HTTPS -Address * `
    -CertificateThumbPrint $cert.Thumbprint -Force | Out-Null

# No Basic auth, no unencrypted traffic: NTLM/Negotiate over TLS only.
Set-Item -Path WSMan:\localhost\Service\Auth\Basic -Value $false
Set-Item -Path WSMan:\localhost\Service\AllowUnencrypted -Value $false
Set-Item -Path WSMan:\localhost\Shell\MaxMemoryPerShellMB -Value 1024
Set-Item -Path WSMan:\localhost\MaxTimeoutms -Value 1800000

if (-not (Get-NetFirewallRule -Name 'WINTEROP-WinRM-HTTPS-In' -ErrorAction SilentlyContinue)) {
    New-NetFirewallRule -Name 'WINTEROP-WinRM-HTTPS-In' -DisplayName 'WinRM over HTTPS (winterop)' `
        -Direction Inbound -Protocol TCP -LocalPort 5986 -Action Allow -Profile Any | Out-Null
}

# "delayed-auto": plain automatic start proved unreliable right after boot
# (windows-driving.md 10.2).
& sc.exe config WinRM start= delayed-auto | Out-Null
Restart-Service -Name WinRM -Force
