"""Typed facts about one gateway-side capture, as tshark (not the emulator) decoded it.

Why a separate, plain data layer: suites assert on the wire through these facts, never on
pyshark objects (DESIGN.md: nothing in suites/ imports pyshark), and the verdict must come
from a decoder independent of the emulator's own codec, so no constant here is shared with
`emulator/`. Protocol numbers stay ints (IANA values) so a failure message can quote exactly
what was on the wire; names exist only in `IkeMessage.summary()`, spelled as strongSwan 5.9.8
logs them ("parsed IKE_AUTH request 1 [ ... ]") so a summary can be compared with the
gateway log line by line.
"""

from __future__ import annotations

import enum
import hashlib
import ipaddress
import struct
from dataclasses import dataclass


class Exchange(enum.IntEnum):
    """IKEv2 exchange types (RFC 7296 3.1)."""

    IKE_SA_INIT = 34
    IKE_AUTH = 35
    CREATE_CHILD_SA = 36
    INFORMATIONAL = 37


class Payload(enum.IntEnum):
    """IKEv2 payload types (RFC 7296 3.2, RFC 7383 for SKF)."""

    SA = 33
    KE = 34
    IDI = 35
    IDR = 36
    CERT = 37
    CERTREQ = 38
    AUTH = 39
    NONCE = 40
    NOTIFY = 41
    DELETE = 42
    VENDOR_ID = 43
    TSI = 44
    TSR = 45
    SK = 46
    CP = 47
    EAP = 48
    SKF = 53


NAT_DETECTION_SOURCE_IP = 16388
NAT_DETECTION_DESTINATION_IP = 16389
MS_NOTIFY_STATUS = 12345
"""Microsoft's private notify carrying a Windows error number (strongSwan: N(MS_STATUS(n)))."""
MOBIKE_SUPPORTED = 16396
UPDATE_SA_ADDRESSES = 16400
COOKIE2 = 16401
"""RFC 4555 3.4-3.5: MOBIKE support, the address update and its return routability cookie."""
MULTIPLE_AUTH_SUPPORTED = 16404
ANOTHER_AUTH_FOLLOWS = 16405
"""RFC 4739 3: support for, and the announcement of, another authentication round."""
REDIRECT_SUPPORTED = 16406
REDIRECT = 16407
REDIRECTED_FROM = 16408
"""RFC 5685: redirect support (IKE_SA_INIT), the redirect itself, and the new SA's origin."""


# --- strongSwan 5.9.8 short names (message.c get_string and the enum tables it uses) ---


def _run(start: int, names: str) -> dict[int, str]:
    """Consecutive enum values from START, as strongSwan's ENUM_NEXT ranges declare them."""
    return {start + offset: name for offset, name in enumerate(names.split())}


_EXCHANGE_NAMES = _run(34, "IKE_SA_INIT IKE_AUTH CREATE_CHILD_SA INFORMATIONAL IKE_SESSION_RESUME")

_PAYLOAD_NAMES = _run(
    33, "SA KE IDi IDr CERT CERTREQ AUTH No N D V TSi TSr E CP EAP GSPM IDg GSA KD EF"
)

