"""A recorded gateway spec summary (reports/spec_summary.py) written out as swanctl.conf.

The recommended-settings page offers this text to copy: it is the configuration a passing cell
ran with, in the syntax an operator pastes into /etc/swanctl/swanctl.conf. Secrets are not in
the summary, so the `secrets` section is a commented placeholder.
"""

from __future__ import annotations

from typing import Any

INDENT = "   "


def render(summary: dict[str, Any], *, comments: tuple[str, ...] = ()) -> str:
    lines = [f"# {c}" for c in comments]
    lines += _section("connections", summary.get("connections", {}), 0)
    if summary.get("pools"):
        lines += _section("pools", summary["pools"], 0)
    if summary.get("eap_secrets"):
        lines += [
            "secrets {",
            f"{INDENT}# eap-<user> {{ id = <user>  secret = <password> }}"
            f"  ({summary['eap_secrets']} EAP user(s) in the test, not shown)",
            "}",
        ]
    charon = summary.get("charon") or {}
    if charon:
        lines.append(
            "# strongswan.conf: " + ", ".join(f"charon.{k} = {v}" for k, v in charon.items())
        )
    dnsmasq = summary.get("dnsmasq") or []
    if dnsmasq:
        lines.append("# dnsmasq.conf on the LAN (answers Windows' DHCPINFORM with option 249):")
        lines += [f"#   {line}" for line in dnsmasq]
    return "\n".join(lines) + "\n"


def _section(name: str, body: dict[str, Any], depth: int) -> list[str]:
    pad = INDENT * depth
    lines = [f"{pad}{name} {{"]
    for key, value in body.items():
        if isinstance(value, dict):
            lines += _section(key, value, depth + 1)
        else:
            lines.append(f"{pad}{INDENT}{key} = {_value(value)}")
    lines.append(f"{pad}}}")
    return lines


def _value(value: Any) -> str:
    if isinstance(value, list | tuple):
        return ",".join(str(v) for v in value)
    return str(value)
