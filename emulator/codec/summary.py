"""One-line message summaries in strongSwan's notation.

charon logs every message as ``IKE_AUTH request 1 [ IDi CERTREQ N(MOBIKE_SUP) ... ]``
(``message.c`` get_string()). Producing the same text from the emulator's side lets
client logs, gateway logs and windows-client-behavior.md be compared by eye and by
string equality. The abbreviations below are facts read from strongSwan's enum name
tables (payload.c, notify_payload.c, attributes.c, eap.c, pen.c); numbers strongSwan
has no name for print as ``(n)``, as its enum printer does.
"""

from __future__ import annotations

from collections.abc import Sequence

from emulator.codec.message import IkeMessage
from emulator.codec.payloads import (
    CpPayload,
    EapPayload,
    NotifyPayload,
    Payload,
    SkfPayload,
    UnknownPayload,
)
from emulator.const import CfgType, ConfigAttributeType, EapType, ExchangeType, NotifyType
from emulator.const import PayloadType as P

_PAYLOAD: dict[int, str] = {
    P.SA: "SA",
    P.KE: "KE",
    P.IDI: "IDi",
    P.IDR: "IDr",
    P.CERT: "CERT",
    P.CERTREQ: "CERTREQ",
    P.AUTH: "AUTH",
    P.NONCE: "No",
    P.NOTIFY: "N",
    P.DELETE: "D",
    P.VENDOR_ID: "V",
    P.TSI: "TSi",
    P.TSR: "TSr",
    P.SK: "E",
    P.CP: "CP",
    P.EAP: "EAP",
    P.SKF: "EF",
}

N = NotifyType
_NOTIFY: dict[int, str] = {
    N.UNSUPPORTED_CRITICAL_PAYLOAD: "CRIT",
    N.INVALID_IKE_SPI: "INVAL_IKE_SPI",
    N.INVALID_MAJOR_VERSION: "INVAL_MAJOR",
    N.INVALID_SYNTAX: "INVAL_SYN",
    N.INVALID_MESSAGE_ID: "INVAL_MID",
    N.INVALID_SPI: "INVAL_SPI",
    13: "ATTR_UNSUP",
    N.NO_PROPOSAL_CHOSEN: "NO_PROP",
    16: "PLD_MAL",
    N.INVALID_KE_PAYLOAD: "INVAL_KE",
    18: "INVAL_ID",
    19: "INVAL_CERTEN",
    20: "INVAL_CERT",
    21: "CERT_UNSUP",
    22: "INVAL_CA",
    23: "INVAL_HASH",
    N.AUTHENTICATION_FAILED: "AUTH_FAILED",
    N.SINGLE_PAIR_REQUIRED: "SINGLE_PAIR",
    N.NO_ADDITIONAL_SAS: "NO_ADD_SAS",
    N.INTERNAL_ADDRESS_FAILURE: "INT_ADDR_FAIL",
    N.FAILED_CP_REQUIRED: "FAIL_CP_REQ",
    N.TS_UNACCEPTABLE: "TS_UNACCEPT",
    N.INVALID_SELECTORS: "INVAL_SEL",
    N.UNACCEPTABLE_ADDRESSES: "UNACCEPT_ADDR",
    N.UNEXPECTED_NAT_DETECTED: "UNEXPECT_NAT",
    N.USE_ASSIGNED_HOA: "ASSIGNED_HoA",
    N.TEMPORARY_FAILURE: "TEMP_FAIL",
    N.CHILD_SA_NOT_FOUND: "NO_CHILD_SA",
    N.STATE_NOT_FOUND: "NO_STATE",
    N.TS_MAX_QUEUE: "MAX_QUEUE",
    8192: "ME_CONN_FAIL",
    N.MS_NOTIFY_STATUS: "MS_STATUS",
    N.INITIAL_CONTACT: "INIT_CONTACT",
    N.SET_WINDOW_SIZE: "SET_WINSIZE",
    N.ADDITIONAL_TS_POSSIBLE: "ADD_TS_POSS",
    N.IPCOMP_SUPPORTED: "IPCOMP_SUP",
    N.NAT_DETECTION_SOURCE_IP: "NATD_S_IP",
    N.NAT_DETECTION_DESTINATION_IP: "NATD_D_IP",
    N.COOKIE: "COOKIE",
    N.USE_TRANSPORT_MODE: "USE_TRANSP",
    N.HTTP_CERT_LOOKUP_SUPPORTED: "HTTP_CERT_LOOK",
    N.REKEY_SA: "REKEY_SA",
    N.ESP_TFC_PADDING_NOT_SUPPORTED: "ESP_TFC_PAD_N",
    N.NON_FIRST_FRAGMENTS_ALSO: "NON_FIRST_FRAG",
    N.MOBIKE_SUPPORTED: "MOBIKE_SUP",
    N.ADDITIONAL_IP4_ADDRESS: "ADD_4_ADDR",
    N.ADDITIONAL_IP6_ADDRESS: "ADD_6_ADDR",
    N.NO_ADDITIONAL_ADDRESSES: "NO_ADD_ADDR",
    N.UPDATE_SA_ADDRESSES: "UPD_SA_ADDR",
    N.COOKIE2: "COOKIE2",
    N.NO_NATS_ALLOWED: "NO_NATS",
    N.AUTH_LIFETIME: "AUTH_LFT",
    N.MULTIPLE_AUTH_SUPPORTED: "MULT_AUTH",
    N.ANOTHER_AUTH_FOLLOWS: "AUTH_FOLLOWS",
    N.REDIRECT_SUPPORTED: "REDIR_SUP",
    N.REDIRECT: "REDIR",
    N.REDIRECTED_FROM: "REDIR_FROM",
    N.TICKET_LT_OPAQUE: "TKT_LT_OPAK",
    N.TICKET_REQUEST: "TKT_REQ",
    N.TICKET_ACK: "TKT_ACK",
    N.TICKET_NACK: "TKT_NACK",
    N.TICKET_OPAQUE: "TKT_OPAK",
    N.LINK_ID: "LINK_ID",
    N.USE_WESP_MODE: "WESP_MODE",
    N.ROHC_SUPPORTED: "ROHC_SUP",
    N.EAP_ONLY_AUTHENTICATION: "EAP_ONLY",
    N.CHILDLESS_IKEV2_SUPPORTED: "CHDLESS_SUP",
    N.QUICK_CRASH_DETECTION: "CRASH_DET",
    N.IKEV2_MESSAGE_ID_SYNC_SUPPORTED: "MSG_ID_SYN_SUP",
    N.IPSEC_REPLAY_COUNTER_SYNC_SUPPORTED: "RPL_CTR_SYN_SUP",
    N.IKEV2_MESSAGE_ID_SYNC: "MSG_ID_SYN",
    N.IPSEC_REPLAY_COUNTER_SYNC: "RPL_CTR_SYN",
    N.SECURE_PASSWORD_METHODS: "SEC_PASSWD",
    N.PSK_PERSIST: "PSK_PST",
    N.PSK_CONFIRM: "PSK_CFM",
    N.ERX_SUPPORTED: "ERX_SUP",
    N.IFOM_CAPABILITY: "IFOM_CAP",
    N.SENDER_REQUEST_ID: "SENDER_REQ_ID",
    N.IKEV2_FRAGMENTATION_SUPPORTED: "FRAG_SUP",
    N.SIGNATURE_HASH_ALGORITHMS: "HASH_ALG",
    N.USE_PPK: "USE_PPK",
    N.PPK_IDENTITY: "PPK_ID",
    N.NO_PPK_AUTH: "NO_PPK",
    N.INTERMEDIATE_EXCHANGE_SUPPORTED: "IKE_INT_SUP",
    N.ADDITIONAL_KEY_EXCHANGE: "ADD_KE",
    N.USE_AGGFRAG: "AGGFRAG",
    N.SA_RESOURCE_INFO: "RES_INFO",
}

