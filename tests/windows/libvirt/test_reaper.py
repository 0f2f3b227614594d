"""The reaper removes what killed runs left on a hypervisor, by owner tag only.

The hypervisor "as a killed run left it" is a TEST-driver node file holding transient
domains with owner tags and their overlay volumes; the owners are real processes that
were started and killed (so their PID + start time no longer exist). A second process
holding a real slot lease is SIGKILLed to leave a real write-ahead record. Everything
the reaper must not touch sits next to it: a live owner's VM, another harness host's VM,
a domain without a tag, golden images named in a corrupt tag.
"""

from __future__ import annotations

import contextlib
import subprocess
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from pathlib import Path

import pytest

from infra.proc import ProcessId
from infra.windows.libvirt_pool.errors import HypervisorUnreachable
from infra.windows.libvirt_pool.lease import stale_slots
from infra.windows.libvirt_pool.owner import Harness, OwnerTag, VolumeRef, older_than
from infra.windows.libvirt_pool.pool import WorkerVmSlot
from infra.windows.libvirt_pool.reaper import main, reap_domains, reap_leases
from infra.windows.libvirt_pool.uri import node_file_uri
from infra.windows.libvirt_pool.virt import Hypervisor
from tests.windows.libvirt.conftest import make_config
from tests.windows.libvirt.domains import domain_xml, tag
from tests.windows.libvirt.node import GIB, GOLDEN_VOLUMES, POOL, NodeVolume, write_node
from tests.windows.libvirt.victim import spawn

TEST_NS = "http://libvirt.org/schemas/domain/test/1.0"
GOLDEN = {v.name for v in GOLDEN_VOLUMES}


def dead_harness() -> Harness:
    """The identity of a real process that has exited."""
    proc = subprocess.Popen(["sleep", "30"])
    ident = ProcessId.of(proc.pid)
    proc.kill()
    proc.wait()
    assert ident is not None and not ident.alive()
    me = Harness.current()
    return Harness(me.host, me.boot_id, ident.pid, ident.start_time)


def left_running(name: str, owner: OwnerTag | None) -> str:
    """A transient, running domain in node-file form (test:transient)."""
    xml = domain_xml(name, owner or tag(Harness.current()))
    root = ET.fromstring(xml)
    if owner is None:
        root.remove(root.find("metadata"))  # a domain somebody else made
    root.set("xmlns:test", TEST_NS)
    ET.SubElement(root, "test:transient")
    return ET.tostring(root, encoding="unicode")


def overlay(name: str) -> NodeVolume:
    return NodeVolume(name, 64 * GIB, GIB, "qcow2")


@contextlib.contextmanager
def shared(hv: Hypervisor) -> Iterator[Hypervisor]:
    """Hand the test's own connection to the reaper (a new one would re-read the node file)."""
    yield hv


def test_reap_domains_by_owner_tag(tmp_path: Path) -> None:
    dead, alive = dead_harness(), Harness.current()
    far = Harness("other-ci-host", "other-boot", 1234, 5678)
    refs = lambda run: (VolumeRef(POOL, f"wo-{run}-gw0-s0-1.qcow2"),)  # noqa: E731
    dead_tag = tag(
        dead, run_id="dead1", volumes=(*refs("dead1"), VolumeRef(POOL, "win10-22h2.qcow2"))
    )
    node = write_node(
        tmp_path / "node.xml",
        volumes=(
            *GOLDEN_VOLUMES,
            *(overlay(f"wo-{run}-gw0-s0-1.qcow2") for run in ("dead1", "live1", "far1", "xx")),
        ),
        domains=[
            left_running("wo-dead1-gw0-s0-1", dead_tag),
            left_running("wo-live1-gw0-s0-1", tag(alive, run_id="live1", volumes=refs("live1"))),
            left_running(
                "wo-far1-gw0-s0-1", tag(far, run_id="far1", created=1000, volumes=refs("far1"))
            ),
            left_running("wo-xx-gw0-s0-1", None),
        ],
    )
    with Hypervisor.open(node_file_uri(node)) as hv:
        report = reap_domains(hv)
        assert report.domains == ["wo-dead1-gw0-s0-1"]
        assert report.volumes == [f"{POOL}/wo-dead1-gw0-s0-1.qcow2"]
        assert report.skipped == [f"volume {POOL}/win10-22h2.qcow2 (not a pool name)"]
        assert report.errors == []
        remaining = {d.name for d in hv.domains()}
        assert remaining == {"wo-live1-gw0-s0-1", "wo-far1-gw0-s0-1", "wo-xx-gw0-s0-1"}
        volumes = set(hv.storage_pool(POOL).volume_names())
        assert volumes == GOLDEN | {f"wo-{r}-gw0-s0-1.qcow2" for r in ("live1", "far1", "xx")}

        later = reap_domains(hv, stale=older_than(3600))  # another host's VM, hours old
        assert later.domains == ["wo-far1-gw0-s0-1"]
        assert {d.name for d in hv.domains()} == {"wo-live1-gw0-s0-1", "wo-xx-gw0-s0-1"}
        assert not reap_domains(hv, stale=older_than(3600))  # nothing more: falsy report


