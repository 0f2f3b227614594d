"""IKEv2 fragmentation (RFC 7383) per Windows build, and what happens without it.

The gateway presents an RSA-4096 certificate with its RSA-4096 intermediate, so its IKE_AUTH
response (two certificates, a 512-byte AUTH) is about 3.7 KB: more than any Ethernet MTU. The
client's own IKE_AUTH (machine certificate, a CERTREQ with dozens of root hashes) is 2-3 KB.
Either the two ends fragment at the IKE layer (both announced IKEV2_FRAGMENTATION_SUPPORTED in
IKE_SA_INIT: Windows 10 1803 and later, reference 5) or the kernel sends IP fragments, which
work until something on the path drops non-first fragments, as many NATs and firewalls do
(reference 2.1: error 809 on Windows).

Expected Windows behaviour comes from the oracle (expectations/windows/fragmentation.yaml,
ike_sa_init.yaml): whether the build announces fragmentation, its 512 bytes of ciphertext
per fragment, fitting the path MTU below that (uncertain), and the error when IP fragments
are lost. Sizes are measured on the wire (the gateway-side capture, tshark): every IKE
fragment's IP packet against the link MTU, and for unfragmented messages the IP fragment
count the kernel needed.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace

import pytest
from _pytest.mark.structures import ParameterSet

from expectations.windows.oracle import expect
from fixtures.interop import StartInterop
from fixtures.lifecycle import Measure
from fixtures.matrix import emulated_cells, params, reference_cells, windows_cells
from infra.auth_cases import AuthCase
from infra.capture.facts import CaptureFacts, IkeMessage
from infra.cell import Cell
from infra.clients.protocol import ClientKind, ConnectOutcome, TimerPlan
from infra.gateway.presets import docs_recommended
from infra.gateway.spec import Fragmentation, GatewaySpec
from infra.interop_run import InteropRun, LabCredentials
from infra.lab.topology import TopologyKind
from infra.pki.variants import GatewayCertVariant
from suites import ends
from suites import fragments as fr
from suites import wire as w

DOCS = ["docs-recommended"]
CASE_A = [AuthCase.MACHINE_CERT]
CHAIN = GatewayCertVariant.RSA4096_CHAIN
CHARON_FRAGMENT_SIZE = 1280
"""charon.fragment_size's default: the largest IP datagram of a gateway fragment (reference
strongswan-lab 7), which the lab leaves as shipped."""
REFERENCE_FRAGMENT_SIZE = CHARON_FRAGMENT_SIZE
RETRANSMIT_SCALE = 31.0
"""The emulator's retransmissions run 31x faster here, for the cells that wait for a dial to
give up (31 s of Windows schedule in 1 s): the schedule is test_lossy_links' business."""


@dataclass(frozen=True)
class Path:
    """One cell's gateway setting and path: charon's `fragmentation`, the link MTU, and
    whether non-first IP fragments are lost on the way."""

    mode: Fragmentation
    mtu: int = 1500
    drops_ip_fragments: bool = False
    fragment_size: int | None = None
    """charon.fragment_size (None: its default, 1280)."""

    @property
    def variant(self) -> str:
        size = f"-fs{self.fragment_size}" if self.fragment_size else ""
        drop = "-ipfrag-drop" if self.drops_ip_fragments else ""
        return f"frag-{self.mode.value}-mtu{self.mtu}{size}{drop}"

    @property
    def gateway_fragments_fit(self) -> bool:
        """Whether charon's fragments (whole IP datagrams of fragment_size) fit the path."""
        return (self.fragment_size or CHARON_FRAGMENT_SIZE) <= self.mtu


SIZES = [
    Path(Fragmentation.YES),
    Path(Fragmentation.NO),
    Path(Fragmentation.FORCE),
    Path(Fragmentation.YES, mtu=576),
]
"""The grid of the fragment-size test: each gateway setting on a 1500-byte path, and the
default setting where 512 bytes of ciphertext no longer fit (IPv4's 576-byte minimum)."""
DROPS = [
    Path(Fragmentation.YES, drops_ip_fragments=True),
    Path(Fragmentation.NO, drops_ip_fragments=True),
    Path(Fragmentation.YES, mtu=1000, drops_ip_fragments=True),
    Path(Fragmentation.YES, mtu=1000, drops_ip_fragments=True, fragment_size=1000),
]
"""Each gateway setting on a path that loses non-first IP fragments; and a 1000-byte path,
where charon's default 1280-byte fragments are themselves IP-fragmented unless
charon.fragment_size is lowered to the path. (Not 576: there even the IKE_SA_INIT messages,
which RFC 7383 cannot fragment, are larger than the path.)"""
PATHS = {path.variant: path for path in SIZES + DROPS}
NO_VM_MTU = {
    ClientKind.WINDOWS: "the lab sets the MTU of its own links; a VM's adapter keeps 1500 "
    "unless Windows is told (Set-NetIPInterface -NlMtuBytes), which the VM driver does not "
    "do, so the VM would not see a 576-byte path as its own",
}


