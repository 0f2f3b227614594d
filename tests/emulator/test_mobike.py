"""MOBIKE address updates (emulator.sa.mobike): the request's notifies per profile option,
NAT-D over the new path, the gateway's answer (error notifies, COOKIE2, a NAT on the path)."""

from __future__ import annotations

import ipaddress
import os
from dataclasses import replace

import pytest

from emulator.codec import NotifyPayload, Payload
from emulator.const import NotifyType
from emulator.profiles import load_profile
from emulator.sa import mobike
from emulator.sa.errors import ERROR_IPSEC_IKE_ERROR, ConnectError, ProtocolViolation
from emulator.sa.natt import natd_hash

OPTIONS = load_profile("win11-23h2").options
PATH = mobike.Endpoints(
    spi_i=os.urandom(8),
    spi_r=os.urandom(8),
    local=ipaddress.IPv4Address("203.0.113.2"),
    local_port=4500,
    server=ipaddress.IPv4Address("192.0.2.1"),
    server_port=4500,
)


def _types(payloads: tuple[Payload, ...]) -> list[int]:
    return [p.notify_type for p in payloads if isinstance(p, NotifyPayload)]


def _natd_d(address: str, port: int) -> NotifyPayload:
    """The gateway's NATD_D_IP: the hash of where it saw the update come from."""
    return NotifyPayload(
        NotifyType.NAT_DETECTION_DESTINATION_IP,
        natd_hash(PATH.spi_i, PATH.spi_r, ipaddress.ip_address(address), port),
    )


def test_the_default_update_carries_nat_detection_for_the_new_path() -> None:
    request = mobike.update_request(OPTIONS, PATH)
    assert _types(request.payloads) == [
        NotifyType.UPDATE_SA_ADDRESSES,
        NotifyType.NAT_DETECTION_SOURCE_IP,
        NotifyType.NAT_DETECTION_DESTINATION_IP,
    ]
    source, destination = request.payloads[1], request.payloads[2]
    assert isinstance(source, NotifyPayload) and isinstance(destination, NotifyPayload)
    assert source.data == natd_hash(PATH.spi_i, PATH.spi_r, PATH.local, 4500)
    assert destination.data == natd_hash(PATH.spi_i, PATH.spi_r, PATH.server, 4500)
    assert request.cookie2 is None


def test_the_profile_options_drop_nat_detection_and_add_the_list_and_cookie2() -> None:
    options = replace(
        OPTIONS,
        mobike_update_natd=False,
        mobike_update_address_list=True,
        mobike_update_cookie2=True,
    )
    request = mobike.update_request(options, PATH)
    assert _types(request.payloads) == [
        NotifyType.UPDATE_SA_ADDRESSES,
        NotifyType.NO_ADDITIONAL_ADDRESSES,
        NotifyType.COOKIE2,
    ]
    assert request.cookie2 is not None and len(request.cookie2) == mobike.COOKIE2_LENGTH
    assert request.payloads[2] == NotifyPayload(NotifyType.COOKIE2, request.cookie2)


def test_the_gateway_hash_tells_whether_a_nat_is_on_the_new_path() -> None:
    request = mobike.update_request(OPTIONS, PATH)
    direct = (_natd_d("203.0.113.2", 4500),)
    assert mobike.update_response(direct, request, PATH) is False
    natted = (_natd_d("192.0.2.100", 61234),)
    assert mobike.update_response(natted, request, PATH) is True
    assert mobike.update_response((), request, PATH) is False


def test_a_refused_update_ends_with_the_windows_error() -> None:
    request = mobike.update_request(OPTIONS, PATH)
    refusal = (NotifyPayload(NotifyType.UNACCEPTABLE_ADDRESSES),)
    with pytest.raises(ConnectError) as raised:
        mobike.update_response(refusal, request, PATH)
    assert raised.value.code == ERROR_IPSEC_IKE_ERROR
    assert "UNACCEPTABLE_ADDRESSES" in raised.value.reason


def test_a_cookie2_that_is_not_echoed_is_rejected() -> None:
    options = replace(OPTIONS, mobike_update_cookie2=True)
    request = mobike.update_request(options, PATH)
    assert request.cookie2 is not None
    echoed = (NotifyPayload(NotifyType.COOKIE2, request.cookie2),)
    assert mobike.update_response(echoed, request, PATH) is False
    with pytest.raises(ProtocolViolation, match="COOKIE2"):
        mobike.update_response((NotifyPayload(NotifyType.COOKIE2, bytes(16)),), request, PATH)
    with pytest.raises(ProtocolViolation, match="COOKIE2"):
        mobike.update_response((), request, PATH)


def test_only_a_gateway_announcing_mobike_gets_updates() -> None:
    assert mobike.peer_supports((NotifyPayload(NotifyType.MOBIKE_SUPPORTED),))
    assert not mobike.peer_supports((NotifyPayload(NotifyType.NAT_DETECTION_SOURCE_IP),))
