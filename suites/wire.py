"""Wire checks shared by suites: each returns nothing or fails with expected vs observed.

They read only the decoded gateway-side capture (tshark via infra.capture), never a
client's own view, and quote the frame numbers and the message summaries they looked at.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable

from infra.capture.facts import CaptureFacts, IkeMessage, TlsStep, Transform
from suites.windows_reference import EapStep

IKE_SA_INIT = 34
IKE_AUTH = 35
AUTH_PAYLOAD = 39
SIGNATURE_METHODS = {1: "RSA signature", 9: "ECDSA P-256", 10: "ECDSA P-384", 14: "RFC 7427"}
SHARED_KEY_MIC = 2
NO_PROPOSAL_CHOSEN = 14
PROTOCOL_IKE, PROTOCOL_ESP = 1, 3


def ladder(messages: Iterable[IkeMessage]) -> str:
    """The messages as lines 'frame N: IKE_AUTH request 1 [ ... ]' for failure messages."""
    return "\n".join(f"  frame {m.frame}: {m.summary()}" for m in messages) or "  (no IKE message)"


def assert_decrypted(wire: CaptureFacts) -> None:
    """Every IKE_AUTH message was decrypted with the gateway's keys and none is malformed."""
    auth = [m for m in wire.messages if m.exchange == IKE_AUTH and m.encrypted]
    undecrypted = [m for m in auth if not m.decrypted and (m.fragment is None or m.reassembled)]
    assert auth, f"expected IKE_AUTH messages in the capture; saw:\n{ladder(wire.messages)}"
    assert not undecrypted, (
        "expected every IKE_AUTH message decrypted with the gateway's key table; "
        f"not decrypted:\n{ladder(undecrypted)}"
    )
    assert not wire.malformed_frames, f"tshark flags malformed frames {wire.malformed_frames}"


def assert_initiator_auth(wire: CaptureFacts, methods: set[int]) -> IkeMessage:
    """The initiator's IKE_AUTH requests carry an AUTH payload with one of METHODS."""
    requests = [m for m in wire.ike_auth_requests() if m.auth_method is not None]
    observed = [m.auth_method for m in requests]
    assert requests and requests[-1].auth_method in methods, (
        f"expected the initiator's AUTH method in {sorted(methods)}; observed {observed} in\n"
        f"{ladder(wire.ike_auth_requests())}"
    )
    return requests[-1]


def assert_eap_method(wire: CaptureFacts, eap_type: int) -> None:
    """The EAP conversation used EAP_TYPE after the identity round (1)."""
    types = wire.eap_types()
    assert eap_type in types, (
        f"expected EAP type {eap_type} in the IKE_AUTH exchanges; observed EAP types {types} in\n"
        f"{ladder(wire.exchanges(IKE_AUTH))}"
    )
    first_request = next((m for m in wire.ike_auth_requests()), None)
    assert first_request is not None and AUTH_PAYLOAD not in first_request.payloads, (
        "expected the first IKE_AUTH request without AUTH (EAP follows); observed\n"
        f"{ladder([first_request] if first_request else [])}"
    )


def assert_nat(wire: CaptureFacts, client_address: str, *, behind_nat: bool) -> None:
    """The gateway's own NAT detection (its NATD_D_IP) says what the topology is."""
    detected = wire.nat_detected_by_responder(client_address)
    response = wire.ike_sa_init_response()
    assert detected == behind_nat, (
        f"expected the responder's NAT_DETECTION_DESTINATION_IP to "
        f"{'differ from' if behind_nat else 'equal'} SHA1(SPIs|{client_address}|500) "
        f"(client {'behind' if behind_nat else 'not behind'} a NAT); it does "
        f"{'' if detected else 'not '}differ, in frame {response.frame if response else '?'}"
    )


# --- Windows wire facts (windows-client-behavior.md; expected values: suites.windows_reference)


def payload_list(message: IkeMessage) -> str:
    """The bracketed part of a summary: `SA KE No N(NATD_S_IP) ...`."""
    return message.summary().split("[", 1)[1].rsplit("]", 1)[0].strip()


def assert_payloads(message: IkeMessage | None, expected: str, what: str) -> None:
    """MESSAGE's payloads, in wire order, are EXPECTED (strongSwan's notation)."""
    assert message is not None, f"expected {what} [ {expected} ]; no such message in the capture"
    observed = payload_list(message)
    assert observed == expected, (
        f"expected {what} [ {expected} ]; observed [ {observed} ] in frame {message.frame}"
    )


