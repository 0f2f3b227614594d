"""The lab inventory: where Windows VMs come from and how to reach them (YAML, validated).

`pytest --clients windows --inventory lab.yaml` reads this file. It is data a lab operator
writes once and keeps in version control, so it holds no secret: credentials are the
*names* of environment variables. Every error names the file, the line and the field, e.g.
`lab.yaml:14: images[0].build: expected a Windows build number such as 10.0.19045`.
This module is the schema; the line-numbered YAML reading it rests on is yaml_fields.

Schema (version 1; `?` marks optional keys):

    version: 1
    hypervisors:                      # libvirt hosts (the VM pool leases VMs on them)
      - name: kvm1
        uri: qemu+ssh://winterop@kvm1.example/system?keyfile=/etc/winterop/id&no_tty=1
        max_vms: 4
        virt_type?: kvm               # kvm | qemu (no KVM on the host)
    images:                           # golden images, one per Windows build under test
      - name: win10-22h2-eval
        profile: win10-22h2           # the client profile (test-ID fragment) it serves
        build: 10.0.19045             # what Win32_OperatingSystem.Version must say
        disk: /var/lib/libvirt/images/winterop/win10-22h2.qcow2
        os_variant: win10             # osinfo short id (virt-install --os-variant)
        hypervisors?: [kvm1]          # default: every hypervisor has it
        built?: 2026-05-01            # evaluation-licence clock (windows-driving.md 12.3)
        max_age_days?: 80             # refuse older images
        memory_mib?: 4096
        vcpus?: 2
        uefi_loader?: /usr/share/OVMF/OVMF_CODE_4M.fd   # UEFI images: loader + saved VARS
        vars_disk?: /var/lib/libvirt/images/winterop/win11-23h2_VARS.fd
        secure_boot?: false
        tpm?: false                   # swtpm TPM 2.0 (Windows 11 without the LabConfig bypass)
    networks:
      management: winterop-mgmt       # libvirt network of the management NIC
      topologies:                     # libvirt network of the test NIC, per topology
        direct: winterop-direct
        nat?: winterop-nat
        dual-stack?: winterop-dual
    credentials:
      admin:                          # the account every script runs as
        user_env: WINTEROP_ADMIN_USER
        password_env?: WINTEROP_ADMIN_PASSWORD
        key_file_env?: WINTEROP_ADMIN_SSH_KEY      # ssh only
      test_user?:                     # the auto-logged-on user (EAP dialling, CurrentUser\\My)
        user_env: WINTEROP_TEST_USER
        password_env?: WINTEROP_TEST_USER_PASSWORD
    transport:
      kind: psrp                      # psrp | winrm | ssh
      user_kind?: ssh                 # a session as test_user (password logon); ssh only
      wsman?: {port, auth: ntlm|basic|kerberos|credssp, ca_file, validate_certificate,
               operation_timeout, read_timeout}
      ssh?: {port, known_hosts, connect_timeout}
    timeouts?: {ready: 600, script: 120, dial: 90}   # seconds
    vms?:                             # pre-provisioned VMs, used without a libvirt pool
      - name: win10-a
        image: win10-22h2-eval
        address: 192.168.250.10       # management address
        topology: direct
"""

from __future__ import annotations

import datetime
import ipaddress
import re
import urllib.parse
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from yaml.nodes import Node

from infra.lab.topology import TopologyKind
from infra.windows.transports.credentials import CredentialNames
from infra.windows.transports.settings import (
    TRANSPORT_KINDS,
    WSMAN_AUTHS,
    SshSettings,
    TransportKind,
    WsmanSettings,
)
from infra.windows.yaml_fields import FieldError, FieldReader, optional

SCHEMA_VERSION = 1
USER_KINDS: tuple[TransportKind, ...] = ("ssh",)
_NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")
_PROFILE_RE = re.compile(r"^win[0-9]+-[a-z0-9]+(?:-[a-z0-9]+)*$")
_BUILD_RE = re.compile(r"^10\.0\.[0-9]{5}(?:\.[0-9]{1,6})?$")
_OS_VARIANT_RE = re.compile(r"^[a-z][a-z0-9.+-]{0,31}$")
_HOST_RE = re.compile(
    r"^(?=.{1,253}$)[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$"
)
_LIBVIRT_DRIVERS = ("qemu", "test")
_LIBVIRT_TRANSPORTS = ("", "ssh", "libssh", "libssh2", "tls", "tcp", "unix")


