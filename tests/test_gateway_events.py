"""The gateway's VICI events reach tests: up, rekey and down of a real reference connection.

Needs root (network namespaces, charon).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from infra.auth_cases import AuthCase
from infra.cell import Cell
from infra.charon.events import EventWaitTimeout
from infra.clients.protocol import ClientKind
from infra.clients.reference import ReferenceClient
from infra.interop_run import PROFILE_NAME, InteropRun, LabCredentials
from infra.lab.topology import TopologyKind
from infra.pki.lab_pki import LabPki

pytestmark = pytest.mark.skipif(os.geteuid() != 0, reason="network namespaces need root")


@pytest.fixture
def run(tmp_path: Path) -> Iterator[InteropRun]:
    cell = Cell(
        ClientKind.REFERENCE,
        "strongswan",
        AuthCase.MACHINE_CERT,
        "docs-recommended",
        TopologyKind.DIRECT,
    )
    interop = InteropRun(
        cell,
        run_id=f"events{os.getpid()}",
        worker="unit",
        pki=LabPki.load_or_create(tmp_path),
        eap=LabCredentials("alice", "unused"),
        make_client=lambda c, lab: ReferenceClient(lab),
    )
    try:
        yield interop.start()
    finally:
        interop.close(None)


def test_up_rekey_and_down_events(run: InteropRun) -> None:
    assert run.gateway is not None and run.client is not None
    events = run.gateway.events
    assert run.connect().connected
    up = events.wait_for(
        "ike-updown",
        lambda e: any(
            sa.get("state") == "ESTABLISHED" for sa in e.body.values() if isinstance(sa, dict)
        ),
        timeout=5,
        what="(IKE SA up)",
    )
    assert "win" in up.body
    events.wait_for("child-updown", timeout=5, what="(CHILD SA up)")

    mark = len(events.events)
    for _ in run.gateway.daemon.session.rekey({"child": "win"}):
        pass
    rekey = events.wait_for("child-rekey", timeout=5, after=mark, what="(CHILD SA rekeyed)")
    assert "win" in rekey.body

    mark = len(events.events)
    run.client.disconnect(PROFILE_NAME)
    events.wait_for("ike-updown", timeout=5, after=mark, what="(IKE SA down)")


def test_timeout_message_says_what_was_awaited(run: InteropRun) -> None:
    assert run.gateway is not None
    with pytest.raises(
        EventWaitTimeout, match=r"awaited ike-rekey \(never\) for 0.05 s; last seen"
    ):
        run.gateway.events.wait_for("ike-rekey", timeout=0.05, what="(never)")