def assert_init_request(wire: CaptureFacts, expected: str) -> IkeMessage:
    """The (last) IKE_SA_INIT request has exactly the payloads EXPECTED, in order."""
    request = wire.ike_sa_init_request()
    assert_payloads(request, expected, "IKE_SA_INIT request")
    assert request is not None
    return request


def assert_first_auth_request(wire: CaptureFacts, expected: str) -> IkeMessage:
    """The first IKE_AUTH request, decrypted (and reassembled), has the payloads EXPECTED;
    this also proves there is no IDr when EXPECTED has none."""
    requests = wire.ike_auth_requests()
    first = requests[0] if requests else None
    assert_payloads(first, expected, "first IKE_AUTH request")
    assert first is not None
    return first


def assert_vendor_ids(message: IkeMessage, expected: tuple[bytes, ...]) -> None:
    """The vendor ID payloads of MESSAGE are EXPECTED, in order."""
    observed = message.vendor_ids
    assert observed == expected, (
        f"expected vendor IDs {[v.hex() for v in expected]} in this order; observed "
        f"{[v.hex() for v in observed]} in frame {message.frame}"
    )


def _proposal_text(transforms: Iterable[Transform]) -> str:
    return "/".join(
        f"{t.type}:{t.id}" + (f"({t.key_length})" if t.key_length is not None else "")
        for t in transforms
    )


def assert_proposals(
    message: IkeMessage, expected: list[tuple[Transform, ...]], protocol: int
) -> None:
    """MESSAGE's SA offers EXPECTED: the same proposals in the same order, numbered 1..N,
    each with the same transforms in the same order (type:id(key length))."""
    observed = message.proposals
    problems = []
    if len(observed) != len(expected):
        problems.append(f"{len(expected)} proposals expected, {len(observed)} observed")
    for index, (want, got) in enumerate(zip(expected, observed, strict=False), start=1):
        if got.number != index or got.protocol != protocol:
            problems.append(f"proposal {index}: number {got.number}, protocol {got.protocol}")
        if tuple(got.transforms) != tuple(want):
            problems.append(
                f"proposal {index}: expected {_proposal_text(want)}, "
                f"observed {_proposal_text(got.transforms)}"
            )
    assert not problems, (
        f"the offer in frame {message.frame} differs from the reference: "
        + "; ".join(problems[:4])
        + (f" (+{len(problems) - 4} more)" if len(problems) > 4 else "")
    )


def assert_certreq_contains(message: IkeMessage, authority: bytes, what: str) -> None:
    """MESSAGE's CERTREQ lists AUTHORITY (a CA's SHA-1 key hash)."""
    observed = message.certreq_authorities
    assert authority in observed, (
        f"expected {what} ({authority.hex()}) among the {len(observed)} CERTREQ hashes in "
        f"frame {message.frame}"
    )


def assert_no_proposal_chosen(wire: CaptureFacts) -> IkeMessage:
    """The gateway refused every IKE proposal: N(NO_PROPOSAL_CHOSEN) in its IKE_SA_INIT
    response, and no IKE_AUTH followed."""
    response = wire.ike_sa_init_response()
    assert response is not None and NO_PROPOSAL_CHOSEN in response.notify_types(), (
        "expected N(NO_PROPOSAL_CHOSEN) in the IKE_SA_INIT response; saw\n"
        + ladder(wire.exchanges(IKE_SA_INIT))
    )
    assert not wire.ike_auth_requests(), (
        f"expected no IKE_AUTH after NO_PROPOSAL_CHOSEN; saw\n{ladder(wire.ike_auth_requests())}"
    )
    return response


def assert_proposal_selected(wire: CaptureFacts) -> IkeMessage:
    """The ideal of a proposal test: the gateway chose one of the offered IKE proposals."""
    request, response = wire.ike_sa_init_request(), wire.ike_sa_init_response()
    assert request is not None and response is not None, (
        f"expected an IKE_SA_INIT exchange; saw\n{ladder(wire.messages)}"
    )
    offered = {p.number: p for p in request.proposals}
    chosen = response.proposals
    assert len(chosen) == 1 and chosen[0].number in offered, (
        f"expected the gateway to select one of the {len(offered)} offered proposals; frame "
        f"{response.frame} answers [ {payload_list(response)} ]"
    )
    return response


def assert_gateway_certificate(wire: CaptureFacts, der: bytes, what: str) -> None:
    """The gateway's IKE_AUTH response carried the certificate DER (so the test really
    exercised that certificate)."""
    responses = wire.ike_auth_responses()
    carried = [m for m in responses if der in m.certs]
    assert carried, f"expected the gateway to send {what} in its IKE_AUTH response; saw\n" + ladder(
        responses
    )