class InventoryError(FieldError):
    """The inventory is unusable; `str()` reads `FILE:LINE: FIELD: what is wrong`."""


@dataclass(frozen=True)
class Hypervisor:
    name: str
    uri: str
    max_vms: int
    virt_type: str = "kvm"
    """Domain type: kvm, or qemu (TCG) where the host has no KVM."""


@dataclass(frozen=True)
class Machine:
    """How a VM of an image is shaped (what the libvirt pool needs beyond the disk).

    `built` starts the evaluation-licence clock (windows-driving.md 12.3): the pool refuses
    an image older than `max_age_days`. UEFI images (Windows 11) name the OVMF loader on
    the hypervisor and the VARS file saved with the image.
    """

    built: datetime.date | None = None
    max_age_days: int = 80
    memory_mib: int = 4096
    vcpus: int = 2
    uefi_loader: str | None = None
    vars_disk: str | None = None
    secure_boot: bool = False
    tpm: bool = False


@dataclass(frozen=True)
class GoldenImage:
    name: str
    profile: str
    build: str
    disk: str
    """Absolute path of the golden qcow2 on the hypervisor (a volume of a storage pool)."""
    os_variant: str
    hypervisors: tuple[str, ...]
    machine: Machine = Machine()


@dataclass(frozen=True)
class Networks:
    management: str
    topologies: Mapping[TopologyKind, str]


@dataclass(frozen=True)
class TransportChoice:
    kind: TransportKind
    user_kind: TransportKind | None
    wsman: WsmanSettings
    ssh: SshSettings


@dataclass(frozen=True)
class Timeouts:
    ready: float = 600.0
    script: float = 120.0
    dial: float = 90.0


@dataclass(frozen=True)
class StaticVm:
    name: str
    image: str
    address: str
    topology: TopologyKind


@dataclass(frozen=True)
class Inventory:
    path: Path
    hypervisors: tuple[Hypervisor, ...]
    images: tuple[GoldenImage, ...]
    networks: Networks
    admin: CredentialNames
    test_user: CredentialNames | None
    transport: TransportChoice
    timeouts: Timeouts
    vms: tuple[StaticVm, ...]

    def image_for_profile(self, profile: str) -> GoldenImage | None:
        return next((i for i in self.images if i.profile == profile), None)

    def image(self, name: str) -> GoldenImage:
        return next(i for i in self.images if i.name == name)


def _libvirt_uri(reader: FieldReader, node: Node, field: str) -> str:
    uri = reader.text(node, field, hint="a libvirt URI such as qemu+ssh://user@host/system")
    parsed = urllib.parse.urlsplit(uri)
    driver, _, transport = parsed.scheme.partition("+")
    if driver not in _LIBVIRT_DRIVERS or transport not in _LIBVIRT_TRANSPORTS:
        raise reader.fail(
            node,
            field,
            f"{uri!r}: driver must be qemu or test, transport one of "
            "ssh, libssh, libssh2, tls, tcp, unix (libvirt docs/uri.rst)",
        )
    if driver == "qemu" and parsed.path not in ("/system", "/session"):
        raise reader.fail(node, field, f"{uri!r}: a qemu URI ends in /system or /session")
    if transport and transport != "unix" and not parsed.hostname:
        raise reader.fail(node, field, f"{uri!r}: a remote transport needs a host")
    if driver == "test" and not parsed.path.startswith("/"):
        raise reader.fail(node, field, f"{uri!r}: a test URI is test:///default or test:///<file>")
    return uri


def _credentials(reader: FieldReader, node: Node, field: str) -> CredentialNames:
    m = reader.mapping(node, field, ("user_env",), ("password_env", "key_file_env"))
    password = (
        reader.env_name(m["password_env"], f"{field}.password_env") if "password_env" in m else None
    )
    key_file = (
        reader.env_name(m["key_file_env"], f"{field}.key_file_env") if "key_file_env" in m else None
    )
    if password is None and key_file is None:
        raise reader.fail(node, field, "give password_env, key_file_env or both")
    return CredentialNames(
        user_env=reader.env_name(m["user_env"], f"{field}.user_env"),
        password_env=password,
        key_file_env=key_file,
        source=f"{reader.path}: {field}",
    )


