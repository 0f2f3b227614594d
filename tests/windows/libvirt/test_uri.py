"""Remote hypervisor URIs, and what an unreachable one looks like.

The unreachable case is real: libvirt runs the ssh binary against a closed port on the
loopback address, so the connection is refused before any libvirt daemon could be
involved; the test checks that the failure is classified as HypervisorUnreachable with
the URI in the message.
"""

from __future__ import annotations

import shutil
import socket
from pathlib import Path

import pytest

from infra.windows.libvirt_pool.errors import HypervisorUnreachable
from infra.windows.libvirt_pool.uri import RemoteHypervisor, SshTransport, node_file_uri
from infra.windows.libvirt_pool.virt import Hypervisor


@pytest.mark.parametrize(
    ("remote", "uri"),
    [
        (RemoteHypervisor("kvm1.lab.example"), "qemu+ssh://kvm1.lab.example/system?no_tty=1"),
        (
            RemoteHypervisor(
                "kvm1.lab.example", user="ci", port=2222, keyfile=Path("/etc/winterop/id_ed25519")
            ),
            "qemu+ssh://ci@kvm1.lab.example:2222/system?keyfile=/etc/winterop/id_ed25519&no_tty=1",
        ),
        (
            RemoteHypervisor("2001:db8::10", user="ci", no_verify=True),
            "qemu+ssh://ci@[2001:db8::10]/system?no_tty=1&no_verify=1",
        ),
        (
            RemoteHypervisor(
                "kvm2",
                user="ci user",
                transport=SshTransport.LIBSSH,
                keyfile=Path("/k/id"),
                known_hosts=Path("/k/known hosts"),
            ),
            "qemu+libssh://ci%20user@kvm2/system?keyfile=/k/id&sshauth=privkey"
            "&known_hosts=/k/known+hosts&known_hosts_verify=normal",
        ),
        (
            RemoteHypervisor("kvm3", system=False, transport=SshTransport.LIBSSH),
            "qemu+libssh://kvm3/session?sshauth=agent,privkey&known_hosts_verify=normal",
        ),
    ],
)
def test_remote_uris(remote: RemoteHypervisor, uri: str) -> None:
    assert remote.uri() == uri


@pytest.mark.parametrize("host", ["", "a/b", "evil@host", "h?x=1"])
def test_host_must_be_a_host(host: str) -> None:
    with pytest.raises(ValueError, match="is not a host name or address"):
        RemoteHypervisor(host).uri()


def test_node_file_uri_needs_an_absolute_path(tmp_path: Path) -> None:
    assert node_file_uri(tmp_path / "n.xml") == f"test://{tmp_path}/n.xml"
    with pytest.raises(ValueError, match="absolute path"):
        node_file_uri(Path("n.xml"))


@pytest.mark.skipif(shutil.which("ssh") is None, reason="needs the ssh client binary")
def test_unreachable_remote_hypervisor_is_classified() -> None:
    with socket.socket() as s:  # a port nothing listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    uri = RemoteHypervisor("127.0.0.1", user="nobody", port=port).uri()
    with pytest.raises(HypervisorUnreachable) as err:
        Hypervisor.open(uri)
    assert str(err.value).startswith(f"cannot reach hypervisor {uri}: ")
    assert "Connection refused" in str(err.value)
    assert err.value.fault is not None and err.value.fault.call == "virConnectOpen"