def _cells(path: Path, topologies: list[TopologyKind]) -> list[Cell]:
    return (
        reference_cells(CASE_A, DOCS, topologies, variant=path.variant)
        + emulated_cells(CASE_A, DOCS, topologies, variant=path.variant)
        + windows_cells(CASE_A, DOCS, topologies, variant=path.variant)
    )


def _survives_drops(cell: Cell, path: Path) -> bool:
    """Whether no IKE message needs IP fragments: both ends fragment at the IKE layer and
    every fragment fits the path (Windows fits its own to the path; charon and the
    reference client fragment to their fragment_size)."""
    return (
        _client_announces(cell)
        and path.mode is not Fragmentation.NO
        and path.gateway_fragments_fit
        and (cell.client_kind is not ClientKind.REFERENCE or path.mtu >= REFERENCE_FRAGMENT_SIZE)
    )


def _failing_cells_negative(cells: list[Cell], fails: Callable[[Cell], bool]) -> list[object]:
    """params() of CELLS, the ones expected to fail marked `negative`: they pass when the
    client fails as the oracle says, and their gateway settings are what not to do (the
    report recommends nothing from them)."""
    marked: list[object] = []
    for param in params(cells):  # one per cell and gateway build (--gateways)
        assert isinstance(param, ParameterSet)
        cell = param.values[0]
        assert isinstance(cell, Cell)
        if fails(cell):
            marks = (*param.marks, pytest.mark.negative)
            param = pytest.param(*param.values, marks=marks, id=param.id)
        marked.append(param)
    return marked


def _forced_on_unsupported(cell: Cell) -> bool:
    path = PATHS[cell.variant]
    return path.mode is Fragmentation.FORCE and not _client_announces(cell)


def _lost_fragments_error(cell: Cell) -> tuple[int, str]:
    """The error of a dial whose IKE messages were lost in IP fragments, and its source."""
    if cell.client_kind is ClientKind.REFERENCE:
        return 809, "charon gives up after its retransmissions"
    fact = expect(cell.profile, "ip_fragments_dropped_error")
    return fact.as_int(), fact.cite()


def _spec(cell: Cell, eap: LabCredentials, path: Path) -> GatewaySpec:
    spec = docs_recommended(cell.auth, (eap.secret(),))
    conns = tuple(replace(c, fragmentation=path.mode) for c in spec.connections)
    return replace(spec, connections=conns, fragment_size=path.fragment_size)


def _client_announces(cell: Cell) -> bool:
    if cell.client_kind is ClientKind.REFERENCE:
        return True  # charon's own default, fragmentation = yes
    return expect(cell.profile, "init_announces_fragmentation").as_bool()


def _start(
    interop: StartInterop, eap: LabCredentials, cell: Cell, measure: Measure
) -> tuple[InteropRun, Path]:
    path = PATHS[cell.variant]
    timers = TimerPlan(retransmit_scale=RETRANSMIT_SCALE)
    run = interop(cell, _spec(cell, eap, path), gateway_cert=CHAIN, timers=timers)
    run.lab.set_mtu(path.mtu)
    if path.drops_ip_fragments:
        run.lab.drop_ip_fragments()
    size = path.fragment_size or f"{CHARON_FRAGMENT_SIZE} (default)"
    measure(
        "path",
        f"MTU {path.mtu}, gateway fragmentation = {path.mode.value}, fragment_size = {size}"
        + (", non-first IP fragments dropped" if path.drops_ip_fragments else ""),
    )
    return run, path


