"""IANA IKEv2 numbers (RFC 7296 and the IKEv2 parameter registries) as IntEnums.

One registry per number space, so a value read from the wire can be shown by name in
logs and test failures while staying an ``int`` for arithmetic and comparisons. Values a
peer may send that are not listed here stay plain ``int``s: the codec never rejects a
number only because this module does not know it.

Microsoft's private numbers are included because the Windows client sends or reads
them: notify 12345 (status notify carrying a Win32 error code) and the CP attributes
INTERNAL_IP4_SERVER 23456 / INTERNAL_IP6_SERVER 23457 ([MS-IKEE]).
"""

from __future__ import annotations

import enum
from typing import TypeVar


class ExchangeType(enum.IntEnum):
    """RFC 7296 3.1 exchange types (plus the later IKEv2 ones strongSwan knows)."""

    IKE_SA_INIT = 34
    IKE_AUTH = 35
    CREATE_CHILD_SA = 36
    INFORMATIONAL = 37
    IKE_SESSION_RESUME = 38
    IKE_INTERMEDIATE = 43
    IKE_FOLLOWUP_KE = 44


class HeaderFlag(enum.IntFlag):
    """Bits of the IKE header flags octet (RFC 7296 3.1)."""

    INITIATOR = 0x08
    VERSION = 0x10
    RESPONSE = 0x20


class PayloadType(enum.IntEnum):
    """RFC 7296 3.2 payload types; SKF is RFC 7383."""

    NONE = 0
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
    GSPM = 49
    IDG = 50
    GSA = 51
    KD = 52
    SKF = 53
    PS = 54


class ProtocolId(enum.IntEnum):
    """Security protocol identifiers (proposals, notifies, deletes)."""

    NONE = 0
    IKE = 1
    AH = 2
    ESP = 3


class TransformType(enum.IntEnum):
    """RFC 7296 3.3.2 transform types (type 4 is "Key Exchange Method" since RFC 9370)."""

    ENCR = 1
    PRF = 2
    INTEG = 3
    DH = 4
    ESN = 5


class EncrId(enum.IntEnum):
    """Transform type 1 identifiers."""

    DES_IV64 = 1
    DES = 2
    TRIPLE_DES = 3
    RC5 = 4
    IDEA = 5
    CAST = 6
    BLOWFISH = 7
    TRIPLE_IDEA = 8
    DES_IV32 = 9
    NULL = 11
    AES_CBC = 12
    AES_CTR = 13
    AES_CCM_8 = 14
    AES_CCM_12 = 15
    AES_CCM_16 = 16
    AES_GCM_8 = 18
    AES_GCM_12 = 19
    AES_GCM_16 = 20
    NULL_AUTH_AES_GMAC = 21
    CAMELLIA_CBC = 23
    CHACHA20_POLY1305 = 28


class PrfId(enum.IntEnum):
    """Transform type 2 identifiers."""

    HMAC_MD5 = 1
    HMAC_SHA1 = 2
    HMAC_TIGER = 3
    AES128_XCBC = 4
    HMAC_SHA2_256 = 5
    HMAC_SHA2_384 = 6
    HMAC_SHA2_512 = 7
    AES128_CMAC = 8


class IntegId(enum.IntEnum):
    """Transform type 3 identifiers."""

    NONE = 0
    HMAC_MD5_96 = 1
    HMAC_SHA1_96 = 2
    DES_MAC = 3
    KPDK_MD5 = 4
    AES_XCBC_96 = 5
    HMAC_MD5_128 = 6
    HMAC_SHA1_160 = 7
    AES_CMAC_96 = 8
    AES_128_GMAC = 9
    AES_192_GMAC = 10
    AES_256_GMAC = 11
    HMAC_SHA2_256_128 = 12
    HMAC_SHA2_384_192 = 13
    HMAC_SHA2_512_256 = 14


class DhGroup(enum.IntEnum):
    """Transform type 4 identifiers (Diffie-Hellman groups)."""

    NONE = 0
    MODP_768 = 1
    MODP_1024 = 2
    MODP_1536 = 5
    MODP_2048 = 14
    MODP_3072 = 15
    MODP_4096 = 16
    MODP_6144 = 17
    MODP_8192 = 18
    ECP_256 = 19
    ECP_384 = 20
    ECP_521 = 21
    MODP_1024_160 = 22
    MODP_2048_224 = 23
    MODP_2048_256 = 24
    ECP_192 = 25
    ECP_224 = 26
    BRAINPOOL_P224R1 = 27
    BRAINPOOL_P256R1 = 28
    BRAINPOOL_P384R1 = 29
    BRAINPOOL_P512R1 = 30
    CURVE25519 = 31
    CURVE448 = 32


class EsnId(enum.IntEnum):
    """Transform type 5 identifiers."""

    NO_ESN = 0
    ESN = 1


