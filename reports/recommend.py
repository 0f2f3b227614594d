"""Recommended gateway settings per client build, derived only from cells that passed.

Each line is a setting and the cells that back it: the gateway preset (with its documented
source), the remote authentication, the IKE and ESP proposals the capture shows were chosen,
the rekey and fragmentation settings the spec set (or charon's default when it left them
unset), and the charon plugins the method needed. Nothing is inferred from failures
(anchors.md: never infer "unsupported"); cells that did not pass are listed separately.
What to avoid comes from negative tests that passed, i.e. the client failed exactly as its
documented behaviour says (a second authentication round, a CHILD rekey behind a NAT):
those settings are listed as settings not to use with the build, never recommended.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from reports.schema import Outcome
from reports.swanctl import render
from reports.views import CellView

REFERENCE_KIND = "reference"
"""The client kind of strongSwan's own charon (infra.clients.protocol.ClientKind)."""
CHARON_DEFAULTS = {
    "rekey_time": "4h IKE / 1h CHILD",
    "fragmentation": "yes",
    "proposals": "charon's default proposals",
}


@dataclass
class Line:
    topic: str
    setting: str
    detail: str = ""
    cells: list[CellView] = field(default_factory=list)


@dataclass
class Snippet:
    title: str
    text: str
    cells: list[CellView]


@dataclass
class Avoid:
    """A gateway setting (or path) a negative test showed this build failing with."""

    test: str
    setting: str
    outcome: str
    view: CellView


@dataclass
class Recommendation:
    kind: str
    profile: str
    lines: list[Line]
    snippets: list[Snippet]
    not_passing: list[CellView]
    avoid: list[Line] = field(default_factory=list)
    """Settings with which this build fails as documented (passing negative tests)."""
    avoid_cells: list[Avoid] = field(default_factory=list)
    """What not to do, cell by cell: negative tests that passed (the client failed as
    documented), each with its setting or path and the Windows error."""

    @property
    def page(self) -> str:
        return f"recommended/{self.kind}-{self.profile}.html"


def recommendations(views: list[CellView]) -> list[Recommendation]:
    builds = sorted({(v.record.cell.client_kind, v.record.cell.profile) for v in views})
    return [_for_build(kind, profile, views) for kind, profile in builds]


def _for_build(kind: str, profile: str, views: list[CellView]) -> Recommendation:
    mine = [
        v for v in views if (v.record.cell.client_kind, v.record.cell.profile) == (kind, profile)
    ]
    # A negative test passes when the client fails as documented: its gateway settings
    # (e.g. a CHILD rekey_time a NATed Windows rejects) are what not to do.
    passing = [
        v
        for v in mine
        if v.record.outcome is Outcome.PASSED and "negative" not in v.record.test.markers
    ]
    lines: list[Line] = []
    lines += _group(
        passing, "Gateway preset", lambda v: [(v.record.cell.preset, v.record.gateway.source)]
    )
    lines += _group(passing, "Remote authentication", _remote_auth)
    lines += _group(passing, "IKE proposal (chosen on the wire)", _chosen("ike"))
    lines += _group(passing, "ESP proposal (chosen on the wire)", _chosen("esp"))
    lines += _group(passing, "Configured proposals", _configured("proposals", "esp_proposals"))
    lines += _group(passing, "Rekeying", _rekey)
    lines += _group(passing, "Fragmentation", _fragmentation)
    lines += _group(passing, "Topology", lambda v: [(v.record.cell.topology, _nat(v))])
    lines += _group(passing, "charon plugin", _plugins)
    lines += _group([v for v in passing if "mobike" in v.record.test.markers], "MOBIKE", _mobike)
    lines += _group(passing, "DHCP routes (option 249)", _dhcp)
    # The reference client is the baseline: in a negative test it shows the standard
    # behaviour (it connects, it accepts the rekey), which is nothing to avoid.
    documented_failures = [
        v
        for v in mine
        if v.record.outcome is Outcome.PASSED
        and "negative" in v.record.test.markers
        and kind != REFERENCE_KIND
    ]
    avoid = _group(documented_failures, "Authentication rounds", _second_round)
    avoid += _group(
        [v for v in documented_failures if "rekey" in v.record.test.markers], "Rekeying", _rekey
    )
    not_passing = [v for v in mine if v.record.outcome is not Outcome.PASSED]
    return Recommendation(
        kind,
        profile,
        lines,
        _snippets(passing),
        not_passing,
        avoid,
        avoid_cells=[_avoid(v) for v in documented_failures],
    )