def _negotiated(wire: CaptureFacts, cell: Cell, path: Path) -> bool:
    """Check both ends' announcements against expectation; True if both announced."""
    request = fr.init(wire, response=False)
    response = fr.init(wire, response=True)
    client = fr.announces(request)
    expected = _client_announces(cell)
    assert client == expected, (
        f"expected N(FRAG_SUP) {'in' if expected else 'absent from'} the client's "
        f"{request.summary()} (frame {request.frame})"
    )
    gateway = fr.announces(response)
    # RFC 7383 2.3: a responder announces support only in answer to an initiator that did.
    wanted = path.mode is not Fragmentation.NO and client
    assert gateway == wanted, (
        f"expected fragmentation = {path.mode.value} to {'send' if wanted else 'omit'} "
        f"N(FRAG_SUP) in the gateway's {response.summary()} (frame {response.frame}), "
        f"answering a client that {'did' if client else 'did not'} announce it"
    )
    return client and gateway


def _expected_ciphertext(cell: Cell, mtu: int, overhead: fr.SkOverhead) -> int:
    """What a Windows build's non-final fragment carries on a path of MTU bytes."""
    length = expect(cell.profile, "fragment_ciphertext_len").as_int()
    fit = fr.ciphertext_fit(mtu, overhead)
    if fit < length and expect(cell.profile, "fragment_fits_path_mtu").as_bool():
        return fit
    return length


def _check_client_fragments(
    cell: Cell, path: Path, frames: list[IkeMessage], overhead: fr.SkOverhead, measure: Measure
) -> None:
    measure("client_fragments", len(frames))
    measure("client_fragment_ip_lengths", [m.ip_length for m in frames])
    assert len(frames) > 1 and all(m.fragment is not None for m in frames), (
        "expected the client's IKE_AUTH request in RFC 7383 fragments; observed "
        + ", ".join(f"{m.summary()} (frame {m.frame})" for m in frames)
    )
    if cell.client_kind is ClientKind.REFERENCE:
        # charon as a client fragments to its fragment_size, not to the path: on a smaller
        # path its fragments travel in IP fragments (measured, not a Windows verdict).
        fr.assert_fit(frames, REFERENCE_FRAGMENT_SIZE, "the reference's fragment_size")
        return
    fr.assert_fit(frames, path.mtu, "the path MTU", whole=True)
    expected = _expected_ciphertext(cell, path.mtu, overhead)
    for message in frames[:-1]:
        observed = fr.ciphertext(message, overhead)
        assert observed == expected, (
            f"expected {expected} bytes of ciphertext in each non-final fragment on a "
            f"{path.mtu}-byte path (oracle: fragment_ciphertext_len, fragment_fits_path_mtu); "
            f"observed {observed} in frame {message.frame} ({message.ip_length}-byte IP packet)"
        )


def _check_forced_fragments(
    cell: Cell, outcome: ConnectOutcome, response: list[IkeMessage]
) -> None:
    """fragmentation = force: charon fragments its response to a client that never
    announced RFC 7383 (observed with 5.9.8); what the build does with it is the oracle's."""
    assert len(response) > 1, (
        "expected charon's fragmentation = force to send its IKE_AUTH response in RFC 7383 "
        f"fragments without the client's N(FRAG_SUP); observed {response[0].summary()}"
    )
    fact = expect(cell.profile, "unannounced_fragments_error")
    error = fact.as_error()
    if error is None:
        ends.assert_connected(outcome)
    else:
        ends.assert_failed_with(outcome, error, why=fact.cite())


