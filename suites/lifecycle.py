"""Shared parts of the SA lifecycle suites (rekey, NAT, liveness): compressed time, waiting
on the gateway's events, and the wire facts of rekeys and deletes.

Time: the oracle says when Windows acts (58 min 46 s for a CHILD rekey, 7.6 h for an IKE
rekey, 5 min idle); a test declares its horizon in Windows seconds and runs it at
`--time-scale` Windows seconds per real second, stretched for horizons longer than the
CHILD rekey so every cell lasts about as long as the CHILD rekey one (DESIGN.md: time is
compressed by configuration, never by sleeping; the gateway's own timers are set in real
seconds over VICI).
"""

from __future__ import annotations

import itertools
import time
from collections.abc import Iterable
from dataclasses import replace

import pytest

from fixtures.lifecycle import Measure
from infra.capture.facts import CaptureFacts, IkeMessage
from infra.cell import Cell
from infra.charon.events import CharonEvent, EventWaitTimeout
from infra.clients.ping import PingResult
from infra.clients.protocol import ClientKind, TimerPlan
from infra.gateway.gateway import Gateway
from infra.gateway.spec import GatewaySpec
from suites import wire as w

COMPRESSED_TIME = {
    ClientKind.WINDOWS: "this cell compresses Windows time and a real Windows machine's "
    "timers run in real time; the `slow` variants (-m slow, --time-scale 1) run on VMs",
}
"""`inapplicable` of the cells that compress the client's Windows timers."""
CREATE_CHILD_SA, INFORMATIONAL = 36, 37
DELETE_PAYLOAD, KE_PAYLOAD = 42, 34
REKEY_SA, MS_NOTIFY_STATUS = 16393, 12345
CHILD_REKEY_HORIZON_S = 3526.0
"""The horizon every compressed cell is stretched to (the documented CHILD rekey time)."""
TIMING_TOLERANCE = 0.01
"""Relative tolerance of a timer measured on the wire (Windows time): tight enough that
"about 57 minutes" (3420 s, trailofbits/algo#354) does not pass for 58 min 46 s (3526 s)."""
TIMING_SLACK_REAL_S = 0.1
"""Absolute slack in real seconds: thread wake-ups, capture timestamps and a busy 2-core
machine (measured: 2-15 ms at --time-scale 600 under pytest -n 2)."""


def timer_plan(
    config: pytest.Config,
    horizon_s: float,
    *,
    child_rekey_s: float | None = None,
    ike_rekey_s: float | None = None,
) -> TimerPlan:
    """The TimerPlan of a test whose events happen within HORIZON_S Windows seconds."""
    scale = float(config.getoption("--time-scale"))
    if scale <= 0:
        raise pytest.UsageError(f"--time-scale must be > 0, got {scale:g}")
    stretch = max(1.0, horizon_s / CHILD_REKEY_HORIZON_S)
    return TimerPlan(scale * stretch, child_rekey_s=child_rekey_s, ike_rekey_s=ike_rekey_s)


def configured_timer(cell: Cell, plan: TimerPlan, windows_s: float) -> float:
    """When the cell's client is due to act, Windows seconds: the oracle's value for the
    emulator (graded against it), and for the reference the whole real seconds charon was
    configured with (ReferenceClient rounds the scaled value), in Windows seconds again."""
    if cell.client_kind is ClientKind.REFERENCE:
        return max(1, round(plan.real(windows_s))) * plan.scale
    return windows_s


def assert_timing(
    observed_real_s: float, expected_windows_s: float, plan: TimerPlan, what: str
) -> float:
    """OBSERVED_REAL_S (wire) matches EXPECTED_WINDOWS_S within the stated tolerance;
    returns the observed Windows seconds."""
    observed = observed_real_s * plan.scale
    tolerance = expected_windows_s * TIMING_TOLERANCE + TIMING_SLACK_REAL_S * plan.scale
    assert abs(observed - expected_windows_s) <= tolerance, (
        f"expected {what} after {expected_windows_s:g} s Windows time (+/- {tolerance:.0f} s: "
        f"{TIMING_TOLERANCE:.0%} + {TIMING_SLACK_REAL_S} s real at {plan.scale:g}x); observed "
        f"{observed:.0f} s ({observed_real_s:.3f} s real)"
    )
    return observed


def wait_event(
    gateway: Gateway,
    kind: str,
    *,
    timeout: float,
    what: str,
    after: int = 0,
    up: bool | None = None,
) -> CharonEvent:
    """The gateway's next VICI event KIND (optionally only up or down ones)."""

    def matches(event: CharonEvent) -> bool:
        if up is None:
            return True
        return _is_up(event) == up

    return gateway.events.wait_for(kind, matches, timeout=timeout, after=after, what=what)


def _is_up(event: CharonEvent) -> bool:
    return event.body.get("up") == "yes"


def from_client(message: IkeMessage, gateway_address: str) -> bool:
    """Sent by the client (the capture is on the gateway side; after a gateway IKE rekey the
    client's messages no longer carry the initiator flag, so the address decides)."""
    return message.src != gateway_address


