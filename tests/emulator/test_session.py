"""The initiator state machine against a scripted responder on 127.0.0.1.

Every hostile or broken answer must end the attempt with a classified ConnectError (the
Windows error number) within the profile's retransmission schedule, or be dropped while
the client waits; no other exception may escape, and nothing may hang. The profile's
timers are compressed with the time scale (DESIGN.md), so "no answer" takes a fraction of
a second here.
"""

from __future__ import annotations

import ipaddress
import time
from collections.abc import Callable, Iterator
from dataclasses import replace

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from emulator.codec import (
    CertPayload,
    CpPayload,
    DeletePayload,
    IdrPayload,
    IkeMessage,
    KePayload,
    NotifyPayload,
    Payload,
    Proposal,
    SaPayload,
    SkfPayload,
    SkPayload,
    TrafficSelector,
    TsrPayload,
    decode,
    encode,
)
from emulator.const import DhGroup, ExchangeType, NotifyType, PayloadType, ProtocolId
from emulator.log import ClientLog
from emulator.machine.certcheck import CertCheckPolicy, check_gateway_certificate
from emulator.machine.offers import (
    AES256,
    SHA256,
    _ike,
    esp_proposals,
    ike_proposals,
    numbered,
)
from emulator.net.transport import Transport
from emulator.profiles import load_profile
from emulator.sa.authenticator import CertificateAuthenticator
from emulator.sa.cp import cp_request
from emulator.sa.dial import DialConfig
from emulator.sa.errors import ConnectError
from emulator.sa.session import IkeSession, State
from infra.clients.protocol import EncryptionLevel
from infra.pki.lab_pki import LabPki
from infra.pki.variants import GatewayCertVariant
from tests.emulator.responder import Script, ScriptedResponder

LOCALHOST = ipaddress.IPv4Address("127.0.0.1")
FAST = 10.0
"""Time scale of the well-behaved cases: first retransmission after 0.1 s."""
HOSTILE = 100.0
"""Time scale where a timeout is the expected end: the whole schedule takes 0.31 s."""


def config(pki: LabPki, *, time_scale: float = FAST, **overrides: object) -> DialConfig:
    options = replace(load_profile("win10-22h2").options, **overrides)  # type: ignore[arg-type]
    machine = pki.machine()
    check = CertCheckPolicy(server_address=pki.gateway_ip, roots=(pki.root_ca.cert,))

    def verify_gateway(certificates: tuple[bytes, ...]):  # type: ignore[no-untyped-def]
        return check_gateway_certificate(certificates, check)

    return DialConfig(
        ike_proposals=ike_proposals(options, dh2048=2, level=EncryptionLevel.MAXIMUM, policy=None),
        esp_proposals=esp_proposals(options, level=EncryptionLevel.MAXIMUM, policy=None),
        authenticator=CertificateAuthenticator(
            machine.cert_der(),
            machine.cert.subject.public_bytes(),
            machine.private_key(),
            1,
            tuple(r.key_sha1_spki() for r in pki.trusted_roots),
        ),
        verify_gateway=verify_gateway,
        cp=cp_request(ipv4=True, ipv6=True, pcscf=False),
        tsi=(TrafficSelector.any_ipv4(), TrafficSelector.any_ipv6()),
        tsr=(TrafficSelector.any_ipv4(), TrafficSelector.any_ipv6()),
        vendor_ids=(b"vendor",),
        options=options,
        time_scale=time_scale,
    )


@pytest.fixture
def responder(lab_pki: LabPki) -> Iterator[ScriptedResponder]:
    gateway = ScriptedResponder(lab_pki.gateway())
    yield gateway
    gateway.close()
    assert not gateway.errors, f"the scripted responder failed: {gateway.errors!r}"


def dial(responder: ScriptedResponder, dial_config: DialConfig) -> IkeSession:
    transport = Transport.open(None, LOCALHOST, local_ports=(0, 0), server_ports=responder.ports)
    return IkeSession(transport, dial_config, ClientLog())


def connect(session: IkeSession, timeout: float = 10.0) -> None:
    try:
        session.connect(timeout)
    finally:
        if session.state is not State.ESTABLISHED:
            session.close()
            session.transport.close()


def failure(session: IkeSession, timeout: float = 10.0) -> tuple[ConnectError, float]:
    start = time.monotonic()
    with pytest.raises(ConnectError) as caught:
        connect(session, timeout)
    return caught.value, time.monotonic() - start


