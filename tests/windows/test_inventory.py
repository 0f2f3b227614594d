"""The inventory: a good file reads back typed; every kind of bad input names file, line, field."""

from __future__ import annotations

import datetime
from pathlib import Path

import pytest

from infra.lab.topology import TopologyKind
from infra.windows.inventory import (
    GoldenImage,
    Hypervisor,
    InventoryError,
    Machine,
    StaticVm,
    Timeouts,
    load_inventory,
    parse_inventory,
)
from infra.windows.transports.credentials import CredentialNames
from infra.windows.transports.settings import SshSettings, WsmanSettings

HERE = Path(__file__).resolve().parent / "inventories"
GOOD = HERE / "lab.yaml"


def good_text() -> str:
    return GOOD.read_text()


def test_good_inventory_reads_back_typed() -> None:
    inv = load_inventory(GOOD)
    assert inv.hypervisors == (
        Hypervisor(
            "kvm1",
            "qemu+ssh://winterop@kvm1.lab.example/system?keyfile=/etc/winterop/id_ed25519&no_tty=1",
            4,
        ),
        Hypervisor(
            "kvm2",
            "qemu+libssh://winterop@kvm2.lab.example/system?known_hosts=/etc/winterop/known_hosts",
            2,
            virt_type="qemu",
        ),
    )
    assert inv.images[0] == GoldenImage(
        name="win10-22h2-eval",
        profile="win10-22h2",
        build="10.0.19045",
        disk="/var/lib/libvirt/images/winterop/win10-22h2.qcow2",
        os_variant="win10",
        hypervisors=("kvm1", "kvm2"),
    )
    assert inv.images[0].machine == Machine()
    assert inv.images[1].hypervisors == ("kvm1",)
    assert inv.images[1].machine == Machine(
        built=datetime.date(2026, 5, 1),
        max_age_days=60,
        memory_mib=8192,
        vcpus=4,
        uefi_loader="/usr/share/OVMF/OVMF_CODE_4M.fd",
        vars_disk="/var/lib/libvirt/images/winterop/win11-23h2_VARS.fd",
        tpm=True,
    )
    assert inv.image_for_profile("win11-23h2") == inv.images[1]
    assert inv.image_for_profile("win7-sp1") is None
    assert inv.networks.management == "winterop-mgmt"
    assert dict(inv.networks.topologies) == {
        TopologyKind.DIRECT: "winterop-direct",
        TopologyKind.NAT: "winterop-nat",
    }
    assert inv.admin == CredentialNames(
        "WINTEROP_ADMIN_USER", "WINTEROP_ADMIN_PASSWORD", source=f"{GOOD}: credentials.admin"
    )
    assert inv.test_user is not None and inv.test_user.user_env == "WINTEROP_TEST_USER"
    assert inv.transport.kind == "psrp" and inv.transport.user_kind == "ssh"
    assert inv.transport.wsman == WsmanSettings(
        port=5986, auth="ntlm", ca_file=str(HERE / "winrm-ca.pem"), operation_timeout=20
    )
    assert inv.transport.ssh == SshSettings(port=22, known_hosts=str(HERE / "known_hosts"))
    assert inv.timeouts == Timeouts(ready=900.0, script=120.0, dial=60.0)
    assert inv.vms == (StaticVm("win10-a", "win10-22h2-eval", "192.0.2.50", TopologyKind.DIRECT),)


def test_minimal_inventory_takes_defaults() -> None:
    inv = parse_inventory(
        """\
version: 1
hypervisors: [{name: h, uri: "qemu:///system", max_vms: 1}]
images: [{name: i, profile: win11-24h2, build: 10.0.26100, disk: /i.qcow2, os_variant: win11}]
networks: {management: m, topologies: {dual-stack: d}}
credentials: {admin: {user_env: U, password_env: P}}
transport: {kind: winrm}
""",
        "mini.yaml",
    )
    assert inv.transport.wsman == WsmanSettings()
    assert inv.transport.user_kind is None and inv.test_user is None
    assert inv.vms == () and inv.timeouts == Timeouts()


