"""libvirt connection URIs for remote hypervisors, built from typed fields.

Remote hosts are reached with `qemu+ssh://` (the ssh binary: keys and known_hosts as the
harness user's ssh knows them) or `qemu+libssh://` (libssh inside libvirt; the
known_hosts file and auth method are URI parameters) [libvirt docs/uri.rst]. The inventory
may give a full URI; this module builds one from its parts with proper quoting.

`no_tty=1` keeps ssh from asking for a password on a terminal (a CI job would hang);
`no_verify=1` accepts unknown host keys and is therefore off unless asked for.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote, urlencode


class SshTransport(enum.StrEnum):
    SSH = "ssh"
    LIBSSH = "libssh"


@dataclass(frozen=True)
class RemoteHypervisor:
    host: str
    user: str | None = None
    port: int | None = None
    keyfile: Path | None = None
    known_hosts: Path | None = None
    transport: SshTransport = SshTransport.SSH
    system: bool = True
    no_verify: bool = False

    def uri(self) -> str:
        """`qemu+ssh://user@host:port/system?keyfile=...&no_tty=1` (or qemu+libssh)."""
        if not self.host or any(c in self.host for c in "/@?#"):
            raise ValueError(f"hypervisor host {self.host!r} is not a host name or address")
        host = f"[{self.host}]" if ":" in self.host else self.host
        userinfo = f"{quote(self.user, safe='')}@" if self.user else ""
        port = f":{self.port}" if self.port is not None else ""
        params: dict[str, str] = {}
        if self.keyfile is not None:
            params["keyfile"] = str(self.keyfile)
        if self.transport is SshTransport.SSH:
            params["no_tty"] = "1"
            if self.no_verify:
                params["no_verify"] = "1"
        else:
            params["sshauth"] = "privkey" if self.keyfile is not None else "agent,privkey"
            if self.known_hosts is not None:
                params["known_hosts"] = str(self.known_hosts)
            params["known_hosts_verify"] = "auto" if self.no_verify else "normal"
        path = "/system" if self.system else "/session"
        query = f"?{urlencode(params, safe='/,')}" if params else ""
        return f"qemu+{self.transport.value}://{userinfo}{host}{port}{path}{query}"


def node_file_uri(node_xml: Path) -> str:
    """`test:///<absolute path>`: a private TEST-driver instance per connection (unit tests)."""
    if not node_xml.is_absolute():
        raise ValueError(f"test driver node file must be an absolute path: {node_xml}")
    return f"test://{node_xml}"