class TransformAttributeType(enum.IntEnum):
    """RFC 7296 3.3.5: the only IKEv2 attribute; always sent in TV form (0x800E)."""

    KEY_LENGTH = 14


class IdType(enum.IntEnum):
    """RFC 7296 3.5 identification types."""

    IPV4_ADDR = 1
    FQDN = 2
    RFC822_ADDR = 3
    IPV6_ADDR = 5
    DER_ASN1_DN = 9
    DER_ASN1_GN = 10
    KEY_ID = 11
    FC_NAME = 12
    NULL = 13


class CertEncoding(enum.IntEnum):
    """RFC 7296 3.6 certificate encodings (CERT and CERTREQ)."""

    PKCS7_X509 = 1
    PGP = 2
    DNS_SIGNED_KEY = 3
    X509_SIGNATURE = 4
    KERBEROS_TOKEN = 6
    CRL = 7
    ARL = 8
    SPKI = 9
    X509_ATTRIBUTE = 10
    RAW_RSA_KEY = 11
    HASH_URL_X509 = 12
    HASH_URL_X509_BUNDLE = 13
    OCSP_CONTENT = 14
    RAW_PUBLIC_KEY = 15


class AuthMethod(enum.IntEnum):
    """RFC 7296 3.8 authentication methods (9-11 RFC 4754, 14 RFC 7427)."""

    RSA_SIGNATURE = 1
    SHARED_KEY_MIC = 2
    DSS_SIGNATURE = 3
    ECDSA_SHA256_P256 = 9
    ECDSA_SHA384_P384 = 10
    ECDSA_SHA512_P521 = 11
    GENERIC_SECURE_PASSWORD = 12
    NULL_AUTH = 13
    DIGITAL_SIGNATURE = 14


class NotifyType(enum.IntEnum):
    """RFC 7296 3.10.1 notify message types, later RFCs, and Microsoft's 12345.

    Error types are below 16384, status types from 16384 on; 8192-16383 is private
    use for errors, which is where Microsoft put its status notify.
    """

    UNSUPPORTED_CRITICAL_PAYLOAD = 1
    INVALID_IKE_SPI = 4
    INVALID_MAJOR_VERSION = 5
    INVALID_SYNTAX = 7
    INVALID_MESSAGE_ID = 9
    INVALID_SPI = 11
    NO_PROPOSAL_CHOSEN = 14
    INVALID_KE_PAYLOAD = 17
    AUTHENTICATION_FAILED = 24
    SINGLE_PAIR_REQUIRED = 34
    NO_ADDITIONAL_SAS = 35
    INTERNAL_ADDRESS_FAILURE = 36
    FAILED_CP_REQUIRED = 37
    TS_UNACCEPTABLE = 38
    INVALID_SELECTORS = 39
    UNACCEPTABLE_ADDRESSES = 40
    UNEXPECTED_NAT_DETECTED = 41
    USE_ASSIGNED_HOA = 42
    TEMPORARY_FAILURE = 43
    CHILD_SA_NOT_FOUND = 44
    INVALID_GROUP_ID = 45
    AUTHORIZATION_FAILED = 46
    STATE_NOT_FOUND = 47
    TS_MAX_QUEUE = 48
    MS_NOTIFY_STATUS = 12345
    INITIAL_CONTACT = 16384
    SET_WINDOW_SIZE = 16385
    ADDITIONAL_TS_POSSIBLE = 16386
    IPCOMP_SUPPORTED = 16387
    NAT_DETECTION_SOURCE_IP = 16388
    NAT_DETECTION_DESTINATION_IP = 16389
    COOKIE = 16390
    USE_TRANSPORT_MODE = 16391
    HTTP_CERT_LOOKUP_SUPPORTED = 16392
    REKEY_SA = 16393
    ESP_TFC_PADDING_NOT_SUPPORTED = 16394
    NON_FIRST_FRAGMENTS_ALSO = 16395
    MOBIKE_SUPPORTED = 16396
    ADDITIONAL_IP4_ADDRESS = 16397
    ADDITIONAL_IP6_ADDRESS = 16398
    NO_ADDITIONAL_ADDRESSES = 16399
    UPDATE_SA_ADDRESSES = 16400
    COOKIE2 = 16401
    NO_NATS_ALLOWED = 16402
    AUTH_LIFETIME = 16403
    MULTIPLE_AUTH_SUPPORTED = 16404
    ANOTHER_AUTH_FOLLOWS = 16405
    REDIRECT_SUPPORTED = 16406
    REDIRECT = 16407
    REDIRECTED_FROM = 16408
    TICKET_LT_OPAQUE = 16409
    TICKET_REQUEST = 16410
    TICKET_ACK = 16411
    TICKET_NACK = 16412
    TICKET_OPAQUE = 16413
    LINK_ID = 16414
    USE_WESP_MODE = 16415
    ROHC_SUPPORTED = 16416
    EAP_ONLY_AUTHENTICATION = 16417
    CHILDLESS_IKEV2_SUPPORTED = 16418
    QUICK_CRASH_DETECTION = 16419
    IKEV2_MESSAGE_ID_SYNC_SUPPORTED = 16420
    IPSEC_REPLAY_COUNTER_SYNC_SUPPORTED = 16421
    IKEV2_MESSAGE_ID_SYNC = 16422
    IPSEC_REPLAY_COUNTER_SYNC = 16423
    SECURE_PASSWORD_METHODS = 16424
    PSK_PERSIST = 16425
    PSK_CONFIRM = 16426
    ERX_SUPPORTED = 16427
    IFOM_CAPABILITY = 16428
    SENDER_REQUEST_ID = 16429
    IKEV2_FRAGMENTATION_SUPPORTED = 16430
    SIGNATURE_HASH_ALGORITHMS = 16431
    CLONE_IKE_SA_SUPPORTED = 16432
    CLONE_IKE_SA = 16433
    PUZZLE = 16434
    USE_PPK = 16435
    PPK_IDENTITY = 16436
    NO_PPK_AUTH = 16437
    INTERMEDIATE_EXCHANGE_SUPPORTED = 16438
    IP4_ALLOWED = 16439
    IP6_ALLOWED = 16440
    ADDITIONAL_KEY_EXCHANGE = 16441
    USE_AGGFRAG = 16442
    SUPPORTED_AUTH_METHODS = 16443
    SA_RESOURCE_INFO = 16444