_NOTIFY_NAMES = {
    1: "CRIT",
    **_run(4, "INVAL_IKE_SPI INVAL_MAJOR"),
    7: "INVAL_SYN",
    9: "INVAL_MID",
    11: "INVAL_SPI",
    **_run(13, "ATTR_UNSUP NO_PROP"),
    **_run(16, "PLD_MAL INVAL_KE INVAL_ID INVAL_CERTEN INVAL_CERT CERT_UNSUP INVAL_CA INVAL_HASH"),
    24: "AUTH_FAILED",
    **_run(
        34,
        "SINGLE_PAIR NO_ADD_SAS INT_ADDR_FAIL FAIL_CP_REQ TS_UNACCEPT INVAL_SEL UNACCEPT_ADDR"
        " UNEXPECT_NAT ASSIGNED_HoA TEMP_FAIL NO_CHILD_SA",
    ),
    8192: "ME_CONN_FAIL",
    MS_NOTIFY_STATUS: "MS_STATUS",
    **_run(
        16384,
        "INIT_CONTACT SET_WINSIZE ADD_TS_POSS IPCOMP_SUP NATD_S_IP NATD_D_IP COOKIE USE_TRANSP"
        " HTTP_CERT_LOOK REKEY_SA ESP_TFC_PAD_N NON_FIRST_FRAG MOBIKE_SUP ADD_4_ADDR ADD_6_ADDR"
        " NO_ADD_ADDR UPD_SA_ADDR COOKIE2 NO_NATS AUTH_LFT MULT_AUTH AUTH_FOLLOWS REDIR_SUP REDIR"
        " REDIR_FROM TKT_LT_OPAK TKT_REQ TKT_ACK TKT_NACK TKT_OPAK LINK_ID WESP_MODE ROHC_SUP"
        " EAP_ONLY CHDLESS_SUP CRASH_DET MSG_ID_SYN_SUP RPL_CTR_SYN_SUP MSG_ID_SYN RPL_CTR_SYN"
        " SEC_PASSWD PSK_PST PSK_CFM ERX_SUP IFOM_CAP SENDER_REQ_ID FRAG_SUP HASH_ALG",
    ),
    **_run(16435, "USE_PPK PPK_ID NO_PPK"),
    24578: "INITIAL_CONTACT",
    **_run(36136, "DPD DPD_ACK"),
    40501: "UNITY_LB",
    **_run(40961, "BEET_MODE ME_MED ME_EP ME_CB ME_CID ME_CKEY ME_CAUTH ME_R RADIUS"),
}

_CP_TYPE_PREFIX = {1: "RQ(", 2: "RP(", 3: "S(", 4: "A("}

_CP_ATTRIBUTE_NAMES = {
    **_run(
        1,
        "ADDR MASK DNS NBNS EXP DHCP VER ADDR6 MASK6 DNS6 NBNS6 DHCP6 SUBNET SUP SUBNET6"
        " MIP6HPFX LINK6 PFX6 HOA PCSCF4 PCSCF6 FTTKAT EXTSRC4 DPD DOMAIN TA",
    ),
    **_run(16520, "X_TYPE X_USER X_PWD X_CODE X_MSG X_CHALL X_DOMAIN X_STATUS X_PIN X_ANSWER"),
    **_run(23456, "SRV SRV6"),
    **_run(
        28672,
        "U_BANNER U_SAVEPWD U_DEFDOM U_SPLITDNS U_SPLITINC U_NATTPORT U_LOCALLAN U_PFS"
        " U_FWTYPE U_BKPSRV U_DDNSHOST",
    ),
}

_EAP_CODE_NAMES = _run(1, "REQ RES SUCC FAIL")

_EAP_TYPE_NAMES = {
    **_run(1, "ID NTF NAK MD5 OTP GTC"),
    13: "TLS",
    18: "SIM",
    21: "TTLS",
    23: "AKA",
    **_run(25, "PEAP MSCHAPV2"),
    33: "MSTLV",
    38: "TNC",
    54: "PT",
    **_run(254, "EXP XP"),
}


def _name(table: dict[int, str], value: int) -> str:
    """strongSwan's %N: the short name, or the number in parentheses when it has none."""
    return table.get(value, f"({value})")


# --- the facts ---


@dataclass(frozen=True)
class Transform:
    """One transform of a proposal; `id` is the algorithm number of transform `type`."""

    type: int
    id: int
    key_length: int | None = None


@dataclass(frozen=True)
class Proposal:
    number: int
    protocol: int
    spi: bytes = b""
    transforms: tuple[Transform, ...] = ()

    def transform_ids(self, transform_type: int) -> tuple[int, ...]:
        """The algorithm numbers offered for one transform type (1 ENCR, 2 PRF, 3 INTEG, 4 DH)."""
        return tuple(t.id for t in self.transforms if t.type == transform_type)


@dataclass(frozen=True)
class Notify:
    type: int
    protocol: int = 0
    spi: bytes = b""
    data: bytes = b""


@dataclass(frozen=True)
class Delete:
    """A Delete payload: protocol (1 IKE, 3 ESP) and the SPIs it deletes (none for IKE)."""

    protocol: int
    spis: tuple[bytes, ...] = ()


@dataclass(frozen=True)
class Identity:
    """An ID payload. `data` is text for FQDN / user FQDN / IP addresses, a DN in strongSwan's
    form ("C=CH, O=winterop, CN=client1.example.test", comparable with VICI and the gateway
    log), and lower-case hex for anything else (KEY_ID, DER_ASN1_GN, unknown types)."""

    type: int
    data: str