def replace(old: str, new: str) -> str:
    text = good_text()
    assert old in text, old
    return text.replace(old, new, 1)


def line_of(text: str, needle: str) -> int:
    return next(i + 1 for i, line in enumerate(text.splitlines()) if needle in line)


# (id, yaml text, line marker (text on the reported line), field, message fragment)
BAD: list[tuple[str, str, str | None, str, str]] = [
    ("not-yaml", "version: 1\nimages: [\n", None, "", "not valid YAML"),
    ("empty", "", None, "", "the file is empty"),
    ("not-a-mapping", "- 1\n- 2\n", None, "(top level)", "expected a mapping"),
    (
        "wrong-version",
        replace("version: 1", "version: 2"),
        "version: 2",
        "version",
        "reads version 1",
    ),
    (
        "unknown-top-key",
        replace("version: 1", "version: 1\nhypervisor: []"),
        "hypervisor: []",
        "hypervisor",
        "unknown key",
    ),
    (
        "duplicate-key",
        replace("version: 1", "version: 1\nversion: 1"),
        "version: 1",
        "version",
        "given twice",
    ),
    ("misspelt-section", replace("networks:", "networkz:"), "networkz:", "networkz", "unknown key"),
    (
        "renamed-section",
        replace("hypervisors:\n", "hypervisors: []\nold_hypervisors:\n"),
        "old_hypervisors:",
        "old_hypervisors",
        "unknown key",
    ),
    (
        "missing-section",
        "version: 1\nhypervisors: []\n",
        "version: 1",
        "(top level)",
        "missing images, networks, credentials, transport",
    ),
    (
        "empty-hypervisors",
        good_text().split("hypervisors:")[0]
        + "hypervisors: []\n"
        + "images:"
        + good_text().split("images:", 1)[1],
        "hypervisors: []",
        "hypervisors",
        "at least 1",
    ),
    (
        "hypervisor-missing-uri",
        replace("    uri: qemu+libssh://", "    url: qemu+libssh://"),
        "url: qemu+libssh",
        "hypervisors[1].url",
        "unknown key",
    ),
    (
        "bad-uri-driver",
        replace("qemu+ssh://winterop@kvm1", "xen+ssh://winterop@kvm1"),
        "xen+ssh",
        "hypervisors[0].uri",
        "driver must be qemu or test",
    ),
    (
        "bad-uri-path",
        replace("kvm1.lab.example/system", "kvm1.lab.example/root"),
        "/root?",
        "hypervisors[0].uri",
        "ends in /system or /session",
    ),
    (
        "remote-uri-without-host",
        replace("qemu+ssh://winterop@kvm1.lab.example/system", "qemu+ssh:///system"),
        "qemu+ssh:///system",
        "hypervisors[0].uri",
        "needs a host",
    ),
    (
        "max-vms-zero",
        replace("max_vms: 4", "max_vms: 0"),
        "max_vms: 0",
        "hypervisors[0].max_vms",
        "out of range",
    ),
    (
        "max-vms-text",
        replace("max_vms: 4", "max_vms: four"),
        "max_vms: four",
        "hypervisors[0].max_vms",
        "whole number",
    ),
    (
        "max-vms-bool",
        replace("max_vms: 4", "max_vms: true"),
        "max_vms: true",
        "hypervisors[0].max_vms",
        "whole number",
    ),
    (
        "duplicate-hypervisor",
        replace("name: kvm2", "name: kvm1"),
        "  - name: kvm1\n    uri: qemu+libssh",
        "hypervisors.name",
        "used twice",
    ),
    (
        "build-as-float",
        replace('build: "10.0.19045"', "build: 10.0"),
        "build: 10.0",
        "images[0].build",
        "Windows build number",
    ),
    (
        "build-garbage",
        replace('build: "10.0.19045"', "build: 22H2"),
        "build: 22H2",
        "images[0].build",
        "Windows build number",
    ),
    (
        "bad-profile",
        replace("profile: win10-22h2", "profile: Windows 10"),
        "profile: Windows 10",
        "images[0].profile",
        "client profile name",
    ),
    (
        "relative-disk",
        replace("disk: /var/lib/libvirt/images/winterop/win10-22h2.qcow2", "disk: win10.qcow2"),
        "disk: win10.qcow2",
        "images[0].disk",
        "absolute path",
    ),
    (
        "bad-os-variant",
        replace("os_variant: win10", "os_variant: Windows 10!"),
        "os_variant: Windows 10!",
        "images[0].os_variant",
        "osinfo short id",
    ),
    (
        "image-on-unknown-hypervisor",
        replace("hypervisors: [kvm1]", "hypervisors: [kvm9]"),
        "hypervisors: [kvm9]",
        "images[1].hypervisors[0]",
        "no hypervisor named 'kvm9'",
    ),
    (
        "duplicate-profile",
        replace("profile: win11-23h2", "profile: win10-22h2"),
        "profile: win10-22h2\n    build: 10.0.22631",
        "images.profile",
        "used twice",
    ),
    (
        "unknown-topology",
        replace("    nat: winterop-nat", "    nat66: winterop-nat"),
        "nat66:",
        "networks.topologies.nat66",
        "unknown key",
    ),
    (
        "no-topology",
        replace("    direct: winterop-direct\n    nat: winterop-nat", "    {}"),
        "    {}",
        "networks.topologies",
        "at least one topology",
    ),
    (
        "password-in-env-field",
        replace("password_env: WINTEROP_ADMIN_PASSWORD", "password_env: hunter2!"),
        "password_env: hunter2!",
        "credentials.admin.password_env",
        "NAME of an environment variable",
    ),
    (
        "admin-without-secret",
        replace(
            "    user_env: WINTEROP_ADMIN_USER\n    password_env: WINTEROP_ADMIN_PASSWORD",
            "    user_env: WINTEROP_ADMIN_USER",
        ),
        "user_env: WINTEROP_ADMIN_USER",
        "credentials.admin",
        "password_env, key_file_env or both",
    ),
    (
        "psrp-with-key-only",
        replace(
            "    password_env: WINTEROP_ADMIN_PASSWORD", "    key_file_env: WINTEROP_ADMIN_KEY"
        ),
        "user_env: WINTEROP_ADMIN_USER",
        "credentials.admin.password_env",
        "logs on with a password",
    ),
    (
        "user-kind-without-test-user",
        replace(
            "  test_user:\n    user_env: WINTEROP_TEST_USER\n"
            "    password_env: WINTEROP_TEST_USER_PASSWORD\n",
            "",
        ),
        "user_kind: ssh",
        "transport.user_kind",
        "needs credentials.test_user",
    ),
    (
        "user-kind-not-ssh",
        replace("user_kind: ssh", "user_kind: winrm"),
        "user_kind: winrm",
        "transport.user_kind",
        "not one of ssh",
    ),
    (
        "unknown-transport",
        replace("kind: psrp", "kind: telnet"),
        "kind: telnet",
        "transport.kind",
        "not one of psrp, winrm, ssh",
    ),
    (
        "bad-auth",
        replace("auth: ntlm", "auth: digest"),
        "auth: digest",
        "transport.wsman.auth",
        "not one of ntlm, basic, kerberos, credssp",
    ),
    (
        "timeouts-inverted",
        replace("operation_timeout: 20", "operation_timeout: 40"),
        "operation_timeout: 40",
        "transport.wsman.operation_timeout",
        "below read_timeout",
    ),
    (
        "missing-ca-file",
        replace("ca_file: winrm-ca.pem", "ca_file: nowhere.pem"),
        "ca_file: nowhere.pem",
        "transport.wsman.ca_file",
        "no such file",
    ),
    (
        "missing-known-hosts",
        replace("known_hosts: known_hosts", "known_hosts: /nonexistent/kh"),
        "known_hosts: /nonexistent",
        "transport.ssh.known_hosts",
        "no such file",
    ),
    (
        "bad-port",
        replace("port: 5986", "port: 70000"),
        "port: 70000",
        "transport.wsman.port",
        "out of range",
    ),
    (
        "negative-timeout",
        replace("ready: 900", "ready: -1"),
        "ready: -1",
        "timeouts.ready",
        "out of range",
    ),
    (
        "vm-unknown-image",
        replace("image: win10-22h2-eval", "image: win7"),
        "image: win7",
        "vms[0].image",
        "no image named 'win7'",
    ),
    (
        "vm-bad-address",
        replace("address: 192.0.2.50", "address: not an address"),
        "address: not an",
        "vms[0].address",
        "neither an IP address nor a host name",
    ),
    (
        "vm-topology-without-network",
        replace("topology: direct", "topology: dual-stack"),
        "topology: dual-stack",
        "vms[0].topology",
        "has no dual-stack network",
    ),
    (
        "bad-virt-type",
        replace("virt_type: qemu", "virt_type: xen"),
        "virt_type: xen",
        "hypervisors[1].virt_type",
        "not one of kvm, qemu",
    ),
    (
        "built-not-a-date",
        replace("built: 2026-05-01", "built: last May"),
        "built: last May",
        "images[1].built",
        "expected a date",
    ),
    (
        "built-timestamp",
        replace("built: 2026-05-01", "built: 2026-05-01 10:00:00"),
        "built: 2026-05-01 10",
        "images[1].built",
        "expected a date",
    ),
    (
        "uefi-without-vars",
        replace("    vars_disk: /var/lib/libvirt/images/winterop/win11-23h2_VARS.fd\n", ""),
        "- name: win11-23h2-eval",
        "images[1].uefi_loader",
        "both uefi_loader and vars_disk",
    ),
    (
        "relative-loader",
        replace("uefi_loader: /usr/share/OVMF/OVMF_CODE_4M.fd", "uefi_loader: OVMF_CODE.fd"),
        "uefi_loader: OVMF_CODE.fd",
        "images[1].uefi_loader",
        "absolute path",
    ),
    (
        "too-little-memory",
        replace("memory_mib: 8192", "memory_mib: 512"),
        "memory_mib: 512",
        "images[1].memory_mib",
        "out of range",
    ),
    (
        "tpm-not-bool",
        replace("tpm: true", "tpm: 2.0"),
        "tpm: 2.0",
        "images[1].tpm",
        "true or false",
    ),
    (
        "python-tag",
        replace("max_vms: 4", "max_vms: !!python/object:os.system 4"),
        "max_vms: !!python",
        "hypervisors[0].max_vms",
        "not allowed",
    ),
    (
        "list-for-scalar",
        replace("name: kvm1", "name: [kvm1]"),
        "name: [kvm1]",
        "hypervisors[0].name",
        "single value",
    ),
]


