"""Owner tags and the configuration values the inventory fills in: parsing and validation."""

from __future__ import annotations

import dataclasses
import datetime as dt

import pytest

from infra.windows.libvirt_pool.config import HypervisorConfig
from infra.windows.libvirt_pool.errors import ImageExpired
from infra.windows.libvirt_pool.naming import VmName, is_pool_volume_name
from infra.windows.libvirt_pool.networks import HypervisorNetworks
from infra.windows.libvirt_pool.owner import (
    Harness,
    OwnerTag,
    older_than,
    owner_is_dead_here,
)
from infra.windows.libvirt_pool.spec import UefiFirmware
from tests.windows.libvirt.conftest import WIN10
from tests.windows.libvirt.domains import tag


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("not xml <", "not XML"),
        ("<something/>", "not an owner tag"),
        ('<owner><run id="r" worker="w" slot="0"/></owner>', "incomplete owner tag"),
        (
            '<owner><run id="r" worker="w" slot="x"/><image hypervisor="h" profile="p"/>'
            '<harness host="h" boot="b" pid="1" start="2" created="3"/></owner>',
            "incomplete owner tag",
        ),
    ],
)
def test_bad_owner_tags_are_not_ours(text: str, words: str) -> None:
    with pytest.raises(ValueError, match=words):
        OwnerTag.from_xml(text)


def test_staleness_rules() -> None:
    me = Harness.current()
    far = Harness("elsewhere", "b", 1, 2)
    other_boot = dataclasses.replace(me, boot_id="previous-boot")
    assert not owner_is_dead_here(tag(me))
    assert not owner_is_dead_here(tag(far))  # cannot judge another host's process
    assert not owner_is_dead_here(tag(other_boot))
    rule = older_than(600, now=lambda: 10_000.0)
    assert rule(tag(far, created=9_000)) and not rule(tag(far, created=9_500))
    assert not rule(tag(me, created=0))  # alive here: never, however old


def test_vm_names() -> None:
    name = VmName("a1b2c3", "gw3", 1, 7)
    assert (name.domain, name.overlay_volume, name.nvram_volume) == (
        "wo-a1b2c3-gw3-s1-7",
        "wo-a1b2c3-gw3-s1-7.qcow2",
        "wo-a1b2c3-gw3-s1-7_VARS.fd",
    )
    assert is_pool_volume_name(name.overlay_volume) and is_pool_volume_name(name.nvram_volume)
    assert not is_pool_volume_name("win10-22h2.qcow2") and not is_pool_volume_name("wo-x.raw")
    for bad in ("", "-ab", "a/b", "a b", "x" * 33):
        with pytest.raises(ValueError, match="run id"):
            VmName(bad, "gw0", 0, 1)


def test_image_freshness() -> None:
    built = dt.date(2025, 1, 1)
    image = dataclasses.replace(WIN10, built=built, max_age_days=80)
    image.check_fresh(built + dt.timedelta(days=80))
    with pytest.raises(ImageExpired) as err:
        image.check_fresh(built + dt.timedelta(days=90))
    assert str(err.value) == (
        "golden image /var/lib/winterop/images/win10-22h2.qcow2 (win10-22h2, built 2025-01-01) "
        "is 90 days old, over its 80-day limit: rebuild it (vm-images/README.md)"
    )
    undated = dataclasses.replace(WIN10, built=None)
    assert undated.check_fresh(built) == (
        "golden image /var/lib/winterop/images/win10-22h2.qcow2 has no build date: "
        "evaluation expiry unchecked"
    )


@pytest.mark.parametrize(
    ("changes", "words"),
    [
        ({"build": "19045"}, "is not like 10.0.19045"),
        ({"uefi": UefiFirmware("/OVMF_CODE.fd")}, "UEFI needs vars_disk"),
        ({"vars_disk": "/x_VARS.fd"}, "UEFI needs vars_disk"),
        ({"disk": "win10.qcow2"}, "must be an absolute path on the hypervisor"),
    ],
)
def test_bad_images(changes: dict[str, object], words: str) -> None:
    with pytest.raises(ValueError, match=words):
        dataclasses.replace(WIN10, **changes)


@pytest.mark.parametrize(
    ("changes", "words"),
    [
        ({"capacity": 0}, "capacity must be at least 1"),
        ({"name": "../etc"}, "hypervisor name '../etc'"),
        ({"virt_type": "vbox"}, "virt_type 'vbox' unknown"),
    ],
)
def test_bad_hypervisors(changes: dict[str, object], words: str) -> None:
    values: dict[str, object] = {
        "name": "kvm-1",
        "uri": "qemu+ssh://kvm1/system",
        "capacity": 2,
        "networks": HypervisorNetworks("wo-mgmt"),
    }
    values.update(changes)
    with pytest.raises(ValueError, match=words):
        HypervisorConfig(**values)