@dataclass(frozen=True)
class CpAttribute:
    """A configuration attribute; `value` is tshark's text (an address, "addr/mask" for subnets),
    hex when tshark has no interpretation, "" for an empty (requested) attribute."""

    type: int
    value: str = ""


@dataclass(frozen=True)
class ConfigPayload:
    type: int
    attributes: tuple[CpAttribute, ...] = ()

    def values(self, attribute_type: int) -> tuple[str, ...]:
        return tuple(a.value for a in self.attributes if a.type == attribute_type)


@dataclass(frozen=True)
class TrafficSelector:
    ts_type: int
    protocol: int
    start_port: int
    end_port: int
    start: str
    end: str


@dataclass(frozen=True)
class TlsRecord:
    """One TLS record tshark dissected inside an EAP packet.

    tshark reassembles EAP-TLS fragments (RFC 5216 L/M flags) and dissects the TLS records on
    the frame whose fragment completed the reassembly, so a flight split over several EAP
    packets shows up whole on its last one. `content_type` is the record's type (RFC 8446
    5.1: 20 ChangeCipherSpec, 21 Alert, 22 Handshake, 23 Application Data; for a TLS 1.3
    encrypted record, its opaque type 23). `handshakes` are the handshake message types
    (RFC 8446 4: 1 ClientHello, 2 ServerHello, 11 Certificate, 12 ServerKeyExchange,
    13 CertificateRequest, 14 ServerHelloDone, 15 CertificateVerify, 16 ClientKeyExchange,
    ...) of a Handshake record, in order; empty when the record is encrypted (the Finished
    after ChangeCipherSpec, Wireshark's "Encrypted Handshake Message")."""

    content_type: int
    handshakes: tuple[int, ...] = ()


@dataclass(frozen=True)
class EapFacts:
    """The EAP packet inside an EAP payload (`type` is None for Success / Failure).

    `tls_records` are the TLS records tshark decoded in this packet (EAP-TLS, and the TLS
    tunnel of PEAP / TTLS), empty for a fragment that did not complete a reassembly;
    `tls_version` is the version a ServerHello in them selected (its supported_versions
    extension for TLS 1.3, else its legacy version: 0x0303 TLS 1.2), None without one."""

    code: int
    identifier: int
    type: int | None = None
    identity: str | None = None
    mschapv2_opcode: int | None = None
    tls_flags: int | None = None
    tls_records: tuple[TlsRecord, ...] = ()
    tls_version: int | None = None

    def tls_content_types(self) -> tuple[int, ...]:
        """The content type of each TLS record, in order."""
        return tuple(r.content_type for r in self.tls_records)

    def tls_handshake_types(self) -> tuple[int, ...]:
        """The decoded handshake message types of all records, in order (encrypted handshake
        messages have no visible type and are left out)."""
        return tuple(h for r in self.tls_records for h in r.handshakes)


@dataclass(frozen=True, kw_only=True)
class EspPacket:
    """One ESP frame (UDP-encapsulated on port 4500): outer addresses and SPI; when tshark
    decrypted it with the gateway's CHILD SA keys, the inner packet's addresses and
    innermost protocol ("icmp", "dhcp", ...) with a short detail."""

    frame: int
    time: float
    spi: str
    src: str
    dst: str
    decrypted: bool = False
    inner_src: str = ""
    inner_dst: str = ""
    inner_protocol: str = ""
    inner_detail: str = ""
    dhcp_type: int = 0
    """The inner DHCP message's type (option 53: 8 DHCPINFORM, 5 DHCPACK); 0: not DHCP."""
    dhcp_vendor_class: str = ""
    """Its vendor class identifier (option 60)."""
    dhcp_routes: tuple[str, ...] = ()
    """Its option 249 (Microsoft classless static routes) as "prefix via router", decoded
    here from the option's bytes (tshark shows them as hex only); "malformed: ..." when the
    bytes are not RFC 3442 routes."""

    def summary(self) -> str:
        if not self.decrypted:
            return f"ESP (SPI={self.spi}), not decrypted"
        detail = f" {self.inner_detail}" if self.inner_detail else ""
        return (
            f"ESP (SPI={self.spi}): {self.inner_protocol.upper() or 'IP'}{detail} "
            f"{self.inner_src} -> {self.inner_dst}"
        )


