"""The one module that calls libvirt-python: small typed handles over its objects.

libvirt-python ships no type information and the project configures nothing for it, so
the libvirt objects live in `Any`-typed attributes of the handles below and nowhere else;
everything above this module is libvirt-free and fully typed. Every call runs inside
`_guard`, which turns `libvirt.libvirtError` into a classified `PoolError` (see
`errors.classify`) naming the C API call, so a failure reads "guest agent not available in
the test driver: virDomainQemuAgentCommand is not implemented there" instead of a code.

libvirt is imported on first use, so importing this package never needs libvirt (the
emulator lanes run without it). Its default error handler prints every error to stderr
as well as raising it; the package installs a silent handler once.
"""

from __future__ import annotations

import contextlib
import enum
import importlib
import ipaddress
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from dataclasses import dataclass
from types import TracebackType
from typing import Any

from infra.windows.libvirt_pool.errors import (
    ErrorCode,
    PoolError,
    TestDriverHazard,
    VirtFault,
    classify,
)

IPInterface = ipaddress.IPv4Interface | ipaddress.IPv6Interface

_modules: dict[str, Any] = {}

# libvirt ABI constants used below (stable numbers from libvirt-domain.h).
_METADATA_ELEMENT = 2
_GUEST_INFO_OS = 2
_SNAPSHOT_REVERT_RUNNING = 1
_START_AUTODESTROY = 2
_SCREENSHOT_CHUNK = 256 * 1024


def _module(name: str) -> Any:
    """Import libvirt (or libvirt_qemu) once; install the silent error handler."""
    if name not in _modules:
        try:
            module = importlib.import_module(name)
        except ImportError as exc:
            raise PoolError(
                f"{name} (libvirt-python) is not installed: pip install libvirt-python"
            ) from exc
        if name == "libvirt":
            module.registerErrorHandler(_silent_handler, None)
        _modules[name] = module
    return _modules[name]


def _silent_handler(_context: object, _error: object) -> None:
    """libvirt error callback that prints nothing (errors are raised anyway)."""


@contextlib.contextmanager
def _guard(call: str, driver: str, uri: str) -> Iterator[None]:
    """Run libvirt calls; re-raise libvirtError as the classified PoolError."""
    libvirt_error: Any = _module("libvirt").libvirtError
    try:
        yield
    except libvirt_error as exc:
        fault = VirtFault(
            call=call,
            code=int(exc.get_error_code() or 0),
            domain=int(exc.get_error_domain() or 0),
            message=str(exc.get_error_message() or exc),
            driver=driver,
            uri=uri,
        )
        raise classify(fault) from exc


class AddressSource(enum.IntEnum):
    """virDomainInterfaceAddressesSource: where libvirt looks for a guest's addresses."""

    LEASE = 0
    AGENT = 1
    ARP = 2

    @property
    def label(self) -> str:
        return self.name.lower()


@dataclass(frozen=True)
class GuestInterface:
    """One guest NIC as virDomainInterfaceAddresses reports it."""

    name: str
    hwaddr: str
    addresses: tuple[IPInterface, ...]


@dataclass(frozen=True)
class GuestTime:
    seconds: int
    nseconds: int


