"""From `--inventory` to a ready `windows` client; every way of not getting one is explained."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from infra.auth_cases import AuthCase
from infra.cell import Cell
from infra.clients.protocol import ClientKind
from infra.clients.windows import WindowsVmClient
from infra.clients.windows_factory import WrongBuild, make_factory, windows_client_factory
from infra.clients.windows_provider import NoVmAvailable
from infra.clients.windows_static import StaticVmProvider
from infra.lab.topology import TopologyKind
from infra.windows.inventory import GoldenImage, InventoryError, load_inventory
from infra.windows.transports import CredentialError, Credentials
from infra.windows.transports.probe import GuestNotReady, wait_ready
from tests.windows.replay_transport import ReplayTransport, load_documents

INVENTORY = Path(__file__).resolve().parent / "inventories" / "lab.yaml"
ENV = {
    "WINTEROP_ADMIN_USER": "winterop-admin",
    "WINTEROP_ADMIN_PASSWORD": "admin-secret",
    "WINTEROP_TEST_USER": "winterop",
    "WINTEROP_TEST_USER_PASSWORD": "user-secret",
}


class Options:
    def __init__(self, inventory: object) -> None:
        self.inventory = inventory

    def getoption(self, name: str) -> Any:
        assert name == "--inventory"
        return self.inventory


class FakeLab:
    name = "tfac-main-1"


def cell(profile: str = "win10-22h2", topology: TopologyKind = TopologyKind.DIRECT) -> Cell:
    return Cell(ClientKind.WINDOWS, profile, AuthCase.MACHINE_CERT, "docs-recommended", topology)


@dataclass
class Lease:
    name: str
    address: str
    image: GoldenImage
    disposable: bool = True
    released: int = 0

    def release(self) -> None:
        self.released += 1


@dataclass
class Provider:
    """A VmProvider double handing out one lease per call."""

    leases: list[Lease] = field(default_factory=list)

    def lease(self, image: GoldenImage, topology: TopologyKind, lab: object) -> Lease:
        lease = Lease(f"vm-{len(self.leases)}", "192.0.2.77", image)
        self.leases.append(lease)
        return lease


@dataclass
class Opener:
    """Builds ReplayTransports instead of real ones and remembers what was asked for."""

    os_version: str = "10.0.19045"
    opened: list[tuple[str, str, Credentials, ReplayTransport]] = field(default_factory=list)

    def __call__(
        self, kind: str, host: str, credentials: Credentials, **_: object
    ) -> ReplayTransport:
        documents = load_documents("readiness", os_version=self.os_version, ikeext="Running")
        transport = ReplayTransport(documents, name=kind)
        self.opened.append((kind, host, credentials, transport))
        return transport


def test_without_inventory_the_factory_refuses() -> None:
    with pytest.raises(ValueError, match="--inventory"):
        windows_client_factory(Options(None))


def test_a_bad_inventory_is_reported_with_file_and_line(tmp_path: Path) -> None:
    bad = tmp_path / "lab.yaml"
    bad.write_text("version: 7\n")
    with pytest.raises(InventoryError, match=r"lab\.yaml:1: \(top level\): missing hypervisors"):
        windows_client_factory(Options(str(bad)))


def test_factory_is_built_once_per_config() -> None:
    options = Options(str(INVENTORY))
    assert windows_client_factory(options) is windows_client_factory(options)


def test_ready_client_from_a_leased_vm() -> None:
    provider, opener = Provider(), Opener()
    make = make_factory(load_inventory(INVENTORY), provider, environ=ENV, opener=opener)
    client = make(cell(), FakeLab())  # type: ignore[arg-type]
    assert isinstance(client, WindowsVmClient)
    assert client.profile == "win10-22h2" and client.test_user == "winterop"
    (admin_kind, host, admin, admin_t), (user_kind, _, user, user_t) = opener.opened
    assert (admin_kind, host, admin.user, admin.password) == (
        "psrp",
        "192.0.2.77",
        "winterop-admin",
        "admin-secret",
    )
    assert (user_kind, user.user, user.password) == ("ssh", "winterop", "user-secret")
    assert admin_t.names() == ["readiness-probe"] and user_t.names() == []
    assert client.user_transport is user_t
    client.close()
    assert provider.leases[0].released == 1 and admin_t.closed == user_t.closed == 1


def test_no_image_for_the_profile() -> None:
    make = make_factory(load_inventory(INVENTORY), Provider(), environ=ENV, opener=Opener())
    with pytest.raises(NoVmAvailable, match="no golden image serves client profile 'win11-24h2'"):
        make(cell("win11-24h2"), FakeLab())  # type: ignore[arg-type]


def test_no_network_for_the_topology() -> None:
    make = make_factory(load_inventory(INVENTORY), Provider(), environ=ENV, opener=Opener())
    with pytest.raises(NoVmAvailable, match="no dual-stack network"):
        make(cell(topology=TopologyKind.DUAL_STACK), FakeLab())  # type: ignore[arg-type]


def test_wrong_build_releases_the_vm() -> None:
    provider, opener = Provider(), Opener(os_version="10.0.22631")
    make = make_factory(load_inventory(INVENTORY), provider, environ=ENV, opener=opener)
    with pytest.raises(WrongBuild, match=r"runs Windows 10\.0\.22631 .* says 10\.0\.19045"):
        make(cell(), FakeLab())  # type: ignore[arg-type]
    assert provider.leases[0].released == 1 and opener.opened[0][3].closed == 1


def test_missing_credential_variable_is_named_and_the_vm_released() -> None:
    provider = Provider()
    env = {k: v for k, v in ENV.items() if k != "WINTEROP_ADMIN_PASSWORD"}
    make = make_factory(load_inventory(INVENTORY), provider, environ=env, opener=Opener())
    with pytest.raises(
        CredentialError, match=r"WINTEROP_ADMIN_PASSWORD .*credentials\.admin\.password_env"
    ):
        make(cell(), FakeLab())  # type: ignore[arg-type]
    assert provider.leases[0].released == 1


def test_static_vms_are_leased_exclusively(tmp_path: Path) -> None:
    inventory = load_inventory(INVENTORY)
    image = inventory.image("win10-22h2-eval")
    provider = StaticVmProvider(inventory, lock_dir=tmp_path)
    first = provider.lease(image, TopologyKind.DIRECT, FakeLab())  # type: ignore[arg-type]
    assert (first.name, first.address, first.disposable) == ("win10-a", "192.0.2.50", False)
    other_worker = StaticVmProvider(inventory, lock_dir=tmp_path)
    with pytest.raises(NoVmAvailable, match="in use"):
        other_worker.lease(image, TopologyKind.DIRECT, FakeLab())  # type: ignore[arg-type]
    first.release()
    again = other_worker.lease(image, TopologyKind.DIRECT, FakeLab())  # type: ignore[arg-type]
    again.release()
    with pytest.raises(NoVmAvailable, match="no VM of image 'win11-23h2-eval'"):
        provider.lease(inventory.image("win11-23h2-eval"), TopologyKind.DIRECT, FakeLab())  # type: ignore[arg-type]


def test_wait_ready_polls_until_the_services_run() -> None:
    transport = ReplayTransport(
        load_documents("readiness", os_version="10.0.19045", ikeext="Stopped")
    )
    facts = wait_ready(transport, 5, poll=0.01)
    assert facts.ready and transport.names() == ["readiness-probe"] * 2


def test_wait_ready_says_what_it_last_saw() -> None:
    documents = load_documents("readiness", os_version="10.0.19045", ikeext="Stopped")
    documents["readiness-probe"] = documents["readiness-probe"][:1] * 50
    with pytest.raises(GuestNotReady, match=r"last seen: .*IKEEXT Stopped"):
        wait_ready(ReplayTransport(documents), 0.2, poll=0.05)
