"""A WS-Management listener on 127.0.0.1 that answers with the recorded responses (test helper).

It exists to test the WinRM and PSRP transports at their HTTP boundary: pywinrm and pypsrp
run unmodified and send real HTTPS requests with real Basic authentication; this server
checks each request, keeps it for the test to inspect, and answers from
tests/windows/recordings (see its README: recordings of the protocol shape, not captures
from a real host). The PSRP framing (MS-PSRP 2.2.1 message, 2.2.4 fragment) is coded here
independently of pypsrp, so the library is checked against the specification, not
against itself.
"""

from __future__ import annotations

import base64
import datetime
import ipaddress
import re
import ssl
import string
import struct
import threading
import time
import uuid
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from xml.sax.saxutils import escape

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

RECORDINGS = Path(__file__).resolve().parent / "recordings"
NS = {
    "s": "http://www.w3.org/2003/05/soap-envelope",
    "a": "http://schemas.xmlsoap.org/ws/2004/08/addressing",
    "w": "http://schemas.dmtf.org/wbem/wsman/1/wsman.xsd",
    "rsp": "http://schemas.microsoft.com/wbem/wsman/1/windows/shell",
    "p": "http://schemas.microsoft.com/wbem/wsman/1/wsman.xsd",
}
SHELL = "http://schemas.microsoft.com/wbem/wsman/1/windows/shell"
TRANSFER = "http://schemas.xmlsoap.org/ws/2004/09/transfer"
ACTION_CREATE = f"{TRANSFER}/Create"
ACTION_DELETE = f"{TRANSFER}/Delete"
ACTION_COMMAND = f"{SHELL}/Command"
ACTION_SEND = f"{SHELL}/Send"
ACTION_RECEIVE = f"{SHELL}/Receive"
ACTION_SIGNAL = f"{SHELL}/Signal"
SIGNAL_TERMINATE = f"{SHELL}/signal/terminate"
DONE = f"{SHELL}/CommandState/Done"
RUNNING = f"{SHELL}/CommandState/Running"

# MS-PSRP 2.2.1 message types used here.
SESSION_CAPABILITY = 0x00010002
INIT_RUNSPACEPOOL = 0x00010004
RUNSPACEPOOL_STATE = 0x00021005
CREATE_PIPELINE = 0x00021006
APPLICATION_PRIVATE_DATA = 0x00021009
PIPELINE_OUTPUT = 0x00041004
ERROR_RECORD = 0x00041005
PIPELINE_STATE = 0x00041006
WARNING_RECORD = 0x00041009


def recording(name: str) -> str:
    return (RECORDINGS / name).read_text()


def fill(name: str, **values: str) -> str:
    return string.Template(recording(name)).substitute(values)


# --- TLS --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Tls:
    ca_file: Path
    cert_file: Path
    key_file: Path


