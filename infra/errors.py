"""LabError: a failure of the lab itself, never a verdict on Windows or strongSwan.

A namespace that cannot be created, a charon that does not start, a tcpdump that dies, a
tshark that cannot read the capture, a VM the harness cannot drive: none of these says
anything about whether the Windows client works against the gateway. Every exception the
infrastructure raises for such a reason derives from LabError, so the pytest plugin
(fixtures/results.py) can report the item as an error of the lab with its cause, apart
from the interop verdicts, and never as a red interop cell.
"""

from __future__ import annotations


class LabError(RuntimeError):
    """The lab failed (see the module docstring); the message says which part and why."""


def lab_cause(exc: BaseException | None) -> LabError | None:
    """The LabError behind EXC (itself, or what it was raised from or during), if any:
    an AssertionError raised while handling a dead tcpdump is still the lab's doing."""
    seen: set[int] = set()
    while exc is not None and id(exc) not in seen:
        if isinstance(exc, LabError):
            return exc
        seen.add(id(exc))
        exc = exc.__cause__ or exc.__context__
    return None