@dataclass(frozen=True, kw_only=True)
class IkeMessage:
    """One IKE frame of the capture.

    A fragmented message (RFC 7383) is one IkeMessage per fragment frame: every fragment has
    `fragment=(number, total)` and `outer=(53,)`; the frame on which tshark completed the
    reassembly has `reassembled=True` and carries the decrypted payloads of the whole message.
    `payloads` are the decrypted inner payloads of SK/SKF messages (empty, with
    `decrypted=False`, when the key table lacks this IKE SA), and equal `outer` for
    unencrypted messages. `initiator` is the I flag (sent by the original initiator),
    `response` the R flag. `certs` are DER certificates (tshark's raw bytes of CERT payloads
    in X.509 encoding), `certreq_authorities` the 20-byte CA key hashes of all CERTREQs.
    """

    frame: int
    time: float
    """When the frame was captured: wall-clock seconds (epoch), the clock of ping -D too."""
    src: str
    sport: int
    dst: str
    dport: int
    spi_i: bytes
    spi_r: bytes
    exchange: int
    message_id: int
    initiator: bool
    response: bool
    payloads: tuple[int, ...] = ()
    outer: tuple[int, ...] = ()
    encrypted: bool = False
    decrypted: bool = False
    fragment: tuple[int, int] | None = None
    reassembled: bool = False
    proposals: tuple[Proposal, ...] = ()
    notifies: tuple[Notify, ...] = ()
    vendor_ids: tuple[bytes, ...] = ()
    idi: Identity | None = None
    idr: Identity | None = None
    auth_method: int | None = None
    certs: tuple[bytes, ...] = ()
    certreq_authorities: tuple[bytes, ...] = ()
    cp: ConfigPayload | None = None
    tsi: tuple[TrafficSelector, ...] = ()
    tsr: tuple[TrafficSelector, ...] = ()
    eap: EapFacts | None = None
    ke_group: int | None = None
    nonce_length: int | None = None
    deletes: tuple[Delete, ...] = ()
    ip_length: int = 0
    """The IP datagram in bytes (IPv4 total length, IPv6 payload + 40): what must fit the
    path MTU. For a datagram tshark reassembled from IP fragments, the whole datagram's."""
    ip_fragments: int = 0
    """How many IP fragments the datagram arrived in (0: it was not IP-fragmented); a
    client without RFC 7383 sends a large IKE_AUTH this way (reference 2.1)."""
    malformed: bool = False
    warnings: tuple[str, ...] = ()
    """tshark's expert messages of warning severity or worse (e.g. "IKEv2 Integrity Checksum
    Data is incorrect", which tshark reports but still shows the decrypted payloads)."""

    def notify_types(self) -> tuple[int, ...]:
        return tuple(n.type for n in self.notifies)

    def find_notify(self, notify_type: int) -> Notify | None:
        """The first notify of NOTIFY_TYPE in this message, if any."""
        return next((n for n in self.notifies if n.type == notify_type), None)

    def summary(self) -> str:
        """The payload list as strongSwan logs it: `IKE_AUTH request 1 [ IDi CERT ... ]`.

        Messages tshark could not decrypt, and fragments that do not carry the reassembled
        message, show their outer payloads (`E`, `EF(1/2)`), as strongSwan does for each
        fragment before reassembly.
        """
        kind = "response" if self.response else "request"
        labels = self._inner_labels() if self._shows_inner() else self._outer_labels()
        body = "".join(f" {label}" for label in labels)
        return f"{_name(_EXCHANGE_NAMES, self.exchange)} {kind} {self.message_id} [{body} ]"

    def _shows_inner(self) -> bool:
        if not self.encrypted:
            return True
        return self.decrypted and (self.fragment is None or self.reassembled)

    def _outer_labels(self) -> list[str]:
        labels = []
        for payload in self.outer:
            label = _payload_name(payload)
            if payload == Payload.SKF and self.fragment is not None:
                label += f"({self.fragment[0]}/{self.fragment[1]})"
            labels.append(label)
        return labels

    def _inner_labels(self) -> list[str]:
        notifies = iter(self.notifies)
        labels = []
        for payload in self.payloads:
            label = _payload_name(payload)
            if payload == Payload.NOTIFY:
                notify = next(notifies, None)
                label += "" if notify is None else f"({_notify_label(notify)})"
            elif payload == Payload.EAP and self.eap is not None:
                label += _eap_label(self.eap)
            elif payload == Payload.CP and self.cp is not None:
                label += _cp_label(self.cp)
            labels.append(label)
        return labels


