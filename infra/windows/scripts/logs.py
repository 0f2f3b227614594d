"""Evidence from the guest after a test: RasClient events, IPsec audit events, routing, ipconfig.

Failures are classified from three sources (windows-driving.md section 0.6); this script
gathers the Windows ones. RasClient events 20220-20227 in the Application log carry the
dial's settings and, in 20227, the error code; the Security log's IPsec main/quick mode
audit events (4650-4655, 4976, 4977, 5451-5453; auditing enabled in the image) say which
phase failed. `route print` and `ipconfig /all` are kept as text for people. Each source is
collected independently: one unreadable log is reported in `errors` and does not cost the
others, because evidence matters most when something is broken.
"""

from __future__ import annotations

from datetime import UTC, datetime

from infra.windows import pshelpers
from infra.windows.script import Param, PsScript, build_script

RASCLIENT_EVENT_IDS = tuple(range(20220, 20228))
# Audit IPsec Main Mode: 4650-4653, 4655, 4976, 5453; Audit IPsec Quick Mode: 4654, 4977,
# 5451, 5452 (MicrosoftDocs/windows-itpro-docs, audit-ipsec-main-mode / -quick-mode).
IPSEC_AUDIT_EVENT_IDS = (4650, 4651, 4652, 4653, 4654, 4655, 4976, 4977, 5451, 5452, 5453)
SECURITY_AUDITING_PROVIDER = "Microsoft-Windows-Security-Auditing"

_EVENTS = r"""
function Get-WinteropEvents {
    param([string]$LogName, [string]$Provider, [int[]]$Ids, [datetime]$StartTime)
    # docs: PowerShell-Docs reference/5.1/Microsoft.PowerShell.Diagnostics/Get-WinEvent.md
    # (-FilterHashtable keys LogName, ProviderName, Id, StartTime; -MaxEvents)
    $filter = @{ LogName = $LogName; Id = $Ids; StartTime = $StartTime }
    if ($Provider.Length -gt 0) { $filter.ProviderName = $Provider }
    try {
        $events = @(Get-WinEvent -FilterHashtable $filter -MaxEvents $MaxEvents)
    }
    catch {
        # Get-WinEvent reports "no events" as an error; that is an empty result here.
        if ($_.FullyQualifiedErrorId -like 'NoMatchingEventsFound*') { return @() }
        throw
    }
    return @($events | Sort-Object -Property TimeCreated | ForEach-Object {
        [ordered]@{
            id = [int]$_.Id
            time_utc = $_.TimeCreated.ToUniversalTime().ToString('o')
            provider = [string]$_.ProviderName
            level = [string]$_.LevelDisplayName
            record_id = [long]$_.RecordId
            message = [string]$_.Message
            properties = @($_.Properties | ForEach-Object { [string]$_.Value })
        }
    })
}
"""

_BODY = r"""
$startTime = [datetime]::Parse($Since, [System.Globalization.CultureInfo]::InvariantCulture,
    [System.Globalization.DateTimeStyles]::RoundtripKind)
$route = Join-Path $env:SystemRoot 'System32\ROUTE.EXE'
$ipconfig = Join-Path $env:SystemRoot 'System32\ipconfig.exe'
$rasdial = Join-Path $env:SystemRoot 'System32\rasdial.exe'
$WinteropData = [ordered]@{ since = $Since; errors = [ordered]@{} }
try {
    $rasArgs = @{ LogName = 'Application'; Provider = 'RasClient'; Ids = $RasClientIds }
    $WinteropData.rasclient_events = @(Get-WinteropEvents @rasArgs -StartTime $startTime)
}
catch {
    $WinteropData.rasclient_events = $null
    $WinteropData.errors.rasclient_events = $_.Exception.Message
}
try {
    $ipsecArgs = @{ LogName = 'Security'; Provider = $AuditProvider; Ids = $IpsecIds }
    $WinteropData.ipsec_events = @(Get-WinteropEvents @ipsecArgs -StartTime $startTime)
}
catch {
    $WinteropData.ipsec_events = $null
    $WinteropData.errors.ipsec_events = $_.Exception.Message
}
try {
    # docs: windowsserverdocs windows-commands/route_ws2008.md (route print)
    $WinteropData.route_print = (Invoke-WinteropProcess $route 'print' 30000).stdout
}
catch {
    $WinteropData.route_print = $null
    $WinteropData.errors.route_print = $_.Exception.Message
}
try {
    # docs: windowsserverdocs windows-commands/ipconfig.md (/all)
    $WinteropData.ipconfig_all = (Invoke-WinteropProcess $ipconfig '/all' 30000).stdout
}
catch {
    $WinteropData.ipconfig_all = $null
    $WinteropData.errors.ipconfig_all = $_.Exception.Message
}
try {
    # rasdial without arguments lists the connected entries (windows-driving.md 4.1)
    $WinteropData.rasdial = (Invoke-WinteropProcess $rasdial '' 30000).stdout
}
catch {
    $WinteropData.rasdial = $null
    $WinteropData.errors.rasdial = $_.Exception.Message
}
try {
    $WinteropData.vpn_connections = @(Get-WinteropVpnConnections)
}
catch {
    $WinteropData.vpn_connections = $null
    $WinteropData.errors.vpn_connections = $_.Exception.Message
}
"""


_VPN_CONNECTIONS = r"""
function Get-WinteropVpnConnections {
    # docs: vpnclient/Get-VpnConnection.md (both phone books: per user and -AllUserConnection)
    foreach ($allUsers in @($false, $true)) {
        foreach ($c in @(Get-VpnConnection -AllUserConnection:$allUsers)) {
            Get-WinteropVpnConnection -ConnectionName $c.Name -AllUsers $allUsers
        }
    }
}
"""


def collect_logs(since: datetime, *, max_events: int = 500) -> PsScript:
    """Collect events since `since` (timezone-aware) and the current network state as text.

    `rasdial` (no arguments) lists the connected entries. The IPsec events need the audit
    policy set in the image (auditpol, windows-driving.md section 7).
    """
    if not isinstance(since, datetime) or since.tzinfo is None:
        raise ValueError("since must be a timezone-aware datetime")
    if isinstance(max_events, bool) or not isinstance(max_events, int) or max_events < 1:
        raise ValueError("max_events must be a positive integer")
    stamp = since.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    return build_script(
        "collect-logs",
        "{since: str, rasclient_events: [{id, time_utc, provider, level, record_id, message, "
        "properties: [str]}], ipsec_events: [...same], route_print: str, ipconfig_all: str, "
        "rasdial: str, vpn_connections: [{name, connection_status, ...}], "
        "errors: {source: message}}",
        [
            Param("Since", stamp),
            Param("RasClientIds", RASCLIENT_EVENT_IDS),
            Param("IpsecIds", IPSEC_AUDIT_EVENT_IDS),
            Param("AuditProvider", SECURITY_AUDITING_PROVIDER),
            Param("MaxEvents", max_events),
        ],
        _BODY,
        helpers=[
            pshelpers.INVOKE_PROCESS,
            pshelpers.GET_VPN_CONNECTION,
            _EVENTS,
            _VPN_CONNECTIONS,
        ],
    )
