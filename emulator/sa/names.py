"""Algorithm names as strongSwan logs them and as Wireshark's key table wants them.

strongSwan's spelling ("IKE:AES_CBC_256/HMAC_SHA2_256_128/PRF_HMAC_SHA2_256/MODP_2048")
lets the client log be read side by side with the gateway log; Wireshark 4.0's
``ikev2_decryption_table`` names are what makes the emulator's own key export open in
Wireshark (the same names infra.capture.keys writes from the gateway's log).
"""

from __future__ import annotations

from emulator.codec import Proposal, Transform
from emulator.const import DhGroup, EncrId, EsnId, IntegId, PrfId, ProtocolId, TransformType

_ENCR: dict[int, str] = {
    EncrId.DES: "DES_CBC",
    EncrId.TRIPLE_DES: "3DES_CBC",
    EncrId.NULL: "NULL",
    EncrId.AES_CBC: "AES_CBC",
    EncrId.AES_GCM_16: "AES_GCM_16",
    EncrId.NULL_AUTH_AES_GMAC: "NULL_AES_GMAC",
}
_INTEG: dict[int, str] = {
    IntegId.NONE: "NONE",
    IntegId.HMAC_MD5_96: "HMAC_MD5_96",
    IntegId.HMAC_SHA1_96: "HMAC_SHA1_96",
    IntegId.HMAC_SHA2_256_128: "HMAC_SHA2_256_128",
    IntegId.HMAC_SHA2_384_192: "HMAC_SHA2_384_192",
    IntegId.HMAC_SHA2_512_256: "HMAC_SHA2_512_256",
}
_PRF: dict[int, str] = {
    PrfId.HMAC_MD5: "PRF_HMAC_MD5",
    PrfId.HMAC_SHA1: "PRF_HMAC_SHA1",
    PrfId.HMAC_SHA2_256: "PRF_HMAC_SHA2_256",
    PrfId.HMAC_SHA2_384: "PRF_HMAC_SHA2_384",
    PrfId.HMAC_SHA2_512: "PRF_HMAC_SHA2_512",
}
_DH: dict[int, str] = {
    DhGroup.MODP_768: "MODP_768",
    DhGroup.MODP_1024: "MODP_1024",
    DhGroup.MODP_1536: "MODP_1536",
    DhGroup.MODP_2048: "MODP_2048",
    DhGroup.MODP_2048_256: "MODP_2048_256",
    DhGroup.ECP_256: "ECP_256",
    DhGroup.ECP_384: "ECP_384",
    DhGroup.ECP_521: "ECP_521",
}
_PROTOCOL: dict[int, str] = {ProtocolId.IKE: "IKE", ProtocolId.AH: "AH", ProtocolId.ESP: "ESP"}

_WIRESHARK_INTEG = {
    IntegId.HMAC_MD5_96: "HMAC_MD5_96 [RFC2403]",
    IntegId.HMAC_SHA1_96: "HMAC_SHA1_96 [RFC2404]",
    IntegId.HMAC_SHA2_256_128: "HMAC_SHA2_256_128 [RFC4868]",
    IntegId.HMAC_SHA2_384_192: "HMAC_SHA2_384_192 [RFC4868]",
    IntegId.HMAC_SHA2_512_256: "HMAC_SHA2_512_256 [RFC4868]",
}


def transform_name(transform: Transform) -> str:
    """One transform, e.g. ``AES_CBC_256``, ``PRF_HMAC_SHA1``, ``MODP_1024``."""
    kind, ident = transform.transform_type, transform.transform_id
    tables: dict[int, dict[int, str]] = {
        TransformType.ENCR: _ENCR,
        TransformType.INTEG: _INTEG,
        TransformType.PRF: _PRF,
        TransformType.DH: _DH,
    }
    table = tables.get(kind, {})
    if kind == TransformType.ESN:
        return "EXT_SEQ" if ident == EsnId.ESN else "NO_EXT_SEQ"
    name = table.get(ident, f"UNKNOWN_{kind}_{ident}")
    if transform.key_length is not None and ident != EncrId.TRIPLE_DES:
        name += f"_{transform.key_length}"
    return name


def proposal_name(proposal: Proposal) -> str:
    """``IKE:AES_CBC_256/HMAC_SHA1_96/PRF_HMAC_SHA1/MODP_2048`` (transforms in wire order)."""
    protocol = _PROTOCOL.get(proposal.protocol, str(proposal.protocol))
    return f"{protocol}:" + "/".join(transform_name(t) for t in proposal.transforms)


def wireshark_encryption(encr_id: int, key_bits: int) -> str:
    """The ``ikev2_decryption_table`` encryption name of an IKE cipher."""
    if encr_id == EncrId.TRIPLE_DES:
        return "3DES [RFC2451]"
    if encr_id == EncrId.AES_CBC:
        return f"AES-CBC-{key_bits} [RFC3602]"
    if encr_id == EncrId.AES_GCM_16:
        return f"AES-GCM-{key_bits} with 16 octet ICV [RFC5282]"
    raise ValueError(f"no Wireshark name for ENCR {encr_id}")


def wireshark_integrity(integ_id: int | None) -> str:
    """The table's integrity name; AEAD ciphers use ``NONE [RFC4306]``."""
    if integ_id is None:
        return "NONE [RFC4306]"
    return _WIRESHARK_INTEG[IntegId(integ_id)]
