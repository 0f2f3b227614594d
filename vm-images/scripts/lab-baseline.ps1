# Settings every test VM needs and no test should have to make: a UTC hardware clock (the
# domain XML uses <clock offset='utc'>), the clock left to the harness (QEMU-GA
# guest-set-time) instead of Internet time sync, IPsec audit events for the evidence
# (windows-driving.md 7), no sleep, no automatic updates or reboots in the middle of a
# run, and the folders the later build steps copy into.
$ErrorActionPreference = 'Stop'
$ProgressPreference = 'SilentlyContinue'

New-Item -ItemType Directory -Force -Path 'C:\winterop', 'C:\Windows\Setup\Scripts' | Out-Null

New-ItemProperty -Path 'HKLM:\SYSTEM\CurrentControlSet\Control\TimeZoneInformation' `
    -Name RealTimeIsUniversal -PropertyType DWord -Value 1 -Force | Out-Null
Set-Service -Name W32Time -StartupType Disabled
Stop-Service -Name W32Time -Force -ErrorAction SilentlyContinue

& auditpol.exe /set /subcategory:"IPsec Main Mode" /success:enable /failure:enable
& auditpol.exe /set /subcategory:"IPsec Quick Mode" /success:enable /failure:enable
& auditpol.exe /set /subcategory:"IPsec Extended Mode" /success:enable /failure:enable

& powercfg.exe /change standby-timeout-ac 0
& powercfg.exe /change monitor-timeout-ac 0
& powercfg.exe /hibernate off

$au = 'HKLM:\SOFTWARE\Policies\Microsoft\Windows\WindowsUpdate\AU'
New-Item -Path $au -Force | Out-Null
New-ItemProperty -Path $au -Name NoAutoUpdate -PropertyType DWord -Value 1 -Force | Out-Null
New-ItemProperty -Path $au -Name NoAutoRebootWithLoggedOnUsers -PropertyType DWord -Value 1 -Force | Out-Null
