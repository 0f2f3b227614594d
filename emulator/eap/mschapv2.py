"""EAP-MSCHAPv2 on the peer side, as Windows runs it against strongSwan.

Flow (windows-client-behavior.md 2.7): Challenge -> Response (the Name is the full
identity, the ChallengeHash uses the user part only) -> Success Request whose ``S=``
must verify, else the gateway does not know the password and is not who it claims ->
Success Response (OpCode only) -> EAP-Success. A Failure Request is retried or ends the
conversation as :class:`~emulator.eap.mschapv2_policy.MschapV2Policy` says; the error
Windows reports is the ``E=`` number (691), also when strongSwan ends its retries with
a plain EAP-Failure. The MSK is strongSwan's layout (:func:`strongswan_msk`).
"""

from __future__ import annotations

import enum
import os
from collections.abc import Callable

from emulator.const import EapType
from emulator.eap.codes import WinError
from emulator.eap.identity import strip_domain
from emulator.eap.method import EapMethod, MethodReply
from emulator.eap.mschapv2_crypto import (
    CHALLENGE_LEN,
    authenticator_response,
    check_authenticator_response,
    generate_nt_response,
    hash_nt_password_hash,
    nt_password_hash,
    strongswan_msk,
)
from emulator.eap.mschapv2_policy import FinalFailure, MschapV2Policy
from emulator.eap.mschapv2_wire import (
    OpCode,
    build_response,
    build_short,
    parse_challenge,
    parse_failure,
    parse_header,
    parse_success,
)
from emulator.eap.transcript import Transcript


class _State(enum.Enum):
    EXPECT_CHALLENGE = enum.auto()
    EXPECT_SUCCESS = enum.auto()
    SUCCESS_SENT = enum.auto()
    FAILED = enum.auto()


class MschapV2Method(EapMethod):
    """The peer half of EAP-MSCHAPv2 for one user.

    ``random_bytes`` draws the 16-octet peer challenge; tests replace it to reproduce
    RFC vectors.
    """

    eap_type = EapType.MSCHAPV2

    def __init__(
        self,
        user_name: str,
        password: str,
        policy: MschapV2Policy | None = None,
        *,
        random_bytes: Callable[[int], bytes] = os.urandom,
    ) -> None:
        self._first_name = user_name
        self._name = user_name
        self._password = password
        self._policy = policy or MschapV2Policy()
        self._random = random_bytes
        self._state = _State.EXPECT_CHALLENGE
        self._retries_used = 0
        self._error: int | None = None
        self._expected_auth = b""
        self._nt_response = b""
        self._password_hash_hash = b""

    def __repr__(self) -> str:
        return f"MschapV2Method(user_name={self._name!r}, state={self._state.name})"

    @property
    def msk(self) -> bytes | None:
        if self._state is not _State.SUCCESS_SENT:
            return None
        return strongswan_msk(self._password_hash_hash, self._nt_response)

    def success_error(self, log: Transcript) -> int | None:
        if self._state is _State.SUCCESS_SENT:
            return None
        log.note("EAP-Success without a verified authenticator response")
        return self._policy.bad_authenticator_error

    def failure_error(self) -> int:
        return self._error if self._error is not None else WinError.AUTHENTICATION_FAILURE

    def process(self, identifier: int, type_data: bytes, log: Transcript) -> MethodReply:
        header = parse_header(type_data)
        opcode = header.opcode
        if opcode == OpCode.CHALLENGE and self._state is _State.EXPECT_CHALLENGE:
            challenge = parse_challenge(header.body)
            log.note(f"Challenge ms-id={header.ms_chapv2_id} from {challenge.name!r}")
            return self._respond(header.ms_chapv2_id, challenge.challenge, log)
        if opcode == OpCode.SUCCESS and self._state is _State.EXPECT_SUCCESS:
            return self._on_success(header.body, log)
        if opcode == OpCode.FAILURE and self._state is _State.EXPECT_SUCCESS:
            return self._on_failure(header.ms_chapv2_id, header.body, log)
        log.note(f"unexpected OpCode {opcode} in state {self._state.name}")
        return self._fail(WinError.IPSEC_IKE_ERROR)

    def _respond(self, ms_chapv2_id: int, auth_challenge: bytes, log: Transcript) -> MethodReply:
        peer_challenge = self._random(CHALLENGE_LEN)
        user = strip_domain(self._name)
        nt_response = generate_nt_response(auth_challenge, peer_challenge, user, self._password)
        self._password_hash_hash = hash_nt_password_hash(nt_password_hash(self._password))
        self._nt_response = nt_response
        self._expected_auth = authenticator_response(
            self._password_hash_hash, nt_response, peer_challenge, auth_challenge, user
        )
        self._state = _State.EXPECT_SUCCESS
        log.note(f"Response as {self._name!r} (hashes over {user!r})")
        return MethodReply(build_response(ms_chapv2_id, peer_challenge, nt_response, self._name))

    def _on_success(self, body: bytes, log: Transcript) -> MethodReply:
        request = parse_success(body)
        if request.authenticator is None:
            log.note("Success Request without a valid S= authenticator response")
            return self._fail(self._policy.bad_authenticator_error)
        if not check_authenticator_response(self._expected_auth, request.authenticator):
            log.note("S= does not match: the gateway does not know the password")
            return self._fail(self._policy.bad_authenticator_error)
        self._state = _State.SUCCESS_SENT
        log.note(f"authenticator response verified; M={request.message!r}; Success Response")
        return MethodReply(build_short(OpCode.SUCCESS))

    def _on_failure(self, ms_chapv2_id: int, body: bytes, log: Transcript) -> MethodReply:
        request = parse_failure(body)
        error = request.error if request.error is not None else WinError.AUTHENTICATION_FAILURE
        log.note(
            f"Failure E={request.error} R={int(request.retriable)} V={request.version} "
            f"M={request.message!r}"
        )
        policy = self._policy
        if request.retriable and request.challenge and self._retries_used < policy.retries:
            self._retries_used += 1
            credentials = policy.retry_credentials[: self._retries_used]
            if credentials:
                self._password = credentials[-1].password
                self._name = (
                    self._first_name if policy.keep_first_user else credentials[-1].user_name
                )
            log.note(f"retry {self._retries_used} of {policy.retries}")
            # MS-CHAPv2-ID of the retry: the Failure's plus one, as strongSwan bumps its
            # own after sending the Failure (process_server_retry); it does not check the
            # value, and what Windows sends is *uncertain*.
            return self._respond(ms_chapv2_id + 1, request.challenge, log)
        self._error = error
        log.note(f"no retry ({policy.on_final_failure.value})")
        if policy.on_final_failure is FinalFailure.FAILURE_RESPONSE:
            self._state = _State.FAILED
            return MethodReply(build_short(OpCode.FAILURE), failure_code=error)
        return self._fail(error, delete=policy.on_final_failure is FinalFailure.DELETE)

    def _fail(self, code: int, *, delete: bool = False) -> MethodReply:
        self._state = _State.FAILED
        return MethodReply(None, failure_code=code, delete_ike_sa=delete)