A = ConfigAttributeType
_CP_ATTRIBUTE: dict[int, str] = {
    A.INTERNAL_IP4_ADDRESS: "ADDR",
    A.INTERNAL_IP4_NETMASK: "MASK",
    A.INTERNAL_IP4_DNS: "DNS",
    A.INTERNAL_IP4_NBNS: "NBNS",
    A.INTERNAL_ADDRESS_EXPIRY: "EXP",
    A.INTERNAL_IP4_DHCP: "DHCP",
    A.APPLICATION_VERSION: "VER",
    A.INTERNAL_IP6_ADDRESS: "ADDR6",
    A.INTERNAL_IP6_NETMASK: "MASK6",
    A.INTERNAL_IP6_DNS: "DNS6",
    A.INTERNAL_IP6_NBNS: "NBNS6",
    A.INTERNAL_IP6_DHCP: "DHCP6",
    A.INTERNAL_IP4_SUBNET: "SUBNET",
    A.SUPPORTED_ATTRIBUTES: "SUP",
    A.INTERNAL_IP6_SUBNET: "SUBNET6",
    A.MIP6_HOME_PREFIX: "MIP6HPFX",
    A.INTERNAL_IP6_LINK: "LINK6",
    A.INTERNAL_IP6_PREFIX: "PFX6",
    A.HOME_AGENT_ADDRESS: "HOA",
    A.P_CSCF_IP4_ADDRESS: "PCSCF4",
    A.P_CSCF_IP6_ADDRESS: "PCSCF6",
    A.FTT_KAT: "FTTKAT",
    A.EXTERNAL_SOURCE_IP4_NAT_INFO: "EXTSRC4",
    A.TIMEOUT_PERIOD_FOR_LIVENESS_CHECK: "DPD",
    A.INTERNAL_DNS_DOMAIN: "DOMAIN",
    A.INTERNAL_DNSSEC_TA: "TA",
    A.INTERNAL_IP4_SERVER: "SRV",
    A.INTERNAL_IP6_SERVER: "SRV6",
}