def _payload_name(payload: int) -> str:
    # strongSwan parses unknown payload types into an unknown_payload_t, logged UNKN(type).
    return _PAYLOAD_NAMES.get(payload, f"UNKN({payload})")


def _notify_label(notify: Notify) -> str:
    name = _name(_NOTIFY_NAMES, notify.type)
    if notify.type == MS_NOTIFY_STATUS and len(notify.data) == 4:
        return f"{name}({struct.unpack('!i', notify.data)[0]})"
    return name


def _eap_label(eap: EapFacts) -> str:
    # Like eap_payload.c get_type(): only requests/responses carry a method type.
    method = "" if not eap.type else f"/{_name(_EAP_TYPE_NAMES, eap.type)}"
    return f"/{_name(_EAP_CODE_NAMES, eap.code)}{method}"


def _cp_label(cp: ConfigPayload) -> str:
    if not cp.attributes:
        return ""
    names = " ".join(_name(_CP_ATTRIBUTE_NAMES, a.type) for a in cp.attributes)
    return f"{_CP_TYPE_PREFIX.get(cp.type, '(')}{names})"


def natd_hash(spi_i: bytes, spi_r: bytes, address: str, port: int) -> bytes:
    """SHA1(SPIi | SPIr | IP | port), the NAT_DETECTION_*_IP notify data (RFC 7296 2.23)."""
    packed = ipaddress.ip_address(address).packed
    return hashlib.sha1(spi_i + spi_r + packed + struct.pack("!H", port)).digest()


def natd_matches(message: IkeMessage, notify_type: int, address: str, port: int) -> bool:
    """Whether MESSAGE's NAT-D notify NOTIFY_TYPE hashes ADDRESS and PORT with its SPIs."""
    notify = message.find_notify(notify_type)
    return notify is not None and notify.data == natd_hash(
        message.spi_i, message.spi_r, address, port
    )


_TLS_HANDSHAKE = 22


@dataclass(frozen=True)
class TlsStep:
    """One step of the TLS handshake carried in EAP, as `CaptureFacts.tls_handshake` lists it:
    a handshake message (`handshake` its type), or a record of another content type, or an
    encrypted handshake message (content type 22, `handshake` None). `frame` is where tshark
    decoded it (the last EAP fragment of its flight); `initiator` says the IKE initiator (the
    client) sent it."""

    frame: int
    initiator: bool
    content_type: int
    handshake: int | None = None