def _wsman(reader: FieldReader, node: Node | None, base: Path) -> WsmanSettings:
    if node is None:
        return WsmanSettings()
    f = "transport.wsman"
    keys = (
        "port",
        "path",
        "auth",
        "ca_file",
        "validate_certificate",
        "operation_timeout",
        "read_timeout",
    )
    m = reader.mapping(node, f, (), keys)
    defaults = WsmanSettings()
    operation = (
        reader.integer(m["operation_timeout"], f"{f}.operation_timeout", 1, 3600)
        if "operation_timeout" in m
        else defaults.operation_timeout
    )
    read = (
        reader.integer(m["read_timeout"], f"{f}.read_timeout", 2, 3600)
        if "read_timeout" in m
        else defaults.read_timeout
    )
    if operation >= read:
        raise reader.fail(
            m.get("operation_timeout", node),
            f"{f}.operation_timeout",
            "must be below read_timeout (WS-Management rule)",
        )
    return WsmanSettings(
        port=reader.integer(m["port"], f"{f}.port", 1, 65535) if "port" in m else defaults.port,
        path=reader.text(
            m["path"],
            f"{f}.path",
            re.compile(r"^[A-Za-z0-9/_-]{1,64}$"),
            "a URL path such as wsman",
        )
        if "path" in m
        else defaults.path,
        auth=reader.choice(m["auth"], f"{f}.auth", WSMAN_AUTHS) if "auth" in m else defaults.auth,
        ca_file=reader.file(m["ca_file"], f"{f}.ca_file", base) if "ca_file" in m else None,
        validate_certificate=reader.flag(m["validate_certificate"], f"{f}.validate_certificate")
        if "validate_certificate" in m
        else True,
        operation_timeout=operation,
        read_timeout=read,
    )


def _ssh(reader: FieldReader, node: Node | None, base: Path) -> SshSettings:
    if node is None:
        return SshSettings()
    f = "transport.ssh"
    m = reader.mapping(node, f, (), ("port", "known_hosts", "connect_timeout"))
    defaults = SshSettings()
    return SshSettings(
        port=reader.integer(m["port"], f"{f}.port", 1, 65535) if "port" in m else defaults.port,
        known_hosts=reader.file(m["known_hosts"], f"{f}.known_hosts", base)
        if "known_hosts" in m
        else None,
        connect_timeout=reader.number(m["connect_timeout"], f"{f}.connect_timeout", 1, 600)
        if "connect_timeout" in m
        else defaults.connect_timeout,
    )


_MACHINE_KEYS = (
    "built",
    "max_age_days",
    "memory_mib",
    "vcpus",
    "uefi_loader",
    "vars_disk",
    "secure_boot",
    "tpm",
)
_IMAGE_OPTIONAL = ("hypervisors", *_MACHINE_KEYS)


def _host_path(reader: FieldReader, node: Node, field: str) -> str:
    value = reader.text(node, field, hint="an absolute path on the hypervisor")
    if not value.startswith("/"):
        raise reader.fail(node, field, "expected an absolute path on the hypervisor")
    return value


def _machine(reader: FieldReader, node: Node, m: dict[str, Node], f: str) -> Machine:
    """The optional VM-shape keys of an image (see Machine)."""
    built = None
    if "built" in m:
        value = reader.scalar(m["built"], f"{f}.built")
        if not isinstance(value, datetime.date) or isinstance(value, datetime.datetime):
            raise reader.fail(m["built"], f"{f}.built", "expected a date such as 2026-05-01")
        built = value
    loader = (
        _host_path(reader, m["uefi_loader"], f"{f}.uefi_loader") if "uefi_loader" in m else None
    )
    vars_disk = _host_path(reader, m["vars_disk"], f"{f}.vars_disk") if "vars_disk" in m else None
    if (loader is None) != (vars_disk is None):
        raise reader.fail(node, f"{f}.uefi_loader", "UEFI needs both uefi_loader and vars_disk")
    secure_boot = reader.flag(m["secure_boot"], f"{f}.secure_boot") if "secure_boot" in m else False
    if secure_boot and loader is None:
        raise reader.fail(m["secure_boot"], f"{f}.secure_boot", "needs uefi_loader and vars_disk")
    defaults = Machine()
    return Machine(
        built=built,
        max_age_days=optional(
            m,
            "max_age_days",
            lambda n: reader.integer(n, f"{f}.max_age_days", 1, 3650),
            defaults.max_age_days,
        ),
        memory_mib=optional(
            m,
            "memory_mib",
            lambda n: reader.integer(n, f"{f}.memory_mib", 2048, 1048576),
            defaults.memory_mib,
        ),
        vcpus=optional(
            m, "vcpus", lambda n: reader.integer(n, f"{f}.vcpus", 1, 64), defaults.vcpus
        ),
        uefi_loader=loader,
        vars_disk=vars_disk,
        secure_boot=secure_boot,
        tpm=reader.flag(m["tpm"], f"{f}.tpm") if "tpm" in m else False,
    )


