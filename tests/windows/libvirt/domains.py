"""Start small domains on a TEST-driver hypervisor, built with the pool's own XML builder."""

from __future__ import annotations

from infra.windows.libvirt_pool.domain_xml import build_domain_xml
from infra.windows.libvirt_pool.owner import Harness, OwnerTag, VolumeRef
from infra.windows.libvirt_pool.spec import Disk, DomainSpec, Nic, NicRole
from infra.windows.libvirt_pool.virt import Domain, Hypervisor
from tests.windows.libvirt.node import POOL

MGMT_MAC = "52:54:00:00:aa:01"
TEST_MAC = "52:54:00:00:aa:02"


def tag(
    harness: Harness,
    *,
    run_id: str = "r1",
    worker: str = "gw0",
    created: int = 1700000000,
    volumes: tuple[VolumeRef, ...] = (),
) -> OwnerTag:
    return OwnerTag(
        run_id=run_id,
        worker=worker,
        slot=0,
        hypervisor="hv-test",
        profile="win10-22h2",
        harness=harness,
        created=created,
        volumes=volumes,
    )


def domain_xml(
    name: str,
    owner: OwnerTag,
    *,
    test_network: str = "wo-nat",
    guest_agent: bool = True,
    volume: str = "win10-22h2.qcow2",
) -> str:
    return build_domain_xml(
        DomainSpec(
            name=name,
            disk=Disk(POOL, volume),
            nics=(
                Nic("wo-mgmt", NicRole.MANAGEMENT, mac=MGMT_MAC),
                Nic(test_network, NicRole.TEST, mac=TEST_MAC),
            ),
            owner=owner,
            virt_type="test",
            memory_mib=256,
            guest_agent=guest_agent,
        )
    )


def start(hv: Hypervisor, name: str = "wo-r1-gw0-s0-1", **kwargs: object) -> Domain:
    owner = kwargs.pop("owner", None) or tag(Harness.current())
    return hv.create_transient(domain_xml(name, owner, **kwargs), autodestroy=False)
