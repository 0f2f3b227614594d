"""How the emulated Windows build reacts to an MS-CHAPv2 failure (profile options).

What is known (windows-client-behavior.md 2.7, from comments in strongSwan 5.9.8
``eap_mschapv2.c``): strongSwan answers a wrong password or unknown user with a Failure
Request ``E=691 R=1 C=<new challenge>`` (no V= or M= in 5.9.8) and allows 2 retries
(``MAX_RETRIES``), then sends EAP-Failure. Windows 7 retries with the user name first
entered even if the user changed it; Windows never sends an MS-CHAPv2 Failure Response,
and Windows 7 sends an IKE Delete instead. How often a given build retries (it prompts a
person; ``rasdial`` with stored credentials has no one to ask) is *uncertain*, so the
retry count is an option defaulting to none. The profile fields
``mschapv2_retries``, ``mschapv2_keep_first_user`` and ``mschapv2_delete_on_failure``
map onto :class:`MschapV2Policy`.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field

from emulator.eap.codes import WinError


class FinalFailure(enum.StrEnum):
    """What the peer sends when it will not (or may not) retry after a Failure Request."""

    #: nothing (Windows 8 and later, per strongSwan's comment "windows clients don't do that").
    SILENT = "silent"
    #: nothing in EAP; the IKE layer deletes the IKE SA (Windows 7).
    DELETE = "delete"
    #: an MS-CHAPv2 Failure Response (the draft's SHOULD; not Windows, for comparisons).
    FAILURE_RESPONSE = "failure-response"


@dataclass(frozen=True)
class RetryCredential:
    """What the person types at a retry prompt; the password never appears in a repr."""

    user_name: str
    password: str = field(repr=False)


@dataclass(frozen=True)
class MschapV2Policy:
    """Retry and failure behaviour of one Windows build."""

    #: how many retriable (R=1) failures are answered with a new Response.
    retries: int = 0
    #: credentials typed at retry prompt 1, 2, ...; missing entries repeat the previous ones.
    retry_credentials: tuple[RetryCredential, ...] = ()
    #: a retry sends the user name first entered, whatever was typed (Windows 7).
    keep_first_user: bool = True
    on_final_failure: FinalFailure = FinalFailure.SILENT
    #: the error for a Success Request whose S= does not verify. *uncertain*: RAS 778
    #: "It was not possible to verify the identity of the server" is the documented text.
    bad_authenticator_error: int = WinError.UNABLE_TO_AUTHENTICATE_SERVER