def parse_inventory(text: str, path: str | Path = "<inventory>") -> Inventory:
    """Validate TEXT (the YAML of an inventory file at PATH) and return it typed."""
    name = str(path)
    base = Path(name).parent
    reader = FieldReader(name, InventoryError)
    root = reader.compose(text)
    top = reader.mapping(
        root,
        "",
        ("version", "hypervisors", "images", "networks", "credentials", "transport"),
        ("timeouts", "vms"),
    )
    version = reader.scalar(top["version"], "version")
    if version != SCHEMA_VERSION:
        raise reader.fail(
            top["version"],
            "version",
            f"this winterop reads version {SCHEMA_VERSION}, not {version!r}",
        )

    hypervisors = []
    for i, node in enumerate(reader.sequence(top["hypervisors"], "hypervisors", min_items=1)):
        f = f"hypervisors[{i}]"
        m = reader.mapping(node, f, ("name", "uri", "max_vms"), ("virt_type",))
        virt = "kvm"
        if "virt_type" in m:
            virt = reader.choice(m["virt_type"], f"{f}.virt_type", ("kvm", "qemu"))
        hypervisors.append(
            (
                Hypervisor(
                    name=reader.text(
                        m["name"], f"{f}.name", _NAME_RE, "a short name (letters, digits, . _ -)"
                    ),
                    uri=_libvirt_uri(reader, m["uri"], f"{f}.uri"),
                    max_vms=reader.integer(m["max_vms"], f"{f}.max_vms", 1, 256),
                    virt_type=virt,
                ),
                m["name"],
            )
        )
    reader.unique([(h.name, n) for h, n in hypervisors], "hypervisors.name")
    known_hosts = {h.name for h, _ in hypervisors}

    images = []
    for i, node in enumerate(reader.sequence(top["images"], "images", min_items=1)):
        f = f"images[{i}]"
        m = reader.mapping(
            node, f, ("name", "profile", "build", "disk", "os_variant"), _IMAGE_OPTIONAL
        )
        on: list[str] = []
        if "hypervisors" in m:
            for j, h in enumerate(
                reader.sequence(m["hypervisors"], f"{f}.hypervisors", min_items=1)
            ):
                host = reader.text(h, f"{f}.hypervisors[{j}]")
                if host not in known_hosts:
                    raise reader.fail(h, f"{f}.hypervisors[{j}]", f"no hypervisor named {host!r}")
                on.append(host)
        disk = reader.text(m["disk"], f"{f}.disk", hint="an absolute path on the hypervisor")
        if not disk.startswith("/"):
            raise reader.fail(m["disk"], f"{f}.disk", "expected an absolute path on the hypervisor")
        images.append(
            (
                GoldenImage(
                    name=reader.text(
                        m["name"], f"{f}.name", _NAME_RE, "a short name (letters, digits, . _ -)"
                    ),
                    profile=reader.text(
                        m["profile"],
                        f"{f}.profile",
                        _PROFILE_RE,
                        "a client profile name such as win10-22h2",
                    ),
                    build=reader.text(
                        m["build"],
                        f"{f}.build",
                        _BUILD_RE,
                        "a Windows build number such as 10.0.19045 (quote it)",
                    ),
                    disk=disk,
                    os_variant=reader.text(
                        m["os_variant"],
                        f"{f}.os_variant",
                        _OS_VARIANT_RE,
                        "an osinfo short id such as win10 or win11",
                    ),
                    hypervisors=tuple(on) if on else tuple(sorted(known_hosts)),
                    machine=_machine(reader, node, m, f),
                ),
                m,
            )
        )
    reader.unique([(img.name, m["name"]) for img, m in images], "images.name")
    reader.unique([(img.profile, m["profile"]) for img, m in images], "images.profile")

    nm = reader.mapping(top["networks"], "networks", ("management", "topologies"))
    net_name = re.compile(r"^[A-Za-z0-9_.-]{1,64}$")
    tm = reader.mapping(
        nm["topologies"], "networks.topologies", (), tuple(t.value for t in TopologyKind)
    )
    if not tm:
        raise reader.fail(
            nm["topologies"], "networks.topologies", "name the network of at least one topology"
        )
    networks = Networks(
        management=reader.text(
            nm["management"], "networks.management", net_name, "a libvirt network name"
        ),
        topologies={
            TopologyKind(k): reader.text(
                v, f"networks.topologies.{k}", net_name, "a libvirt network name"
            )
            for k, v in tm.items()
        },
    )

    cm = reader.mapping(top["credentials"], "credentials", ("admin",), ("test_user",))
    admin = _credentials(reader, cm["admin"], "credentials.admin")
    test_user = (
        _credentials(reader, cm["test_user"], "credentials.test_user")
        if "test_user" in cm
        else None
    )

    trm = reader.mapping(top["transport"], "transport", ("kind",), ("user_kind", "wsman", "ssh"))
    kind = reader.choice(trm["kind"], "transport.kind", TRANSPORT_KINDS)
    user_kind = (
        reader.choice(trm["user_kind"], "transport.user_kind", USER_KINDS)
        if "user_kind" in trm
        else None
    )
    if kind in ("psrp", "winrm") and admin.password_env is None:
        raise reader.fail(
            cm["admin"],
            "credentials.admin.password_env",
            f"transport {kind} logs on with a password",
        )
    if user_kind is not None:
        if test_user is None:
            raise reader.fail(
                trm["user_kind"], "transport.user_kind", "needs credentials.test_user"
            )
        if test_user.password_env is None:
            raise reader.fail(
                cm["test_user"],
                "credentials.test_user.password_env",
                "a test-user session needs a password logon (DPAPI for CurrentUser\\My)",
            )
    transport = TransportChoice(
        kind=kind,
        user_kind=user_kind,
        wsman=_wsman(reader, trm.get("wsman"), base),
        ssh=_ssh(reader, trm.get("ssh"), base),
    )

    timeouts = Timeouts()
    if "timeouts" in top:
        om = reader.mapping(top["timeouts"], "timeouts", (), ("ready", "script", "dial"))
        timeouts = Timeouts(
            ready=optional(
                om, "ready", lambda n: reader.number(n, "timeouts.ready", 10, 7200), timeouts.ready
            ),
            script=optional(
                om,
                "script",
                lambda n: reader.number(n, "timeouts.script", 5, 3600),
                timeouts.script,
            ),
            dial=optional(
                om, "dial", lambda n: reader.number(n, "timeouts.dial", 5, 3600), timeouts.dial
            ),
        )

    vms = []
    image_names = {img.name for img, _ in images}
    for i, node in enumerate(reader.sequence(top["vms"], "vms") if "vms" in top else []):
        f = f"vms[{i}]"
        m = reader.mapping(node, f, ("name", "image", "address", "topology"))
        image = reader.text(m["image"], f"{f}.image")
        if image not in image_names:
            raise reader.fail(m["image"], f"{f}.image", f"no image named {image!r}")
        address = reader.text(m["address"], f"{f}.address", hint="an IP address or host name")
        try:
            ipaddress.ip_address(address)
        except ValueError:
            if not _HOST_RE.match(address):
                raise reader.fail(
                    m["address"],
                    f"{f}.address",
                    f"{address!r} is neither an IP address nor a host name",
                ) from None
        topology = TopologyKind(
            reader.choice(m["topology"], f"{f}.topology", tuple(t.value for t in TopologyKind))
        )
        if topology not in networks.topologies:
            raise reader.fail(
                m["topology"],
                f"{f}.topology",
                f"networks.topologies has no {topology.value} network",
            )
        vms.append(
            (
                StaticVm(
                    reader.text(m["name"], f"{f}.name", _NAME_RE, "a short name"),
                    image,
                    address,
                    topology,
                ),
                m["name"],
            )
        )
    reader.unique([(vm.name, n) for vm, n in vms], "vms.name")

    return Inventory(
        path=Path(path),
        hypervisors=tuple(h for h, _ in hypervisors),
        images=tuple(img for img, _ in images),
        networks=networks,
        admin=admin,
        test_user=test_user,
        transport=transport,
        timeouts=timeouts,
        vms=tuple(vm for vm, _ in vms),
    )


def load_inventory(path: str | Path) -> Inventory:
    """Read and validate the inventory file at PATH."""
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise InventoryError(str(p), None, "", "no such file") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise InventoryError(str(p), None, "", f"cannot read it: {exc}") from None
    return parse_inventory(text, p)
