"""Registry knobs of the Windows IKEv2 client and the service restarts they need.

The one the suites use is `NegotiateDH2048_AES256` under RasMan\\Parameters (0 default, 1
enable, 2 enforce AES-256-CBC with MODP-2048; windows-client-behavior.md section 1.6 and
windows-driving.md section 6). Whether a RasMan restart is enough is an open point
(windows-driving.md 15.4), so the default restarts both RasMan and IKEEXT, and starts again
any running dependent service the forced restart stopped. `value=None` deletes the value,
which is how a test returns a VM to the default.
"""

from __future__ import annotations

from collections.abc import Sequence

from infra.windows.script import Param, PsScript, build_script
from infra.windows.scripts import _check

RASMAN_PARAMETERS = "HKLM:\\SYSTEM\\CurrentControlSet\\Services\\RasMan\\Parameters"
NEGOTIATE_DH2048_AES256 = "NegotiateDH2048_AES256"
RESTARTABLE_SERVICES = ("RasMan", "IKEEXT", "PolicyAgent")
DH2048_RESTART = ("RasMan", "IKEEXT")
_HKLM = "HKLM:\\"
_MAX_DWORD = 0x7FFFFFFF  # New-ItemProperty binds -Value to Int32 for DWord

_BODY = r"""
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
"""


def set_registry_dword(
    key: str, name: str, value: int | None, *, restart_services: Sequence[str] = ()
) -> PsScript:
    """Set (or with None delete) a REG_DWORD under HKLM, then restart the listed services.

    `key` is a PowerShell registry path starting with `HKLM:\\`; services are limited to
    those whose restart the reference documents as a way to apply client settings.
    """
    _check.text("key", key, max_len=255, single_line=True)
    if not key.startswith(_HKLM) or len(key) == len(_HKLM) or "\\\\" in key or key.endswith("\\"):
        raise ValueError(f"key must be a path under {_HKLM!r} such as {RASMAN_PARAMETERS!r}")
    _check.text("name", name, max_len=16383, single_line=True)
    if value is not None:
        _check.integer("value", value, 0, _MAX_DWORD)
    services = tuple(_check.choice("service", s, RESTARTABLE_SERVICES) for s in restart_services)
    if len(set(services)) != len(services):
        raise ValueError(f"restart_services lists a service twice: {services}")
    return build_script(
        "set-registry-dword",
        "{key: str, name: str, before: int | str | null, after: int | null, "
        "services: [{name: str, status: str}]}",
        [
            Param("RegistryKey", key),
            Param("RegistrySubKey", key[len(_HKLM) :]),
            Param("ValueName", name),
            Param("Value", value),
            Param("RestartServices", services),
        ],
        _BODY,
    )


def set_negotiate_dh2048_aes256(value: int | None, *, restart: bool = True) -> PsScript:
    """Set RasMan\\Parameters\\NegotiateDH2048_AES256 to 0, 1 or 2 (None deletes it)."""
    if value is not None:
        _check.integer("NegotiateDH2048_AES256", value, 0, 2)
    _check.flag("restart", restart)
    return set_registry_dword(
        RASMAN_PARAMETERS,
        NEGOTIATE_DH2048_AES256,
        value,
        restart_services=DH2048_RESTART if restart else (),
    )
