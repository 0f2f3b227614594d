"""What an EAP method (MS-CHAPv2, TLS) provides to the generic peer.

The peer (:mod:`emulator.eap.peer`) owns everything methods share: Identity,
Notification, the NAK when the gateway proposes another method first, EAP-Success and
EAP-Failure, duplicate requests and the transcript. A method only sees the Requests of
its own type and answers three questions: what to reply, whether an EAP-Success is
acceptable now (mutual authentication done?), and which Windows error an EAP-Failure
means at this point.
"""

from __future__ import annotations

import abc
from dataclasses import dataclass
from typing import ClassVar

from emulator.const import EapType
from emulator.eap.transcript import Transcript


@dataclass(frozen=True)
class MethodReply:
    """A method's answer to one Request of its type.

    ``type_data`` is the Response's Type-Data (after the Type octet), or None to send
    nothing, which is only allowed together with ``failure_code``: the peer promises its
    caller that "no response" always means "conversation over". A reply may carry both
    data and a failure code (a TLS alert to send after rejecting the server
    certificate). ``delete_ike_sa`` asks the IKE layer to send a Delete instead of a
    response (Windows 7 after a final MS-CHAPv2 failure).
    """

    type_data: bytes | None
    failure_code: int | None = None
    delete_ike_sa: bool = False


class EapMethod(abc.ABC):
    """One EAP authentication method on the peer side."""

    eap_type: ClassVar[EapType]

    @abc.abstractmethod
    def process(self, identifier: int, type_data: bytes, log: Transcript) -> MethodReply:
        """Answer a Request of this method's type.

        May raise :class:`emulator.eap.errors.EapParseError` for malformed Type-Data;
        the peer turns that into a protocol failure.
        """

    @abc.abstractmethod
    def success_error(self, log: Transcript) -> int | None:
        """None if an EAP-Success is acceptable now, else the Windows error to report.

        A gateway that sends EAP-Success before proving itself (no valid MS-CHAPv2 S=,
        an unfinished TLS handshake) must not be trusted.
        """

    @abc.abstractmethod
    def failure_error(self) -> int:
        """The Windows error an EAP-Failure means in the method's current state."""

    @property
    @abc.abstractmethod
    def msk(self) -> bytes | None:
        """The 64-byte MSK once the method has derived it, else None."""