@pytest.mark.fragmentation
@pytest.mark.parametrize(
    "cell",
    _failing_cells_negative(
        [c for p in SIZES if p.mtu == 1500 for c in _cells(p, [TopologyKind.DIRECT])],
        _forced_on_unsupported,
    )
    + params(
        [c for p in SIZES if p.mtu != 1500 for c in _cells(p, [TopologyKind.DIRECT])],
        inapplicable=NO_VM_MTU,
    ),
)
def test_large_ike_auth(
    interop: StartInterop, lab_credentials: LabCredentials, measure: Measure, cell: Cell
) -> None:
    """A 3.7 KB gateway IKE_AUTH response and a 2-3 KB client request cross the path.

    Expectation: the client announces N(FRAG_SUP) exactly when the oracle says its build
    does; the gateway answers with it when its `fragmentation` is not `no` and the client
    announced it (RFC 7383 2.3). With both: the client's request
    goes out in RFC 7383 fragments, none IP-fragmented, each non-final one with the oracle's
    512 bytes of ciphertext (fewer, fitting the path, where 512 would not fit: uncertain);
    the gateway's response in fragments of at most charon.fragment_size; both reassembled
    (charon logs the reassembly, the client connects). Without: whole messages in IP
    fragments, which this path delivers, so the client connects as well; except that
    charon's fragmentation = force sends fragments anyway, and a build without RFC 7383 then
    fails with the oracle's error (unannounced_fragments_error, uncertain).
    """
    run, path = _start(interop, lab_credentials, cell, measure)
    outcome = run.connect(timeout=45.0)
    wire = run.wire()
    w.assert_decrypted(wire)
    negotiated = _negotiated(wire, cell, path)
    measure("rfc7383_negotiated", negotiated)
    init_sizes = [fr.init(wire, response=r) for r in (False, True)]
    measure("ike_sa_init_ip_lengths", [m.ip_length for m in init_sizes])
    gateway = str(run.lab.plan.gateway_outside)
    request = fr.first_transmission(wire, gateway, response=False)
    response = fr.first_transmission(wire, gateway, response=True)
    if path.mode is Fragmentation.FORCE and not negotiated:
        _check_forced_fragments(cell, outcome, response)
        return
    ends.assert_connected(outcome)
    overhead = fr.overhead_of(fr.init(wire, response=True))
    gateway_log = run.gateway.log_path.read_text() if run.gateway is not None else ""
    measure("gateway_fragments", len(response))
    if negotiated:
        _check_client_fragments(cell, path, request, overhead, measure)
        fr.assert_reassembled_by_gateway(gateway_log, len(request))
        assert len(response) > 1, (
            f"expected the gateway's {fr.size_text(response)} IKE_AUTH response in RFC 7383 "
            f"fragments; observed {response[0].summary()} in frame {response[0].frame}"
        )
        fr.assert_fit(response, CHARON_FRAGMENT_SIZE, "charon.fragment_size")
        measure("gateway_fragment_ip_fragments", [m.ip_fragments for m in response])
        return
    for frames, who in ((request, "client's request"), (response, "gateway's response")):
        assert len(frames) == 1 and frames[0].fragment is None, (
            f"expected the {who} as one IKE message without RFC 7383 (not negotiated); "
            f"observed {', '.join(m.summary() for m in frames)}"
        )
    measure("client_request_ip_fragments", request[0].ip_fragments)
    measure("gateway_response_ip_fragments", response[0].ip_fragments)
    assert response[0].ip_fragments > 1, (
        f"expected the gateway's 3.7 KB IKE_AUTH response in IP fragments on a {path.mtu}-byte "
        f"path; observed it whole in frame {response[0].frame} ({response[0].ip_length} bytes)"
    )


@pytest.mark.fragmentation
@pytest.mark.faults
@pytest.mark.parametrize(
    "cell",
    _failing_cells_negative(
        [c for p in DROPS for c in _cells(p, [TopologyKind.NAT])],
        lambda cell: not _survives_drops(cell, PATHS[cell.variant]),
    ),
)
def test_ip_fragments_dropped(
    interop: StartInterop, lab_credentials: LabCredentials, measure: Measure, cell: Cell
) -> None:
    """The path through the NAT loses every non-first IP fragment, as many NATs do.

    Expectation: where both ends fragment at the IKE layer (a build that announces it, a
    gateway with fragmentation = yes) into fragments that fit the path (Windows fits its own,
    charon's fit when charon.fragment_size is at most the MTU) no IKE message needs IP
    fragments and the client connects. Otherwise the large IKE_AUTH messages go out in IP
    fragments, never arrive whole, and the dial fails with the oracle's error (809 on
    Windows, reference 2.1); the capture shows the fragments sent, and either charon never
    parsed the client's IKE_AUTH (the request was lost) or the response was.
    """
    run, path = _start(interop, lab_credentials, cell, measure)
    outcome = run.connect(timeout=45.0)
    wire = run.wire()
    dropped = run.lab.dropped_ip_fragments()
    measure("ip_fragments_dropped", {role.value: n for role, n in dropped.items()})
    survives = _survives_drops(cell, path)
    _negotiated(wire, cell, path)
    if survives:
        ends.assert_connected(outcome)
        split = [m for m in wire.messages if m.ip_fragments > 1]
        assert not split, "expected no IP-fragmented IKE message; observed " + ", ".join(
            f"{m.summary()} in {m.ip_fragments} IP fragments (frame {m.frame})" for m in split
        )
        return
    error, why = _lost_fragments_error(cell)
    ends.assert_failed_with(outcome, error, why=why)
    assert sum(dropped.values()) > 0, "expected non-first IP fragments to be dropped"
    gateway_log = run.gateway.log_path.read_text() if run.gateway is not None else ""
    fr.assert_ike_auth_lost(wire, gateway_log, str(run.lab.plan.gateway_outside))


