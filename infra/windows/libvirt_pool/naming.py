"""Names of the things the pool creates on a hypervisor.

Domain and volume names are global on a hypervisor that several runs (and several harness
hosts) share, so they carry the run id, the xdist worker id, the VM slot and a sequence
number: `wo-<run>-<worker>-s<slot>-<n>`. The reaper never trusts a name alone (it reads
the owner tag in the domain metadata), but every volume it deletes must also carry the
`wo-` prefix, so a corrupt tag can never point it at a golden image.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

PREFIX = "wo-"
_COMPONENT = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,31}")
_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,63}")


def check_component(what: str, value: str) -> str:
    """VALUE if it is safe inside a domain and a volume name; else ValueError naming WHAT.

    Names are never parsed back (the owner tag holds the parts), so '-' is allowed."""
    if not _COMPONENT.fullmatch(value):
        raise ValueError(
            f"{what} {value!r} must be 1-32 characters of letters, digits, '_', '.' or '-', "
            "starting with a letter or digit"
        )
    return value


def check_name(what: str, value: str) -> str:
    """VALUE if it is safe as a file name (hypervisor names: lease directories)."""
    if not _NAME.fullmatch(value):
        raise ValueError(
            f"{what} {value!r} must be 1-64 characters of letters, digits, '_', '.' or '-', "
            "starting with a letter or digit"
        )
    return value


@dataclass(frozen=True)
class VmName:
    """The identity of one VM instance: run, worker, slot and sequence number."""

    run_id: str
    worker: str
    slot: int
    sequence: int

    def __post_init__(self) -> None:
        check_component("run id", self.run_id)
        check_component("worker id", self.worker)
        if self.slot < 0 or self.sequence < 0:
            raise ValueError("slot and sequence must not be negative")

    @property
    def domain(self) -> str:
        return f"{PREFIX}{self.run_id}-{self.worker}-s{self.slot}-{self.sequence}"

    @property
    def overlay_volume(self) -> str:
        return f"{self.domain}.qcow2"

    @property
    def nvram_volume(self) -> str:
        return f"{self.domain}_VARS.fd"


def is_pool_volume_name(name: str) -> bool:
    """True for names the pool itself gives volumes (the only ones the reaper deletes)."""
    return name.startswith(PREFIX) and (name.endswith(".qcow2") or name.endswith("_VARS.fd"))