def requests(
    wire: CaptureFacts, exchange: int, *, gateway_address: str, by_client: bool
) -> list[IkeMessage]:
    return [
        m
        for m in wire.exchanges(exchange, response=False)
        if from_client(m, gateway_address) == by_client
    ]


def response_to(wire: CaptureFacts, request: IkeMessage) -> IkeMessage | None:
    """The response with REQUEST's SPIs and message ID."""
    return next(
        (
            m
            for m in wire.exchanges(request.exchange, response=True)
            if m.spi_i == request.spi_i
            and m.message_id == request.message_id
            and m.frame > request.frame
        ),
        None,
    )


def child_rekey_requests(
    wire: CaptureFacts, *, gateway_address: str, by_client: bool
) -> list[IkeMessage]:
    """CREATE_CHILD_SA requests with N(REKEY_SA) from one side."""
    return [
        m
        for m in requests(
            wire, CREATE_CHILD_SA, gateway_address=gateway_address, by_client=by_client
        )
        if REKEY_SA in m.notify_types()
    ]


def ike_rekey_requests(
    wire: CaptureFacts, *, gateway_address: str, by_client: bool
) -> list[IkeMessage]:
    """CREATE_CHILD_SA requests whose SA offers IKE proposals (RFC 7296 1.3.2)."""
    return [
        m
        for m in requests(
            wire, CREATE_CHILD_SA, gateway_address=gateway_address, by_client=by_client
        )
        if m.proposals and all(p.protocol == w.PROTOCOL_IKE for p in m.proposals)
    ]


def last_auth_response(wire: CaptureFacts) -> IkeMessage:
    """The IKE_AUTH response that set up the first CHILD SA (the clock of the CHILD rekey)."""
    responses = wire.ike_auth_responses()
    assert responses, f"expected IKE_AUTH responses; saw:\n{w.ladder(wire.messages)}"
    return responses[-1]


def assert_accepted(wire: CaptureFacts, request: IkeMessage, what: str) -> IkeMessage:
    """REQUEST got a response without an error notify (WHAT names the exchange)."""
    answer = response_to(wire, request)
    assert answer is not None and not error_notifies(answer), (
        f"expected the gateway to accept {what} in frame {request.frame}; observed "
        f"{answer.summary() + ' in frame ' + str(answer.frame) if answer else 'no response'}"
    )
    return answer


def ms_status(message: IkeMessage) -> int | None:
    notify = message.find_notify(MS_NOTIFY_STATUS)
    if notify is None or len(notify.data) != 4:
        return None
    return int.from_bytes(notify.data, "big")


def assert_one_of(messages: Iterable[IkeMessage], what: str, wire: CaptureFacts) -> IkeMessage:
    found = list(messages)
    assert found, f"expected {what}; saw:\n{w.ladder(wire.whole_messages())}"
    return found[0]


def with_timers(
    spec: GatewaySpec,
    *,
    child: dict[str, int | None] | None = None,
    ike: dict[str, object] | None = None,
) -> GatewaySpec:
    """SPEC with the gateway's timers set (in real seconds, over VICI): CHILD fields
    (rekey_time, life_time, rand_time, esp_proposals) on every child, IKE fields
    (rekey_time, reauth_time, rand_time, dpd_delay, proposals) on every connection."""
    connections = []
    for conn in spec.connections:
        children = tuple(replace(c, **(child or {})) for c in conn.children)  # type: ignore[arg-type]
        connections.append(replace(conn, children=children, **(ike or {})))  # type: ignore[arg-type]
    return replace(spec, connections=tuple(connections), preset=spec.preset)


PING_INTERVAL_S = 0.02
"""Pings through the tunnel every 20 ms while an SA is replaced."""
MAX_PING_GAP_S = 0.25
"""Widest gap between answered pings around a rekey: make-before-break loses nothing, so a
gap means the data path stalled while the SAs were swapped."""


def widest_gap(pings: PingResult, *, around: float, window: float = 1.0) -> float:
    """The longest time without an answered ping from WINDOW s before AROUND to the end."""
    times = sorted(at for _, at in pings.replies if at >= around - window)
    if len(times) < 2:
        return float("inf")
    return max(b - a for a, b in itertools.pairwise(times))


def wait_single_child(gateway: Gateway, *, timeout: float) -> None:
    """Until the gateway holds one INSTALLED CHILD SA and the old one of a rekey is deleted
    (charon keeps a deleted SA a few seconds for late packets: charon.delete_rekeyed_delay)."""
    deadline = time.monotonic() + timeout
    children: list[str] = []
    while time.monotonic() < deadline:
        sas = gateway.list_sas()
        children = [
            f"{c.get('state')} {c.get('spi-in')}/{c.get('spi-out')}"
            for sa in sas
            for ike in sa.values()
            for c in ike.get("child-sas", {}).values()
        ]
        states = [c.split()[0] for c in children]
        if states.count("INSTALLED") == 1 and set(states) <= {"INSTALLED", "DELETED"}:
            return
        time.sleep(0.02)
    raise AssertionError(
        f"expected the old CHILD SA deleted within {timeout} s; the gateway still holds {children}"
    )


