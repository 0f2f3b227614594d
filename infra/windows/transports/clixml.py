"""Read powershell.exe's error stream, which it writes as CLIXML when run with -EncodedCommand.

powershell.exe started with -EncodedCommand serialises its error, warning and progress
streams to stderr as `#< CLIXML` followed by an `<Objs>` document (pywinrm #333, #247; the
Ansible Windows plugins parse the same form). The records arrive as `<S S="Error">` strings
whose characters outside XML's safe set are escaped as `_xHHHH_` (MS-PSRP 2.2.5.3.2,
"Encoding Strings"). This module turns that back into the text a console would show, and
passes plain text through unchanged, so a transport's `errors` read the same either way.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

CLIXML_MARKER = "#< CLIXML"
_ESCAPE_RE = re.compile(r"_x([0-9A-Fa-f]{4})_")


def unescape(text: str) -> str:
    """Undo the `_xHHHH_` escaping of CLIXML strings (surrogate pairs are rejoined)."""
    decoded = _ESCAPE_RE.sub(lambda m: chr(int(m.group(1), 16)), text)
    return decoded.encode("utf-16", "surrogatepass").decode("utf-16", "replace")


def error_records(stderr: str) -> tuple[str, ...]:
    """The error messages in STDERR: blank-line separated records, CLIXML or plain.

    Line ends are normalised to LF.
    Progress and verbose objects in a CLIXML stream are not errors and are dropped.
    Undecodable CLIXML is returned as it came (evidence must not be lost).
    """
    text = stderr.replace("\r\n", "\n").strip()
    if not text:
        return ()
    if text.startswith(CLIXML_MARKER):
        text = _clixml_errors(text[len(CLIXML_MARKER) :]).replace("\r\n", "\n")
    records = [block.strip() for block in re.split(r"\n\s*\n", text)]
    return tuple(r for r in records if r)


def _clixml_errors(document: str) -> str:
    parts: list[str] = []
    for chunk in document.split(CLIXML_MARKER):
        chunk = chunk.strip()
        if not chunk:
            continue
        try:
            root = ET.fromstring(chunk)
        except ET.ParseError:
            parts.append(chunk)
            continue
        for element in root.iter():
            if element.tag.rsplit("}", 1)[-1] == "S" and element.get("S") == "Error":
                parts.append(unescape(element.text or ""))
    return "".join(parts)
