"""IKEv2 extensions Windows does not support: IKE redirect (RFC 5685) and multiple
authentication rounds (RFC 4739), reference 6 ([SW-WC], documented).

Redirect: a gateway asked to redirect a client (VICI `redirect`) can only do so if the
client announced N(REDIRECT_SUPPORTED) in IKE_SA_INIT; charon refuses otherwise
(ike_sa.c: "client does not support IKE redirection"), so a Windows client stays on the
original gateway, while strongSwan's own client follows the redirect to the other address.

Multiple authentication: a gateway connection that requires a certificate round and then
an EAP-MSCHAPv2 round (remote-1 / remote-2) needs a client that announces
N(MULTIPLE_AUTH_SUPPORTED) and does the second round; every Windows build fails the dial
with the Windows error the oracle names, the reference client configured with two local
rounds connects, so the cell shows the failure is Windows-specific.
"""

from __future__ import annotations

import time
from dataclasses import replace
from pathlib import Path

import pytest

from expectations.windows.oracle import expect
from fixtures.interop import StartInterop
from fixtures.lifecycle import Measure
from fixtures.matrix import emulated_cells, params, reference_cells, windows_cells
from infra.auth_cases import AuthCase
from infra.capture.facts import (
    ANOTHER_AUTH_FOLLOWS,
    MULTIPLE_AUTH_SUPPORTED,
    REDIRECT,
    REDIRECT_SUPPORTED,
    REDIRECTED_FROM,
    CaptureFacts,
)
from infra.cell import Cell
from infra.clients.protocol import ClientKind
from infra.clients.reference import ReferenceClient
from infra.gateway.presets import docs_recommended
from infra.gateway.spec import GatewaySpec, RemoteAuth
from infra.interop_run import PROFILE_NAME, InteropRun, LabCredentials
from infra.lab.topology import TopologyKind
from suites import ends
from suites import lifecycle as lc
from suites import wire as w

DOCS = ["docs-recommended"]
CASE_A = [AuthCase.MACHINE_CERT]
DIRECT = [TopologyKind.DIRECT]
AUTHENTICATION_FAILED = 24
REFUSED_REDIRECT = "client does not support IKE redirection"
"""charon 5.9.8's log line when it is asked to redirect a client that cannot follow
(src/libcharon/sa/ike_sa.c, redirect())."""
REDIRECT_WITHIN_S = 10.0
"""How long the redirect (a job charon queues) and the client's reaction may take."""


def _cells(variant: str = "") -> list[Cell]:
    return (
        reference_cells(CASE_A, DOCS, DIRECT, variant=variant)
        + emulated_cells(CASE_A, DOCS, DIRECT, variant=variant)
        + windows_cells(CASE_A, DOCS, DIRECT, variant=variant)
    )


def _announces(cell: Cell, fact: str) -> bool:
    """Whether the cell's client announces an extension: the oracle for Windows builds;
    strongSwan's charon announces both by default (follow_redirects, multiple_authentication)."""
    if cell.client_kind is ClientKind.REFERENCE:
        return True
    return expect(cell.profile, fact).as_bool()


def _wait_for_log(run: InteropRun, fragment: str, *, within: float) -> bool:
    """Whether the gateway log says FRAGMENT within WITHIN seconds (charon's redirect is a
    job, and its refusal exists only as a log line: polling the log is the only signal)."""
    assert run.gateway is not None
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        if any(fragment in line for line in ends.gateway_log(run.gateway)):
            return True
        time.sleep(0.02)
    return False


def _assert_announcement(wire: CaptureFacts, notify: int, expected: bool, where: str) -> None:
    """The client's first IKE_SA_INIT request (a redirected one carries REDIRECTED_FROM
    instead, RFC 5685 3.4), or its IKE_AUTH requests, announce NOTIFY or not."""
    if where == "IKE_SA_INIT":
        messages = list(wire.exchanges(34, response=False)[:1])
    else:
        messages = list(wire.ike_auth_requests())
    found = [m for m in messages if notify in m.notify_types()]
    assert messages and bool(found) == expected, (
        f"expected the client's {where} request {'with' if expected else 'without'} "
        f"N({notify}); observed:\n{w.ladder(messages)}"
    )


# --- redirect (RFC 5685) ---------------------------------------------------------------


