"""Summaries match the strings charon logs (windows-client-behavior.md 0.3, 1.2, 2.2, 2.7)."""

from __future__ import annotations

import pytest

from emulator.codec import (
    AuthPayload,
    CertPayload,
    CertReqPayload,
    ConfigAttribute,
    CpPayload,
    EapPayload,
    IdiPayload,
    IdrPayload,
    IkeMessage,
    NotifyPayload,
    Payload,
    SkfPayload,
    SkPayload,
    TsiPayload,
    TsrPayload,
    UnknownPayload,
    describe,
    summarize,
)
from emulator.const import (
    AuthMethod,
    CfgType,
    ConfigAttributeType,
    EapCode,
    EapType,
    ExchangeType,
    HeaderFlag,
    IdType,
    NotifyType,
)
from tests.emulator.samples import (
    ALL_TRAFFIC,
    CP_REQUEST,
    ESP_SA,
    SAMPLE_PAYLOADS,
    header,
    windows_sa_init,
)


def test_windows_ike_sa_init_request() -> None:
    assert describe(windows_sa_init()) == (
        "IKE_SA_INIT request 0 [ SA KE No N(FRAG_SUP) N(NATD_S_IP) N(NATD_D_IP) V V V V ]"
    )


def test_windows_machine_cert_ike_auth() -> None:
    payloads: list[Payload] = [
        IdiPayload(IdType.DER_ASN1_DN, b"dn"),
        CertPayload(4, b"cert"),
        CertReqPayload(4, bytes(20)),
        AuthPayload(AuthMethod.RSA_SIGNATURE, b"sig"),
        NotifyPayload(NotifyType.MOBIKE_SUPPORTED),
        CP_REQUEST,
        ESP_SA,
        TsiPayload(ALL_TRAFFIC),
        TsrPayload(ALL_TRAFFIC),
    ]
    assert summarize(payloads) == (
        "[ IDi CERT CERTREQ AUTH N(MOBIKE_SUP) CPRQ(ADDR DNS NBNS SRV ADDR6 DNS6 SRV6) SA TSi TSr ]"
    )


@pytest.mark.parametrize(
    ("payload", "label"),
    [
        (EapPayload(EapCode.RESPONSE, 1, EapType.IDENTITY, b"u"), "EAP/RES/ID"),
        (EapPayload(EapCode.REQUEST, 2, EapType.TLS, b"\x20"), "EAP/REQ/TLS"),
        (EapPayload(EapCode.RESPONSE, 3, EapType.NAK, b"\x1a"), "EAP/RES/NAK"),
        (EapPayload(EapCode.REQUEST, 4, EapType.MSCHAPV2, b"\x01"), "EAP/REQ/MSCHAPV2"),
        (EapPayload(EapCode.SUCCESS, 5), "EAP/SUCC"),
        (EapPayload(EapCode.FAILURE, 6), "EAP/FAIL"),
        (
            EapPayload(EapCode.REQUEST, 7, EapType.EXPANDED, bytes.fromhex("00013700000021")),
            "EAP/REQ/33-MS",
        ),
        (SkfPayload(2, 5, 0, b""), "EF(2/5)"),
        (SkPayload(35, b""), "E"),
        (
            NotifyPayload(NotifyType.MS_NOTIFY_STATUS, (13863).to_bytes(4, "big")),
            "N(MS_STATUS(13863))",
        ),
        (NotifyPayload(NotifyType.MS_NOTIFY_STATUS, b""), "N(MS_STATUS)"),
        (NotifyPayload(40000), "N((40000))"),
        (NotifyPayload(NotifyType.AUTHENTICATION_FAILED), "N(AUTH_FAILED)"),
        (NotifyPayload(NotifyType.INVALID_KE_PAYLOAD, b"\x00\x0e"), "N(INVAL_KE)"),
        (NotifyPayload(NotifyType.NO_PROPOSAL_CHOSEN), "N(NO_PROP)"),
        (
            CpPayload(
                CfgType.REPLY,
                (
                    ConfigAttribute(ConfigAttributeType.INTERNAL_IP4_ADDRESS, b"\0" * 4),
                    ConfigAttribute(ConfigAttributeType.INTERNAL_IP6_ADDRESS, b"\0" * 17),
                    ConfigAttribute(ConfigAttributeType.INTERNAL_IP4_DNS, b"\0" * 4),
                ),
            ),
            "CPRP(ADDR ADDR6 DNS)",
        ),
        (CpPayload(CfgType.REQUEST, ()), "CP"),
        (UnknownPayload(99, b""), "UNKN(99)"),
        (IdrPayload(IdType.FQDN, b"gw"), "IDr"),
    ],
)
def test_payload_labels(payload: Payload, label: str) -> None:
    assert summarize([payload]) == f"[ {label} ]"


def test_gateway_eap_challenge_response_line() -> None:
    message = IkeMessage(header(ExchangeType.IKE_AUTH, 1, HeaderFlag.RESPONSE), ())
    inner = [
        IdrPayload(IdType.FQDN, b"gw"),
        SAMPLE_PAYLOADS["cert"],
        AuthPayload(AuthMethod.ECDSA_SHA256_P256, b"s"),
        EapPayload(EapCode.REQUEST, 1, EapType.IDENTITY),
    ]
    assert describe(message, inner) == "IKE_AUTH response 1 [ IDr CERT AUTH EAP/REQ/ID ]"


def test_sealed_message_without_inner_payloads() -> None:
    message = IkeMessage(header(ExchangeType.IKE_AUTH, 2), (SkPayload(48, b"\0" * 32),))
    assert describe(message) == "IKE_AUTH request 2 [ E ]"


def test_empty_and_unknown_exchange() -> None:
    assert describe(IkeMessage(header(ExchangeType.INFORMATIONAL, 9))) == (
        "INFORMATIONAL request 9 [ ]"
    )
    assert describe(IkeMessage(header(99, 0))) == "(99) request 0 [ ]"
