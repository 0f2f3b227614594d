"""Exceptions of the crypto layer, all ``ValueError`` subclasses.

They are separate types because the IKE state machine reacts differently to each: an
ICV failure means "drop silently" (RFC 7296 2.21.2), a bad peer KE value means
INVALID_SYNTAX, an unusable proposal means NO_PROPOSAL_CHOSEN, and a failed AUTH means
AUTHENTICATION_FAILED.
"""

from __future__ import annotations


class IkeCryptoError(ValueError):
    """Base class of every error raised by :mod:`emulator.crypto`."""


class UnsupportedTransformError(IkeCryptoError):
    """A transform (algorithm, key length, group) the emulator cannot run."""


class IntegrityError(IkeCryptoError):
    """An ICV or AEAD tag did not verify: the message was altered or the keys differ."""


class DecryptError(IkeCryptoError):
    """Ciphertext of impossible size or padding (after integrity was checked)."""


class DhError(IkeCryptoError):
    """A peer's key exchange value is malformed or not a valid group element."""


class AuthError(IkeCryptoError):
    """An AUTH payload does not verify, or the key does not fit the method."""