def hang_up(session: IkeSession) -> None:
    session.disconnect(5)
    session.close()
    session.transport.close()


# --- the well-behaved gateway ---------------------------------------------------------


def test_connects_with_windows_auth_and_disconnects_in_windows_order(
    lab_pki: LabPki, responder: ScriptedResponder
) -> None:
    session = dial(responder, config(lab_pki))
    connect(session)
    assert session.up and session.child is not None
    assert responder.client_auth_verified is True
    assert str(session.child.config.ipv4) == "198.19.3.1"
    first_auth = next(p for x, p in responder.inner if x == ExchangeType.IKE_AUTH)
    assert [p.payload_type for p in first_auth] == [35, 37, 38, 39, 41, 47, 33, 44, 45]
    hang_up(session)
    informational = [p for x, p in responder.inner if x == ExchangeType.INFORMATIONAL]
    assert informational == [
        (DeletePayload(ProtocolId.ESP, 4, (session.child.spi_in,)),),
        (DeletePayload(ProtocolId.IKE),),
    ]
    assert session.state is State.CLOSED


def test_ike_auth_is_fragmented_in_512_byte_ciphertext_chunks(
    lab_pki: LabPki, responder: ScriptedResponder
) -> None:
    session = dial(responder, config(lab_pki))
    connect(session)
    hang_up(session)
    fragments = [
        m.payloads[-1]
        for m in responder.received
        if m.header.exchange == ExchangeType.IKE_AUTH and isinstance(m.payloads[-1], SkfPayload)
    ]
    assert len(fragments) > 1
    iv, icv = 16, 12  # AES-CBC-256 / HMAC-SHA1-96 from set D
    assert all(len(f.data) - iv - icv == 512 for f in fragments[:-1])
    assert fragments[0].first_payload == PayloadType.IDI
    assert all(f.first_payload == 0 for f in fragments[1:])


def test_without_frag_sup_ike_auth_is_one_message(
    lab_pki: LabPki, responder: ScriptedResponder
) -> None:
    session = dial(responder, config(lab_pki, frag_sup_in_init=False))
    connect(session)
    hang_up(session)
    auth = [m for m in responder.received if m.header.exchange == ExchangeType.IKE_AUTH]
    assert len(auth) == 1 and isinstance(auth[0].payloads[-1], SkPayload)


def test_cookie_restart_repeats_the_request_with_the_cookie_first(lab_pki: LabPki) -> None:
    gateway = ScriptedResponder(lab_pki.gateway(), Script(cookie=b"cookie-data-1234"))
    try:
        session = dial(gateway, config(lab_pki))
        connect(session)
        hang_up(session)
        inits = [m for m in gateway.received if m.header.exchange == ExchangeType.IKE_SA_INIT]
        assert len(inits) == 2
        first, second = inits
        assert second.payloads[0] == NotifyPayload(NotifyType.COOKIE, b"cookie-data-1234")
        assert second.payloads[1:] == first.payloads  # everything else unchanged
        assert second.header.spi_i == first.header.spi_i
    finally:
        gateway.close()


def _two_groups() -> tuple[Proposal, ...]:
    return numbered(
        ProtocolId.IKE,
        [_ike(AES256, SHA256, DhGroup.MODP_2048), _ike(AES256, SHA256, DhGroup.ECP_256)],
    )


def test_invalid_ke_retries_with_the_requested_offered_group(lab_pki: LabPki) -> None:
    gateway = ScriptedResponder(lab_pki.gateway(), Script(want_group=DhGroup.ECP_256))
    try:
        session = dial(gateway, replace(config(lab_pki), ike_proposals=_two_groups()))
        connect(session)
        hang_up(session)
        inits = [m for m in gateway.received if m.header.exchange == ExchangeType.IKE_SA_INIT]
        groups = [_ke_group(m) for m in inits]
        assert groups == [DhGroup.MODP_2048, DhGroup.ECP_256]
    finally:
        gateway.close()


def _ke_group(message: IkeMessage) -> int:
    ke = message.find(KePayload)
    assert ke is not None
    return ke.group


@pytest.mark.parametrize(
    ("retry", "group"),
    [(False, DhGroup.ECP_256), (True, DhGroup.ECP_384)],
    ids=["retry-off", "group-not-offered"],
)
def test_invalid_ke_without_a_usable_retry_is_a_policy_mismatch(
    lab_pki: LabPki, retry: bool, group: int
) -> None:
    gateway = ScriptedResponder(lab_pki.gateway(), Script(want_group=group))
    try:
        dial_config = replace(config(lab_pki, invalid_ke_retry=retry), ike_proposals=_two_groups())
        error, _ = failure(dial(gateway, dial_config))
        assert error.code == 13868
    finally:
        gateway.close()


