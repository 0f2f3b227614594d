"""Wire checks shared by suites: each returns nothing or fails with expected vs observed.

They read only the decoded gateway-side capture (tshark via infra.capture), never a
client's own view, and quote the frame numbers and the message summaries they looked at.
"""

from __future__ import annotations

from collections.abc import Iterable

from infra.capture.facts import CaptureFacts, IkeMessage

IKE_AUTH = 35
AUTH_PAYLOAD = 39
SIGNATURE_METHODS = {1: "RSA signature", 9: "ECDSA P-256", 10: "ECDSA P-384", 14: "RFC 7427"}
SHARED_KEY_MIC = 2


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
