"""An established IKE SA: SPIs, keys, message IDs, and sealing/opening its messages.

Sealing follows the profile's fragmentation rule (windows-client-behavior.md section 5):
once both ends sent IKEV2_FRAGMENTATION_SUPPORTED, a message whose encrypted payloads
exceed one fragment goes out as RFC 7383 fragments carrying ``fragment_ciphertext_len``
bytes of ciphertext each (512 for Windows), the last one the rest. Opening verifies the
ICV of every message and fragment before anything is decoded; what fails is reported to
the caller as a reason to drop (RFC 7296 2.21.2: a message that does not authenticate is
ignored, never answered).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from emulator.codec import (
    IkeHeader,
    IkeParseError,
    Payload,
    SkfPayload,
    SkPayload,
    decode,
    encode_payloads,
)
from emulator.codec.payloads import Proposal
from emulator.const import HeaderFlag
from emulator.crypto import (
    IkeCryptoError,
    IkeSaKeys,
    IkeSuite,
    SkProtection,
    protect_fragments,
    protect_message,
    reassemble,
    unprotect_fragment,
    unprotect_message,
)

MAX_INBOUND_FRAGMENTS = 64
"""Fragments accepted per message: more is a resource attack, not a certificate chain."""
MAX_PARTIAL_MESSAGES = 4
"""Messages reassembled at once (a response to our request and the peer's own request, with
room for a retransmission): the oldest is forgotten beyond that, so a peer that starts
message after message and never finishes one cannot make the client hoard memory. With
MAX_INBOUND_FRAGMENTS datagrams of at most 64 KiB each, reassembly holds at most 16 MiB."""
IKE_HEADER_LEN = 28
SKF_HEADER_LEN = 8
"""Generic payload header (4) plus Fragment Number and Total Fragments (2 + 2)."""


class Dropped(Exception):
    """The datagram is ignored (not ours, not authentic, or not decodable); says why."""


@dataclass(frozen=True)
class Opened:
    """A complete, authenticated message: header and decrypted inner payloads."""

    header: IkeHeader
    payloads: tuple[Payload, ...]
    fragments: int = 0
    """How many SKF fragments it arrived in (0: a plain SK message)."""


@dataclass
class _Partial:
    total: int
    first_payload: int = 0
    chunks: dict[int, bytes] = field(default_factory=dict)


@dataclass
class IkeSa:
    """State of the IKE SA as the initiator holds it."""

    spi_i: bytes
    spi_r: bytes
    suite: IkeSuite
    keys: IkeSaKeys
    proposal: Proposal
    fragmentation: bool
    fragment_ciphertext_len: int
    max_fragments: int = 0
    understands_fragments: bool = True
    """Whether the build implements RFC 7383 at all (it announces it): to a build that does
    not, an Encrypted Fragment payload is an unknown, non-critical payload, so a fragmented
    message has no SK payload it could open and is dropped like any other undecodable one."""
    message_limit: int = 0
    """The largest IKE message (IKE header on) that fits the path MTU, when the profile fits
    its fragments to it (RFC 7383 2.5.1); 0: no limit known or wanted."""
    next_mid: int = 1
    """Message ID of our next request (IKE_SA_INIT used 0)."""
    peer_mid: int = 0
    """Message ID we expect on the gateway's next request."""
    initiator: bool = True
    """Whether this client is the SA's original initiator: after a gateway-initiated IKE
    rekey the gateway is (RFC 7296 2.18), which flips the I flag and the SK_*i/r keys."""
    _partials: dict[tuple[int, bool], _Partial] = field(default_factory=dict)

    @property
    def send_protection(self) -> SkProtection:
        return SkProtection.for_sender(self.suite, self.keys, initiator=self.initiator)

    @property
    def recv_protection(self) -> SkProtection:
        return SkProtection.for_sender(self.suite, self.keys, initiator=not self.initiator)

    @property
    def spi_local(self) -> bytes:
        return self.spi_i if self.initiator else self.spi_r

    def header(self, exchange: int, message_id: int, *, response: bool) -> IkeHeader:
        flags = (HeaderFlag.INITIATOR if self.initiator else 0) | (
            HeaderFlag.RESPONSE if response else 0
        )
        return IkeHeader(self.spi_i, self.spi_r, exchange, message_id, flags)

    def seal(
        self, exchange: int, message_id: int, payloads: tuple[Payload, ...], *, response: bool
    ) -> list[bytes]:
        """The datagrams of one message (several when it is fragmented)."""
        header = self.header(exchange, message_id, response=response)
        protection = self.send_protection
        chunk = self.fragment_chunk()
        if self.fragmentation and chunk > 0:
            _, plaintext = encode_payloads(payloads)
            if len(plaintext) > chunk:
                fragments = protect_fragments(header, payloads, protection, chunk)
                if self.max_fragments and len(fragments) > self.max_fragments:
                    raise ValueError(
                        f"message needs {len(fragments)} fragments, profile allows "
                        f"{self.max_fragments}"
                    )
                return fragments
        return [protect_message(header, payloads, protection)]

    def fragment_chunk(self) -> int:
        """Plaintext bytes in each non-final fragment (its ciphertext less the Pad Length
        octet): the profile's ciphertext length, or, when a fragment that size would not fit
        message_limit, the most that does, in whole cipher blocks."""
        ciphertext = self.fragment_ciphertext_len
        if self.message_limit:
            encr = self.suite.encr
            room = (
                self.message_limit
                - IKE_HEADER_LEN
                - SKF_HEADER_LEN
                - encr.iv_size
                - self.send_protection.icv_size
            )
            fit = room - room % encr.block_size
            if fit <= encr.block_size:
                raise ValueError(f"a {self.message_limit}-byte message limit leaves no room")
            ciphertext = min(ciphertext, fit) if ciphertext > 0 else fit
        return ciphertext - 1

    def open(self, raw: bytes) -> Opened | None:
        """The authenticated message in RAW, None while fragments are missing.

        Raises Dropped for anything to ignore: foreign SPIs, bad ICV, undecodable bytes.
        """
        try:
            outer = decode(raw)
        except IkeParseError as exc:
            raise Dropped(f"undecodable: {exc}") from None
        header = outer.header
        if header.spi_i != self.spi_i or header.spi_r != self.spi_r:
            raise Dropped(
                f"SPIs {header.spi_i.hex()}_i {header.spi_r.hex()}_r are not this IKE SA's"
            )
        if header.is_initiator == self.initiator:
            state = "set" if header.is_initiator else "clear"
            peer = "responder" if self.initiator else "initiator"
            raise Dropped(f"initiator flag {state} on a message from the {peer}")
        last = outer.payloads[-1] if outer.payloads else None
        try:
            if isinstance(last, SkPayload):
                _, payloads = unprotect_message(raw, self.recv_protection)
                return Opened(header, payloads)
            if isinstance(last, SkfPayload):
                if not self.understands_fragments:
                    raise Dropped(
                        f"{header.exchange} message in an Encrypted Fragment payload (RFC "
                        "7383), which this build does not implement: no SK payload"
                    )
                return self._fragment(raw, header)
        except (IkeCryptoError, IkeParseError) as exc:
            raise Dropped(f"does not authenticate or decrypt: {exc}") from None
        raise Dropped(f"{header.exchange} message without SK payload after IKE_SA_INIT")

    def _fragment(self, raw: bytes, header: IkeHeader) -> Opened | None:
        """Store one authenticated fragment; the whole message once all have arrived.

        RFC 7383 2.6.2: a fragment announcing more fragments than the ones held restarts
        the message, one announcing fewer is dropped; the first fragment must name the first
        inner payload. Every refusal says which rule the fragment broke.
        """
        _, skf, chunk = unprotect_fragment(raw, self.recv_protection)
        number, total = skf.fragment_number, skf.total_fragments
        what = f"fragment {number}/{total} of {header.exchange} message {header.message_id}"
        if total > MAX_INBOUND_FRAGMENTS:
            raise Dropped(f"{what}: more than the {MAX_INBOUND_FRAGMENTS} fragments accepted")
        if number == 1 and skf.first_payload == 0:
            raise Dropped(f"{what}: the first fragment names no first inner payload")
        key = (header.message_id, header.is_response)
        partial = self._partials.get(key)
        if partial is not None and total < partial.total:
            raise Dropped(f"{what}: fewer than the {partial.total} fragments announced before")
        if partial is None or total > partial.total:
            self._partials.pop(key, None)
            while len(self._partials) >= MAX_PARTIAL_MESSAGES:
                del self._partials[next(iter(self._partials))]
            partial = self._partials[key] = _Partial(total)
        if number in partial.chunks:
            raise Dropped(f"{what}: already held (a retransmission)")
        partial.chunks[number] = chunk
        if number == 1:
            partial.first_payload = skf.first_payload
        if len(partial.chunks) < partial.total:
            return None
        del self._partials[key]
        ordered = [partial.chunks[n] for n in range(1, partial.total + 1)]
        return Opened(header, reassemble(partial.first_payload, ordered), partial.total)