def make_tls(directory: Path) -> Tls:
    """A throw-away CA and a server certificate for 127.0.0.1 (IP SAN)."""
    now = datetime.datetime.now(datetime.UTC)

    def name(cn: str) -> x509.Name:
        return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn)])

    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca = (
        x509.CertificateBuilder()
        .subject_name(name("winterop test WSMan CA"))
        .issuer_name(name("winterop test WSMan CA"))
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(False, False, False, False, False, True, True, False, False),
            critical=True,
        )
        .sign(ca_key, hashes.SHA256())
    )
    key = ec.generate_private_key(ec.SECP256R1())
    cert = (
        x509.CertificateBuilder()
        .subject_name(name("127.0.0.1"))
        .issuer_name(ca.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
            critical=False,
        )
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    tls = Tls(directory / "ca.pem", directory / "server.pem", directory / "server.key")
    tls.ca_file.write_bytes(ca.public_bytes(serialization.Encoding.PEM))
    tls.cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    tls.key_file.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return tls


# --- requests ---------------------------------------------------------------------------


@dataclass
class Request:
    """One SOAP request as the server received it."""

    action: str
    resource_uri: str
    message_id: str
    shell_id: str | None
    operation_timeout: str | None
    options: dict[str, str]
    body: ET.Element
    authorization: str
    raw: str

    @classmethod
    def parse(cls, raw: str, authorization: str) -> Request:
        root = ET.fromstring(raw)
        header = root.find("s:Header", NS)
        body = root.find("s:Body", NS)
        assert header is not None and body is not None, "not a SOAP envelope"

        def text(path: str) -> str | None:
            element = header.find(path, NS)
            return None if element is None or element.text is None else element.text.strip()

        options = {
            o.get("Name", ""): (o.text or "").strip()
            for o in header.iterfind("w:OptionSet/w:Option", NS)
        }
        selector = header.find("w:SelectorSet/w:Selector[@Name='ShellId']", NS)
        return cls(
            action=text("a:Action") or "",
            resource_uri=text("w:ResourceURI") or "",
            message_id=text("a:MessageID") or "",
            shell_id=None if selector is None else (selector.text or "").strip(),
            operation_timeout=text("w:OperationTimeout"),
            options=options,
            body=body,
            authorization=authorization,
            raw=raw,
        )

    def find(self, path: str) -> ET.Element | None:
        return self.body.find(path, NS)

    def reply(self, name: str, **values: str) -> tuple[int, str]:
        values.setdefault("message_id", f"uuid:{uuid.uuid4()}")
        values.setdefault("relates_to", self.message_id)
        values.setdefault("resource_uri", self.resource_uri)
        return 200, fill(f"wsman/{name}", **values)

    def fault_timed_out(self) -> tuple[int, str]:
        _, body = self.reply("fault-operation-timeout.xml")
        return 500, body


def operation_seconds(request: Request) -> float:
    """The OperationTimeout of a request (PT<n>S or PT<n>.<m>S) in seconds."""
    match = re.fullmatch(r"PT([0-9.]+)S", request.operation_timeout or "")
    return float(match.group(1)) if match else 20.0


def stream(name: str, data: bytes, command_id: str | None) -> str:
    command = f' CommandId="{command_id}"' if command_id else ""
    return f'<rsp:Stream Name="{name}"{command}>{base64.b64encode(data).decode()}</rsp:Stream>'


def command_state(command_id: str, state: str, exit_code: int | None = None) -> str:
    inner = "" if exit_code is None else f"<rsp:ExitCode>{exit_code}</rsp:ExitCode>"
    return f'<rsp:CommandState CommandId="{command_id}" State="{state}">{inner}</rsp:CommandState>'


# --- WinRS (pywinrm) --------------------------------------------------------------------


@dataclass
class WinrsScenario:
    """A cmd shell whose command prints STDOUT/STDERR in `chunks` receives, then exits."""

    stdout: bytes
    stderr: bytes = b""
    exit_code: int = 0
    chunks: int = 2
    hang: bool = False
    requests: list[Request] = field(default_factory=list)
    stdin: bytearray = field(default_factory=bytearray)
    stdin_ended: bool = False
    signals: list[str] = field(default_factory=list)
    _sent: int = 0

    def handle(self, request: Request) -> tuple[int, str]:
        self.requests.append(request)
        if request.action == ACTION_CREATE:
            return request.reply(
                "create-response.xml",
                shell_id=str(uuid.uuid4()).upper(),
                address="https://127.0.0.1/wsman",
            )
        if request.action == ACTION_COMMAND:
            return request.reply("command-response.xml", command_id=str(uuid.uuid4()).upper())
        if request.action == ACTION_SEND:
            element = request.find("rsp:Send/rsp:Stream")
            assert element is not None and element.get("Name") == "stdin"
            self.stdin += base64.b64decode(element.text or "")
            self.stdin_ended = element.get("End", "").lower() == "true"
            return request.reply("send-response.xml")
        if request.action == ACTION_RECEIVE:
            desired = request.find("rsp:Receive/rsp:DesiredStream")
            assert desired is not None
            command_id = desired.get("CommandId", "")
            if self.hang:
                time.sleep(min(operation_seconds(request), 0.3))
                return request.fault_timed_out()
            self._sent += 1
            part = len(self.stdout) // self.chunks
            if self._sent < self.chunks:
                out = self.stdout[(self._sent - 1) * part : self._sent * part]
                return request.reply(
                    "receive-response.xml",
                    streams=stream("stdout", out, command_id),
                    command_state=command_state(command_id, RUNNING),
                )
            out = self.stdout[(self.chunks - 1) * part :]
            return request.reply(
                "receive-response.xml",
                streams=stream("stdout", out, command_id)
                + stream("stderr", self.stderr, command_id),
                command_state=command_state(command_id, DONE, self.exit_code),
            )
        if request.action == ACTION_SIGNAL:
            code = request.find("rsp:Signal/rsp:Code")
            self.signals.append("" if code is None else (code.text or "").strip())
            return request.reply("signal-response.xml")
        if request.action == ACTION_DELETE:
            return request.reply("delete-response.xml")
        raise AssertionError(f"unexpected action {request.action}")

    def actions(self) -> list[str]:
        return [r.action.rsplit("/", 1)[-1] for r in self.requests]


# --- PSRP (pypsrp) ----------------------------------------------------------------------


@dataclass(frozen=True)
class PsrpMessage:
    destination: int
    message_type: int
    rpid: uuid.UUID
    pid: uuid.UUID
    data: str


def pack_message(message_type: int, rpid: uuid.UUID, pid: uuid.UUID, data: str) -> bytes:
    """MS-PSRP 2.2.1: Destination, MessageType (little endian), RPID, PID (GUID bytes), data."""
    body = b"\xef\xbb\xbf" + data.encode("utf-8")
    return struct.pack("<II", 1, message_type) + rpid.bytes_le + pid.bytes_le + body


def pack_fragment(object_id: int, data: bytes) -> bytes:
    """MS-PSRP 2.2.4: ObjectId, FragmentId (big endian), E|S flags, BlobLength, blob."""
    return struct.pack(">QQBI", object_id, 0, 0x3, len(data)) + data


def unpack_fragments(data: bytes, pending: dict[int, bytes]) -> list[PsrpMessage]:
    """Reassemble complete messages from fragments; partial ones wait in PENDING."""
    messages = []
    while data:
        object_id, _fragment_id, flags, length = struct.unpack(">QQBI", data[:21])
        blob, data = data[21 : 21 + length], data[21 + length :]
        if flags & 0x1:
            pending[object_id] = b""
        pending[object_id] += blob
        if flags & 0x2:
            raw = pending.pop(object_id)
            destination, message_type = struct.unpack("<II", raw[:8])
            text = raw[40:].decode("utf-8").lstrip("\ufeff")
            messages.append(
                PsrpMessage(
                    destination,
                    message_type,
                    uuid.UUID(bytes_le=raw[8:24]),
                    uuid.UUID(bytes_le=raw[24:40]),
                    text,
                )
            )
    return messages


def clixml_unescape(text: str) -> str:
    return re.sub(r"_x([0-9A-Fa-f]{4})_", lambda m: chr(int(m.group(1), 16)), text)


def pipeline_script(create_pipeline: str) -> str:
    """The `Cmd` of the first command in a CREATE_PIPELINE message (MS-PSRP 2.2.3.11)."""
    root = ET.fromstring(create_pipeline)
    for element in root.iter("S"):
        if element.get("N") == "Cmd":
            return clixml_unescape(element.text or "")
    raise AssertionError("CREATE_PIPELINE holds no Cmd")


@dataclass
class PsrpScenario:
    """A RunspacePool whose one pipeline emits OUTPUTS (strings), ERRORS and WARNINGS."""

    outputs: list[str]
    errors: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    hang: bool = False
    requests: list[Request] = field(default_factory=list)
    received: list[PsrpMessage] = field(default_factory=list)
    signals: list[str] = field(default_factory=list)
    rpid: uuid.UUID = field(default_factory=uuid.uuid4)
    _pending: dict[int, bytes] = field(default_factory=dict)
    _next_object: int = 1
    _pool_opened: bool = False
    _pipeline_done: bool = False
    _pipeline_id: uuid.UUID | None = None
    _command_id: str = ""

    def _fragments(self, messages: list[tuple[int, uuid.UUID, str]]) -> bytes:
        out = b""
        for message_type, pid, data in messages:
            out += pack_fragment(
                self._next_object, pack_message(message_type, self.rpid, pid, data)
            )
            self._next_object += 1
        return out

    def _take(self, blob: str) -> None:
        self.received += unpack_fragments(base64.b64decode(blob), self._pending)

    def script(self) -> str:
        return pipeline_script(
            next(m.data for m in self.received if m.message_type == CREATE_PIPELINE)
        )

    def handle(self, request: Request) -> tuple[int, str]:
        self.requests.append(request)
        if request.action == ACTION_CREATE:
            creation = request.find(
                "rsp:Shell/{http://schemas.microsoft.com/powershell}creationXml"
            )
            assert creation is not None, "PSRP shell Create without creationXml"
            self._take(creation.text or "")
            self.rpid = self.received[0].rpid
            return request.reply(
                "create-response.xml",
                shell_id=str(self.rpid).upper(),
                address="https://127.0.0.1/wsman",
            )
        if request.action == ACTION_COMMAND:
            command = request.find("rsp:CommandLine")
            arguments = request.find("rsp:CommandLine/rsp:Arguments")
            assert command is not None and arguments is not None
            self._command_id = command.get("CommandId", str(uuid.uuid4())).upper()
            self._take(arguments.text or "")
            return request.reply("command-response.xml", command_id=self._command_id)
        if request.action == ACTION_SEND:
            element = request.find("rsp:Send/rsp:Stream")
            assert element is not None
            self._take(element.text or "")
            return request.reply("send-response.xml")
        if request.action == ACTION_RECEIVE:
            desired = request.find("rsp:Receive/rsp:DesiredStream")
            assert desired is not None
            command_id = desired.get("CommandId")
            if command_id is None:
                return self._receive_pool(request)
            return self._receive_pipeline(request, command_id)
        if request.action == ACTION_SIGNAL:
            code = request.find("rsp:Signal/rsp:Code")
            self.signals.append("" if code is None else (code.text or "").strip())
            return request.reply("signal-response.xml")
        if request.action == ACTION_DELETE:
            return request.reply("delete-response.xml")
        raise AssertionError(f"unexpected action {request.action}")

    def _receive_pool(self, request: Request) -> tuple[int, str]:
        if self._pool_opened:
            time.sleep(min(operation_seconds(request), 0.3))
            return request.fault_timed_out()
        self._pool_opened = True
        nil = uuid.UUID(int=0)
        data = self._fragments(
            [
                (SESSION_CAPABILITY, nil, recording("psrp/session-capability.xml").strip()),
                (
                    APPLICATION_PRIVATE_DATA,
                    nil,
                    recording("psrp/application-private-data.xml").strip(),
                ),
                (RUNSPACEPOOL_STATE, nil, recording("psrp/runspacepool-state-opened.xml").strip()),
            ]
        )
        return request.reply(
            "receive-response.xml", streams=stream("stdout", data, None), command_state=""
        )

    def _receive_pipeline(self, request: Request, command_id: str) -> tuple[int, str]:
        pid = next(m.pid for m in self.received if m.message_type == CREATE_PIPELINE)
        if self.hang or self._pipeline_done:
            time.sleep(min(operation_seconds(request), 0.3))
            return request.fault_timed_out()
        messages: list[tuple[int, uuid.UUID, str]] = []
        for text in self.outputs:
            body = string.Template(recording("psrp/pipeline-output-string.xml")).substitute(
                text=escape(text)
            )
            messages.append((PIPELINE_OUTPUT, pid, body.strip()))
        for text in self.errors:
            body = string.Template(recording("psrp/error-record.xml")).substitute(
                message=escape(text)
            )
            messages.append((ERROR_RECORD, pid, body.strip()))
        for text in self.warnings:
            body = string.Template(recording("psrp/warning-record.xml")).substitute(
                message=escape(text)
            )
            messages.append((WARNING_RECORD, pid, body.strip()))
        messages.append(
            (PIPELINE_STATE, pid, recording("psrp/pipeline-state-completed.xml").strip())
        )
        self._pipeline_done = True
        return request.reply(
            "receive-response.xml",
            streams=stream("stdout", self._fragments(messages), command_id),
            command_state=command_state(command_id, DONE),
        )

    def actions(self) -> list[str]:
        return [r.action.rsplit("/", 1)[-1] for r in self.requests]


# --- the server -------------------------------------------------------------------------


@dataclass
class Listener:
    port: int
    failures: list[str]


@contextmanager
def wsman_listener(
    scenario: WinrsScenario | PsrpScenario, tls: Tls, *, user: str, password: str
) -> Iterator[Listener]:
    """Serve SCENARIO over HTTPS on 127.0.0.1 (ephemeral port) with Basic auth USER/PASSWORD."""
    expected = "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()
    failures: list[str] = []
    lock = threading.Lock()

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: object) -> None:
            return

        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length", "0"))
            raw = self.rfile.read(length).decode("utf-8")
            if self.headers.get("Authorization") != expected:
                self._send(401, "", {"WWW-Authenticate": 'Basic realm="WSMAN"'})
                return
            if self.path != "/wsman":
                failures.append(f"request to {self.path}")
            if not self.headers.get("Content-Type", "").startswith("application/soap+xml"):
                failures.append(f"content type {self.headers.get('Content-Type')}")
            try:
                with lock:
                    status, body = scenario.handle(
                        Request.parse(raw, self.headers["Authorization"])
                    )
            except Exception as exc:  # reported to the test, answered as a server error
                failures.append(f"{type(exc).__name__}: {exc}")
                status, body = 500, ""
            self._send(status, body, {"Content-Type": "application/soap+xml;charset=UTF-8"})

        def _send(self, status: int, body: str, headers: dict[str, str]) -> None:
            data = body.encode("utf-8")
            self.send_response(status)
            for key, value in headers.items():
                self.send_header(key, value)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(tls.cert_file, tls.key_file)
    server.socket = context.wrap_socket(server.socket, server_side=True)
    thread = threading.Thread(target=server.serve_forever, name="wsman-listener", daemon=True)
    thread.start()
    try:
        yield Listener(port=server.server_address[1], failures=failures)
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
