# OpenSSH server: the harness's second transport (paramiko, windows-driving.md 9), needed
# where an operation must run with the user's password logon (DPAPI: CurrentUser
# certificates). Password authentication stays enabled (sshd's default) for that reason.
# The capability comes from Windows Update / Features on Demand: the build VM needs
# Internet access (Packer's user-mode network has it) or a FoD source (README.md).
$ErrorActionPreference = 'Stop'
$ProgressPreference = 'SilentlyContinue'

$capability = Get-WindowsCapability -Online -Name 'OpenSSH.Server*' | Select-Object -First 1
if ($capability.State -ne 'Installed') {
    Add-WindowsCapability -Online -Name $capability.Name | Out-Null
}
Set-Service -Name sshd -StartupType Automatic
Start-Service -Name sshd

# PowerShell, not cmd.exe, as the SSH shell (windows-driving.md 9).
New-Item -Path 'HKLM:\SOFTWARE\OpenSSH' -Force | Out-Null
New-ItemProperty -Path 'HKLM:\SOFTWARE\OpenSSH' -Name DefaultShell `
    -Value 'C:\Windows\System32\WindowsPowerShell\v1.0\powershell.exe' -PropertyType String -Force | Out-Null

if (-not (Get-NetFirewallRule -Name 'OpenSSH-Server-In-TCP' -ErrorAction SilentlyContinue)) {
    New-NetFirewallRule -Name 'OpenSSH-Server-In-TCP' -DisplayName 'OpenSSH Server (sshd)' `
        -Direction Inbound -Protocol TCP -LocalPort 22 -Action Allow -Profile Any | Out-Null
}