@dataclass(frozen=True)
class CaptureFacts:
    """Everything a suite may assert about one capture, with queries on whole messages."""

    messages: tuple[IkeMessage, ...] = ()
    esp_packets: int = 0
    malformed_frames: tuple[int, ...] = ()
    esp: tuple[EspPacket, ...] = ()
    """Every ESP frame; decrypted (with what was inside) when the esp_sa table had its SA."""

    def whole_messages(self) -> tuple[IkeMessage, ...]:
        """One entry per IKE message: unfragmented frames, plus for each fragmented message
        the frame carrying its reassembly (or, when tshark could not reassemble because the
        keys are missing, its last fragment)."""
        reassembled = {_message_key(m) for m in self.messages if m.reassembled}
        return tuple(m for m in self.messages if _is_whole(m, reassembled))

    def exchanges(self, exchange: int, *, response: bool | None = None) -> tuple[IkeMessage, ...]:
        """Whole messages of one exchange type, optionally only requests or responses."""
        return tuple(
            m
            for m in self.whole_messages()
            if m.exchange == exchange and (response is None or m.response == response)
        )

    def ike_sa_init_request(self) -> IkeMessage | None:
        """The last IKE_SA_INIT request: after COOKIE or INVALID_KE retries it is the one the
        IKE SA was built on."""
        return _last(self.exchanges(Exchange.IKE_SA_INIT, response=False))

    def ike_sa_init_response(self) -> IkeMessage | None:
        """The last IKE_SA_INIT response (see `ike_sa_init_request`)."""
        return _last(self.exchanges(Exchange.IKE_SA_INIT, response=True))

    def ike_auth_requests(self) -> tuple[IkeMessage, ...]:
        return self.exchanges(Exchange.IKE_AUTH, response=False)

    def ike_auth_responses(self) -> tuple[IkeMessage, ...]:
        return self.exchanges(Exchange.IKE_AUTH, response=True)

    def eap_types(self) -> tuple[int, ...]:
        """EAP method types seen in either direction, each once, in order of first appearance
        (Identity 1 first, then the method; a NAK shows up as 3)."""
        seen: dict[int, None] = {}
        for message in self.whole_messages():
            if message.eap is not None and message.eap.type is not None:
                seen.setdefault(message.eap.type)
        return tuple(seen)

    def tls_handshake(self) -> tuple[TlsStep, ...]:
        """The TLS handshake inside EAP in wire order, one step per handshake message and per
        record of another type, each with its frame. A retransmitted IKE message (same SPIs,
        message ID and direction) counts once, with the first frame tshark decoded TLS on."""
        steps: list[TlsStep] = []
        seen: set[tuple[bytes, bytes, int, bool]] = set()
        for message in self.whole_messages():
            eap = message.eap
            key = _message_key(message)
            if eap is None or not eap.tls_records or key in seen:
                continue
            seen.add(key)
            for record in eap.tls_records:
                handshakes: tuple[int | None, ...] = record.handshakes or (None,)
                if record.content_type != _TLS_HANDSHAKE:
                    handshakes = (None,)
                steps += [
                    TlsStep(message.frame, message.initiator, record.content_type, handshake)
                    for handshake in handshakes
                ]
        return tuple(steps)

    def tls_version(self) -> int | None:
        """The TLS version the server's (first) ServerHello selected, None if none was seen."""
        versions = (m.eap.tls_version for m in self.whole_messages() if m.eap is not None)
        return next((v for v in versions if v is not None), None)

    def auth_methods(self, initiator: bool) -> tuple[int, ...]:
        """AUTH methods sent by the original initiator (True) or the responder, in order."""
        return tuple(
            m.auth_method
            for m in self.whole_messages()
            if m.initiator == initiator and m.auth_method is not None
        )

    def address_updates(self) -> tuple[IkeMessage, ...]:
        """INFORMATIONAL requests with N(UPDATE_SA_ADDRESSES) (RFC 4555 3.5), in wire order;
        `src`/`sport` are the outer address the update came from (a NAT's, behind one)."""
        return tuple(
            m
            for m in self.exchanges(Exchange.INFORMATIONAL, response=False)
            if UPDATE_SA_ADDRESSES in m.notify_types()
        )

    def nat_detected_by_responder(self, client_address: str, client_port: int = 500) -> bool:
        """True when the responder saw the client at another address/port than its real one.

        The responder's NAT_DETECTION_DESTINATION_IP in the IKE_SA_INIT response hashes the
        address it received the request from (RFC 7296 2.23); it differs from the hash of the
        client's real address exactly when a NAT rewrote it. The initiator's NATD_S_IP cannot
        serve: libipsec-based clients fake it to force UDP encapsulation.
        """
        response = self.ike_sa_init_response()
        notify = None if response is None else response.find_notify(NAT_DETECTION_DESTINATION_IP)
        if response is None or notify is None:
            raise LookupError(
                "no IKE_SA_INIT response with N(NATD_D_IP) in the capture; "
                f"saw {[m.summary() for m in self.exchanges(Exchange.IKE_SA_INIT)]}"
            )
        expected = natd_hash(response.spi_i, response.spi_r, client_address, client_port)
        return notify.data != expected


def _message_key(message: IkeMessage) -> tuple[bytes, bytes, int, bool]:
    return (message.spi_i, message.spi_r, message.message_id, message.response)


def _is_whole(message: IkeMessage, reassembled: set[tuple[bytes, bytes, int, bool]]) -> bool:
    if message.fragment is None or message.reassembled:
        return True
    number, total = message.fragment
    return number == total and _message_key(message) not in reassembled


def _last(messages: tuple[IkeMessage, ...]) -> IkeMessage | None:
    return messages[-1] if messages else None
