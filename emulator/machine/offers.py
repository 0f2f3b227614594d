"""The IKE and ESP proposals a Windows build offers for one dial (reference 1.5, 1.6, 2.4).

Inputs are the machine's state: the build profile, the NegotiateDH2048_AES256 registry
value, the VPN profile's EncryptionLevel and an optional custom IPsec policy. A custom
policy gives one proposal of each kind (1.6 E); otherwise the registry value picks set D
(or prepends to the default, per the profile's ``dh2048_value1``), else the profile's
default set A, B or C. Transforms go ENCR, INTEG, PRF, D-H; proposals are numbered 1..N.
"""

from __future__ import annotations

from collections.abc import Sequence

from emulator.codec import Proposal, Transform, TransformAttribute
from emulator.const import DhGroup, EncrId, EsnId, IntegId, PrfId, ProtocolId, TransformType
from emulator.machine.ipsec_policy import CustomPolicy
from emulator.profiles.schema import ProfileOptions
from infra.clients.protocol import EncryptionLevel

SHA1 = (IntegId.HMAC_SHA1_96, PrfId.HMAC_SHA1)
SHA256 = (IntegId.HMAC_SHA2_256_128, PrfId.HMAC_SHA2_256)
SHA384 = (IntegId.HMAC_SHA2_384_192, PrfId.HMAC_SHA2_384)
HASHES = (SHA1, SHA256, SHA384)

Cipher = tuple[int, int | None]
TRIPLE_DES: Cipher = (EncrId.TRIPLE_DES, None)
AES128: Cipher = (EncrId.AES_CBC, 128)
AES192: Cipher = (EncrId.AES_CBC, 192)
AES256: Cipher = (EncrId.AES_CBC, 256)


def _encr(cipher: Cipher) -> Transform:
    encr_id, bits = cipher
    attributes = () if bits is None else (TransformAttribute.key_length(bits),)
    return Transform(TransformType.ENCR, encr_id, attributes)


def _ike(cipher: Cipher, hashes: tuple[int, int], group: int) -> tuple[Transform, ...]:
    integ, prf = hashes
    return (
        _encr(cipher),
        Transform(TransformType.INTEG, integ),
        Transform(TransformType.PRF, prf),
        Transform(TransformType.DH, group),
    )


def _gcm(bits: int, prf: int, group: int, explicit_none: bool) -> tuple[Transform, ...]:
    transforms = [_encr((EncrId.AES_GCM_16, bits))]
    if explicit_none:
        transforms.append(Transform(TransformType.INTEG, IntegId.NONE))
    transforms += [Transform(TransformType.PRF, prf), Transform(TransformType.DH, group)]
    return tuple(transforms)


def numbered(protocol: int, suites: Sequence[tuple[Transform, ...]]) -> tuple[Proposal, ...]:
    return tuple(Proposal(n, protocol, t) for n, t in enumerate(suites, start=1))


def set_a() -> list[tuple[Transform, ...]]:
    """12 MODP1024 proposals: 3DES, AES-128, -192, -256, each with SHA1, SHA256, SHA384."""
    return [
        _ike(c, h, DhGroup.MODP_1024) for c in (TRIPLE_DES, AES128, AES192, AES256) for h in HASHES
    ]


def set_b(options: ProfileOptions) -> list[tuple[Transform, ...]]:
    """Set A plus AES-GCM-128/256 x PRF SHA1/SHA256/SHA384, MODP1024 (Windows 11)."""
    gcm = [
        _gcm(bits, prf, DhGroup.MODP_1024, options.gcm_explicit_integ_none)
        for bits in (128, 256)
        for _, prf in HASHES
    ]
    return gcm + set_a() if options.gcm_proposals_first else set_a() + gcm


def set_c() -> list[tuple[Transform, ...]]:
    """3DES and AES-256 interleaved per hash, MODP1024 (quericy/one-key-ikev2-vpn#124)."""
    return [_ike(c, h, DhGroup.MODP_1024) for h in HASHES for c in (TRIPLE_DES, AES256)]


def set_d() -> list[tuple[Transform, ...]]:
    """NegotiateDH2048_AES256 = 2: AES-256 with SHA1, SHA256, SHA384, MODP2048."""
    return [_ike(AES256, h, DhGroup.MODP_2048) for h in HASHES]


def ike_proposals(
    options: ProfileOptions,
    *,
    dh2048: int,
    level: EncryptionLevel,
    policy: CustomPolicy | None,
) -> tuple[Proposal, ...]:
    """The IKE_SA_INIT SA payload's proposals."""
    if policy is not None:
        return numbered(ProtocolId.IKE, [policy.ike])
    default = {"A": set_a, "B": lambda: set_b(options), "C": set_c}[options.ike_proposals]()
    # EncryptionLevel Maximum selects a separate IKE builder whose content is unknown
    # (1.6 F); the profile's maximum_ike_proposals says what to do ("default").
    del level
    if dh2048 and options.dh2048_registry_supported:
        if dh2048 == 1 and options.dh2048_value1 == "prepend-to-default":
            return numbered(ProtocolId.IKE, [_ike(AES256, SHA1, DhGroup.MODP_2048), *default])
        return numbered(ProtocolId.IKE, set_d())
    return numbered(ProtocolId.IKE, default)


def _esp(cipher: Cipher) -> tuple[Transform, ...]:
    return (
        _encr(cipher),
        Transform(TransformType.INTEG, IntegId.HMAC_SHA1_96),
        Transform(TransformType.ESN, EsnId.NO_ESN),
    )


def esp_proposals(
    options: ProfileOptions, *, level: EncryptionLevel, policy: CustomPolicy | None
) -> tuple[Proposal, ...]:
    """The first CHILD SA's proposals (no D-H: no PFS in IKE_AUTH), SPI left empty.

    Required (and Optional, uncertain): aes256, aes128, 3des, des, null x sha1 as one
    proposal per cipher ("docs-list"), or the two-proposal list seen in a rekey.
    Maximum: aes256-3des-sha1 (documented). NoEncryption: null-sha1 (uncertain).
    """
    if policy is not None:
        return numbered(ProtocolId.ESP, [policy.esp])
    des: Cipher = (EncrId.DES, None)
    null: Cipher = (EncrId.NULL, None)
    if level is EncryptionLevel.MAXIMUM:
        ciphers = [AES256, TRIPLE_DES]
    elif level is EncryptionLevel.NO_ENCRYPTION:
        ciphers = [null]
    elif options.esp_proposals_default == "two-proposal":
        ciphers = [AES256, TRIPLE_DES]
    else:
        ciphers = [AES256, AES128, TRIPLE_DES, des, null]
    return numbered(ProtocolId.ESP, [_esp(c) for c in ciphers])