@dataclass(frozen=True)
class Certreq:
    """A gateway trusting many CAs, whose IKE_SA_INIT response carries a CERTREQ hash for
    each; `send_certreq` off leaves the CERTREQ out."""

    send_certreq: bool

    @property
    def variant(self) -> str:
        return "many-cas" + ("" if self.send_certreq else "-no-certreq") + "-ipfrag-drop"


CERTREQS = {c.variant: c for c in (Certreq(True), Certreq(False))}


REFERENCE_UNASKED = 13801
"""The reference client (charon, send_cert = ifasked by default) sends no certificate to a
gateway that asked for none, and the gateway fails its AUTH: AUTHENTICATION_FAILED."""


def _certreq_survives(cell: Cell) -> bool:
    """Without the 1.3 KB CERTREQ the IKE_SA_INIT response fits; the 2048-bit IKE_AUTH then
    needs IKE fragmentation (or it goes in IP fragments and is lost); and a client that only
    sends its certificate when asked (the reference) no longer sends it."""
    if cell.client_kind is ClientKind.REFERENCE and not CERTREQS[cell.variant].send_certreq:
        return False
    return not CERTREQS[cell.variant].send_certreq and _client_announces(cell)


@pytest.mark.fragmentation
@pytest.mark.faults
@pytest.mark.parametrize(
    "cell",
    _failing_cells_negative(
        [
            c
            for certreq in CERTREQS.values()
            for c in reference_cells(CASE_A, DOCS, [TopologyKind.NAT], variant=certreq.variant)
            + emulated_cells(CASE_A, DOCS, [TopologyKind.NAT], variant=certreq.variant)
            + windows_cells(CASE_A, DOCS, [TopologyKind.NAT], variant=certreq.variant)
        ],
        lambda cell: not _certreq_survives(cell),
    ),
)
def test_long_certreq_in_ike_sa_init(
    interop: StartInterop, lab_credentials: LabCredentials, measure: Measure, cell: Cell
) -> None:
    """A gateway that trusts 64 more CAs (a system CA bundle loaded into charon) names each
    in the CERTREQ of its IKE_SA_INIT response: about 1.8 KB, past a 1500-byte MTU, and
    RFC 7383 cannot fragment IKE_SA_INIT (it is not encrypted). Through a NAT that drops
    non-first IP fragments, no client gets the response.

    Expectation: with the CERTREQ, every client fails (Windows with the oracle's
    ip_fragments_dropped_error, 809; the reference gives up after its retransmissions) and
    the capture shows the response in IP fragments. With send_certreq = no the response fits
    and builds with RFC 7383 connect (the certificate is sent anyway: Windows always includes
    its CERT, reference 2.2); builds without it still lose their IKE_AUTH in IP fragments;
    the reference, which sends its certificate only when asked, fails authentication (13801).
    """
    certreq = CERTREQS[cell.variant]
    base = docs_recommended(cell.auth, (lab_credentials.secret(),))
    conns = tuple(
        replace(c, fragmentation=Fragmentation.YES, send_certreq=certreq.send_certreq)
        for c in base.connections
    )
    spec = replace(base, connections=conns, filler_cas=64)
    run = interop(cell, spec, timers=TimerPlan(retransmit_scale=RETRANSMIT_SCALE))
    run.lab.drop_ip_fragments()
    measure("gateway", f"64 extra CAs, send_certreq = {'yes' if certreq.send_certreq else 'no'}")
    outcome = run.connect(timeout=45.0)
    wire = run.wire()
    responses = [m for m in wire.messages if m.exchange == fr.IKE_SA_INIT and m.response]
    measure("ike_sa_init_response_ip_lengths", [m.ip_length for m in responses])
    if _certreq_survives(cell):
        ends.assert_connected(outcome)
        return
    if cell.client_kind is ClientKind.REFERENCE and not certreq.send_certreq:
        error, why = REFERENCE_UNASKED, "charon sends its certificate only when asked"
    else:
        error, why = _lost_fragments_error(cell)
    ends.assert_failed_with(outcome, error, why=why)
    if certreq.send_certreq:
        assert responses and all(m.ip_fragments > 1 for m in responses), (
            "expected the gateway's IKE_SA_INIT responses with 64 CERTREQ hashes in IP "
            "fragments; observed "
            + ", ".join(f"{m.ip_length} bytes in frame {m.frame}" for m in responses)
        )
