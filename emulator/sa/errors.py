"""How a connection attempt fails: always one exception type carrying a Windows error number.

Why Windows numbers this deep in the engine: the emulator must fail the way Windows fails
(DESIGN.md), and the place that knows *why* an exchange failed (a NO_PROPOSAL_CHOSEN
notify, an unanswered request, a certificate the machine rejects) is the engine. Anything
the gateway sends, however malformed, ends as a ConnectError or is dropped; no other
exception type may escape a connection attempt.
"""

from __future__ import annotations

ERROR_AUTHENTICATION_FAILURE = 691
ERROR_INTERACTIVE_MODE = 703
ERROR_NO_EAPTLS_CERTIFICATE = 798
ERROR_VPN_TIMEOUT = 809
ERROR_INTERNAL_ADDRESS_FAILURE = 840
ERROR_FAILED_CP_REQUIRED = 841
ERROR_TS_UNACCEPTABLE = 842
ERROR_IPSEC_IKE_AUTH_FAIL = 13801
ERROR_IPSEC_IKE_NO_CERT = 13806
ERROR_IPSEC_IKE_SA_DELETED = 13807
ERROR_IPSEC_IKE_ERROR = 13816
ERROR_IPSEC_IKE_NO_PRIVATE_KEY = 13820
ERROR_IPSEC_IKE_INVALID_PAYLOAD = 13843
ERROR_IPSEC_IKE_INVALID_SITUATION = 13863
ERROR_IPSEC_IKE_POLICY_MATCH = 13868


class ConnectError(Exception):
    """The attempt failed; ``code`` is what Windows would report, ``reason`` says why.

    ``delete_ike_sa`` says whether the client tells the gateway to drop the IKE SA it
    already holds: None leaves it to the engine's general rule, True/False is the
    decision of the part that failed (an EAP method follows the Windows build's
    documented behaviour: Windows 7 sends a Delete after a final MS-CHAPv2 failure,
    later builds send nothing).
    """

    def __init__(self, code: int, reason: str, *, delete_ike_sa: bool | None = None) -> None:
        super().__init__(f"{code}: {reason}")
        self.code = code
        self.reason = reason
        self.delete_ike_sa = delete_ike_sa


class ProtocolViolation(ConnectError):
    """An authenticated or otherwise accepted message breaks RFC 7296 (missing payload,
    a proposal that was never offered, a KE of the wrong group...)."""

    def __init__(self, reason: str) -> None:
        super().__init__(ERROR_IPSEC_IKE_INVALID_PAYLOAD, reason)
