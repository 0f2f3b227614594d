"""The initiator state machine of one connection, on its own thread.

Why a thread that owns everything: the gateway may send requests at any time (liveness
checks, deletes) while the client waits for its own responses, and a suite calls
connect/disconnect from the pytest thread. One thread reading one inbox (datagrams from
the transport, commands from the API) keeps every IKE SA field single-owner; callers
wait on a Future or an Event, never on a sleep. Every wait has a deadline from the
profile's retransmission schedule, and everything a gateway sends either advances the
exchange, is dropped with a log line, or ends the attempt with a ConnectError. A change
of the machine's network arrives the same way, as a command from the transport's path
watch: the session moves the IKE SA to the new address (MOBIKE, emulator.sa.mobike) or,
without a usable network, keeps it for the profile's outage time.
"""

from __future__ import annotations

import enum
import os
import queue
import threading
import time
import traceback
from collections.abc import Callable
from concurrent.futures import Future
from concurrent.futures import TimeoutError as FutureTimeout
from dataclasses import dataclass

from emulator.codec import (
    DeletePayload,
    IdrPayload,
    IkeMessage,
    IkeParseError,
    Payload,
    decode,
    describe,
)
from emulator.codec.payloads import AuthPayload
from emulator.const import ExchangeType, NotifyType, ProtocolId
from emulator.crypto import key_exchange
from emulator.log import ClientLog
from emulator.net.transport import Datagram, IPAddress, Transport
from emulator.sa import auth_exchange, child_rekey, ike_rekey, init_exchange, mobike
from emulator.sa.authenticator import AuthContext
from emulator.sa.child import ChildSa
from emulator.sa.dial import DialConfig
from emulator.sa.errors import (
    ERROR_IPSEC_IKE_AUTH_FAIL,
    ERROR_IPSEC_IKE_ERROR,
    ERROR_IPSEC_IKE_POLICY_MATCH,
    ERROR_VPN_TIMEOUT,
    ConnectError,
)
from emulator.sa.ike_sa import Dropped, IkeSa, Opened
from emulator.sa.informational import answer
from emulator.sa.lifecycle import Due, Lifecycle
from emulator.sa.names import proposal_name

MAX_RESTARTS = 3
"""IKE_SA_INIT restarts (COOKIE / INVALID_KE) before giving up: a loop is an attack."""


class State(enum.StrEnum):
    IDLE = "idle"
    CONNECTING = "connecting"
    ESTABLISHED = "established"
    CLOSED = "closed"
    FAILED = "failed"


class _Command(enum.Enum):
    DISCONNECT = "disconnect"
    ABORT = "abort"
    PATH_CHANGED = "path changed"


class _Aborted(Exception):
    """The API gave up waiting (connect timeout) or the client is being closed."""


class _NoResponse(Exception):
    """A request went unanswered through the whole retransmission schedule."""


@dataclass(frozen=True)
class _Outstanding:
    """A request on the wire: what to retransmit, and which response ends it."""

    sa: IkeSa
    exchange: int
    mid: int
    datagrams: list[bytes]


class _PathLost(Exception):
    """The network changed under an outstanding request (established SA only): the request
    waits until the IKE SA has a path again, then goes out from there (window size 1)."""

    def __init__(self, request: _Outstanding) -> None:
        super().__init__(f"{ExchangeType(request.exchange).name} request {request.mid}")
        self.request = request


@dataclass(frozen=True)
class Established:
    sa: IkeSa
    child: ChildSa
    idr: IdrPayload
    behind_nat: bool


DownCallback = Callable[[str], None]


@dataclass(frozen=True)
class SessionHooks:
    """What the session tells its owner (the data path lives outside the IKE thread)."""

    on_down: DownCallback | None = None
    on_child: Callable[[ChildSa], None] | None = None
    """A rekeyed CHILD SA to send with from now on (the old one still receives)."""
    on_child_retired: Callable[[ChildSa], None] | None = None
    """A CHILD SA that was deleted: stop receiving on it."""
    on_ike_sa: Callable[[IkeSa], None] | None = None
    """A rekeyed IKE SA (its keys belong in the decryption table)."""
    last_traffic: Callable[[], float] | None = None
    """Monotonic time of the last ESP packet (Windows' idle timer); None: never idle."""
    on_path_change: Callable[[], str | None] | None = None
    """The machine's network changed: re-point the route to the gateway outside the tunnel
    (returns the new route for the log, None if nothing changed)."""


