"""A libvirt TEST-driver node file: the hypervisor a unit test runs against.

`test:///<absolute path to this file>` gives every connection a private, fresh instance
with exactly these networks, storage pool, volumes and (optionally) domains, so tests are
independent under `pytest -n 2` and nothing touches a real libvirt daemon. The networks
are the pool's own network XML (infra.windows.libvirt_pool.networks) in ISOLATED mode:
the TEST driver needs an `<ip>` on every network whose NICs are queried for addresses.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from infra.lab.topology import TopologyKind
from infra.windows.libvirt_pool.networks import (
    NetworkMode,
    NetworkSpec,
    management_network,
    network_xml,
    topology_network,
)

POOL = "wo-images"
POOL_PATH = "/var/lib/winterop/images"
GIB = 1024**3
VARS_SIZE = 540672

TOPOLOGY_NETWORKS = {
    TopologyKind.DIRECT: "wo-direct",
    TopologyKind.NAT: "wo-nat",
    TopologyKind.DUAL_STACK: "wo-dual",
}


@dataclass(frozen=True)
class NodeVolume:
    name: str
    capacity: int
    allocation: int
    format: str


GOLDEN_VOLUMES = (
    NodeVolume("win10-22h2.qcow2", 64 * GIB, 20 * GIB, "qcow2"),
    NodeVolume("win11-23h2.qcow2", 64 * GIB, 24 * GIB, "qcow2"),
    NodeVolume("win11-23h2_VARS.fd", VARS_SIZE, VARS_SIZE, "raw"),
    NodeVolume("someone-elses-disk.qcow2", 8 * GIB, 1 * GIB, "qcow2"),
)


def default_networks() -> list[NetworkSpec]:
    nets = [management_network()]
    for kind, name in TOPOLOGY_NETWORKS.items():
        nets.append(
            topology_network(kind, name=name, bridge=f"{name}-br", mode=NetworkMode.ISOLATED)
        )
    return nets


def _volume(pool: ET.Element, vol: NodeVolume) -> None:
    el = ET.SubElement(pool, "volume", {"type": "file"})
    ET.SubElement(el, "name").text = vol.name
    ET.SubElement(el, "key").text = f"{POOL_PATH}/{vol.name}"
    ET.SubElement(el, "capacity", {"unit": "bytes"}).text = str(vol.capacity)
    ET.SubElement(el, "allocation", {"unit": "bytes"}).text = str(vol.allocation)
    target = ET.SubElement(el, "target")
    ET.SubElement(target, "path").text = f"{POOL_PATH}/{vol.name}"
    ET.SubElement(target, "format", {"type": vol.format})


def write_node(
    path: Path,
    *,
    networks: Sequence[NetworkSpec] | None = None,
    volumes: Sequence[NodeVolume] = GOLDEN_VOLUMES,
    domains: Sequence[str] = (),
) -> Path:
    """Write the node file to PATH (absolute) and return PATH."""
    root = ET.Element("node")
    for spec in default_networks() if networks is None else networks:
        root.append(ET.fromstring(network_xml(spec)))
    pool = ET.SubElement(root, "pool", {"type": "dir"})
    ET.SubElement(pool, "name").text = POOL
    target = ET.SubElement(pool, "target")
    ET.SubElement(target, "path").text = POOL_PATH
    for vol in volumes:
        _volume(pool, vol)
    for domain in domains:
        root.append(ET.fromstring(domain))
    ET.indent(root)
    path.write_text(ET.tostring(root, encoding="unicode"))
    return path
