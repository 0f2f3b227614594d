"""Fixtures for the libvirt pool tests: a private TEST-driver hypervisor per test.

Every test gets its own node file under tmp_path and connects with
`test:///<that file>`; nothing here can reach qemu:///system or any libvirt daemon.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from infra.windows.libvirt_pool.config import GoldenImage, HypervisorConfig
from infra.windows.libvirt_pool.networks import HypervisorNetworks
from infra.windows.libvirt_pool.spec import Tpm, UefiFirmware
from infra.windows.libvirt_pool.uri import node_file_uri
from infra.windows.libvirt_pool.virt import Hypervisor
from infra.windows.libvirt_pool.waiting import Clock
from tests.windows.libvirt.node import POOL_PATH, TOPOLOGY_NETWORKS, write_node

WIN10 = GoldenImage(
    profile="win10-22h2",
    build="10.0.19045",
    disk=f"{POOL_PATH}/win10-22h2.qcow2",
    built=dt.date.today(),
)
WIN11 = GoldenImage(
    profile="win11-23h2",
    build="10.0.22631",
    disk=f"{POOL_PATH}/win11-23h2.qcow2",
    built=dt.date.today(),
    uefi=UefiFirmware("/usr/share/OVMF/OVMF_CODE_4M.secboot.fd", secure_boot=True),
    vars_disk=f"{POOL_PATH}/win11-23h2_VARS.fd",
    tpm=Tpm(),
)


@dataclass
class FakeClock:
    """Monotonic time that only moves when something sleeps: timeouts without waiting."""

    t: float = 0.0
    sleeps: list[float] = field(default_factory=list)

    def now(self) -> float:
        return self.t

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.t += seconds

    @property
    def clock(self) -> Clock:
        return Clock(self.now, self.sleep)


@pytest.fixture
def fake_clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def node_file(tmp_path: Path) -> Path:
    return write_node(tmp_path / "node.xml")


@pytest.fixture
def hv(node_file: Path) -> Iterator[Hypervisor]:
    with Hypervisor.open(node_file_uri(node_file)) as conn:
        yield conn


def make_config(node_file: Path, lease_dir: Path, *, capacity: int = 2) -> HypervisorConfig:
    return HypervisorConfig(
        name="hv-test",
        uri=node_file_uri(node_file),
        capacity=capacity,
        networks=HypervisorNetworks("wo-mgmt", dict(TOPOLOGY_NETWORKS)),
        images=(WIN10, WIN11),
        virt_type="test",
        lease_dir=str(lease_dir),
    )


@pytest.fixture
def config(node_file: Path, tmp_path: Path) -> HypervisorConfig:
    return make_config(node_file, tmp_path / "leases")