def victim_leftovers(tmp_path: Path) -> tuple[Path, Path, str]:
    """A killed lease holder whose domain exists and whose VARS copy never got created."""
    node, lease_dir = tmp_path / "node.xml", tmp_path / "leases"
    victim = spawn(node_file_uri(node), lease_dir)
    victim.kill()
    me = Harness.current()
    harness = Harness(me.host, me.boot_id, victim.pid, victim.start_time)
    name = victim.domain
    write_node(
        node,
        volumes=(*GOLDEN_VOLUMES, overlay(f"{name}.qcow2")),
        domains=[
            left_running(
                name, tag(harness, run_id="dead1", volumes=(VolumeRef(POOL, f"{name}.qcow2"),))
            )
        ],
    )
    return node, lease_dir, name


def test_reap_leases_removes_what_a_killed_holder_recorded(tmp_path: Path) -> None:
    node, lease_dir, name = victim_leftovers(tmp_path)
    with Hypervisor.open(node_file_uri(node)) as hv:
        report = reap_leases(lease_dir, connect=lambda _uri: shared(hv))
        assert report.domains == [name] and report.errors == []
        assert report.volumes == [f"{POOL}/{name}.qcow2"]  # the VARS copy never existed
        assert report.records == [lease_dir / "hv-test" / "slot-0.json"]
        assert hv.domains() == [] and set(hv.storage_pool(POOL).volume_names()) == GOLDEN
    assert not (lease_dir / "hv-test" / "slot-0.json").exists()
    assert not reap_leases(lease_dir)


def test_next_holder_of_the_slot_reaps_its_predecessor(tmp_path: Path) -> None:
    node, lease_dir, _ = victim_leftovers(tmp_path)
    config = make_config(node, lease_dir, capacity=1)
    with WorkerVmSlot.acquire(config, run_id="r2", worker="gw0") as slot:
        assert slot.hv.domains() == []
        assert set(slot.hv.storage_pool(POOL).volume_names()) == GOLDEN
        assert slot.notes[0].startswith("slot 0 was left by run dead1 worker gw0")
        assert "reaped 1 VM(s), 1 volume(s)" in slot.notes[0]


def test_a_record_naming_someone_elses_domain_leaves_it_alone(tmp_path: Path) -> None:
    node, lease_dir, name = victim_leftovers(tmp_path)
    # Same name, but the running domain belongs to a live run (the name was reused).
    write_node(
        node,
        volumes=(*GOLDEN_VOLUMES, overlay(f"{name}.qcow2")),
        domains=[left_running(name, tag(Harness.current(), run_id="dead1"))],
    )
    with Hypervisor.open(node_file_uri(node)) as hv:
        report = reap_leases(lease_dir, connect=lambda _uri: shared(hv))
        assert report.domains == []
        assert report.skipped == [f"domain {name} (its owner tag is not the record's holder)"]
        assert [d.name for d in hv.domains()] == [name]


def test_unreachable_hypervisor_keeps_the_record(tmp_path: Path) -> None:
    node, lease_dir, _ = victim_leftovers(tmp_path)
    node.unlink()  # the hypervisor "is gone"
    report = reap_leases(lease_dir)
    assert len(report.errors) == 1 and "cannot reach hypervisor test://" in report.errors[0]
    assert (lease_dir / "hv-test" / "slot-0.json").exists()


def test_command_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    node = write_node(tmp_path / "node.xml")
    code = main(["--uri", node_file_uri(node), "--lease-dir", str(tmp_path / "none")])
    assert code == 0
    assert capsys.readouterr().out == "nothing to reap\n"


def test_acquire_keeps_a_predecessor_record_it_could_not_reap(tmp_path: Path) -> None:
    node, lease_dir, name = victim_leftovers(tmp_path)
    node.unlink()  # the hypervisor cannot be reached now
    config = make_config(node, lease_dir, capacity=1)
    with pytest.raises(HypervisorUnreachable):
        WorkerVmSlot.acquire(config, run_id="r2", worker="gw0")
    record = lease_dir / "hv-test" / "slot-0.json"
    assert record.exists() and name in record.read_text()
    stale = stale_slots(lease_dir / "hv-test")  # the lock was given back
    assert [s.slot for s in stale] == [0]
    stale[0].release(keep_record=True)