class Hypervisor:
    """One open libvirt connection. Not thread-safe: one per xdist worker."""

    def __init__(self, conn: Any, uri: str) -> None:
        self._conn = conn
        self._closed = False
        self.uri = uri
        with self.guard("virConnectGetType", driver="?"):
            self.driver = str(conn.getType())

    @classmethod
    def open(cls, uri: str) -> Hypervisor:
        """Connect to URI (test:///..., qemu+ssh://..., qemu:///system)."""
        libvirt = _module("libvirt")
        with _guard("virConnectOpen", "?", uri):
            conn = libvirt.open(uri)
        return cls(conn, uri)

    def guard(
        self, call: str, *, driver: str | None = None
    ) -> contextlib.AbstractContextManager[None]:
        return _guard(call, self.driver if driver is None else driver, self.uri)

    def close(self) -> None:
        """Close the connection (idempotent). Handles of its objects stay usable until they
        are dropped: libvirt keeps the connection alive for them."""
        if self._closed:
            return
        self._closed = True
        with contextlib.suppress(PoolError), self.guard("virConnectClose"):
            self._conn.close()

    def __enter__(self) -> Hypervisor:
        return self

    def __exit__(
        self, et: type[BaseException] | None, ev: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    def hostname(self) -> str:
        with self.guard("virConnectGetHostname"):
            return str(self._conn.getHostname())

    def create_transient(self, xml: str, *, autodestroy: bool) -> Domain:
        """virDomainCreateXML: a domain that vanishes when destroyed (and, with AUTODESTROY,
        when this connection closes, e.g. because the harness was killed)."""
        with self.guard("virDomainCreateXML"):
            dom = self._conn.createXML(xml, _START_AUTODESTROY if autodestroy else 0)
        return Domain(self, dom)

    def domains(self) -> list[Domain]:
        with self.guard("virConnectListAllDomains"):
            found = self._conn.listAllDomains(0)
        return [Domain(self, d) for d in found]

    def domain(self, name: str) -> Domain:
        with self.guard("virDomainLookupByName"):
            return Domain(self, self._conn.lookupByName(name))

    def find_domain(self, name: str) -> Domain | None:
        """The domain called NAME, or None (no exception for the normal 'not there')."""
        try:
            return self.domain(name)
        except PoolError as exc:
            if exc.fault is not None and exc.fault.code == ErrorCode.NO_DOMAIN:
                return None
            raise

    def network(self, name: str) -> Network:
        with self.guard("virNetworkLookupByName"):
            return Network(self, self._conn.networkLookupByName(name))

    def define_network(self, xml: str, *, start: bool = True, autostart: bool = True) -> Network:
        """Define a persistent network (operator set-up of a hypervisor), optionally start it."""
        with self.guard("virNetworkDefineXML"):
            net = self._conn.networkDefineXML(xml)
        handle = Network(self, net)
        if start:
            with self.guard("virNetworkCreate"):
                net.create()
        if autostart:
            with self.guard("virNetworkSetAutostart"):
                net.setAutostart(1)
        return handle

    def volume_by_path(self, path: str) -> Volume:
        """The storage volume at PATH on the hypervisor (virStorageVolLookupByPath)."""
        with self.guard("virStorageVolLookupByPath"):
            return Volume(self, self._conn.storageVolLookupByPath(path))

    def storage_pool(self, name: str) -> StoragePool:
        with self.guard("virStoragePoolLookupByName"):
            return StoragePool(self, self._conn.storagePoolLookupByName(name))

    def _new_stream(self) -> Any:
        return self._conn.newStream(0)


class Network:
    def __init__(self, hv: Hypervisor, net: Any) -> None:
        self._hv = hv
        self._net = net
        self.name = str(net.name())

    def is_active(self) -> bool:
        with self._hv.guard("virNetworkIsActive"):
            return bool(self._net.isActive())

    def xml(self) -> str:
        with self._hv.guard("virNetworkGetXMLDesc"):
            return str(self._net.XMLDesc(0))


class StoragePool:
    def __init__(self, hv: Hypervisor, pool: Any) -> None:
        self._hv = hv
        self._pool = pool
        self.name = str(pool.name())

    def is_active(self) -> bool:
        with self._hv.guard("virStoragePoolIsActive"):
            return bool(self._pool.isActive())

    def refresh(self) -> None:
        with self._hv.guard("virStoragePoolRefresh"):
            self._pool.refresh(0)

    def volume_names(self) -> list[str]:
        with self._hv.guard("virStoragePoolListVolumes"):
            return [str(n) for n in self._pool.listVolumes()]

    def volume(self, name: str) -> Volume:
        with self._hv.guard("virStorageVolLookupByName"):
            return Volume(self._hv, self._pool.storageVolLookupByName(name))

    def create_volume(self, xml: str) -> Volume:
        """virStorageVolCreateXML: works on remote hypervisors (no file paths cross hosts)."""
        with self._hv.guard("virStorageVolCreateXML"):
            return Volume(self._hv, self._pool.createXML(xml, 0))

    def clone_volume(self, xml: str, source: Volume) -> Volume:
        """virStorageVolCreateXMLFrom: a new volume with SOURCE's content (NVRAM copies)."""
        with self._hv.guard("virStorageVolCreateXMLFrom"):
            return Volume(self._hv, self._pool.createXMLFrom(xml, source._vol, 0))


class Volume:
    def __init__(self, hv: Hypervisor, vol: Any) -> None:
        self._hv = hv
        self._vol = vol
        self.name = str(vol.name())

    def pool(self) -> StoragePool:
        """The storage pool holding this volume (virStoragePoolLookupByVolume)."""
        with self._hv.guard("virStoragePoolLookupByVolume"):
            return StoragePool(self._hv, self._vol.storagePoolLookupByVolume())

    @property
    def path(self) -> str:
        with self._hv.guard("virStorageVolGetPath"):
            return str(self._vol.path())

    @property
    def capacity(self) -> int:
        with self._hv.guard("virStorageVolGetInfo"):
            return int(self._vol.info()[1])

    def xml(self) -> str:
        with self._hv.guard("virStorageVolGetXMLDesc"):
            return str(self._vol.XMLDesc(0))

    def delete(self) -> None:
        with self._hv.guard("virStorageVolDelete"):
            self._vol.delete(0)


class Domain:
    """A libvirt domain; for winterop's VMs always a transient one."""

    def __init__(self, hv: Hypervisor, dom: Any) -> None:
        self._hv = hv
        self._dom = dom
        self.name = str(dom.name())

    @property
    def hypervisor(self) -> Hypervisor:
        return self._hv

    def xml(self) -> str:
        with self._hv.guard("virDomainGetXMLDesc"):
            return str(self._dom.XMLDesc(0))

    def is_active(self) -> bool:
        with self._hv.guard("virDomainIsActive"):
            return bool(self._dom.isActive())

    def is_persistent(self) -> bool:
        with self._hv.guard("virDomainIsPersistent"):
            return bool(self._dom.isPersistent())

    def state(self) -> tuple[int, int]:
        """(virDomainState, reason)."""
        with self._hv.guard("virDomainGetState"):
            state, reason = self._dom.state(0)
        return int(state), int(reason)

    def destroy(self) -> None:
        with self._hv.guard("virDomainDestroy"):
            self._dom.destroy()

    def undefine(self) -> None:
        with self._hv.guard("virDomainUndefine"):
            self._dom.undefine()

    def metadata_element(self, namespace: str) -> str | None:
        """The `<metadata>` child in NAMESPACE as XML text, or None if the domain has none."""
        try:
            with self._hv.guard("virDomainGetMetadata"):
                return str(self._dom.metadata(_METADATA_ELEMENT, namespace, 0))
        except PoolError as exc:
            if exc.fault is not None and exc.fault.code == ErrorCode.NO_DOMAIN_METADATA:
                return None
            raise

    def interface_addresses(self, source: AddressSource) -> list[GuestInterface]:
        """virDomainInterfaceAddresses from one SOURCE, as typed records."""
        if self._hv.driver == "TEST":
            self._refuse_test_driver_crash()
        with self._hv.guard(f"virDomainInterfaceAddresses({source.label})"):
            found = self._dom.interfaceAddresses(int(source), 0)
        interfaces = []
        for name, info in sorted(found.items()):
            addrs = tuple(
                ipaddress.ip_interface(f"{a['addr']}/{a['prefix']}")
                for a in info.get("addrs") or ()
            )
            interfaces.append(GuestInterface(str(name), str(info.get("hwaddr") or ""), addrs))
        return interfaces

    def _refuse_test_driver_crash(self) -> None:
        """The TEST driver (libvirt 9.0) segfaults answering interfaceAddresses for a NIC on a
        network without an <ip> element (e.g. a bridge-mode network); refuse instead."""
        for iface in ET.fromstring(self.xml()).iterfind("./devices/interface[@type='network']"):
            source = iface.find("source")
            network = "" if source is None else source.get("network", "")
            if ET.fromstring(self._hv.network(network).xml()).find("ip") is None:
                raise TestDriverHazard(
                    f"interfaceAddresses refused on the test driver: network {network!r} of "
                    f"{self.name} has no <ip> element, and the test driver crashes on that"
                )

    def set_time(self, when: GuestTime) -> None:
        """virDomainSetTime: on QEMU the guest agent's guest-set-time."""
        with self._hv.guard("virDomainSetTime"):
            self._dom.setTime({"seconds": when.seconds, "nseconds": when.nseconds}, 0)

    def get_time(self) -> GuestTime:
        with self._hv.guard("virDomainGetTime"):
            now = self._dom.getTime(0)
        return GuestTime(int(now["seconds"]), int(now.get("nseconds", 0)))

    def agent_command(self, command_json: str, timeout_s: int) -> str:
        """Send one raw QGA command (libvirt_qemu.qemuAgentCommand); return its JSON reply."""
        qemu = _module("libvirt_qemu")
        with self._hv.guard("virDomainQemuAgentCommand"):
            return str(qemu.qemuAgentCommand(self._dom, command_json, timeout_s, 0))

    def guest_os_info(self) -> dict[str, str]:
        """virDomainGetGuestInfo(OS) through the guest agent: os.name, os.kernel-release..."""
        with self._hv.guard("virDomainGetGuestInfo"):
            info = self._dom.guestInfo(_GUEST_INFO_OS, 0)
        return {str(k): str(v) for k, v in info.items()}

    def screenshot(
        self, *, screen: int = 0, max_bytes: int = 64 * 1024 * 1024
    ) -> tuple[str, bytes]:
        """virDomainScreenshot over a stream: (MIME type, image bytes)."""
        with self._hv.guard("virDomainScreenshot"):
            stream = self._hv._new_stream()
            try:
                mime = str(self._dom.screenshot(stream, screen, 0))
                chunks: list[bytes] = []
                total = 0
                while True:
                    data = stream.recv(_SCREENSHOT_CHUNK)
                    if isinstance(data, int) or not data:
                        break
                    chunks.append(bytes(data))
                    total += len(data)
                    if total > max_bytes:
                        raise PoolError(f"screenshot of {self.name} exceeds {max_bytes} bytes")
                stream.finish()
            except BaseException:
                with contextlib.suppress(Exception):
                    stream.abort()
                raise
        return mime, b"".join(chunks)

    def snapshot_names(self) -> list[str]:
        with self._hv.guard("virDomainSnapshotListNames"):
            return [str(n) for n in self._dom.snapshotListNames(0)]

    def create_snapshot(self, name: str, description: str) -> None:
        root = ET.Element("domainsnapshot")
        ET.SubElement(root, "name").text = name
        ET.SubElement(root, "description").text = description
        with self._hv.guard("virDomainSnapshotCreateXML"):
            self._dom.snapshotCreateXML(ET.tostring(root, encoding="unicode"), 0)

    def revert_snapshot(self, name: str) -> None:
        with self._hv.guard("virDomainRevertToSnapshot"):
            snap = self._dom.snapshotLookupByName(name, 0)
            self._dom.revertToSnapshot(snap, _SNAPSHOT_REVERT_RUNNING)