class IkeSession:
    """One dial: connect, then serve the IKE SA until disconnect, delete or close."""

    def __init__(
        self,
        transport: Transport,
        config: DialConfig,
        log: ClientLog,
        *,
        on_down: DownCallback | None = None,
        hooks: SessionHooks | None = None,
    ) -> None:
        self.transport = transport
        self.config = config
        self.log = log
        self.state = State.IDLE
        self.sa: IkeSa | None = None
        self.child: ChildSa | None = None
        self.behind_nat = False
        self.down_reason = ""
        self.down_error: int | None = None
        """The Windows error the connection ended with (None: hung up, or deleted)."""
        self.hooks = hooks or SessionHooks(on_down=on_down)
        self.lifecycle: Lifecycle | None = None
        self.rekey_errors: list[ConnectError] = []
        """Rekeys the gateway refused (Windows error and reason), in order."""
        self._retiring_children: list[ChildSa] = []
        self._retiring_sas: list[IkeSa] = []
        self._inbox: queue.Queue[Datagram | _Command] = queue.Queue()
        self._deferred: list[_Command] = []
        self._established: Future[Established] = Future()
        self._finished = threading.Event()
        self._thread: threading.Thread | None = None
        self._natt = False
        self._responses: dict[tuple[bytes, int], list[bytes]] = {}
        self._gateway_has_sa = False
        self.peer_mobike = False
        """The gateway announced MOBIKE_SUPPORTED in its last IKE_AUTH response."""
        self._announced: IPAddress | None = None
        """The client address the gateway's IKE SA has (where its responses go)."""
        self._interrupted: _Outstanding | None = None

    # --- API (any thread) ------------------------------------------------------------

    def connect(self, timeout: float) -> Established:
        """Run IKE_SA_INIT and IKE_AUTH; raise ConnectError (809 after TIMEOUT seconds)."""
        if self._thread is not None:
            raise RuntimeError("an IkeSession dials once")
        self.state = State.CONNECTING
        self.transport.start(self._inbox.put, lambda: self._inbox.put(_Command.PATH_CHANGED))
        self._thread = threading.Thread(target=self._run, name="emulator-ike", daemon=True)
        self._thread.start()
        try:
            return self._established.result(timeout)
        except FutureTimeout:
            self._inbox.put(_Command.ABORT)
            self._thread.join(timeout=5)
            raise ConnectError(
                ERROR_VPN_TIMEOUT, f"no connection within the {timeout:g} s connect timeout"
            ) from None

    def disconnect(self, timeout: float) -> None:
        """Delete the CHILD SA, then the IKE SA (as Windows does); wait up to TIMEOUT."""
        if self._thread is None or self._finished.is_set():
            return
        self._inbox.put(_Command.DISCONNECT)
        if not self._finished.wait(timeout):
            self._inbox.put(_Command.ABORT)
        self._thread.join(timeout=5)

    def close(self) -> None:
        """Stop the thread; an established IKE SA gets a Delete it does not wait for (an
        abandoned SA should not linger on the gateway). Idempotent."""
        if self._thread is not None and self._thread.is_alive():
            self._inbox.put(_Command.ABORT)
            self._thread.join(timeout=5)

    @property
    def up(self) -> bool:
        return self.state is State.ESTABLISHED

    # --- the thread ------------------------------------------------------------------

    def _run(self) -> None:
        try:
            established = self._connect()
        except _Aborted:
            self._fail(ConnectError(ERROR_VPN_TIMEOUT, "connection attempt aborted"))
            return
        except ConnectError as exc:
            self._fail(exc)
            return
        except Exception as exc:  # an emulator bug must still end as a classified error
            self.log.line("IKE", "internal error: " + "".join(traceback.format_exception(exc)))
            self._fail(ConnectError(ERROR_IPSEC_IKE_ERROR, f"emulator internal error: {exc!r}"))
            return
        self.state = State.ESTABLISHED
        self._established.set_result(established)
        try:
            self._serve()
        except _Aborted:
            # Abandoned without a disconnect (closed, or a connect that succeeded after its
            # caller gave up): the gateway should not keep the SA.
            self._send_ike_delete()
            self._down("closed")
        except Exception as exc:
            self.log.line("IKE", "internal error: " + "".join(traceback.format_exception(exc)))
            self._down(f"emulator internal error: {exc!r}")
        finally:
            self._finished.set()

    def _fail(self, error: ConnectError) -> None:
        self.state = State.FAILED
        self.down_reason = error.reason
        self.log.line("IKE", f"connection failed with Windows error {error.code}: {error.reason}")
        # The gateway already holds the IKE SA: Windows deletes it when the CHILD SA fails
        # (INTERNAL_ADDRESS_FAILURE, mrled/algo notes.md); for a gateway it rejected, what
        # it sends is the profile's on_gateway_auth_failure (uncertain).
        rejected_gateway = error.code == ERROR_IPSEC_IKE_AUTH_FAIL
        delete = error.delete_ike_sa
        if delete is None:
            delete = (
                not rejected_gateway
                or self.config.options.on_gateway_auth_failure == "delete-ike-sa"
            )
        if self._gateway_has_sa and self.sa is not None and delete:
            self._send_ike_delete()
        self._established.set_exception(error)
        self._finished.set()

    def _down(self, reason: str) -> None:
        if self.state is State.ESTABLISHED:
            self.state = State.CLOSED
            self.down_reason = reason
            self.log.line("IKE", f"connection down: {reason}")
            if self.hooks.on_down is not None:
                self.hooks.on_down(reason)

    # --- waiting ---------------------------------------------------------------------

    def _wait(self, deadline: float, *, wake_on_command: bool = False) -> Datagram | None:
        """The next datagram before DEADLINE, or None (also on a command if asked to)."""
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return None
            try:
                item = self._inbox.get(timeout=remaining)
            except queue.Empty:
                return None
            if item is _Command.ABORT:
                raise _Aborted
            if isinstance(item, _Command):
                self._deferred.append(item)
                if wake_on_command:
                    return None
                continue
            return item

    def _schedule(self) -> tuple[float, ...]:
        clock = self.config.clock
        return tuple(clock.retransmit(t) for t in self.config.options.retransmit_timeouts_s)

    # --- sending ---------------------------------------------------------------------

    def _send(self, datagrams: list[bytes]) -> None:
        transport = self.transport
        local_port = transport.local_natt_port if self._natt else transport.local_port
        server_port = transport.server_natt_port if self._natt else transport.server_port
        for data in datagrams:
            self.log.line(
                "NET",
                f"sending packet: from {self.transport.local}[{local_port}] to "
                f"{self.transport.server}[{server_port}] ({len(data)} bytes)",
            )
            try:
                self.transport.send_ike(data, natt=self._natt)
            except OSError as exc:
                # No route or no source address: lost like on a dead network, retransmitted.
                self.log.line("NET", f"sending failed: {exc}")

    def _log_fragments(self, kind: str, exchange: int, mid: int, datagrams: list[bytes]) -> None:
        if len(datagrams) > 1:
            name = ExchangeType(exchange).name
            for number in range(1, len(datagrams) + 1):
                self.log.line(
                    "ENC", f"generating {name} {kind} {mid} [ EF({number}/{len(datagrams)}) ]"
                )

    def _message_limit(self) -> int:
        """The largest IKE message the path MTU carries unfragmented on port 4500, if the
        profile fits its fragments to the path MTU and the kernel knows it (else 0)."""
        mtu = self.transport.path_mtu
        if not self.config.options.fragment_fit_path_mtu or not mtu:
            return 0
        self.log.line("NET", f"path MTU to {self.transport.server} is {mtu} bytes")
        return mtu - self.transport.ike_overhead

    # --- IKE_SA_INIT -----------------------------------------------------------------

    def _connect(self) -> Established:
        config, options = self.config, self.config.options
        groups = init_exchange.offered_groups(config.ike_proposals)
        if not groups:
            raise ConnectError(
                ERROR_IPSEC_IKE_ERROR, "the IKE proposals offer no Diffie-Hellman group"
            )
        attempt = init_exchange.InitAttempt(
            init_exchange.new_spi(),
            config.ike_proposals,
            key_exchange(groups[0]),
            os.urandom(options.nonce_length),
        )
        self.log.line("IKE", f"initiating IKE_SA to {self.transport.server} as profile client")
        for restart in range(MAX_RESTARTS + 1):
            message, raw = self._init_exchange(attempt)
            verdict = init_exchange.restart_or_refusal(message, attempt)
            if verdict is None:
                break
            if restart == MAX_RESTARTS:
                raise ConnectError(ERROR_IPSEC_IKE_ERROR, "IKE_SA_INIT restarted too often")
            if verdict.cookie is not None:
                self.log.line("IKE", "received COOKIE, restarting IKE_SA_INIT with it")
                attempt.cookie = verdict.cookie
                continue
            group = verdict.group
            assert group is not None
            if not options.invalid_ke_retry or group not in groups or group == attempt.ke.group:
                raise ConnectError(
                    ERROR_IPSEC_IKE_POLICY_MATCH,
                    f"the gateway asked for D-H group {init_exchange.group_name(group)} "
                    "(INVALID_KE_PAYLOAD), which this client does not retry with",
                )
            self.log.line(
                "IKE",
                f"peer didn't accept {init_exchange.group_name(attempt.ke.group)}, "
                f"it requested {init_exchange.group_name(group)}",
            )
            attempt = init_exchange.InitAttempt(
                init_exchange.new_spi(),
                config.ike_proposals,
                key_exchange(group),
                os.urandom(options.nonce_length),
            )
        init = init_exchange.complete(
            message,
            raw,
            attempt,
            local=self.transport.local,
            local_port=self.transport.local_port,
            fragmentation_offered=options.frag_sup_in_init,
            fragment_ciphertext_len=options.fragment_ciphertext_len,
            max_fragments=options.max_fragments,
            message_limit=self._message_limit(),
        )
        self.sa = sa = init.sa
        self.behind_nat = init.behind_nat
        self.log.line("CFG", f"selected proposal: {proposal_name(init.chosen)}")
        self.log.line(
            "IKE",
            "local host is behind NAT" if init.behind_nat else "no NAT detected by the responder",
        )
        self._natt = True  # Windows always moves IKE_AUTH to 4500 (MOBIKE, RFC 4555 3.3)
        context = AuthContext(
            attempt.raw,
            init.response_raw,
            attempt.nonce,
            init.nonce_r,
            sa.suite.prf,
            sa.keys.sk_pi,
            sa.keys.sk_pr,
            self.transport.local,
        )
        return self._authenticate(sa, context)

    def _init_exchange(self, attempt: init_exchange.InitAttempt) -> tuple[IkeMessage, bytes]:
        """Send ATTEMPT until a response arrives; ignore what is not one."""
        options = self.config.options
        raw_request = init_exchange.build_request(
            attempt,
            frag_sup=options.frag_sup_in_init,
            vendor_ids=self.config.vendor_ids,
            local=self.transport.local,
            local_port=self.transport.local_port,
            server=self.transport.server,
            server_port=self.transport.server_port,
        )
        assert attempt.message is not None
        self.log.line("ENC", f"generating {describe(attempt.message)}")
        for timeout in self._schedule():
            self._send([raw_request])
            deadline = time.monotonic() + timeout
            while (datagram := self._wait(deadline)) is not None:
                try:
                    message = decode(datagram.data)
                except IkeParseError as exc:
                    self.log.line("ENC", f"ignoring undecodable IKE_SA_INIT response: {exc}")
                    continue
                if not init_exchange.is_response_to(message, attempt):
                    self.log.line("ENC", f"ignoring unexpected {describe(message)}")
                    continue
                self.log.line("ENC", f"parsed {describe(message)}")
                if message.notifies(NotifyType.COOKIE) and not options.cookie_support:
                    self.log.line("IKE", "ignoring COOKIE: the profile does not support it")
                    continue
                return message, datagram.data
            self.log.line("IKE", f"retransmitting IKE_SA_INIT request 0 after {timeout:g} s")
        raise ConnectError(
            ERROR_VPN_TIMEOUT,
            f"no IKE_SA_INIT response from {self.transport.server} after "
            f"{len(self._schedule())} transmissions",
        )

    # --- IKE_AUTH --------------------------------------------------------------------

    def _authenticate(self, sa: IkeSa, context: AuthContext) -> Established:
        config = self.config
        spi_in = child_rekey.new_esp_spi()
        offer = auth_exchange.esp_offer(config, spi_in)
        payloads = auth_exchange.first_request(config, context, offer)
        opened = self._request(sa, ExchangeType.IKE_AUTH, payloads)
        if any(isinstance(p, AuthPayload) for p in opened.payloads):
            self._gateway_has_sa = True
        idr = auth_exchange.verify_responder(opened.payloads, config, context)
        self.log.line("IKE", "authentication of the gateway with its certificate successful")
        following = config.authenticator.next_payloads(context, opened.payloads)
        while following is not None:
            opened = self._request(sa, ExchangeType.IKE_AUTH, following)
            following = config.authenticator.next_payloads(context, opened.payloads)
        child = auth_exchange.child_from_response(
            opened.payloads, sa, context.nonce_i, context.nonce_r, offer
        )
        self.child = child
        self.peer_mobike = mobike.peer_supports(opened.payloads)
        self.log.line(
            "IKE",
            f"CHILD_SA established with SPIs {child.spi_in.hex()}_i {child.spi_out.hex()}_o, "
            f"{proposal_name(child.proposal)}, virtual IP {', '.join(child.config.addresses)}",
        )
        return Established(sa, child, idr, self.behind_nat)

    def _request(self, sa: IkeSa, exchange: int, payloads: tuple[Payload, ...]) -> Opened:
        """One request/response exchange with retransmissions; answers gateway requests
        that arrive meanwhile. Raises ConnectError(809) while connecting, _NoResponse after."""
        mid = sa.next_mid
        datagrams = sa.seal(exchange, mid, payloads, response=False)
        header = sa.header(exchange, mid, response=False)
        self.log.line("ENC", f"generating {describe(IkeMessage(header, ()), payloads)}")
        self._log_fragments("request", exchange, mid, datagrams)
        return self._exchange(_Outstanding(sa, exchange, mid, datagrams))

    def _exchange(self, request: _Outstanding) -> Opened:
        """Send REQUEST on the retransmission schedule until its response arrives; raises
        _PathLost when the machine's network changes meanwhile (established SA only)."""
        sa, exchange, mid = request.sa, request.exchange, request.mid
        for timeout in self._schedule():
            self._send(request.datagrams)
            deadline = time.monotonic() + timeout
            while True:
                established = self.state is State.ESTABLISHED
                datagram = self._wait(deadline, wake_on_command=established)
                if datagram is None:
                    if established and self._path_moved():
                        raise _PathLost(request)
                    if time.monotonic() < deadline:
                        continue
                    break
                opened = self._receive(sa, datagram)
                if opened is None:
                    continue
                if opened.header.message_id == mid and opened.header.exchange == exchange:
                    sa.next_mid += 1
                    return opened
                got = opened.header.message_id
                self.log.line("ENC", f"ignoring response with message ID {got}")
            name = ExchangeType(exchange).name
            self.log.line("IKE", f"retransmit of {name} request {mid} after {timeout:g} s")
        if self.state is State.CONNECTING:
            raise ConnectError(
                ERROR_VPN_TIMEOUT,
                f"no {ExchangeType(exchange).name} response after "
                f"{len(self._schedule())} transmissions",
            )
        raise _NoResponse(f"{ExchangeType(exchange).name} request {mid} unanswered")

    def _path_moved(self) -> bool:
        """A path change is pending and the route to the gateway is gone or has another
        source (the command stays for _serve); False, and the command consumed, otherwise."""
        if _Command.PATH_CHANGED not in self._deferred:
            return False
        if self.hooks.on_path_change is not None:
            route = self.hooks.on_path_change()
            if route is not None:
                self.log.line("KNL", f"host route to the gateway now {route}")
        if self._usable(self.transport.source()) == self.transport.local:
            self._deferred = [c for c in self._deferred if c is not _Command.PATH_CHANGED]
            return False
        return True

    def _usable(self, source: IPAddress | None) -> IPAddress | None:
        """SOURCE if the gateway can be reached from it outside the tunnel, else None (no
        route, or only the tunnel's own virtual address: no network at all)."""
        own = set(self.child.config.addresses) if self.child is not None else set()
        return None if source is None or str(source) in own else source

    def _receive(self, sa: IkeSa, datagram: Datagram) -> Opened | None:
        """A complete response for SA from DATAGRAM; requests (on SA, or on an IKE SA a rekey
        is replacing) are answered here, junk dropped."""
        target = self._sa_of(datagram.data) or sa
        try:
            opened = target.open(datagram.data)
        except Dropped as why:
            self.log.line("ENC", f"dropping message: {why}")
            return None
        if opened is None:
            return None
        described = describe(IkeMessage(opened.header, ()), opened.payloads)
        self.log.line("ENC", f"parsed {described}")
        if not opened.header.is_response:
            self._answer(target, opened)
            return None
        if target is not sa:
            self.log.line("ENC", "ignoring a response on another IKE SA")
            return None
        return opened

    def _sa_of(self, data: bytes) -> IkeSa | None:
        """The IKE SA (current or retiring) whose SPIs head DATA."""
        spis = data[:16]
        for candidate in (self.sa, *self._retiring_sas):
            if candidate is not None and spis == candidate.spi_i + candidate.spi_r:
                return candidate
        return None

    # --- gateway requests ------------------------------------------------------------

    def _answer(self, sa: IkeSa, request: Opened) -> None:
        mid = request.header.message_id
        exchange = request.header.exchange
        key = (sa.spi_i, mid)
        if mid + 1 == sa.peer_mid and key in self._responses:
            self.log.line("IKE", f"retransmitting response to request {mid}")
            self._send(self._responses[key])
            return
        if mid != sa.peer_mid:
            self.log.line("IKE", f"ignoring request {mid}, expected {sa.peer_mid}")
            return
        if exchange == ExchangeType.INFORMATIONAL:
            self._answer_informational(sa, request)
        elif exchange == ExchangeType.CREATE_CHILD_SA:
            self._answer_create_child(sa, request)
        else:
            self.log.line("IKE", f"ignoring {ExchangeType(exchange).name} request")

    def _respond(self, sa: IkeSa, request: Opened, payloads: tuple[Payload, ...]) -> None:
        mid, exchange = request.header.message_id, request.header.exchange
        datagrams = sa.seal(exchange, mid, payloads, response=True)
        header = sa.header(exchange, mid, response=True)
        self.log.line("ENC", f"generating {describe(IkeMessage(header, ()), payloads)}")
        self._responses = {(sa.spi_i, mid): datagrams}
        sa.peer_mid += 1
        self._send(datagrams)

    def _answer_informational(self, sa: IkeSa, request: Opened) -> None:
        children = tuple(c for c in (self.child, *self._retiring_children) if c is not None)
        result = answer(request.payloads, children)
        self._respond(sa, request, result.payloads)
        if result.note:
            self.log.line("IKE", result.note)
        for child in result.deleted:
            if child is self.child:
                self.child = None
                if self.lifecycle is not None:
                    self.lifecycle.child_gone()
                self._down(result.note)
            else:
                self._retire_child(child)
        if result.ike_deleted:
            if sa in self._retiring_sas:
                self._retiring_sas.remove(sa)
                self.log.line("IKE", f"IKE SA {sa.spi_i.hex()}_i replaced by its rekey is gone")
            else:
                self._down(result.note)

    def _answer_create_child(self, sa: IkeSa, request: Opened) -> None:
        if ike_rekey.is_ike_rekey(request.payloads):
            ike = ike_rekey.answer_gateway(
                request.payloads, sa, self.config.ike_proposals, self.config.options
            )
            self.log.line("IKE", ike.note)
            if ike.payloads is None:
                return
            self._respond(sa, request, ike.payloads)
            if ike.new is not None:
                self._switch_sa(ike.new)
            return
        children = (self.child,) if self.child is not None else ()
        child = child_rekey.answer_gateway(
            request.payloads, children, self.config, sa, behind_nat=self.behind_nat
        )
        self._respond(sa, request, child.payloads)
        self.log.line("IKE", child.note)
        if child.new is not None:
            self._install_child(child.new, replaces=child.replaces)

    # --- SA replacement --------------------------------------------------------------

    def _install_child(self, new: ChildSa, *, replaces: ChildSa | None) -> None:
        if self.hooks.on_child is not None:
            self.hooks.on_child(new)
        if replaces is not None:
            self._retiring_children.append(replaces)
        self.child = new
        if self.lifecycle is not None:
            self.lifecycle.child_new()
        self.log.line(
            "IKE",
            f"CHILD_SA rekeyed: SPIs {new.spi_in.hex()}_i {new.spi_out.hex()}_o, "
            f"{proposal_name(new.proposal)}",
        )

    def _retire_child(self, old: ChildSa) -> None:
        if old in self._retiring_children:
            self._retiring_children.remove(old)
        if self.hooks.on_child_retired is not None:
            self.hooks.on_child_retired(old)

    def _switch_sa(self, new: IkeSa) -> None:
        old = self.sa
        if old is not None:
            self._retiring_sas.append(old)
        self.sa = new
        if self.hooks.on_ike_sa is not None:
            self.hooks.on_ike_sa(new)
        if self.lifecycle is not None:
            self.lifecycle.ike_new()
        self.log.line(
            "IKE",
            f"IKE SA rekeyed: SPIs {new.spi_i.hex()}_i {new.spi_r.hex()}_r, "
            f"{proposal_name(new.proposal)}",
        )

    # --- established -----------------------------------------------------------------

    def _serve(self) -> None:
        assert self.sa is not None
        life = self.lifecycle = Lifecycle(
            self.config.options, self.config.clock, behind_nat=self.behind_nat
        )
        self._announced = self.transport.local
        while self.state is State.ESTABLISHED:
            if _Command.DISCONNECT in self._deferred:
                self._disconnect()
                return
            if _Command.PATH_CHANGED in self._deferred:
                self._deferred = [c for c in self._deferred if c is not _Command.PATH_CHANGED]
                try:
                    self._path_changed(life)
                except _PathLost as lost:
                    self._interrupted = lost.request
                    continue
                except _NoResponse as exc:
                    self.down_error = self.config.options.lost_peer_error
                    self._down(
                        f"the gateway did not answer the address update: {exc} "
                        f"(Windows error {self.down_error})"
                    )
                    return
                except ConnectError as exc:
                    self.down_error = exc.code
                    self._down(f"the address update failed with Windows error {exc.code}: {exc}")
                    return
                continue
            datagram = self._wait(life.next_deadline(), wake_on_command=True)
            if datagram is not None:
                if self._receive(self.sa, datagram) is not None:
                    self.log.line("IKE", "ignoring a response to no outstanding request")
                continue
            now = time.monotonic()
            for due in life.due(now):
                if self.state is not State.ESTABLISHED:
                    return
                if not life.is_due(due, time.monotonic()):
                    continue  # an earlier action moved it (a rekey renews the CHILD expiry)
                try:
                    self._act(due, life, now)
                except _PathLost as lost:
                    self.log.line("IKE", f"the network changed during {lost}")
                    self._interrupted = lost.request
                    break
                except _NoResponse as exc:
                    self.down_error = self.config.options.lost_peer_error
                    self._down(
                        f"the gateway did not answer the {due.value}: {exc} "
                        f"(Windows error {self.down_error})"
                    )
                    return

    def _act(self, due: Due, life: Lifecycle, now: float) -> None:
        sa = self.sa
        assert sa is not None
        if due is Due.OUTAGE:
            self.down_error = self.config.options.lost_peer_error
            self._down(
                f"no usable network for {self.config.options.outage_time_s} s (Windows time, "
                f"the profile's outage_time_s) (Windows error {self.down_error})"
            )
        elif due is Due.KEEPALIVE:
            self.transport.send_keepalive()
            life.keepalive_sent(now)
        elif due is Due.DPD:
            self._request(sa, ExchangeType.INFORMATIONAL, ())
            life.dpd_sent(time.monotonic())
        elif due is Due.CHILD_REKEY:
            self._rekey_child(sa, life)
        elif due is Due.IKE_REKEY:
            self._rekey_ike(sa, life)
        elif due is Due.CHILD_EXPIRED:
            self._delete_child(sa, "the CHILD SA reached its lifetime without a rekey")
        elif due is Due.IDLE:
            last = self.hooks.last_traffic
            if last is not None and life.idle_checked(last(), now):
                idle = self.config.options.idle_child_delete_s
                self._delete_child(sa, f"no traffic for {idle} s (idle CHILD SA)")
            elif last is None:
                life.idle_off()

    def _path_changed(self, life: Lifecycle) -> None:
        """The machine's addresses or routes changed: move the IKE SA, or wait it out."""
        now = time.monotonic()
        transport = self.transport
        if self.hooks.on_path_change is not None:
            route = self.hooks.on_path_change()
            if route is not None:
                self.log.line("KNL", f"host route to the gateway now {route}")
        source = self._usable(transport.source())
        if source is None:
            if not life.in_outage:
                life.outage_began(now)
                self.log.line(
                    "IKE",
                    f"no usable network (no source address toward {transport.server}): "
                    f"keeping the IKE SA for {self.config.options.outage_time_s} s",
                )
            return
        old, transport.local = transport.local, source
        if life.in_outage:
            life.outage_ended(now)
            self.log.line("IKE", f"network back on {source}")
        interrupted, self._interrupted = self._interrupted, None
        if interrupted is not None:
            # Window size 1: the request the change interrupted is answered first.
            name = ExchangeType(interrupted.exchange).name
            self.log.line("IKE", f"retransmitting {name} request {interrupted.mid} from {source}")
            self._exchange(interrupted)
        if source == self._announced:
            return
        if not self.peer_mobike:
            self.log.line(
                "IKE",
                f"local address changed from {old} to {source}, but the gateway did not "
                "announce MOBIKE: the IKE SA cannot follow",
            )
            return
        sa = self.sa
        assert sa is not None
        path = mobike.Endpoints(
            sa.spi_i,
            sa.spi_r,
            source,
            transport.local_natt_port,
            transport.server,
            transport.server_natt_port,
        )
        request = mobike.update_request(self.config.options, path)
        self.log.line(
            "IKE",
            f"local address changed from {self._announced} to {source}: updating the IKE SA "
            "(MOBIKE)",
        )
        opened = self._request(sa, ExchangeType.INFORMATIONAL, request.payloads)
        self._announced = source
        self.behind_nat = mobike.update_response(opened.payloads, request, path)
        self.log.line(
            "IKE",
            f"IKE SA moved to {source}: "
            + ("local host is behind NAT" if self.behind_nat else "no NAT on the new path"),
        )

    def _rekey_child(self, sa: IkeSa, life: Lifecycle) -> None:
        old = self.child
        if old is None:
            return
        age = life.windows_age(life.child_created)
        request = child_rekey.client_request(self.config, sa, old)
        self.log.line(
            "IKE",
            f"rekeying CHILD SA {old.spi_in.hex()}_i after {age:.0f} s (Windows time)"
            + (" with PFS" if request.ke is not None else ""),
        )
        try:
            opened = self._request(sa, ExchangeType.CREATE_CHILD_SA, request.payloads)
            new = child_rekey.client_response(opened.payloads, sa, request)
        except ConnectError as exc:
            self.rekey_errors.append(exc)
            self.log.line(
                "IKE",
                f"CHILD SA rekey failed with Windows error {exc.code}: {exc.reason}; the old "
                "CHILD SA stays until its lifetime ends",
            )
            life.child_rekey_failed()
            return
        self._install_child(new, replaces=old)
        self._request(
            sa, ExchangeType.INFORMATIONAL, (DeletePayload(ProtocolId.ESP, 4, (old.spi_in,)),)
        )
        self._retire_child(old)

    def _rekey_ike(self, sa: IkeSa, life: Lifecycle) -> None:
        age = life.windows_age(life.ike_created)
        self.log.line("IKE", f"rekeying IKE SA {sa.spi_i.hex()}_i after {age:.0f} s (Windows time)")
        request = ike_rekey.client_request(sa, self.config.options.nonce_length)
        try:
            opened = self._request(sa, ExchangeType.CREATE_CHILD_SA, request.payloads)
            new = ike_rekey.client_response(opened.payloads, sa, request)
        except ConnectError as exc:
            self.rekey_errors.append(exc)
            self.log.line("IKE", f"IKE SA rekey failed with Windows error {exc.code}: {exc.reason}")
            life.ike_rekey_failed()
            return
        self._switch_sa(new)
        try:
            self._request(sa, ExchangeType.INFORMATIONAL, (DeletePayload(ProtocolId.IKE),))
        except _NoResponse as exc:
            self.log.line("IKE", f"the Delete of the old IKE SA went unanswered: {exc}")
        if sa in self._retiring_sas:
            self._retiring_sas.remove(sa)

    def _delete_child(self, sa: IkeSa, why: str) -> None:
        """Windows deletes the CHILD SA and keeps the IKE SA ("Connected", 4.6)."""
        child = self.child
        if child is None:
            return
        self.log.line("IKE", f"deleting CHILD SA {child.spi_in.hex()}_i: {why}")
        self.child = None
        if self.lifecycle is not None:
            self.lifecycle.child_gone()
        self._request(
            sa, ExchangeType.INFORMATIONAL, (DeletePayload(ProtocolId.ESP, 4, (child.spi_in,)),)
        )
        self._retire_child(child)

    def _disconnect(self) -> None:
        sa, child = self.sa, self.child
        assert sa is not None
        if self.lifecycle is not None and self.lifecycle.in_outage:
            # No network: the Deletes could not leave the machine.
            self.log.line("IKE", "disconnect without a network: no Delete sent")
            self._down("disconnected")
            return
        try:
            if child is not None:
                delete = DeletePayload(ProtocolId.ESP, 4, (child.spi_in,))
                self._request(sa, ExchangeType.INFORMATIONAL, (delete,))
            self._request(sa, ExchangeType.INFORMATIONAL, (DeletePayload(ProtocolId.IKE),))
        except (_NoResponse, _PathLost) as exc:
            self.log.line("IKE", f"disconnect: {exc} unanswered")
        self._down("disconnected")

    def _send_ike_delete(self) -> None:
        """Tell the gateway to drop an IKE SA this client abandons (not waiting for it)."""
        sa = self.sa
        assert sa is not None
        payloads: tuple[Payload, ...] = (DeletePayload(ProtocolId.IKE),)
        datagrams = sa.seal(ExchangeType.INFORMATIONAL, sa.next_mid, payloads, response=False)
        header = sa.header(ExchangeType.INFORMATIONAL, sa.next_mid, response=False)
        self.log.line("ENC", f"generating {describe(IkeMessage(header, ()), payloads)}")
        try:
            self._send(datagrams)
        except OSError as exc:
            self.log.line("NET", f"could not send the Delete: {exc}")
        sa.next_mid += 1
