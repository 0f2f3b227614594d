"""libvirt VM pool: throw-away Windows VMs for the `windows` client kind.

A golden image per Windows build; per test a qcow2 overlay and a transient domain with a
management NIC and a test NIC on the topology's network; IP discovery, clock resync,
readiness through a caller-supplied probe, evidence on failure; one VM slot per xdist
worker; owner tags in the domain metadata so a reaper can remove what killed runs left.
windows-driving.md sections 10-11 are the background; `virt` is the only module that
imports libvirt.

Typical use (the fixtures wire this up; suites never import it):

    with WorkerVmSlot.acquire(config, run_id=run_id, worker=worker) as slot:
        vm = slot.boot("win10-22h2", TopologyKind.NAT, probe=transport_probe)
        try:
            ...  # drive Windows at vm.endpoint.host
        finally:
            slot.discard(vm, evidence_dir=evidence if failed else None)
"""

from infra.windows.libvirt_pool.config import GoldenImage, HypervisorConfig
from infra.windows.libvirt_pool.discovery import FoundAddresses, discover
from infra.windows.libvirt_pool.errors import (
    DomainGone,
    DomainNotRunning,
    GuestAgentUnavailable,
    HypervisorUnreachable,
    ImageExpired,
    LeaseUnavailable,
    MissingResource,
    NotSupportedByDriver,
    PoolError,
    WaitTimeout,
)
from infra.windows.libvirt_pool.networks import HypervisorNetworks, NetworkMode, NetworkSpec
from infra.windows.libvirt_pool.owner import OwnerTag, VolumeRef
from infra.windows.libvirt_pool.pool import WorkerVmSlot
from infra.windows.libvirt_pool.readiness import (
    GuestEndpoint,
    Probe,
    ProbeResult,
    all_of,
    services_probe,
    tcp_probe,
)
from infra.windows.libvirt_pool.reaper import reap_domains, reap_leases
from infra.windows.libvirt_pool.spec import Tpm, UefiFirmware
from infra.windows.libvirt_pool.uri import RemoteHypervisor, SshTransport
from infra.windows.libvirt_pool.vm import WindowsVm

__all__ = [
    "DomainGone",
    "DomainNotRunning",
    "FoundAddresses",
    "GoldenImage",
    "GuestAgentUnavailable",
    "GuestEndpoint",
    "HypervisorConfig",
    "HypervisorNetworks",
    "HypervisorUnreachable",
    "ImageExpired",
    "LeaseUnavailable",
    "MissingResource",
    "NetworkMode",
    "NetworkSpec",
    "NotSupportedByDriver",
    "OwnerTag",
    "PoolError",
    "Probe",
    "ProbeResult",
    "RemoteHypervisor",
    "SshTransport",
    "Tpm",
    "UefiFirmware",
    "VolumeRef",
    "WaitTimeout",
    "WindowsVm",
    "WorkerVmSlot",
    "all_of",
    "discover",
    "reap_domains",
    "reap_leases",
    "services_probe",
    "tcp_probe",
]
