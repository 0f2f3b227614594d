"""Optional in-guest packet capture with pktmon (Windows 10 2004+ syntax).

The capture that grades a test is taken on the gateway side (DESIGN.md: verdicts come from
an independent decoder); a pktmon capture on the guest is extra evidence for cases where the
client's own view matters (e.g. fragments dropped before they reach the wire). Filters
select IKE (UDP 500), NAT-T (UDP 4500) and optionally ESP (IP protocol 50); `--pkt-size 0`
logs whole packets. Stopping converts the ETL log to pcapng and returns it base64-encoded
when it is small enough to travel in the result document.

docs: windowsserverdocs windows-commands/pktmon-filter-add.md, pktmon-start.md, pktmon-stop.md,
networking/technologies/pktmon/pktmon-pcapng-support.md (pktmon etl2pcap --out).
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from infra.windows import pshelpers
from infra.windows.script import Param, PsScript, build_script
from infra.windows.scripts import _check
from infra.windows.winargv import join_windows_args

DEFAULT_CAPTURE_DIR = "C:\\ProgramData\\winterop\\pktmon"
_DIR_RE = re.compile(r"^[A-Za-z]:(?:\\[A-Za-z0-9_.-]+)+$")
_NAME_RE = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
_MAX_INLINE_BYTES = 8 * 1024 * 1024  # keeps the result document well under any JSON limit

_RUN_ALL = r"""
function Invoke-WinteropPktmon {
    param([string[]]$CommandLines)
    $pktmon = Join-Path $env:SystemRoot 'System32\pktmon.exe'
    $runs = @()
    foreach ($commandLine in $CommandLines) {
        $run = Invoke-WinteropProcess -FilePath $pktmon -Arguments $commandLine -TimeoutMs 60000
        $runs += [ordered]@{
            arguments = $commandLine
            exit_code = $run.exit_code
            output = [string]$run.stdout + [string]$run.stderr
        }
        if ($run.exit_code -ne 0) { break }
    }
    return $runs
}
"""

_START_BODY = r"""
$null = New-Item -ItemType Directory -Path $CaptureDir -Force
$runs = @(Invoke-WinteropPktmon -CommandLines $PktmonCommands)
$WinteropData = [ordered]@{
    etl_path = $EtlPath
    started = ($runs.Count -eq $PktmonCommands.Count -and $runs[-1].exit_code -eq 0)
    commands = $runs
}
"""

_STOP_BODY = r"""
$runs = @(Invoke-WinteropPktmon -CommandLines $PktmonCommands)
$content = $null
$size = $null
if (Test-Path -LiteralPath $PcapPath) {
    $size = (Get-Item -LiteralPath $PcapPath).Length
    if ($size -le $MaxInlineBytes) {
        $content = [System.Convert]::ToBase64String([System.IO.File]::ReadAllBytes($PcapPath))
    }
}
$WinteropData = [ordered]@{
    pcapng_path = $PcapPath
    pcapng_size = $size
    pcapng_base64 = $content
    commands = $runs
}
"""


def _capture_paths(capture_dir: str, name: str) -> tuple[str, str]:
    if not isinstance(capture_dir, str) or not _DIR_RE.match(capture_dir):
        raise ValueError(
            f"capture_dir must be a plain absolute path like {DEFAULT_CAPTURE_DIR!r}; "
            f"got {capture_dir!r}"
        )
    if not isinstance(name, str) or not _NAME_RE.match(name):
        raise ValueError(f"capture name must match {_NAME_RE.pattern}; got {name!r}")
    return f"{capture_dir}\\{name}.etl", f"{capture_dir}\\{name}.pcapng"


def pktmon_start(
    name: str,
    *,
    udp_ports: Sequence[int] = (500, 4500),
    esp: bool = True,
    capture_dir: str = DEFAULT_CAPTURE_DIR,
) -> PsScript:
    """Replace pktmon's filters with IKE/NAT-T (and ESP) filters and start capturing."""
    etl, _ = _capture_paths(capture_dir, name)
    ports = tuple(_check.integer("udp port", p, 1, 65535) for p in udp_ports)
    _check.flag("esp", esp)
    if not ports and not esp:
        raise ValueError("pktmon_start needs at least one filter (a UDP port or ESP)")
    commands = [join_windows_args(["filter", "remove"])]
    commands += [
        join_windows_args(["filter", "add", f"winterop-udp{p}", "-t", "UDP", "-p", str(p)])
        for p in ports
    ]
    if esp:
        commands.append(join_windows_args(["filter", "add", "winterop-esp", "-t", "50"]))
    commands.append(
        join_windows_args(
            ["start", "--capture", "--comp", "nics", "--pkt-size", "0", "--file-name", etl]
        )
    )
    return build_script(
        "pktmon-start",
        "{etl_path: str, started: bool, commands: [{arguments, exit_code, output}]}",
        [
            Param("CaptureDir", capture_dir),
            Param("EtlPath", etl),
            Param("PktmonCommands", tuple(commands)),
        ],
        _START_BODY,
        helpers=[pshelpers.INVOKE_PROCESS, _RUN_ALL],
    )


def pktmon_stop(
    name: str,
    *,
    capture_dir: str = DEFAULT_CAPTURE_DIR,
    max_inline_bytes: int = _MAX_INLINE_BYTES,
) -> PsScript:
    """Stop pktmon, convert the log to pcapng and return it (base64) if small enough."""
    etl, pcap = _capture_paths(capture_dir, name)
    _check.integer("max_inline_bytes", max_inline_bytes, 0, 256 * 1024 * 1024)
    commands = (
        join_windows_args(["stop"]),
        join_windows_args(["etl2pcap", etl, "--out", pcap]),
    )
    return build_script(
        "pktmon-stop",
        "{pcapng_path: str, pcapng_size: int | null, pcapng_base64: str | null (null when "
        "absent or larger than max_inline_bytes), commands: [{arguments, exit_code, output}]}",
        [
            Param("PcapPath", pcap),
            Param("MaxInlineBytes", max_inline_bytes),
            Param("PktmonCommands", commands),
        ],
        _STOP_BODY,
        helpers=[pshelpers.INVOKE_PROCESS, _RUN_ALL],
    )
