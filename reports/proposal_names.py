"""IKEv2 transforms by name: strongSwan's log notation and swanctl.conf keywords.

Why both: the ladder and cell pages quote proposals the way charon logs them
("IKE:AES_CBC_128/HMAC_SHA2_256_128/PRF_HMAC_SHA2_256/CURVE_25519"), so a reader can match
them with gateway.log; the recommended-settings page says what to write into swanctl.conf
("aes128-sha256-prfsha256-curve25519"). Numbers are IANA's (RFC 7296 3.3.2 and its
registries); an unknown number is shown as such, never guessed.
"""

from __future__ import annotations

from infra.capture.facts import Proposal, Transform

ENCR, PRF, INTEG, DH, ESN = 1, 2, 3, 4, 5
PROTOCOL_NAMES = {1: "IKE", 2: "AH", 3: "ESP"}

# (log name with {bits} for the key length, swanctl keyword with {bits}, AEAD?)
_ENCR: dict[int, tuple[str, str, bool]] = {
    3: ("3DES_CBC", "3des", False),
    11: ("NULL", "null", False),
    12: ("AES_CBC_{bits}", "aes{bits}", False),
    13: ("AES_CTR_{bits}", "aes{bits}ctr", False),
    14: ("AES_CCM_8_{bits}", "aes{bits}ccm8", True),
    15: ("AES_CCM_12_{bits}", "aes{bits}ccm12", True),
    16: ("AES_CCM_16_{bits}", "aes{bits}ccm16", True),
    18: ("AES_GCM_8_{bits}", "aes{bits}gcm8", True),
    19: ("AES_GCM_12_{bits}", "aes{bits}gcm12", True),
    20: ("AES_GCM_16_{bits}", "aes{bits}gcm16", True),
    23: ("CAMELLIA_CBC_{bits}", "camellia{bits}", False),
    24: ("CAMELLIA_CTR_{bits}", "camellia{bits}ctr", False),
    25: ("CAMELLIA_CCM_8_{bits}", "camellia{bits}ccm8", True),
    26: ("CAMELLIA_CCM_12_{bits}", "camellia{bits}ccm12", True),
    27: ("CAMELLIA_CCM_16_{bits}", "camellia{bits}ccm16", True),
    28: ("CHACHA20_POLY1305", "chacha20poly1305", True),
}
_PRF = {
    1: ("PRF_HMAC_MD5", "prfmd5"),
    2: ("PRF_HMAC_SHA1", "prfsha1"),
    4: ("PRF_AES128_XCBC", "prfaesxcbc"),
    5: ("PRF_HMAC_SHA2_256", "prfsha256"),
    6: ("PRF_HMAC_SHA2_384", "prfsha384"),
    7: ("PRF_HMAC_SHA2_512", "prfsha512"),
    8: ("PRF_AES128_CMAC", "prfaescmac"),
}
_INTEG = {
    1: ("HMAC_MD5_96", "md5"),
    2: ("HMAC_SHA1_96", "sha1"),
    5: ("AES_XCBC_96", "aesxcbc"),
    8: ("AES_CMAC_96", "aescmac"),
    12: ("HMAC_SHA2_256_128", "sha256"),
    13: ("HMAC_SHA2_384_192", "sha384"),
    14: ("HMAC_SHA2_512_256", "sha512"),
}
_DH = {
    1: ("MODP_768", "modp768"),
    2: ("MODP_1024", "modp1024"),
    5: ("MODP_1536", "modp1536"),
    14: ("MODP_2048", "modp2048"),
    15: ("MODP_3072", "modp3072"),
    16: ("MODP_4096", "modp4096"),
    17: ("MODP_6144", "modp6144"),
    18: ("MODP_8192", "modp8192"),
    19: ("ECP_256", "ecp256"),
    20: ("ECP_384", "ecp384"),
    21: ("ECP_521", "ecp521"),
    22: ("MODP_1024_160", "modp1024s160"),
    23: ("MODP_2048_224", "modp2048s224"),
    24: ("MODP_2048_256", "modp2048s256"),
    25: ("ECP_192", "ecp192"),
    26: ("ECP_224", "ecp224"),
    27: ("ECP_224_BP", "ecp224bp"),
    28: ("ECP_256_BP", "ecp256bp"),
    29: ("ECP_384_BP", "ecp384bp"),
    30: ("ECP_512_BP", "ecp512bp"),
    31: ("CURVE_25519", "curve25519"),
    32: ("CURVE_448", "curve448"),
}
_ESN = {0: ("NO_EXT_SEQ", "noesn"), 1: ("EXT_SEQ", "esn")}
_TABLES = {PRF: _PRF, INTEG: _INTEG, DH: _DH, ESN: _ESN}
_TYPE_NAMES = {ENCR: "ENCR", PRF: "PRF", INTEG: "INTEG", DH: "DH", ESN: "ESN"}


def transform_name(t: Transform) -> str:
    """strongSwan's log name of one transform ("AES_CBC_128", "CURVE_25519")."""
    return _names(t)[0]


def _names(t: Transform) -> tuple[str, str]:
    if t.type == ENCR:
        entry = _ENCR.get(t.id)
        if entry is None:
            return f"ENCR({t.id})", f"encr{t.id}"
        bits = str(t.key_length or "")
        return entry[0].format(bits=bits).rstrip("_"), entry[1].format(bits=bits)
    table = _TABLES.get(t.type, {})
    fallback = f"{_TYPE_NAMES.get(t.type, 'TRANSFORM')}({t.id})"
    return table.get(t.id, (fallback, fallback.lower()))


def proposal_name(p: Proposal) -> str:
    """As charon logs a proposal: "IKE:AES_CBC_128/HMAC_SHA2_256_128/PRF_.../CURVE_25519"."""
    names = "/".join(transform_name(t) for t in p.transforms)
    return f"{PROTOCOL_NAMES.get(p.protocol, str(p.protocol))}:{names}"


def swanctl_proposal(p: Proposal) -> str:
    """The swanctl.conf keyword string for one chosen proposal ("aes128gcm16-prfsha256-...").

    ESN is left out when it is "no ESN" (swanctl's default), as operators write it."""
    words = [
        _names(t)[1]
        for t in p.transforms
        if not (t.type == ESN and t.id == 0) and not (t.type == INTEG and _is_aead(p))
    ]
    return "-".join(words)


def _is_aead(p: Proposal) -> bool:
    return any(t.type == ENCR and _ENCR.get(t.id, ("", "", False))[2] for t in p.transforms)
