"""What a source of Windows VMs promises the client factory, and how it says no.

The factory (windows_factory) leases a VM per client from a `VmProvider`; the providers
(windows_static, windows_pool) live in their own modules and depend only on this one, so
the factory can choose between them without an import cycle.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol

from infra.lab.lab import Lab
from infra.lab.topology import TopologyKind
from infra.windows.inventory import GoldenImage
from infra.windows.transports import Transport

TransportOpener = Callable[..., Transport]
"""Builds a transport (`open_transport`'s signature); tests pass a double."""


class NoVmAvailable(RuntimeError):
    """No VM can serve a cell; the message says what was looked for and what exists."""


class VmLease(Protocol):
    """A VM held for one client: where to reach it and how to give it back."""

    @property
    def name(self) -> str: ...

    @property
    def address(self) -> str:
        """Management address the transports connect to."""
        ...

    @property
    def image(self) -> GoldenImage: ...

    @property
    def disposable(self) -> bool:
        """True when the VM is thrown away after release (no cleanup needed)."""
        ...

    def release(self) -> None: ...


class VmProvider(Protocol):
    def lease(self, image: GoldenImage, topology: TopologyKind, lab: Lab) -> VmLease:
        """A VM booted from IMAGE whose test NIC is on TOPOLOGY's network next to LAB's
        gateway; raise NoVmAvailable with the reason when there is none."""
        ...
