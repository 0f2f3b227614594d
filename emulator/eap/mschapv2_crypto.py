"""MS-CHAPv2 and MPPE key derivation (RFC 2759 section 8, RFC 3079 section 3).

Function names follow the RFCs' pseudocode so each line can be checked against it; the
known-answer tests use RFC 2759 9.2 and RFC 3079 3.5. MD4 and single DES come from
pycryptodome (neither exists in ``hashlib`` under OpenSSL 3 nor in ``cryptography``);
this module only writes the protocol logic around them: the 7-to-8-octet DES key
spreading, the concatenations, and strongSwan's MSK layout.
"""

from __future__ import annotations

import hashlib
import hmac

from Crypto.Cipher import DES
from Crypto.Hash import MD4

CHALLENGE_LEN = 16
NT_RESPONSE_LEN = 24

# RFC 2759 8.7 magic constants.
_AUTH_MAGIC1 = b"Magic server to client signing constant"
_AUTH_MAGIC2 = b"Pad to make it do more than one iteration"
# RFC 3079 3.4 magic constants.
_MPPE_MAGIC1 = b"This is the MPPE Master Key"
_MPPE_MAGIC2 = (
    b"On the client side, this is the send key; on the server side, it is the receive key."
)
_MPPE_MAGIC3 = (
    b"On the client side, this is the receive key; on the server side, it is the send key."
)
_SHS_PAD1 = b"\x00" * 40
_SHS_PAD2 = b"\xf2" * 40


def nt_password_hash(password: str) -> bytes:
    """RFC 2759 8.3: MD4 of the UTF-16LE password (16 bytes)."""
    return MD4.new(password.encode("utf-16-le")).digest()


def hash_nt_password_hash(password_hash: bytes) -> bytes:
    """RFC 2759 8.4: MD4 of the password hash ("PasswordHashHash")."""
    return MD4.new(password_hash).digest()


def challenge_hash(peer_challenge: bytes, authenticator_challenge: bytes, user_name: str) -> bytes:
    """RFC 2759 8.2: SHA-1(PeerChallenge | AuthenticatorChallenge | UserName)[:8].

    ``user_name`` must already be stripped of any ``DOMAIN\\`` prefix
    (:func:`emulator.eap.identity.strip_domain`).
    """
    digest = hashlib.sha1(peer_challenge + authenticator_challenge + user_name.encode("utf-8"))
    return digest.digest()[:8]


def _des_key(seven: bytes) -> bytes:
    """RFC 2759 8.6 DesEncrypt: spread 56 key bits over 8 octets (parity bits left 0).

    DES ignores the low bit of each key octet, so parity does not need to be set.
    """
    bits = int.from_bytes(seven, "big")
    return bytes(((bits >> (49 - 7 * i)) & 0x7F) << 1 for i in range(8))


def challenge_response(challenge: bytes, password_hash: bytes) -> bytes:
    """RFC 2759 8.5: three single-DES encryptions of the 8-octet challenge (24 bytes)."""
    z_hash = password_hash.ljust(21, b"\x00")
    return b"".join(
        DES.new(_des_key(z_hash[i : i + 7]), DES.MODE_ECB).encrypt(challenge) for i in (0, 7, 14)
    )


def generate_nt_response(
    authenticator_challenge: bytes, peer_challenge: bytes, user_name: str, password: str
) -> bytes:
    """RFC 2759 8.1: the 24-byte NT-Response."""
    challenge = challenge_hash(peer_challenge, authenticator_challenge, user_name)
    return challenge_response(challenge, nt_password_hash(password))


def authenticator_response(
    password_hash_hash: bytes,
    nt_response: bytes,
    peer_challenge: bytes,
    authenticator_challenge: bytes,
    user_name: str,
) -> bytes:
    """RFC 2759 8.7 GenerateAuthenticatorResponse, as the 20 raw bytes behind ``S=``."""
    digest = hashlib.sha1(password_hash_hash + nt_response + _AUTH_MAGIC1).digest()
    challenge = challenge_hash(peer_challenge, authenticator_challenge, user_name)
    return hashlib.sha1(digest + challenge + _AUTH_MAGIC2).digest()


def authenticator_response_string(auth_response: bytes) -> str:
    """The ``S=`` text form: ``S=`` plus 40 upper-case hex digits (RFC 2759 8.7)."""
    return "S=" + auth_response.hex().upper()


def check_authenticator_response(expected: bytes, received: bytes) -> bool:
    """RFC 2759 8.8, in constant time."""
    return hmac.compare_digest(expected, received)


def get_master_key(password_hash_hash: bytes, nt_response: bytes) -> bytes:
    """RFC 3079 3.4 GetMasterKey: SHA-1(PasswordHashHash | NT-Response | Magic1)[:16]."""
    return hashlib.sha1(password_hash_hash + nt_response + _MPPE_MAGIC1).digest()[:16]


def get_asymmetric_start_key(
    master_key: bytes, key_length: int, *, is_send: bool, is_server: bool
) -> bytes:
    """RFC 3079 3.4 GetAsymmetricStartKey.

    Magic2 gives the client's send key (= the server's receive key), Magic3 the client's
    receive key (= the server's send key).
    """
    magic = _MPPE_MAGIC3 if is_send == is_server else _MPPE_MAGIC2
    return hashlib.sha1(master_key + _SHS_PAD1 + magic + _SHS_PAD2).digest()[:key_length]


def strongswan_msk(password_hash_hash: bytes, nt_response: bytes) -> bytes:
    """The 64-byte MSK exactly as strongSwan lays it out, so the IKE AUTH values agree.

    strongSwan 5.9.8 ``src/libcharon/plugins/eap_mschapv2/eap_mschapv2.c``,
    ``GenerateMSK()``: ``master_receive_key | master_send_key | 16 zero bytes | 16 zero
    bytes``, where master_receive_key = SHA-1(MasterKey | 40x00 | Magic2 | 40xF2)[:16]
    and master_send_key uses Magic3. The names are the server's view; in RFC 3079 terms
    (either side computes the same bytes)::

        MSK = GetAsymmetricStartKey(MasterKey, 16, IsSend=1, IsServer=0)   # client send
            | GetAsymmetricStartKey(MasterKey, 16, IsSend=0, IsServer=0)   # client receive
            | 32 x 00

    hostapd exports only the first 32 bytes; with HMAC-based PRFs the AUTH value is the
    same either way (HMAC zero-pads short keys), but strongSwan's 64 bytes are what the
    gateway logs and what a non-HMAC PRF would see, so keep all of them.
    """
    master = get_master_key(password_hash_hash, nt_response)
    client_send = get_asymmetric_start_key(master, 16, is_send=True, is_server=False)
    client_receive = get_asymmetric_start_key(master, 16, is_send=False, is_server=False)
    return client_send + client_receive + b"\x00" * 32