# --- refusals -------------------------------------------------------------------------


def test_no_proposal_chosen_is_13868(lab_pki: LabPki) -> None:
    gateway = ScriptedResponder(lab_pki.gateway(), Script(refuse_proposals=True))
    try:
        error, _ = failure(dial(gateway, config(lab_pki)))
        assert error.code == 13868 and "NO_PROPOSAL_CHOSEN" in error.reason
    finally:
        gateway.close()


def test_authentication_failed_notify_is_13801(lab_pki: LabPki) -> None:
    gateway = ScriptedResponder(lab_pki.gateway(), Script(auth_failed_notify=True))
    try:
        error, _ = failure(dial(gateway, config(lab_pki)))
        assert error.code == 13801
    finally:
        gateway.close()


@pytest.mark.parametrize(
    ("notify", "code"),
    [
        (NotifyType.TS_UNACCEPTABLE, 842),
        (NotifyType.INTERNAL_ADDRESS_FAILURE, 840),
        (NotifyType.NO_PROPOSAL_CHOSEN, 13868),
    ],
    ids=["ts-unacceptable", "internal-address-failure", "esp-no-proposal"],
)
def test_child_sa_refusals_map_to_windows_errors_and_delete_the_ike_sa(
    lab_pki: LabPki, notify: int, code: int
) -> None:
    gateway = ScriptedResponder(lab_pki.gateway(), Script(child_notify=notify))
    try:
        error, _ = failure(dial(gateway, config(lab_pki)))
        assert error.code == code
        assert gateway.events.get(timeout=2) == "auth"
        assert gateway.events.get(timeout=2) == "informational"  # the client's Delete
    finally:
        gateway.close()


# --- hostile or broken answers --------------------------------------------------------


def test_silent_gateway_is_809_within_the_retransmission_schedule(lab_pki: LabPki) -> None:
    gateway = ScriptedResponder(lab_pki.gateway(), Script(silent_init=True))
    try:
        error, elapsed = failure(dial(gateway, config(lab_pki, time_scale=HOSTILE)))
        assert error.code == 809
        assert 0.3 <= elapsed < 2.0
        inits = [m for m in gateway.received if m.header.exchange == ExchangeType.IKE_SA_INIT]
        assert len(inits) == 5  # the profile's five transmissions
    finally:
        gateway.close()


def test_connect_timeout_ends_a_longer_schedule_with_809(lab_pki: LabPki) -> None:
    gateway = ScriptedResponder(lab_pki.gateway(), Script(silent_auth=True))
    try:
        error, elapsed = failure(dial(gateway, config(lab_pki, time_scale=1.0)), timeout=0.5)
        assert error.code == 809 and elapsed < 2.0
    finally:
        gateway.close()