def _avoid(view: CellView) -> Avoid:
    record = view.record
    windows = record.windows
    if windows is None or windows.connected:
        outcome = "the behaviour the test documents (see the cell)"
    else:
        outcome = f"fails with {windows.error} {windows.symbol}".strip()
    setting = record.cell.variant or record.cell.preset
    test = record.test.summary or record.test.function
    return Avoid(test, f"{setting} ({record.cell.topology})", outcome, view)


Setting = tuple[str, str]


def _group(
    views: Iterable[CellView], topic: str, settings: Callable[[CellView], list[Setting]]
) -> list[Line]:
    lines: dict[Setting, Line] = {}
    for view in views:
        for setting in settings(view):
            lines.setdefault(setting, Line(topic, setting[0], setting[1])).cells.append(view)
    return sorted(lines.values(), key=lambda line: (-len(line.cells), line.setting))


def _connections(view: CellView) -> list[dict[str, Any]]:
    conns = view.record.gateway.spec.get("connections", {})
    return [c for c in conns.values() if isinstance(c, dict)]


def _remote_auth(view: CellView) -> list[Setting]:
    out = []
    for conn in _connections(view):
        sections = sorted(k for k in conn if k == "remote" or k.startswith("remote-"))
        parts = []
        for section in sections or ["remote"]:
            remote = conn.get(section, {})
            text = f"{section}.auth = {remote.get('auth', '?')}"
            if "eap_id" in remote:
                text += f", {section}.eap_id = {remote['eap_id']}"
            parts.append(text)
        out.append(("; ".join(parts), f"feature {view.record.cell.feature}"))
    return out


def _second_round(view: CellView) -> list[Setting]:
    """A connection requiring more than one authentication round (RFC 4739), where the
    client's dial failed."""
    if view.record.windows is None or view.record.windows.connected:
        return []
    out = []
    for conn in _connections(view):
        rounds = sorted(k for k in conn if k.startswith("remote-"))
        if len(rounds) > 1:
            setting = "; ".join(f"{r}.auth = {conn[r].get('auth', '?')}" for r in rounds)
            out.append((setting, "a second authentication round (RFC 4739): " + _failed(view)))
    return out


def _failed(view: CellView) -> str:
    dial = view.record.windows
    if dial is not None and dial.error is not None:
        return f"the dial fails with {dial.error} {dial.symbol}"
    return f"{view.record.test.function} fails as documented"


def _mobike(view: CellView) -> list[Setting]:
    values = sorted({str(c["mobike"]) for c in _connections(view) if "mobike" in c})
    follows = "the IKE SA follows the client's new address"
    if values:
        return [(f"mobike = {', '.join(values)}", follows)]
    return [("mobike not set", f"charon default: yes; {follows}")]


def _dhcp(view: CellView) -> list[Setting]:
    """The LAN's dnsmasq lines and the selectors the broadcast DHCPINFORM passed through."""
    dnsmasq = view.record.gateway.spec.get("dnsmasq") or []
    if not dnsmasq:
        return []
    local_ts = sorted(
        {
            str(ts)
            for conn in _connections(view)
            for child in conn.get("children", {}).values()
            if isinstance(child, dict)
            for ts in child.get("local_ts", [])
        }
    )
    return [("dnsmasq: " + "; ".join(dnsmasq), "children local_ts = " + ",".join(local_ts))]


def _chosen(which: str) -> Callable[[CellView], list[Setting]]:
    def settings(view: CellView) -> list[Setting]:
        chosen = getattr(view.negotiated, which, None) if view.negotiated else None
        return [] if chosen is None else [(chosen.swanctl, chosen.log)]

    return settings


