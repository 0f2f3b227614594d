"""Set-VpnConnectionIPsecConfiguration's six values as IKEv2 transforms (reference 9.2).

The cmdlet's CustomPolicy parameter set gives exactly one IKE proposal and one ESP
proposal. Mappings the reference marks *observed* (AES128/SHA384/ECP256 for IKE,
AES256/GCMAES128/SHA256128 for ESP, PfsGroup ECP256/ECP384/None) are facts; the rest
follow the IKEEXT enum naming and are marked so here, so a failing test shows which
guess it rests on.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from emulator.codec import Transform, TransformAttribute
from emulator.const import DhGroup, EncrId, EsnId, IntegId, PrfId, TransformType


class PolicyError(ValueError):
    """A value the cmdlet does not accept (names the parameter and the allowed values)."""


def _encr(encr_id: int, bits: int | None = None) -> Transform:
    attributes = () if bits is None else (TransformAttribute.key_length(bits),)
    return Transform(TransformType.ENCR, encr_id, attributes)


# -EncryptionMethod -> IKE ENCR (AES128 observed; DES/DES3 by naming; GCM uncertain)
IKE_ENCRYPTION = {
    "DES": _encr(EncrId.DES),
    "DES3": _encr(EncrId.TRIPLE_DES),
    "AES128": _encr(EncrId.AES_CBC, 128),
    "AES192": _encr(EncrId.AES_CBC, 192),
    "AES256": _encr(EncrId.AES_CBC, 256),
    "GCMAES128": _encr(EncrId.AES_GCM_16, 128),
    "GCMAES256": _encr(EncrId.AES_GCM_16, 256),
}
# -IntegrityCheckMethod -> (INTEG, PRF) (SHA384 observed; MD5 uncertain)
IKE_INTEGRITY = {
    "MD5": (IntegId.HMAC_MD5_96, PrfId.HMAC_MD5),
    "SHA1": (IntegId.HMAC_SHA1_96, PrfId.HMAC_SHA1),
    "SHA256": (IntegId.HMAC_SHA2_256_128, PrfId.HMAC_SHA2_256),
    "SHA384": (IntegId.HMAC_SHA2_384_192, PrfId.HMAC_SHA2_384),
}
# -DHGroup (ECP256 observed, rest by IKEEXT_DH_GROUP naming)
DH_GROUPS: dict[str, int | None] = {
    "None": None,
    "Group1": DhGroup.MODP_768,
    "Group2": DhGroup.MODP_1024,
    "Group14": DhGroup.MODP_2048,
    "ECP256": DhGroup.ECP_256,
    "ECP384": DhGroup.ECP_384,
    "Group24": DhGroup.MODP_2048_256,
}
# -CipherTransformConstants -> ESP ENCR (AES256, GCMAES128 observed; DES/DES3/None uncertain)
ESP_CIPHERS: dict[str, Transform | None] = {
    "DES": _encr(EncrId.DES),
    "DES3": _encr(EncrId.TRIPLE_DES),
    "AES128": _encr(EncrId.AES_CBC, 128),
    "AES192": _encr(EncrId.AES_CBC, 192),
    "AES256": _encr(EncrId.AES_CBC, 256),
    "GCMAES128": _encr(EncrId.AES_GCM_16, 128),
    "GCMAES192": _encr(EncrId.AES_GCM_16, 192),
    "GCMAES256": _encr(EncrId.AES_GCM_16, 256),
    "None": None,
}
# -AuthenticationTransformConstants -> ESP INTEG (SHA256128 observed)
ESP_INTEGRITY: dict[str, int | None] = {
    "MD596": IntegId.HMAC_MD5_96,
    "SHA196": IntegId.HMAC_SHA1_96,
    "SHA256128": IntegId.HMAC_SHA2_256_128,
    "GCMAES128": None,
    "GCMAES192": None,
    "GCMAES256": None,
    "None": None,
}
# -PfsGroup (ECP256/ECP384/None observed; "PFSMM" is the profile's pfsmm_group)
PFS_GROUPS: dict[str, int | None] = {
    "None": None,
    "PFS1": DhGroup.MODP_768,
    "PFS2": DhGroup.MODP_1024,
    "PFS2048": DhGroup.MODP_2048,
    "ECP256": DhGroup.ECP_256,
    "ECP384": DhGroup.ECP_384,
    "PFS24": DhGroup.MODP_2048_256,
    "PFSMM": None,
}


@dataclass(frozen=True)
class CustomPolicy:
    """The single IKE and ESP transform lists a custom policy produces."""

    ike: tuple[Transform, ...]
    esp: tuple[Transform, ...]
    dh_group: int | None
    pfs_group: int | None
    pfs_same_as_ike: bool = False


def _choice(parameter: str, value: str, table: Mapping[str, object]) -> None:
    if value not in table:
        raise PolicyError(f"-{parameter}: {value!r} is not one of {', '.join(table)}")


def custom_policy(
    *,
    authentication_transform_constants: str,
    cipher_transform_constants: str,
    dh_group: str,
    encryption_method: str,
    integrity_check_method: str,
    pfs_group: str,
) -> CustomPolicy:
    """Map the six values; IKE transform order ENCR, INTEG, PRF, D-H (reference 1.5)."""
    for parameter, value, table in (
        ("AuthenticationTransformConstants", authentication_transform_constants, ESP_INTEGRITY),
        ("CipherTransformConstants", cipher_transform_constants, ESP_CIPHERS),
        ("DHGroup", dh_group, DH_GROUPS),
        ("EncryptionMethod", encryption_method, IKE_ENCRYPTION),
        ("IntegrityCheckMethod", integrity_check_method, IKE_INTEGRITY),
        ("PfsGroup", pfs_group, PFS_GROUPS),
    ):
        _choice(parameter, value, table)
    encr = IKE_ENCRYPTION[encryption_method]
    integ, prf = IKE_INTEGRITY[integrity_check_method]
    group = DH_GROUPS[dh_group]
    ike: list[Transform] = [encr]
    if encr.transform_id != EncrId.AES_GCM_16:
        ike.append(Transform(TransformType.INTEG, integ))
    ike.append(Transform(TransformType.PRF, prf))
    if group is not None:
        ike.append(Transform(TransformType.DH, group))
    esp: list[Transform] = []
    cipher = ESP_CIPHERS[cipher_transform_constants]
    esp_integ = ESP_INTEGRITY[authentication_transform_constants]
    if cipher is None:
        if authentication_transform_constants.startswith("GCMAES"):
            bits = int(authentication_transform_constants[6:])
            esp.append(_encr(EncrId.NULL_AUTH_AES_GMAC, bits))  # uncertain (reference 9.2)
        else:
            esp.append(_encr(EncrId.NULL))
    else:
        esp.append(cipher)
    if esp_integ is not None and (cipher is None or cipher.transform_id != EncrId.AES_GCM_16):
        esp.append(Transform(TransformType.INTEG, esp_integ))
    esp.append(Transform(TransformType.ESN, EsnId.NO_ESN))
    return CustomPolicy(
        tuple(ike),
        tuple(esp),
        group,
        PFS_GROUPS[pfs_group],
        pfs_same_as_ike=pfs_group == "PFSMM",
    )