_CP_PREFIX: dict[int, str] = {
    CfgType.REQUEST: "RQ(",
    CfgType.REPLY: "RP(",
    CfgType.SET: "S(",
    CfgType.ACK: "A(",
}

_EAP_CODE: dict[int, str] = {1: "REQ", 2: "RES", 3: "SUCC", 4: "FAIL"}

_EAP_TYPE: dict[int, str] = {
    EapType.IDENTITY: "ID",
    EapType.NOTIFICATION: "NTF",
    EapType.NAK: "NAK",
    EapType.MD5_CHALLENGE: "MD5",
    EapType.OTP: "OTP",
    EapType.GTC: "GTC",
    EapType.TLS: "TLS",
    EapType.SIM: "SIM",
    EapType.TTLS: "TTLS",
    EapType.AKA: "AKA",
    EapType.PEAP: "PEAP",
    EapType.MSCHAPV2: "MSCHAPV2",
    EapType.MSTLV: "MSTLV",
    EapType.TNC: "TNC",
    EapType.PT_EAP: "PT",
    EapType.EXPANDED: "EXP",
    EapType.EXPERIMENTAL: "XP",
}

_VENDOR: dict[int, str] = {
    0: "IETF",
    2: "IBM",
    311: "MS",
    2312: "RH",
    2699: "PWG",
    3076: "ALT",
    9048: "OSC",
    9586: "DEB",
    11129: "GOO",
    21911: "TCG",
    28978: "CAN",
    30401: "FED",
    32939: "FHH",
    36906: "ITA",
    38158: "PTS",
    16777214: "UNAS",
    16777215: "RES",
}

_EXCHANGE: dict[int, str] = {e: e.name for e in ExchangeType}


def _name(table: dict[int, str], value: int) -> str:
    return table.get(value, f"({value})")


def _eap_method(payload: EapPayload) -> str:
    """strongSwan's ``/TYPE`` suffix; expanded types print as ``/<type>-<vendor>``."""
    if payload.eap_type is None:
        return ""
    if payload.eap_type == EapType.EXPANDED:
        if len(payload.data) < 7:
            return ""  # charon finds no type in a truncated expanded header
        vendor = int.from_bytes(payload.data[0:3], "big")
        vendor_type = int.from_bytes(payload.data[3:7], "big")
        if vendor == 0:
            return f"/{_name(_EAP_TYPE, vendor_type)}"
        return f"/{vendor_type}-{_name(_VENDOR, vendor)}"
    return f"/{_name(_EAP_TYPE, payload.eap_type)}"


def payload_label(payload: Payload) -> str:
    """One payload as strongSwan prints it, e.g. ``N(FRAG_SUP)`` or ``EF(2/5)``."""
    match payload:
        case NotifyPayload():
            label = _name(_NOTIFY, payload.notify_type)
            if payload.notify_type == NotifyType.MS_NOTIFY_STATUS and len(payload.data) == 4:
                # charon decodes the Win32 error code carried by Microsoft's status notify
                label += f"({int.from_bytes(payload.data, 'big', signed=True)})"
            return f"N({label})"
        case EapPayload():
            return f"EAP/{_name(_EAP_CODE, payload.code)}{_eap_method(payload)}"
        case CpPayload():
            names = [_name(_CP_ATTRIBUTE, a.attr_type) for a in payload.attributes]
            if not names:
                return "CP"
            return "CP" + _CP_PREFIX.get(payload.cfg_type, "(") + " ".join(names) + ")"
        case SkfPayload():
            return f"EF({payload.fragment_number}/{payload.total_fragments})"
        case UnknownPayload():
            return f"UNKN({payload.unknown_type})"
    return _PAYLOAD[payload.payload_type]


def summarize(payloads: Sequence[Payload]) -> str:
    """``[ SA KE No N(FRAG_SUP) ... ]`` for a payload list (inner payloads for SK)."""
    return "[ " + "".join(payload_label(p) + " " for p in payloads) + "]"


def describe(message: IkeMessage, inner: Sequence[Payload] | None = None) -> str:
    """charon's full line, ``IKE_AUTH request 1 [ ... ]``.

    charon logs encrypted messages with their decrypted payloads; pass them as
    ``inner`` to get the same text, otherwise the still-sealed SK prints as ``E``.
    """
    header = message.header
    kind = "response" if header.is_response else "request"
    payloads = message.payloads if inner is None else inner
    exchange = _name(_EXCHANGE, header.exchange)
    return f"{exchange} {kind} {header.message_id} {summarize(payloads)}"
