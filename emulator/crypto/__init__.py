"""IKEv2 cryptography: PRFs and key derivation, Diffie-Hellman, SK/SKF protection, AUTH.

Primitives come from libraries (``cryptography``, the stdlib's OpenSSL-backed ``hmac``
and ``hashlib``, Python's ``pow`` for MODP); this package holds only the protocol rules
that combine them. Every error raised here is an :class:`IkeCryptoError`.
"""

from emulator.crypto.algorithms import (
    EncrAlgorithm,
    IkeSuite,
    IntegAlgorithm,
    PrfAlgorithm,
    encr_algorithm,
    integ_algorithm,
    prf_algorithm,
)
from emulator.crypto.auth import (
    KEY_PAD,
    method_for_key,
    shared_key_mic,
    sign,
    signed_octets,
    verify,
    verify_shared_key_mic,
)
from emulator.crypto.dh import KeyExchange, key_exchange, supported_groups
from emulator.crypto.errors import (
    AuthError,
    DecryptError,
    DhError,
    IkeCryptoError,
    IntegrityError,
    UnsupportedTransformError,
)
from emulator.crypto.keymat import (
    ChildSaKeys,
    IkeSaKeys,
    child_sa_keys,
    derive_ike_sa_keys,
    ike_sa_keys,
    rekey_skeyseed,
    skeyseed,
)
from emulator.crypto.prf import prf_plus
from emulator.crypto.protect import (
    SkProtection,
    protect_fragment,
    protect_fragments,
    protect_message,
    reassemble,
    unprotect_fragment,
    unprotect_message,
)

__all__ = [
    "KEY_PAD",
    "AuthError",
    "ChildSaKeys",
    "DecryptError",
    "DhError",
    "EncrAlgorithm",
    "IkeCryptoError",
    "IkeSaKeys",
    "IkeSuite",
    "IntegAlgorithm",
    "IntegrityError",
    "KeyExchange",
    "PrfAlgorithm",
    "SkProtection",
    "UnsupportedTransformError",
    "child_sa_keys",
    "derive_ike_sa_keys",
    "encr_algorithm",
    "ike_sa_keys",
    "integ_algorithm",
    "key_exchange",
    "method_for_key",
    "prf_algorithm",
    "prf_plus",
    "protect_fragment",
    "protect_fragments",
    "protect_message",
    "reassemble",
    "rekey_skeyseed",
    "shared_key_mic",
    "sign",
    "signed_octets",
    "skeyseed",
    "supported_groups",
    "unprotect_fragment",
    "unprotect_message",
    "verify",
    "verify_shared_key_mic",
]
