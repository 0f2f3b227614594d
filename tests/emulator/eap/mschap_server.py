"""A small EAP-MSCHAPv2 authenticator for the tests, written from the RFCs.

It follows RFC 2759 and draft-kamath-pppext-eap-mschapv2 and copies strongSwan 5.9.8's
observable choices (facts from ``eap_mschapv2.c``, not its code): authenticator name
"strongSwan"; Success text ``S=<hex> M=Welcome2strongSwan`` with a trailing NUL;
failure text ``E=691 R=1 C=<new challenge>`` and 2 retries, then EAP-Failure; the
secret looked up under the full Response Name; the ChallengeHash over the user part.
Its MSK is composed here from the server's point of view (receive key, send key,
zeros), independently of the peer's :func:`strongswan_msk`.
"""

from __future__ import annotations

import os

from emulator.eap.mschapv2_crypto import (
    authenticator_response,
    generate_nt_response,
    get_asymmetric_start_key,
    get_master_key,
    hash_nt_password_hash,
    nt_password_hash,
)

EAP_MSCHAPV2 = 26
EAP_TLS = 13


def _eap(code: int, identifier: int, payload: bytes = b"") -> bytes:
    return bytes([code, identifier]) + (4 + len(payload)).to_bytes(2, "big") + payload


def _mschap(identifier: int, opcode: int, ms_id: int, body: bytes) -> bytes:
    type_data_len = 4 + len(body)  # MS-Length = EAP Length - 5
    data = bytes([EAP_MSCHAPV2, opcode, ms_id]) + type_data_len.to_bytes(2, "big") + body
    return _eap(1, identifier, data)


class MschapV2Server:
    """The gateway side: ``start()`` then ``handle(response)`` until it returns S/F."""

    def __init__(
        self,
        secrets: dict[str, str],
        *,
        propose_tls_first: bool = False,
        max_retries: int = 2,
        forge_authenticator: bool = False,
        skip_success_request: bool = False,
        failure_text: bytes | None = None,
    ) -> None:
        self.secrets = secrets
        self.propose_tls_first = propose_tls_first
        self.max_retries = max_retries
        self.forge_authenticator = forge_authenticator
        self.skip_success_request = skip_success_request
        self.failure_text = failure_text
        self.identifier = 7
        self.ms_id = 0
        self.retries = 0
        self.state = "identity"
        self.challenge = b""
        self.msk: bytes | None = None
        self.received: list[bytes] = []
        self.names: list[str] = []
        self.identity = ""

    def start(self) -> bytes:
        return _eap(1, self.identifier, bytes([1]))  # Request/Identity

    def _next_id(self) -> int:
        self.identifier = (self.identifier + 1) & 0xFF
        return self.identifier

    def _challenge_request(self) -> bytes:
        self.challenge = os.urandom(16)
        self.ms_id = self._next_id()
        body = bytes([16]) + self.challenge + b"strongSwan"
        self.state = "response"
        return _mschap(self.identifier, 1, self.ms_id, body)

    def handle(self, response: bytes) -> bytes:
        self.received.append(response)
        assert response[0] == 2, "the peer must send Responses"
        assert response[1] == self.identifier, "a Response echoes the Request's identifier"
        assert int.from_bytes(response[2:4], "big") == len(response)
        eap_type, data = response[4], response[5:]
        if self.state == "identity":
            assert eap_type == 1
            self.identity = data.decode()
            if self.propose_tls_first:
                self.state = "nak"
                return _eap(1, self._next_id(), bytes([EAP_TLS, 0x20]))  # TLS Start
            return self._challenge_request()
        if self.state == "nak":
            assert eap_type == 3 and data == bytes([EAP_MSCHAPV2]), "NAK desiring MSCHAPv2"
            return self._challenge_request()
        assert eap_type == EAP_MSCHAPV2
        if self.state == "response":
            return self._on_response(data)
        if self.state == "success-sent":
            if data == bytes([3]):
                self.state = "done"
                return _eap(3, self._next_id())
            return _eap(4, self._next_id())
        raise AssertionError(f"unexpected response in state {self.state}")

    def _on_response(self, data: bytes) -> bytes:
        if data[0] != 2:  # e.g. a Failure Response
            self.state = "done"
            return _eap(4, self._next_id())
        assert data[4] == 49, "Value-Size 49"
        peer_challenge, nt_response = data[5:21], data[29:53]
        assert data[21:29] == bytes(8) and data[53] == 0, "reserved and flags are zero"
        name = data[54:].decode()
        self.names.append(name)
        user = name.split("\\", 1)[-1]
        password = self.secrets.get(name)
        if password is not None and nt_response == generate_nt_response(
            self.challenge, peer_challenge, user, password
        ):
            return self._success(password, nt_response, peer_challenge, user)
        return self._retry()

    def _success(
        self, password: str, nt_response: bytes, peer_challenge: bytes, user: str
    ) -> bytes:
        hash_hash = hash_nt_password_hash(nt_password_hash(password))
        master = get_master_key(hash_hash, nt_response)
        receive = get_asymmetric_start_key(master, 16, is_send=False, is_server=True)
        send = get_asymmetric_start_key(master, 16, is_send=True, is_server=True)
        self.msk = receive + send + bytes(32)
        auth = authenticator_response(hash_hash, nt_response, peer_challenge, self.challenge, user)
        if self.forge_authenticator:
            auth = bytes(b ^ 0x01 for b in auth)
        self.state = "success-sent"
        if self.skip_success_request:
            self.state = "done"
            return _eap(3, self._next_id())
        text = b"S=" + auth.hex().upper().encode() + b" M=Welcome2strongSwan\x00"
        return _mschap(self._next_id(), 3, self.ms_id, text)

    def _retry(self) -> bytes:
        self.retries += 1
        if self.retries > self.max_retries:
            self.state = "done"
            return _eap(4, self._next_id())
        self.challenge = os.urandom(16)
        text = self.failure_text or b"E=691 R=1 C=" + self.challenge.hex().upper().encode()
        request = _mschap(self._next_id(), 4, self.ms_id, text)
        self.ms_id += 1
        return request