class TsType(enum.IntEnum):
    """RFC 7296 3.13.1 traffic selector types (9 RFC 4595, 10 RFC 9478)."""

    IPV4_ADDR_RANGE = 7
    IPV6_ADDR_RANGE = 8
    FC_ADDR_RANGE = 9
    SECLABEL = 10


class CfgType(enum.IntEnum):
    """RFC 7296 3.15 CP payload types."""

    REQUEST = 1
    REPLY = 2
    SET = 3
    ACK = 4


class ConfigAttributeType(enum.IntEnum):
    """RFC 7296 3.15.1 configuration attributes, later RFCs, and Microsoft's 23456/23457."""

    INTERNAL_IP4_ADDRESS = 1
    INTERNAL_IP4_NETMASK = 2
    INTERNAL_IP4_DNS = 3
    INTERNAL_IP4_NBNS = 4
    INTERNAL_ADDRESS_EXPIRY = 5
    INTERNAL_IP4_DHCP = 6
    APPLICATION_VERSION = 7
    INTERNAL_IP6_ADDRESS = 8
    INTERNAL_IP6_NETMASK = 9
    INTERNAL_IP6_DNS = 10
    INTERNAL_IP6_NBNS = 11
    INTERNAL_IP6_DHCP = 12
    INTERNAL_IP4_SUBNET = 13
    SUPPORTED_ATTRIBUTES = 14
    INTERNAL_IP6_SUBNET = 15
    MIP6_HOME_PREFIX = 16
    INTERNAL_IP6_LINK = 17
    INTERNAL_IP6_PREFIX = 18
    HOME_AGENT_ADDRESS = 19
    P_CSCF_IP4_ADDRESS = 20
    P_CSCF_IP6_ADDRESS = 21
    FTT_KAT = 22
    EXTERNAL_SOURCE_IP4_NAT_INFO = 23
    TIMEOUT_PERIOD_FOR_LIVENESS_CHECK = 24
    INTERNAL_DNS_DOMAIN = 25
    INTERNAL_DNSSEC_TA = 26
    INTERNAL_IP4_SERVER = 23456
    INTERNAL_IP6_SERVER = 23457


class EapCode(enum.IntEnum):
    """RFC 3748 4 EAP codes."""

    REQUEST = 1
    RESPONSE = 2
    SUCCESS = 3
    FAILURE = 4


class EapType(enum.IntEnum):
    """RFC 3748 5 / IANA EAP method types the lab can meet."""

    IDENTITY = 1
    NOTIFICATION = 2
    NAK = 3
    MD5_CHALLENGE = 4
    OTP = 5
    GTC = 6
    TLS = 13
    SIM = 18
    TTLS = 21
    AKA = 23
    PEAP = 25
    MSCHAPV2 = 26
    MSTLV = 33
    TNC = 38
    PT_EAP = 54
    EXPANDED = 254
    EXPERIMENTAL = 255


_E = TypeVar("_E", bound=enum.IntEnum)


def enum_or_int(registry: type[_E], value: int) -> _E | int:
    """The registry member for ``value`` if there is one, else ``value`` itself.

    Decoders use this so that known numbers print by name while unknown ones survive
    unchanged (an unknown notify type, say, must still be answerable).
    """
    try:
        return registry(value)
    except ValueError:
        return value
