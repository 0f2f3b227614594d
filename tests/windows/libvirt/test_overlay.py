"""Overlays and VARS copies through the storage API, on the TEST driver.

The TEST driver keeps volume metadata only (no qcow2 file is written), which is exactly
what this layer decides: finding the golden image by its path, names, backing store,
format, capacity, and clean deletion.
"""

from __future__ import annotations

import dataclasses
import xml.etree.ElementTree as ET

import pytest

from infra.windows.libvirt_pool.errors import MissingResource
from infra.windows.libvirt_pool.naming import VmName
from infra.windows.libvirt_pool.overlay import create_overlay, delete_volumes, locate_golden
from infra.windows.libvirt_pool.owner import VolumeRef
from infra.windows.libvirt_pool.virt import Hypervisor
from tests.windows.libvirt.conftest import WIN10, WIN11
from tests.windows.libvirt.node import GIB, POOL, POOL_PATH, VARS_SIZE

NAME = VmName("r1", "gw1", 1, 3)


def test_golden_image_is_found_by_its_path(hv: Hypervisor) -> None:
    golden = locate_golden(hv, WIN11)
    assert golden.pool.name == POOL
    assert golden.disk.name == "win11-23h2.qcow2" and golden.vars is not None
    assert golden.planned_refs(NAME) == (
        VolumeRef(POOL, "wo-r1-gw1-s1-3.qcow2"),
        VolumeRef(POOL, "wo-r1-gw1-s1-3_VARS.fd"),
    )
    assert locate_golden(hv, WIN10).planned_refs(NAME) == (VolumeRef(POOL, "wo-r1-gw1-s1-3.qcow2"),)


def test_overlay_is_a_qcow2_on_the_golden_image(hv: Hypervisor) -> None:
    golden = locate_golden(hv, WIN10)
    overlay = create_overlay(golden, NAME)
    assert overlay.disk == VolumeRef(POOL, "wo-r1-gw1-s1-3.qcow2") and overlay.nvram is None
    assert overlay.disk_path == f"{POOL_PATH}/wo-r1-gw1-s1-3.qcow2"
    vol = hv.storage_pool(POOL).volume(overlay.disk.name)
    root = ET.fromstring(vol.xml())
    assert root.find("target/format").get("type") == "qcow2"
    assert root.findtext("backingStore/path") == f"{POOL_PATH}/win10-22h2.qcow2"
    assert root.find("backingStore/format").get("type") == "qcow2"
    assert vol.capacity == 64 * GIB and root.findtext("allocation") == "0"
    assert overlay.refs == golden.planned_refs(NAME)


def test_uefi_image_gets_its_own_vars_copy(hv: Hypervisor) -> None:
    overlay = create_overlay(locate_golden(hv, WIN11), NAME)
    assert overlay.nvram == VolumeRef(POOL, "wo-r1-gw1-s1-3_VARS.fd")
    assert overlay.nvram_path == f"{POOL_PATH}/wo-r1-gw1-s1-3_VARS.fd"
    assert hv.storage_pool(POOL).volume(overlay.nvram.name).capacity == VARS_SIZE


def test_delete_volumes_removes_only_what_it_is_given_and_tolerates_gone(hv: Hypervisor) -> None:
    overlay = create_overlay(locate_golden(hv, WIN11), NAME)
    pool = hv.storage_pool(POOL)
    before = set(pool.volume_names())
    deleted, problems = delete_volumes(hv, overlay.refs)
    assert deleted == list(overlay.refs) and problems == []
    assert set(pool.volume_names()) == before - {r.name for r in overlay.refs}
    assert delete_volumes(hv, overlay.refs) == ([], [])  # second time: nothing, no error
    assert {"win11-23h2.qcow2", "win11-23h2_VARS.fd"} <= set(pool.volume_names())


def test_missing_golden_image_says_where_it_was_expected(hv: Hypervisor) -> None:
    image = dataclasses.replace(WIN10, disk="/srv/elsewhere/win10.qcow2")
    with pytest.raises(MissingResource) as err:
        locate_golden(hv, image)
    assert str(err.value).startswith(
        "golden image /srv/elsewhere/win10.qcow2 (win10-22h2) is not a volume of any storage "
        "pool on test://"
    )
    assert err.value.fault is not None and err.value.fault.code == 50  # VIR_ERR_NO_STORAGE_VOL


def test_missing_vars_file_is_named(hv: Hypervisor) -> None:
    image = dataclasses.replace(WIN11, vars_disk=f"{POOL_PATH}/nope_VARS.fd")
    with pytest.raises(MissingResource, match=f"^UEFI VARS {POOL_PATH}/nope_VARS.fd "):
        locate_golden(hv, image)
