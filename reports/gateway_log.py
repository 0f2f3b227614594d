"""The few facts a result record takes from charon's own log.

Why the log: which plugins the gateway had loaded is only known to charon itself, and the
recommended-settings page needs it to say which plugins made a cell work.
"""

from __future__ import annotations

import re
from pathlib import Path

_PLUGINS = re.compile(r"\[LIB\] loaded plugins: (.+)$", re.MULTILINE)


def loaded_plugins(log: Path) -> tuple[str, ...]:
    """The plugin names of charon's "loaded plugins:" line; empty when the log lacks it."""
    try:
        text = log.read_text(errors="replace")
    except OSError:
        return ()
    found = _PLUGINS.search(text)
    return tuple(found.group(1).split()) if found else ()
