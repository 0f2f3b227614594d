"""Known-answer tests of the MS-CHAPv2 / MPPE derivations.

RFC 2759 section 9.2 and RFC 3079 section 3.5.3 share their inputs (user "User",
password "clientPass"); RFC 3079 publishes only the server's send start key, which is
the client's receive key (Magic3). The second vector (password "pass") is hostapd's
eapol_test value for the client's 32-octet ISK = client send key | client receive key,
as quoted in cryptlib's EAP self-test: it pins down the order of the two halves of
strongSwan's MSK, which the RFCs alone do not.
"""

from __future__ import annotations

from emulator.eap.mschapv2_crypto import (
    authenticator_response,
    authenticator_response_string,
    challenge_hash,
    challenge_response,
    check_authenticator_response,
    generate_nt_response,
    get_asymmetric_start_key,
    get_master_key,
    hash_nt_password_hash,
    nt_password_hash,
    strongswan_msk,
)

USER = "User"
PASSWORD = "clientPass"
AUTH_CHALLENGE = bytes.fromhex("5B5D7C7D7B3F2F3E3C2C602132262628")
PEER_CHALLENGE = bytes.fromhex("21402324255E262A28295F2B3A337C7E")
CHALLENGE = bytes.fromhex("D02E4386BCE91226")
PASSWORD_HASH = bytes.fromhex("44EBBA8D5312B8D611474411F56989AE")
PASSWORD_HASH_HASH = bytes.fromhex("41C00C584BD2D91C4017A2A12FA59F3F")
NT_RESPONSE = bytes.fromhex("82309ECD8D708B5EA08FAA3981CD83544233114A3D85D6DF")
AUTH_RESPONSE = "S=407A5589115FD0D6209F510FE9C04566932CDA56"
MASTER_KEY = bytes.fromhex("FDECE3717A8C838CB388E527AE3CDD31")
SEND_START_KEY_128 = bytes.fromhex("8B7CDC149B993A1BA118CB153F56DCCB")


def test_rfc2759_nt_password_hash() -> None:
    assert nt_password_hash(PASSWORD) == PASSWORD_HASH


def test_rfc2759_password_hash_hash() -> None:
    assert hash_nt_password_hash(PASSWORD_HASH) == PASSWORD_HASH_HASH


def test_rfc2759_challenge_hash() -> None:
    assert challenge_hash(PEER_CHALLENGE, AUTH_CHALLENGE, USER) == CHALLENGE


def test_rfc2759_challenge_response_and_nt_response() -> None:
    assert challenge_response(CHALLENGE, PASSWORD_HASH) == NT_RESPONSE
    assert generate_nt_response(AUTH_CHALLENGE, PEER_CHALLENGE, USER, PASSWORD) == NT_RESPONSE


def test_rfc2759_authenticator_response() -> None:
    raw = authenticator_response(
        PASSWORD_HASH_HASH, NT_RESPONSE, PEER_CHALLENGE, AUTH_CHALLENGE, USER
    )
    assert authenticator_response_string(raw) == AUTH_RESPONSE
    assert check_authenticator_response(raw, bytes.fromhex(AUTH_RESPONSE[2:]))
    assert not check_authenticator_response(raw, bytes(20))


def test_rfc3079_master_key() -> None:
    assert get_master_key(PASSWORD_HASH_HASH, NT_RESPONSE) == MASTER_KEY


def test_rfc3079_start_keys_128() -> None:
    """The server's send key (RFC value) is the client's receive key; directions mirror."""
    server_send = get_asymmetric_start_key(MASTER_KEY, 16, is_send=True, is_server=True)
    client_receive = get_asymmetric_start_key(MASTER_KEY, 16, is_send=False, is_server=False)
    client_send = get_asymmetric_start_key(MASTER_KEY, 16, is_send=True, is_server=False)
    server_receive = get_asymmetric_start_key(MASTER_KEY, 16, is_send=False, is_server=True)
    assert server_send == client_receive == SEND_START_KEY_128
    assert client_send == server_receive != client_receive


def test_strongswan_msk_layout_on_rfc_inputs() -> None:
    msk = strongswan_msk(PASSWORD_HASH_HASH, NT_RESPONSE)
    assert len(msk) == 64
    assert msk[16:32] == SEND_START_KEY_128  # client receive = master_send_key
    assert msk[32:] == bytes(32)


def test_strongswan_msk_matches_eapol_test_isk() -> None:
    hash_hash = hash_nt_password_hash(nt_password_hash("pass"))
    nt_response = bytes.fromhex("A6BAEBE788E5C0CD705FB3FD3E812A2FF699A34493FB5126")
    assert get_master_key(hash_hash, nt_response).hex().startswith("cf532c21fcd0487f")
    isk = bytes.fromhex("4724094CECAA4F8ABD5B00C94E28ABC27F702B8009953A711A630DF9391936AE")
    assert strongswan_msk(hash_hash, nt_response)[:32] == isk


def test_challenge_hash_is_over_the_user_part_only() -> None:
    """The peer strips DOMAIN\\ before hashing (RFC 2759 8.2); the hash ignores it."""
    from emulator.eap.identity import strip_domain

    assert strip_domain("ACME\\User") == USER
    assert strip_domain("Windows Phone\\User") == USER
    assert challenge_hash(PEER_CHALLENGE, AUTH_CHALLENGE, strip_domain("ACME\\User")) == CHALLENGE