@pytest.mark.extensions
@pytest.mark.parametrize("cell", params(_cells()))
def test_redirect(
    interop: StartInterop, lab_credentials: LabCredentials, measure: Measure, cell: Cell
) -> None:
    """The gateway is asked to redirect the connected client to its second address.

    Expectation: a client without N(REDIRECT_SUPPORTED) in IKE_SA_INIT (every Windows build,
    reference 6) is not redirected: charon logs that the client does not support it, sends
    no N(REDIRECT), and the client stays connected to the original address with traffic
    flowing. The reference client (announces support) gets INFORMATIONAL [ N(REDIRECT) ],
    sets up a new IKE SA to the other address with N(REDIRECTED_FROM) and reaches the
    protected network through it.
    """
    run = interop(cell, docs_recommended(cell.auth, (lab_credentials.secret(),)))
    ends.assert_connected(run.connect())
    gateway, client = run.gateway, run.client
    assert gateway is not None and client is not None
    original = str(run.lab.plan.gateway_outside)
    other = str(run.lab.add_gateway_address())
    supports = _announces(cell, "announces_redirect_support")
    seen = len(gateway.events.events)
    [ike_name] = [name for entry in gateway.list_sas() for name in entry]
    reply = gateway.redirect(ike_name, other)
    measure("vici_redirect_reply", str(reply))
    assert reply.get("success") == "yes" and reply.get("matches") == "1", (
        f"expected charon to accept the redirect command for {ike_name!r}; it answered {reply}"
    )
    if supports:
        up = lc.wait_event(
            gateway,
            "ike-updown",
            timeout=REDIRECT_WITHIN_S,
            after=seen,
            what=f"(a new IKE SA to the other gateway address {other})",
            up=True,
        )
        new_sa = next(v for v in up.body.values() if isinstance(v, dict))
        assert new_sa.get("local-host") == other, (
            f"expected the new IKE SA at the gateway's other address {other}; it is at "
            f"{new_sa.get('local-host')}"
        )
        _wait_until_single_sa(run, other)
    else:
        refused = _wait_for_log(run, REFUSED_REDIRECT, within=REDIRECT_WITHIN_S)
        assert refused, (
            f"expected the gateway log to say '{REFUSED_REDIRECT}' within "
            f"{REDIRECT_WITHIN_S:g} s of the redirect command; it did not"
        )
        measure("gateway_log", REFUSED_REDIRECT)
    ends.assert_client_connected(client, PROFILE_NAME)
    ends.assert_reaches(client, str(run.lab.plan.protected_host))
    sa = ends.gateway_sa(gateway)
    expected_host = other if supports else original
    ends.assert_sa_field(
        sa,
        "local-host",
        expected_host,
        "the client follows the redirect" if supports else "the client stays where it was",
    )
    wire = run.wire()
    _assert_announcement(wire, REDIRECT_SUPPORTED, supports, "IKE_SA_INIT")
    redirects = [
        m
        for m in lc.requests(wire, lc.INFORMATIONAL, gateway_address=original, by_client=False)
        if REDIRECT in m.notify_types()
    ]
    assert bool(redirects) == supports, (
        f"expected {'an' if supports else 'no'} INFORMATIONAL with N(REDIRECT) from the "
        f"gateway; saw:\n{w.ladder(redirects or wire.whole_messages())}"
    )
    if supports:
        inits = [m for m in wire.exchanges(34, response=False) if m.dst == other]
        assert inits and REDIRECTED_FROM in inits[-1].notify_types(), (
            f"expected the client's IKE_SA_INIT to {other} with N(REDIRECTED_FROM); saw:\n"
            f"{w.ladder(inits or wire.whole_messages())}"
        )
        measure("redirected_init", inits[-1].summary())


def _wait_until_single_sa(run: InteropRun, local_host: str) -> None:
    """Until the gateway holds only the redirected IKE SA (the client deletes the old one)."""
    assert run.gateway is not None
    deadline = time.monotonic() + REDIRECT_WITHIN_S
    hosts: list[str] = []
    while time.monotonic() < deadline:
        hosts = [sa.get("local-host", "") for e in run.gateway.list_sas() for sa in e.values()]
        if hosts == [local_host]:
            return
        time.sleep(0.02)
    raise AssertionError(
        f"expected only the redirected IKE SA at {local_host} on the gateway within "
        f"{REDIRECT_WITHIN_S:g} s; it holds IKE SAs at {hosts}"
    )