def _truncate(data: bytes) -> bytes:
    return data[: len(data) // 2]


def _foreign_spi(data: bytes) -> bytes:
    return bytes(8) + data[8:]


def _flip_last_byte(data: bytes) -> bytes:
    return data[:-1] + bytes([data[-1] ^ 0x01])


@pytest.mark.parametrize("mutation", [_truncate, _foreign_spi], ids=["truncated", "foreign-spi"])
def test_undecodable_or_foreign_init_responses_are_ignored_until_809(
    lab_pki: LabPki, mutation: object
) -> None:
    gateway = ScriptedResponder(lab_pki.gateway(), Script(mutate_init=mutation))  # type: ignore[arg-type]
    try:
        session = dial(gateway, config(lab_pki, time_scale=HOSTILE))
        error, elapsed = failure(session)
        assert error.code == 809 and elapsed < 2.0
        assert any("ignoring" in line for line in session.log.lines)
    finally:
        gateway.close()


def test_init_response_with_a_short_ke_is_an_invalid_payload(lab_pki: LabPki) -> None:
    def short_ke(data: bytes) -> bytes:
        message = decode(data)
        payloads = tuple(
            KePayload(p.group, p.data[:-1]) if isinstance(p, KePayload) else p
            for p in message.payloads
        )
        return encode(IkeMessage(message.header, payloads))

    gateway = ScriptedResponder(lab_pki.gateway(), Script(mutate_init=short_ke))
    try:
        error, _ = failure(dial(gateway, config(lab_pki, time_scale=HOSTILE)))
        assert error.code == 13843 and "KE" in error.reason
    finally:
        gateway.close()


@pytest.mark.parametrize(
    "mutation",
    [_truncate, _flip_last_byte, _foreign_spi],
    ids=["truncated", "bad-icv", "foreign-spi"],
)
def test_unauthentic_auth_responses_are_dropped_until_809(
    lab_pki: LabPki, mutation: object
) -> None:
    gateway = ScriptedResponder(
        lab_pki.gateway(),
        Script(mutate_auth=mutation, fragmentation=False),  # type: ignore[arg-type]
    )
    try:
        session = dial(gateway, config(lab_pki, time_scale=HOSTILE))
        error, elapsed = failure(session)
        assert error.code == 809 and elapsed < 2.0
        assert any("dropping message" in line for line in session.log.lines)
    finally:
        gateway.close()


def test_forged_gateway_auth_is_13801_and_the_client_deletes_the_sa(lab_pki: LabPki) -> None:
    gateway = ScriptedResponder(lab_pki.gateway(), Script(forge_auth=True))
    try:
        error, _ = failure(dial(gateway, config(lab_pki)))
        assert error.code == 13801 and "AUTH" in error.reason
        assert gateway.events.get(timeout=2) == "auth"
        assert gateway.events.get(timeout=2) == "informational"
        deletes = [p for x, p in gateway.inner if x == ExchangeType.INFORMATIONAL]
        assert deletes == [(DeletePayload(ProtocolId.IKE),)]
    finally:
        gateway.close()


def test_gateway_certificate_failing_windows_checks_is_13801(lab_pki: LabPki) -> None:
    gateway = ScriptedResponder(lab_pki.gateway(GatewayCertVariant.NO_SERVER_AUTH))
    try:
        error, _ = failure(dial(gateway, config(lab_pki)))
        assert error.code == 13801 and "serverAuth" in error.reason
    finally:
        gateway.close()


# --- requests from the gateway --------------------------------------------------------


def test_liveness_check_is_answered_and_a_gateway_delete_ends_the_connection(
    lab_pki: LabPki, responder: ScriptedResponder
) -> None:
    downs: list[str] = []
    transport = Transport.open(None, LOCALHOST, local_ports=(0, 0), server_ports=responder.ports)
    session = IkeSession(transport, config(lab_pki), ClientLog(), on_down=downs.append)
    connect(session)
    responder.send_request((), message_id=0)
    assert responder.events.get(timeout=2) == "auth"
    assert responder.events.get(timeout=2) == f"response {ExchangeType.INFORMATIONAL}"
    assert session.up
    responder.send_request((DeletePayload(ProtocolId.IKE),), message_id=1)
    assert responder.events.get(timeout=2) == f"response {ExchangeType.INFORMATIONAL}"
    session.disconnect(2)
    assert session.state is State.CLOSED and downs == ["the gateway deleted the IKE SA"]
    session.close()
    transport.close()


# --- authentic but broken IKE_AUTH responses ------------------------------------------


def _without(kind: type) -> Callable[[list[Payload]], list[Payload]]:
    return lambda payloads: [p for p in payloads if not isinstance(p, kind)]


def _unoffered_esp(payloads: list[Payload]) -> list[Payload]:
    def swap(p: Payload) -> Payload:
        if not isinstance(p, SaPayload):
            return p
        chosen = p.proposals[0]
        return SaPayload((replace(chosen, number=9),))

    return [swap(p) for p in payloads]


@pytest.mark.parametrize(
    ("edit", "code"),
    [
        (_without(SaPayload), 13843),
        (_unoffered_esp, 13843),
        (_without(TsrPayload), 13843),
        (_without(CpPayload), 841),
        (_without(IdrPayload), 13843),
        (_without(CertPayload), 13801),
    ],
    ids=["no-sa", "unoffered-esp", "no-tsr", "no-virtual-ip", "no-idr", "no-certificate"],
)
def test_authentic_but_broken_auth_responses_are_classified(
    lab_pki: LabPki, edit: Callable[[list[Payload]], list[Payload]], code: int
) -> None:
    gateway = ScriptedResponder(lab_pki.gateway(), Script(edit_auth=edit))
    try:
        error, _ = failure(dial(gateway, config(lab_pki, time_scale=HOSTILE)))
        assert error.code == code, error.reason
    finally:
        gateway.close()


@settings(max_examples=15, deadline=None, derandomize=True)
@given(st.data())
def test_corrupted_init_responses_end_classified_and_in_time(
    lab_pki: LabPki, data: st.DataObject
) -> None:
    """Whatever byte of the IKE_SA_INIT response is damaged: success or a ConnectError
    from the Windows table, within the schedule; never another exception, never a hang."""

    def corrupt(response: bytes) -> bytes:
        index = data.draw(st.integers(0, len(response) - 1))
        value = data.draw(st.integers(0, 255))
        return response[:index] + bytes([value]) + response[index + 1 :]

    gateway = ScriptedResponder(lab_pki.gateway(), Script(mutate_init=corrupt))
    session = dial(gateway, config(lab_pki, time_scale=HOSTILE))
    start = time.monotonic()
    try:
        connect(session, timeout=5)
    except ConnectError as exc:
        assert exc.code in (809, 13801, 13816, 13843, 13868), exc
    else:
        hang_up(session)
    finally:
        gateway.close()  # its own failures (it cannot read a client it confused) don't matter
    assert time.monotonic() - start < 3


# --- liveness and keepalives ------------------------------------------------------------


def test_client_liveness_checks_and_giving_up_on_a_dead_gateway(lab_pki: LabPki) -> None:
    gateway = ScriptedResponder(lab_pki.gateway(), Script(silent_informational=True))
    downs: list[str] = []
    transport = Transport.open(None, LOCALHOST, local_ports=(0, 0), server_ports=gateway.ports)
    dial_config = config(lab_pki, time_scale=HOSTILE, dpd_intervals_s=(9.0,))
    session = IkeSession(transport, dial_config, ClientLog(), on_down=downs.append)
    try:
        connect(session)
        assert gateway.events.get(timeout=2) == "auth"
        assert gateway.events.get(timeout=2) == "informational (unanswered)"
        session.disconnect(3)  # returns once the liveness check has given up
        assert len(downs) == 1 and downs[0].startswith("the gateway did not answer the liveness")
        empty = [p for x, p in gateway.inner if x == ExchangeType.INFORMATIONAL]
        assert empty and all(p == () for p in empty)
    finally:
        session.close()
        transport.close()
        gateway.close()


def test_nat_keepalives_only_behind_a_nat(lab_pki: LabPki) -> None:
    def fake_nat(response: bytes) -> bytes:
        message = decode(response)
        payloads = tuple(
            NotifyPayload(p.notify_type, bytes(20))
            if isinstance(p, NotifyPayload)
            and p.notify_type == NotifyType.NAT_DETECTION_DESTINATION_IP
            else p
            for p in message.payloads
        )
        return encode(IkeMessage(message.header, payloads))

    gateway = ScriptedResponder(lab_pki.gateway(), Script(mutate_init=fake_nat))
    dial_config = config(
        lab_pki, time_scale=HOSTILE, nat_keepalive_s=20.0, dpd_intervals_s=(900.0,)
    )
    session = dial(gateway, dial_config)
    try:
        connect(session)
        assert session.behind_nat
        assert gateway.events.get(timeout=2) == "auth"
        assert gateway.events.get(timeout=2) == "keepalive"
        hang_up(session)
    finally:
        gateway.close()


def test_silent_profile_sends_nothing_after_rejecting_the_gateway(lab_pki: LabPki) -> None:
    gateway = ScriptedResponder(lab_pki.gateway(), Script(forge_auth=True))
    try:
        dial_config = config(lab_pki, on_gateway_auth_failure="silent")
        error, _ = failure(dial(gateway, dial_config))
        assert error.code == 13801
        assert gateway.events.get(timeout=2) == "auth"
        assert not [x for x, _ in gateway.inner if x == ExchangeType.INFORMATIONAL]
    finally:
        gateway.close()


def test_the_log_holds_no_keys(lab_pki: LabPki, responder: ScriptedResponder) -> None:
    session = dial(responder, config(lab_pki))
    connect(session)
    hang_up(session)
    assert session.sa is not None
    keys = session.sa.keys
    secrets = [k.hex() for k in (keys.sk_d, keys.sk_ei, keys.sk_er, keys.sk_ai, keys.sk_pi)]
    text = "\n".join(session.log.lines)
    assert not any(secret in text for secret in secrets)
    assert "PRIVATE KEY" not in text