def error_notifies(message: IkeMessage) -> tuple[int, ...]:
    """Notify types below 16384 (errors, RFC 7296 3.10.1), incl. Microsoft's 12345."""
    return tuple(t for t in message.notify_types() if t < 16384)


def client_inbound_spi(wire: CaptureFacts) -> bytes:
    """The client's inbound SPI of its first CHILD SA (its IKE_AUTH SA proposal)."""
    for message in wire.ike_auth_requests():
        for proposal in message.proposals:
            if proposal.spi:
                return proposal.spi
    raise AssertionError(
        f"expected an ESP proposal with an SPI in the client's IKE_AUTH; saw:\n"
        f"{w.ladder(wire.ike_auth_requests())}"
    )


def assert_client_deleted_child(
    wire: CaptureFacts, spi: bytes, *, after: IkeMessage, gateway_address: str
) -> IkeMessage:
    """An INFORMATIONAL request from the client after AFTER deleting ESP SPI."""
    deletes = [
        m
        for m in requests(wire, INFORMATIONAL, gateway_address=gateway_address, by_client=True)
        if m.frame > after.frame
    ]
    for message in deletes:
        if any(d.protocol == w.PROTOCOL_ESP and spi in d.spis for d in message.deletes):
            return message
    raise AssertionError(
        f"expected the client to delete its old CHILD SA (ESP SPI {spi.hex()}) after frame "
        f"{after.frame}; its INFORMATIONAL requests after it:\n{w.ladder(deletes)}"
    )


def assert_traffic_kept_flowing(pings: PingResult, rekey: IkeMessage, measure: Measure) -> None:
    """Pings answered before and after the rekey, no gap wider than a few intervals, the loss
    counted (the last ping may still be in flight when the stream stops)."""
    measure("pings", pings.describe())
    before = pings.replies_between(0, rekey.time)
    after = pings.replies_between(rekey.time, float("inf"))
    gap = widest_gap(pings, around=rekey.time)
    measure("widest_ping_gap_s", f"{gap:.3f}")
    assert before and after and pings.lost <= 1 and gap <= MAX_PING_GAP_S, (
        f"expected pings answered before and after the rekey in frame {rekey.frame}, at most "
        f"one lost and no gap over {MAX_PING_GAP_S} s; observed {before} before, {after} "
        f"after, widest gap {gap:.3f} s: {pings.describe()}"
    )


def sleep_until(moment: float) -> None:
    """Let Windows time pass until the monotonic MOMENT: in these cells the passing of time
    is the condition itself (a lifetime must run out), not a stand-in for an event."""
    delay = moment - time.monotonic()
    if delay > 0:
        time.sleep(delay)


WINDOWS_TIMERS_FROM = "win11-23h2"
"""The build whose oracle timers the reference client is configured with (the newest)."""


def timer_build(cell: Cell) -> str:
    """The Windows build whose oracle timers a cell runs on: its own, or for the reference
    client (configured to act when Windows would) the newest build's."""
    return WINDOWS_TIMERS_FROM if cell.client_kind is ClientKind.REFERENCE else cell.profile


def happened(gateway: Gateway, kind: str, *, timeout: float, what: str) -> bool:
    """Whether charon reported event KIND within TIMEOUT (a verdict, not a precondition)."""
    try:
        wait_event(gateway, kind, timeout=timeout, what=what)
    except EventWaitTimeout:
        return False
    return True


def first_rekey(
    wire: CaptureFacts, gateway_address: str, *, by_client: bool, ike: bool = False
) -> IkeMessage:
    """The first CHILD (or IKE) SA rekey request from the client or the gateway."""
    find = ike_rekey_requests if ike else child_rekey_requests
    who = "the client" if by_client else "the gateway"
    what = (
        "an IKE SA rekey (CREATE_CHILD_SA with IKE proposals)"
        if ike
        else "a CREATE_CHILD_SA request with N(REKEY_SA)"
    )
    return assert_one_of(
        find(wire, gateway_address=gateway_address, by_client=by_client), f"{what} from {who}", wire
    )


NOTIFY_PAYLOAD = 41
MOBIKE_ADDRESS_NOTIFIES = frozenset({16396, 16397, 16399})
"""ADDITIONAL_IP4_ADDRESS, ADDITIONAL_IP6_ADDRESS, NO_ADDITIONAL_ADDRESSES (RFC 4555)."""


def is_liveness_check(message: IkeMessage) -> bool:
    """An INFORMATIONAL request that only asks "are you there": no payloads, or with MOBIKE
    only the sender's address list (charon's DPD then carries it, RFC 4555 3.6)."""
    if any(p != NOTIFY_PAYLOAD for p in message.payloads):
        return False
    return set(message.notify_types()) <= MOBIKE_ADDRESS_NOTIFIES