def _configured(*keys: str) -> Callable[[CellView], list[Setting]]:
    def settings(view: CellView) -> list[Setting]:
        out = []
        for conn in _connections(view):
            children = [c for c in conn.get("children", {}).values() if isinstance(c, dict)]
            for key, holder in (("proposals", [conn]), ("esp_proposals", children)):
                if key not in keys:
                    continue
                for section in holder:
                    value = section.get(key)
                    text = f"{key} = {','.join(value)}" if value else f"{key} not set"
                    out.append((text, "" if value else CHARON_DEFAULTS["proposals"]))
        return out

    return settings


def _rekey(view: CellView) -> list[Setting]:
    """The rekey settings a passing cell ran with, per topology (behind a NAT Windows
    rejects gateway CHILD rekeys, so rekey_time = 0 there is a different recommendation)."""
    out = []
    where = f"{view.record.cell.topology} topology"
    for conn in _connections(view):
        for key in ("rekey_time", "reauth_time", "over_time", "rand_time"):
            if key in conn:
                out.append((f"IKE {key} = {conn[key]}", where))
        for child in conn.get("children", {}).values():
            for key in ("rekey_time", "life_time", "rand_time"):
                if isinstance(child, dict) and key in child:
                    out.append((f"CHILD {key} = {child[key]}", where))
    return out or [("rekey times not set", f"charon default: {CHARON_DEFAULTS['rekey_time']}")]


def _fragmentation(view: CellView) -> list[Setting]:
    configured = [c.get("fragmentation") for c in _connections(view) if "fragmentation" in c]
    text = f"fragmentation = {configured[0]}" if configured else "fragmentation not set"
    size = view.record.gateway.spec.get("charon", {}).get("fragment_size")
    if size is not None:
        text += f", charon.fragment_size = {size}"
    detail = "" if configured else f"charon default: {CHARON_DEFAULTS['fragmentation']}"
    if view.negotiated is not None and view.negotiated.fragmented:
        detail += ("; " if detail else "") + "IKE fragments on the wire"
    return [(text, detail)]


def _nat(view: CellView) -> str:
    if view.negotiated is not None and view.negotiated.nat_t:
        return "UDP encapsulation on port 4500 seen on the wire"
    return ""


def _plugins(view: CellView) -> list[Setting]:
    loaded = set(view.record.gateway.plugins)
    needed = []
    for conn in _connections(view):
        remote = conn.get("remote", {})
        auth = str(remote.get("auth", ""))
        if auth.startswith("eap-") and auth in loaded:
            needed.append((auth, f"for remote.auth = {auth}"))
        if remote.get("eap_id") == "%any" and "eap-identity" in loaded:
            needed.append(("eap-identity", "for remote.eap_id = %any (EAP-Identity round)"))
        if conn.get("pools") and "attr" in loaded:
            needed.append(("attr", "for the pools' DNS attributes"))
    return needed


def _snippets(passing: list[CellView]) -> list[Snippet]:
    groups: dict[tuple[str, str], list[CellView]] = {}
    for view in passing:
        if view.record.gateway.spec:
            key = (view.record.cell.preset, view.record.cell.feature)
            groups.setdefault(key, []).append(view)
    snippets = []
    for (preset, feature), views in sorted(groups.items()):
        first = views[0]
        comments = [f"{preset} for {feature}: passed in {len(views)} cell(s)"]
        if first.record.gateway.source:
            comments.append(f"source: {first.record.gateway.source}")
        if first.negotiated and first.negotiated.ike:
            comments.append(f"chosen IKE proposal: {first.negotiated.ike.swanctl}")
        if first.negotiated and first.negotiated.esp:
            comments.append(f"chosen ESP proposal: {first.negotiated.esp.swanctl}")
        text = render(first.record.gateway.spec, comments=tuple(comments))
        snippets.append(Snippet(f"{preset} \u00b7 {feature}", text, views))
    return snippets