# --- EAP (windows-client-behavior.md 2.6-2.8) --------------------------------------------

INFORMATIONAL = 37
DELETE_PAYLOAD = 42
_EAP_CODES = {1: "REQ", 2: "RES", 3: "SUCC", 4: "FAIL"}
_EAP_TYPES = {1: "ID", 2: "NTF", 3: "NAK", 13: "TLS", 21: "TTLS", 25: "PEAP", 26: "MSCHAPV2"}
_MSCHAPV2_OPCODES = {1: "Challenge", 2: "Response", 3: "Success", 4: "Failure"}
TLS_LENGTH, TLS_MORE, TLS_START = 0x80, 0x40, 0x20


def assert_idi(message: IkeMessage, id_type: int, value: str, what: str) -> None:
    """MESSAGE's IDi has ID_TYPE and VALUE (tshark's text form)."""
    observed = message.idi
    assert observed is not None and (observed.type, observed.data) == (id_type, value), (
        f"expected IDi type {id_type} {value!r} ({what}); observed "
        f"{(observed.type, observed.data) if observed else 'no IDi'} in frame {message.frame}"
    )


def eap_messages(wire: CaptureFacts) -> list[IkeMessage]:
    """The IKE_AUTH messages carrying EAP, in wire order, each message once (a
    retransmission of the same message ID in the same direction is left out)."""
    seen: set[tuple[bytes, int, bool]] = set()
    messages = []
    for message in wire.exchanges(IKE_AUTH):
        key = (message.spi_i, message.message_id, message.response)
        if message.eap is None or key in seen:
            continue
        seen.add(key)
        messages.append(message)
    return messages


def _eap_label(message: IkeMessage) -> str:
    eap = message.eap
    assert eap is not None
    code = _EAP_CODES.get(eap.code, f"({eap.code})")
    if eap.type is None:
        return code
    return f"{code}/{_EAP_TYPES.get(eap.type, f'({eap.type})')}"


def gateway_answer_to(wire: CaptureFacts, client_label: str, opcode: int) -> str:
    """How the gateway answered the client's first EAP message CLIENT_LABEL with MS-CHAPv2
    OPCODE (e.g. RES/MSCHAPV2, Response): its next EAP message as a step text with the
    frame, or 'nothing' / 'no such client message'."""
    messages = eap_messages(wire)
    for index, message in enumerate(messages):
        eap = message.eap
        assert eap is not None
        if message.initiator and _eap_label(message) == client_label:
            if eap.mschapv2_opcode != opcode:
                continue
            answer = next((m for m in messages[index + 1 :] if not m.initiator), None)
            if answer is None:
                return "nothing"
            assert answer.eap is not None
            text = _step_text("gateway", _eap_label(answer), answer.eap.mschapv2_opcode, None)
            return f"{text} in frame {answer.frame}"
    return "no such client message"


def _step_text(sender: str, label: str, opcode: int | None, identity: str | None) -> str:
    text = f"{sender} EAP/{label}"
    if opcode is not None:
        text += f" ({_MSCHAPV2_OPCODES.get(opcode, opcode)})"
    if identity is not None:
        text += f" {identity!r}"
    return text


def assert_eap_ladder(
    wire: CaptureFacts, expected: list[EapStep], what: str, *, prefix: bool = False
) -> None:
    """The EAP conversation is EXPECTED, step by step: sender, code/type, the MS-CHAPv2
    OpCode and the identity where the step names them (PREFIX: it starts with EXPECTED)."""
    observed = []
    for message in eap_messages(wire):
        eap = message.eap
        assert eap is not None
        sender = "client" if message.initiator else "gateway"
        observed.append((message, sender, _eap_label(message), eap))
    problems = []
    compared = len(expected) if prefix else max(len(expected), len(observed))
    for index in range(compared):
        want = expected[index] if index < len(expected) else None
        got = observed[index] if index < len(observed) else None
        if got is None:
            assert want is not None
            problems.append(
                f"step {index + 1}: expected "
                f"{_step_text(want.sender, want.label, want.opcode, want.identity)}, saw nothing"
            )
            continue
        message, sender, label, eap = got
        got_text = _step_text(
            sender,
            label,
            eap.mschapv2_opcode if want is not None and want.opcode is not None else None,
            eap.identity if want is not None and want.identity is not None else None,
        )
        if want is None:
            problems.append(f"step {index + 1}: unexpected {got_text} in frame {message.frame}")
            continue
        if (
            (sender, label) != (want.sender, want.label)
            or (want.opcode is not None and eap.mschapv2_opcode != want.opcode)
            or (want.identity is not None and eap.identity != want.identity)
        ):
            want_text = _step_text(want.sender, want.label, want.opcode, want.identity)
            problems.append(
                f"step {index + 1}: expected {want_text}; observed {got_text} in frame "
                f"{message.frame}"
            )
    ladder_text = "\n".join(
        f"  frame {m.frame}: {_step_text(s, label, e.mschapv2_opcode, e.identity)}"
        for m, s, label, e in observed
    )
    assert not problems, (
        f"the EAP conversation differs from {what}: "
        + "; ".join(problems[:3])
        + f"\nobserved:\n{ladder_text or '  (no EAP)'}"
    )