@pytest.mark.parametrize(
    ("text", "marker", "field", "fragment"), [b[1:] for b in BAD], ids=[b[0] for b in BAD]
)
def test_bad_input_names_file_line_and_field(
    text: str, marker: str | None, field: str, fragment: str
) -> None:
    with pytest.raises(InventoryError) as caught:
        parse_inventory(text, HERE / "lab.yaml")
    error = caught.value
    assert error.path == str(HERE / "lab.yaml")
    assert str(error).startswith(str(HERE / "lab.yaml"))
    assert error.field == field
    assert fragment in str(error)
    if marker is not None:
        first = marker.split("\n")[0]
        candidates = [i + 1 for i, line in enumerate(text.splitlines()) if first in line]
        if "\n" in marker:  # disambiguate by the following line
            second = marker.split("\n")[1]
            lines = text.splitlines()
            candidates = [n for n in candidates if n < len(lines) and second in lines[n]]
        assert error.line in candidates, (str(error), candidates)


def test_secret_in_an_env_field_is_not_echoed() -> None:
    text = replace("password_env: WINTEROP_ADMIN_PASSWORD", "password_env: 'S3cret pass!'")
    with pytest.raises(InventoryError) as caught:
        parse_inventory(text, HERE / "lab.yaml")
    assert "S3cret" not in str(caught.value)


def test_missing_file_is_named(tmp_path: Path) -> None:
    with pytest.raises(InventoryError, match=r"nope\.yaml: no such file"):
        load_inventory(tmp_path / "nope.yaml")
