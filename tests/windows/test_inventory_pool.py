"""The inventory mapped onto the VM pool's typed values (vm-images/README.md's table)."""

from __future__ import annotations

import dataclasses
import datetime as dt
import io
import subprocess
import sys
from pathlib import Path

import pytest

from infra.lab.topology import TopologyKind
from infra.windows.inventory import Hypervisor, Inventory, InventoryError, load_inventory
from infra.windows.inventory_pool import (
    InventoryMappingError,
    describe_mapping,
    golden_image,
    hypervisor_configs,
    hypervisor_networks,
    main,
)
from infra.windows.libvirt_pool.config import GoldenImage as PoolImage
from infra.windows.libvirt_pool.networks import HypervisorNetworks
from infra.windows.libvirt_pool.spec import Tpm, UefiFirmware

ROOT = Path(__file__).resolve().parents[2]
LAB = Path(__file__).resolve().parent / "inventories" / "lab.yaml"


@pytest.fixture
def lab() -> Inventory:
    return load_inventory(LAB)


def test_lab_inventory_maps_onto_hypervisor_configs(lab: Inventory, tmp_path: Path) -> None:
    kvm1, kvm2 = hypervisor_configs(lab, lease_dir=tmp_path)
    networks = HypervisorNetworks(
        "winterop-mgmt",
        {TopologyKind.DIRECT: "winterop-direct", TopologyKind.NAT: "winterop-nat"},
    )
    assert (kvm1.name, kvm1.uri, kvm1.capacity, kvm1.virt_type) == (
        "kvm1",
        lab.hypervisors[0].uri,
        4,
        "kvm",
    )
    assert (kvm2.name, kvm2.capacity, kvm2.virt_type) == ("kvm2", 2, "qemu")
    assert kvm1.networks == networks == kvm2.networks == hypervisor_networks(lab)
    assert kvm1.lease_dir == str(tmp_path) and kvm1.autodestroy
    assert [i.profile for i in kvm1.images] == ["win10-22h2", "win11-23h2"]
    assert [i.profile for i in kvm2.images] == ["win10-22h2"]  # win11 lists only kvm1
    assert kvm1.images[0] == PoolImage(
        profile="win10-22h2",
        build="10.0.19045",
        disk="/var/lib/libvirt/images/winterop/win10-22h2.qcow2",
    )
    assert kvm1.images[1] == PoolImage(
        profile="win11-23h2",
        build="10.0.22631",
        disk="/var/lib/libvirt/images/winterop/win11-23h2.qcow2",
        built=dt.date(2026, 5, 1),
        uefi=UefiFirmware("/usr/share/OVMF/OVMF_CODE_4M.fd", secure_boot=False),
        vars_disk="/var/lib/libvirt/images/winterop/win11-23h2_VARS.fd",
        tpm=Tpm(),
        memory_mib=8192,
        vcpus=4,
        max_age_days=60,
    )
    assert hypervisor_configs(lab)[0].lease_dir is None


def test_build_revision_is_dropped_for_the_pool(lab: Inventory) -> None:
    image = dataclasses.replace(lab.images[0], build="10.0.19045.3803")
    patched = dataclasses.replace(lab, images=(image, *lab.images[1:]))
    assert golden_image(patched, image).build == "10.0.19045"


def test_secure_boot_flag_reaches_the_firmware(lab: Inventory) -> None:
    win11 = lab.images[1]
    secure = dataclasses.replace(
        win11, machine=dataclasses.replace(win11.machine, secure_boot=True)
    )
    patched = dataclasses.replace(lab, images=(lab.images[0], secure))
    mapped = golden_image(patched, secure)
    assert mapped.uefi is not None and mapped.uefi.secure_boot


@pytest.mark.parametrize(
    ("change", "field", "message"),
    [
        (
            lambda inv: dataclasses.replace(
                inv, images=(dataclasses.replace(inv.images[0], build="6.1.7601"), inv.images[1])
            ),
            "images[0].build",
            "'6.1.7601' is not like 10.0.19045",
        ),
        (
            lambda inv: dataclasses.replace(
                inv, images=(inv.images[0], dataclasses.replace(inv.images[1], disk="x.qcow2"))
            ),
            "images[1].disk",
            "expected an absolute path on the hypervisor",
        ),
        (
            lambda inv: dataclasses.replace(
                inv,
                images=(
                    inv.images[0],
                    dataclasses.replace(
                        inv.images[1],
                        machine=dataclasses.replace(inv.images[1].machine, vars_disk=None),
                    ),
                ),
            ),
            "images[1].uefi_loader",
            "UEFI needs both uefi_loader and vars_disk",
        ),
        (
            lambda inv: dataclasses.replace(
                inv, hypervisors=(inv.hypervisors[0], Hypervisor("kvm 2", "test:///default", 1))
            ),
            "hypervisors[1].name",
            "hypervisor name 'kvm 2' must be",
        ),
        (
            lambda inv: dataclasses.replace(
                inv, hypervisors=(Hypervisor("kvm1", "test:///default", 0), inv.hypervisors[1])
            ),
            "hypervisors[0].max_vms",
            "the pool needs at least 1 VM slot",
        ),
        (
            lambda inv: dataclasses.replace(
                inv, hypervisors=(Hypervisor("kvm1", "test:///default", 1, "xen"),)
            ),
            "hypervisors[0].virt_type",
            "'xen' is not kvm or qemu",
        ),
    ],
)
def test_unmappable_values_name_the_inventory_field(
    lab: Inventory, change: object, field: str, message: str
) -> None:
    assert callable(change)
    with pytest.raises(InventoryMappingError) as failure:
        hypervisor_configs(change(lab))
    assert failure.value.field == field
    assert str(failure.value).startswith(f"{LAB}: {field}: {message}")
    assert isinstance(failure.value, InventoryError)


def test_check_prints_the_mapping(lab: Inventory) -> None:
    lines = describe_mapping(hypervisor_configs(lab))
    assert lines[0].startswith("kvm1: qemu+ssh://") and "capacity 4 (kvm)" in lines[0]
    assert "topologies direct=winterop-direct, nat=winterop-nat" in lines[0]
    assert lines[2].startswith("  win11-23h2: ") and "UEFI /usr/share/OVMF" in lines[2]
    assert "TPM 2.0" in lines[2] and "max 60 days" in lines[2]
    out = io.StringIO()
    assert main(["check", "--inventory", str(LAB)], out=out) == 0
    assert out.getvalue().splitlines() == lines


def test_check_reports_a_bad_inventory(tmp_path: Path) -> None:
    bad = tmp_path / "lab.yaml"
    bad.write_text("version: 1\n")
    out = io.StringIO()
    assert main(["check", "--inventory", str(bad)], out=out) == 2
    assert out.getvalue().startswith(f"error: {bad}:1: (top level): missing hypervisors")


def test_module_entry_point() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "infra.windows.inventory_pool", "check", "--inventory", str(LAB)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("kvm1: ")