def _flags(value: int | None) -> str:
    return "(not decoded)" if value is None else f"{value:#04x}"


def assert_eap_tls_framing(wire: CaptureFacts) -> int:
    """EAP-TLS framed as RFC 5216 and Windows do it (windows-client-behavior.md 2.8),
    judged from the EAP-TLS flags tshark decoded: the gateway's Start (S) comes first; the
    client's first TLS message (ClientHello) carries the TLS Message Length (L); every
    fragment with More (M) is answered by an acknowledgement from the other side (flags
    0); the client's last EAP-TLS response before EAP-Success is its acknowledgement of
    the gateway's final flight (flags 0). Returns the number of client EAP-TLS responses."""
    tls = [m for m in eap_messages(wire) if m.eap is not None and m.eap.type == 13]
    problems = []
    flags = [(m, m.eap.tls_flags if m.eap else None) for m in tls]
    if not flags or flags[0][0].initiator or not (flags[0][1] or 0) & TLS_START:
        problems.append("the first EAP-TLS packet is not the gateway's Start (S flag)")
    client = [(m, f) for m, f in flags if m.initiator]
    if not client or not (client[0][1] or 0) & TLS_LENGTH:
        problems.append("the client's first EAP-TLS response (ClientHello) lacks the L flag")
    for (message, value), (answer, answer_flags) in itertools.pairwise(flags):
        if (value or 0) & TLS_MORE and (answer_flags or 0) != 0:
            problems.append(
                f"frame {message.frame} has M set but the answer in frame {answer.frame} "
                f"carries flags {_flags(answer_flags)}, not an acknowledgement (0x00)"
            )
    if client and client[-1][1] != 0:
        problems.append(
            f"the client's last EAP-TLS response (frame {client[-1][0].frame}) has flags "
            f"{_flags(client[-1][1])}, not the empty acknowledgement (0x00)"
        )
    text = "\n".join(
        f"  frame {m.frame}: {'client' if m.initiator else 'gateway'} flags {_flags(f)}"
        for m, f in flags
    )
    assert not problems, "; ".join(problems) + f"\nEAP-TLS flags observed:\n{text or '  none'}"
    return len(client)


# TLS inside EAP-TLS, named as Wireshark shows them (RFC 8446 5.1 content types, 4 handshakes).
_TLS_RECORDS = {20: "Change Cipher Spec", 21: "Alert", 22: "Handshake", 23: "Application Data"}
_TLS_HANDSHAKES = {
    1: "Client Hello",
    2: "Server Hello",
    4: "New Session Ticket",
    8: "Encrypted Extensions",
    11: "Certificate",
    12: "Server Key Exchange",
    13: "Certificate Request",
    14: "Server Hello Done",
    15: "Certificate Verify",
    16: "Client Key Exchange",
    20: "Finished",
}
_TLS_VERSIONS = {0x0301: "TLS 1.0", 0x0302: "TLS 1.1", 0x0303: "TLS 1.2", 0x0304: "TLS 1.3"}
CHANGE_CIPHER_SPEC, HANDSHAKE = 20, 22
EAP_TLS_HANDSHAKE: list[tuple[str, int, int | None]] = [
    ("client", HANDSHAKE, 1),
    ("gateway", HANDSHAKE, 2),
    ("gateway", HANDSHAKE, 11),
    ("gateway", HANDSHAKE, 13),
    ("client", HANDSHAKE, 11),
    ("client", HANDSHAKE, 16),
    ("client", HANDSHAKE, 15),
    ("client", CHANGE_CIPHER_SPEC, None),
    ("gateway", CHANGE_CIPHER_SPEC, None),
]
"""(sender, content type, handshake type) of a full TLS 1.2 handshake with client
authentication (RFC 5246 7.3), as far as it is visible in clear: the gateway asks for the user
certificate (strongSwan's EAP-TLS server always sends CertificateRequest) and the client
proves it holds the key. Steps may have others between them (ServerKeyExchange,
ServerHelloDone, the encrypted Finished messages)."""


