"""Keep script text (which carries secrets) out of the logs of the remoting libraries.

pypsrp logs every WSMan envelope and PSRP message at DEBUG ("Sending message on attempt",
"Received message", "Packing PSRP message"); a CREATE_PIPELINE message holds the whole
script, including the PFX and EAP passwords of the value block. Logger filters apply only
to the logger they are attached to, not its children, so the filter goes on each pypsrp
module logger that writes payloads. Records are kept, their payload replaced, so a DEBUG
log still shows that a message was sent.
"""

from __future__ import annotations

import logging

PAYLOAD_LOGGERS = (
    "pypsrp.messages",
    "pypsrp.wsman",
    "pypsrp.shell",
    "pypsrp.client",
    "pypsrp.serializer",
    "pypsrp.powershell",
)
WITHHELD = "[payload withheld by winterop: remoting messages carry script text with secrets]"


class PayloadFilter(logging.Filter):
    """Rewrite DEBUG/INFO records of the payload loggers to a fixed text."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.levelno <= logging.INFO:
            record.msg = f"{WITHHELD} ({record.funcName})"
            record.args = None
        return True


_FILTER = PayloadFilter()


def install() -> None:
    """Attach the filter once to every payload logger (idempotent)."""
    for name in PAYLOAD_LOGGERS:
        logger = logging.getLogger(name)
        if _FILTER not in logger.filters:
            logger.addFilter(_FILTER)