# --- multiple authentication rounds (RFC 4739) ------------------------------------------

TWO_ROUNDS = "two-rounds"
"""Cell variant: the gateway requires a certificate, then EAP-MSCHAPv2."""


def _two_rounds(eap: LabCredentials) -> GatewaySpec:
    """docs-recommended for machine certificates, with a second EAP-MSCHAPv2 round."""
    spec = docs_recommended(AuthCase.MACHINE_CERT, (eap.secret(),))
    connections = tuple(
        replace(c, second_remote_auth=RemoteAuth.EAP_MSCHAPV2, eap_id="%any")
        for c in spec.connections
    )
    return replace(spec, connections=connections, eap_secrets=(eap.secret(),))


@pytest.mark.extensions
@pytest.mark.negative
@pytest.mark.parametrize("cell", params(_cells(TWO_ROUNDS)))
def test_multiple_auth_rounds_required(
    interop: StartInterop, lab_credentials: LabCredentials, measure: Measure, cell: Cell
) -> None:
    """A gateway that requires a second authentication round (certificate, then
    EAP-MSCHAPv2; swanctl remote-1 / remote-2).

    Expectation: a Windows build sends one round without N(MULTIPLE_AUTH_SUPPORTED)
    (reference 6) and its dial fails with the oracle's error (13801, uncertain): charon
    answers the IKE_AUTH with N(AUTHENTICATION_FAILED). The reference client, configured
    with two local rounds, announces MULTIPLE_AUTH_SUPPORTED, sends
    N(ANOTHER_AUTH_FOLLOWS) after its certificate round and connects.
    """
    run = interop(cell, _two_rounds(lab_credentials))
    if isinstance(run.client, ReferenceClient):
        run.client.add_second_round(lab_credentials.credentials())
    outcome = run.connect()
    gateway = run.gateway
    assert gateway is not None
    supports = _announces(cell, "announces_multiple_auth_support")
    measure("outcome", outcome.describe())
    wire = run.wire()
    _assert_announcement(wire, MULTIPLE_AUTH_SUPPORTED, supports, "IKE_AUTH")
    if supports:
        ends.assert_connected(outcome)
        follows = [m for m in wire.ike_auth_requests() if ANOTHER_AUTH_FOLLOWS in m.notify_types()]
        assert follows, (
            "expected the client's certificate round to announce N(AUTH_FOLLOWS); its IKE_AUTH "
            f"requests:\n{w.ladder(wire.ike_auth_requests())}"
        )
        ends.assert_gateway_said(
            gateway,
            ["authentication of", "EAP method EAP_MSCHAPV2 succeeded"],
            "both rounds: the certificate, then EAP-MSCHAPv2",
        )
        return
    code = expect(cell.profile, "second_auth_round_required_error").as_error()
    assert code is not None
    responses = wire.ike_auth_responses()
    refusal = next((m for m in responses if AUTHENTICATION_FAILED in m.notify_types()), None)
    assert refusal is not None, (
        "expected the gateway to answer the single-round IKE_AUTH with N(AUTH_FAILED); its "
        f"IKE_AUTH responses:\n{w.ladder(responses)}"
    )
    measure("gateway_answer", f"{refusal.summary()} in frame {refusal.frame}")
    ends.assert_failed_with(
        outcome,
        code,
        why=f"{expect(cell.profile, 'second_auth_round_required_error').cite()}; the gateway "
        f"answered {refusal.summary()} in frame {refusal.frame}",
    )
    ends.assert_gateway_said(
        gateway, _REFUSAL_LOG, "charon refuses a peer that did only the first round"
    )
    measure("gateway_log", _last_line(Path(gateway.log_path), _REFUSAL_LOG[-1]))


_REFUSAL_LOG = [
    "with RSA signature successful",
    "unacceptable: insufficient authentication rounds",
    "generating IKE_AUTH response 1 [ N(AUTH_FAILED) ]",
]
"""charon 5.9.8's log lines when the client stops after the first of two required rounds
(ike_auth.c update_cfg_candidates: the round is verified, the config then rejected)."""


def _last_line(log: Path, fragment: str) -> str:
    lines = [line for line in log.read_text(errors="replace").splitlines() if fragment in line]
    return lines[-1].split("] ", 1)[-1] if lines else "(none)"