def _tls_step_text(sender: str, content_type: int, handshake: int | None) -> str:
    if content_type != HANDSHAKE:
        return f"{sender} {_TLS_RECORDS.get(content_type, f'record type {content_type}')}"
    if handshake is None:
        return f"{sender} Encrypted Handshake Message"
    return f"{sender} {_TLS_HANDSHAKES.get(handshake, f'handshake type {handshake}')}"


def _tls_observed(steps: tuple[TlsStep, ...]) -> str:
    """One line per frame: 'frame 11: gateway Server Hello, Certificate, ...'."""
    lines = []
    for (frame, initiator), group in itertools.groupby(steps, lambda s: (s.frame, s.initiator)):
        names = [_tls_step_text("", s.content_type, s.handshake).strip() for s in group]
        lines.append(f"  frame {frame}: {'client' if initiator else 'gateway'} {', '.join(names)}")
    return "\n".join(lines) or "  (no TLS record decoded in the EAP packets)"


def _tls_version_text(version: int | None) -> str:
    if version is None:
        return "no ServerHello decoded"
    return f"negotiated {_TLS_VERSIONS.get(version, f'version {version:#06x}')}"


def assert_eap_tls_handshake(wire: CaptureFacts) -> None:
    """The TLS handshake inside EAP-TLS, as tshark decoded it from the reassembled EAP-TLS
    fragments, has the steps of EAP_TLS_HANDSHAKE in order: the client's ClientHello; the
    gateway's ServerHello, Certificate and CertificateRequest; the client's Certificate,
    ClientKeyExchange, CertificateVerify and ChangeCipherSpec; the gateway's
    ChangeCipherSpec. The failure names the first missing step, the frame after which it was
    looked for, and the whole observed sequence with frame numbers."""
    steps = wire.tls_handshake()
    position, after = 0, None
    missing = None
    for sender, content_type, handshake in EAP_TLS_HANDSHAKE:
        match = next(
            (
                index
                for index in range(position, len(steps))
                if ("client" if steps[index].initiator else "gateway") == sender
                and steps[index].content_type == content_type
                and steps[index].handshake == handshake
            ),
            None,
        )
        if match is None:
            missing = _tls_step_text(sender, content_type, handshake)
            break
        position, after = match + 1, steps[match].frame
    expected = ", ".join(_tls_step_text(*step) for step in EAP_TLS_HANDSHAKE)
    assert missing is None, (
        f"expected the EAP-TLS handshake in this order: {expected}; missing {missing}"
        + (f" after frame {after}" if after is not None else "")
        + f" ({_tls_version_text(wire.tls_version())})"
        + f"; observed:\n{_tls_observed(steps)}"
    )


def assert_responder_auth_after_eap(wire: CaptureFacts) -> None:
    """The gateway signed first (a signature method, reference 2.6: no EAP-only
    responder authentication) and proved the MSK last (method 2)."""
    methods = wire.auth_methods(initiator=False)
    assert len(methods) >= 2 and methods[0] in SIGNATURE_METHODS and methods[-1] == 2, (
        "expected the gateway's AUTH methods to be a signature, then 2 (MSK); observed "
        f"{methods} in\n{ladder(wire.ike_auth_responses())}"
    )


def client_deletes(wire: CaptureFacts) -> list[IkeMessage]:
    """INFORMATIONAL requests from the client that carry a Delete payload."""
    return [
        m
        for m in wire.exchanges(INFORMATIONAL, response=False)
        if m.initiator and DELETE_PAYLOAD in m.payloads
    ]


def assert_client_silent_after_eap(wire: CaptureFacts, *, delete: bool, why: str) -> None:
    """After the gateway's last EAP request the client sent no further IKE_AUTH request,
    and an IKE Delete exactly when DELETE says so (WHY names the reference)."""
    messages = eap_messages(wire)
    last = messages[-1] if messages else None
    assert last is not None and not last.initiator, (
        f"expected the gateway's EAP request last; observed\n{ladder(messages)}"
    )
    later = [m for m in wire.ike_auth_requests() if m.frame > last.frame]
    assert not later, f"expected no IKE_AUTH request after frame {last.frame}:\n{ladder(later)}"
    deletes = client_deletes(wire)
    assert bool(deletes) == delete, (
        f"expected {'an' if delete else 'no'} IKE Delete from the client ({why}); observed "
        f"{'none' if not deletes else ladder(deletes)}"
    )
