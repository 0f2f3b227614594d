"""`reap_vms(inventory)`: the pool's reaper for every hypervisor an inventory names.

The hypervisor is a TEST-driver node file as killed runs left it (reusing the reaper
tests' builders): a domain a killed lease holder recorded, a domain of another dead
harness process that no record names, a live run's domain. Another lab's stale lease
record (a hypervisor this inventory does not name) must not be touched.
"""

from __future__ import annotations

import io
from pathlib import Path

from infra.windows.inventory_pool import main, reap_vms
from infra.windows.libvirt_pool.lease import LeaseRecord
from infra.windows.libvirt_pool.owner import Harness, VolumeRef
from infra.windows.libvirt_pool.uri import node_file_uri
from infra.windows.libvirt_pool.virt import Hypervisor
from tests.windows.libvirt.domains import tag
from tests.windows.libvirt.node import GOLDEN_VOLUMES, POOL, write_node
from tests.windows.libvirt.pool_inventory import write_inventory
from tests.windows.libvirt.test_reaper import (
    dead_harness,
    left_running,
    overlay,
    shared,
    victim_leftovers,
)

GOLDEN = {v.name for v in GOLDEN_VOLUMES}


def foreign_record(lease_dir: Path) -> Path:
    """A stale record of a hypervisor of another lab (unreachable from here)."""
    directory = lease_dir / "other-lab-kvm"
    directory.mkdir(parents=True)
    record = LeaseRecord(
        "other-lab-kvm",
        "qemu+ssh://nobody@198.51.100.7/system",
        0,
        "old",
        "gw0",
        Harness("elsewhere", "boot", 1, 1),
        domains=["wo-old-gw0-s0-1"],
    )
    path = directory / "slot-0.json"
    path.write_text(record.to_json())
    return path


def leftovers(tmp_path: Path) -> tuple[Path, Path, str, str]:
    """(node, lease dir, the domain a killed holder recorded, a dead run's unrecorded one)."""
    node, lease_dir, recorded = victim_leftovers(tmp_path)
    killed = LeaseRecord.from_json((lease_dir / "hv-test" / "slot-0.json").read_text())
    assert killed.domains == [recorded]
    orphan = "wo-dead2-gw1-s1-1"
    write_node(
        node,
        volumes=(*GOLDEN_VOLUMES, overlay(f"{recorded}.qcow2"), overlay(f"{orphan}.qcow2")),
        domains=[
            left_running(
                recorded,
                tag(
                    killed.harness, run_id="dead1", volumes=(VolumeRef(POOL, f"{recorded}.qcow2"),)
                ),
            ),
            left_running(
                orphan,
                tag(
                    dead_harness(),
                    run_id="dead2",
                    worker="gw1",
                    volumes=(VolumeRef(POOL, f"{orphan}.qcow2"),),
                ),
            ),
            left_running("wo-live-gw0-s1-1", tag(Harness.current(), run_id="live")),
        ],
    )
    return node, lease_dir, recorded, orphan


def test_reap_vms_cleans_every_hypervisor_of_the_inventory(tmp_path: Path) -> None:
    node, lease_dir, recorded, orphan = leftovers(tmp_path)
    other = foreign_record(lease_dir)
    inventory = write_inventory(tmp_path, node)
    with Hypervisor.open(node_file_uri(node)) as hv:
        report = reap_vms(inventory, lease_dir=lease_dir, connect=lambda _uri: shared(hv))
        assert report.errors == []
        assert report.domains == [recorded, orphan]
        assert report.volumes == [f"{POOL}/{recorded}.qcow2", f"{POOL}/{orphan}.qcow2"]
        assert report.records == [lease_dir / "hv-test" / "slot-0.json"]
        assert [d.name for d in hv.domains()] == ["wo-live-gw0-s1-1"]
        assert set(hv.storage_pool(POOL).volume_names()) == GOLDEN
    assert other.exists()  # not this inventory's hypervisor


def test_command_line_reap(tmp_path: Path) -> None:
    node = write_node(tmp_path / "node.xml")
    inventory = write_inventory(tmp_path, node)
    out = io.StringIO()
    code = main(
        ["reap", "--inventory", str(inventory), "--lease-dir", str(tmp_path / "none")], out=out
    )
    assert (code, out.getvalue()) == (0, "nothing to reap\n")


def test_command_line_reap_reports_an_unreachable_hypervisor(tmp_path: Path) -> None:
    inventory = write_inventory(tmp_path, tmp_path / "gone.xml")
    out = io.StringIO()
    code = main(
        ["reap", "--inventory", str(inventory), "--lease-dir", str(tmp_path), "--older-than", "60"],
        out=out,
    )
    assert code == 1
    assert "errors: hv-test: cannot reach hypervisor test://" in out.getvalue()


def test_command_line_reap_with_a_bad_inventory(tmp_path: Path) -> None:
    out = io.StringIO()
    assert main(["reap", "--inventory", str(tmp_path / "absent.yaml")], out=out) == 2
    assert out.getvalue() == f"error: {tmp_path / 'absent.yaml'}: no such file\n"
