# virtio-win guest tools: the virtio drivers for the installed system and the QEMU guest
# agent, which the pool uses for IP discovery, clock resync and the Windows build check
# (windows-driving.md 10.2). The installer comes from the answer CD
# (make virtio-win extracts it from the pinned virtio-win ISO).
$ErrorActionPreference = 'Stop'
$ProgressPreference = 'SilentlyContinue'

$installer = Get-PSDrive -PSProvider FileSystem |
    ForEach-Object { Join-Path $_.Root 'virtio-win-guest-tools.exe' } |
    Where-Object { Test-Path $_ } |
    Select-Object -First 1
if (-not $installer) { throw 'virtio-win-guest-tools.exe is on no drive (answer CD missing?)' }

$run = Start-Process -FilePath $installer -ArgumentList '/install', '/norestart', '/quiet' -Wait -PassThru
# 3010: success, reboot required (the build restarts right after this script).
if ($run.ExitCode -notin 0, 3010) { throw "virtio-win-guest-tools.exe exited with $($run.ExitCode)" }

$agent = Get-Service -Name 'QEMU-GA' -ErrorAction SilentlyContinue
if (-not $agent) { throw 'QEMU-GA service missing after the guest tools install' }
Set-Service -Name 'QEMU-GA' -StartupType Automatic
Write-Output "QEMU-GA installed ($($agent.Status))"
