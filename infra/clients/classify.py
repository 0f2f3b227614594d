"""Turn a failed strongSwan connection attempt into the error number Windows would report.

The reference client is strongSwan's own charon; when it fails, its log says why in
charon's words. This maps the decisive log line to the Windows error a Windows client would
show in the same situation, so suites compare outcomes across client kinds. The log line
itself is kept as the evidence.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from infra.auth_cases import AuthCase
from infra.clients.windows_errors import WindowsError, windows_error


@dataclass(frozen=True)
class Classification:
    error: WindowsError
    evidence: str
    """The log line that decided it (or a summary when none matched)."""


# (pattern, code for cert cases, code for EAP-MSCHAPv2), first match wins.
_RULES: tuple[tuple[re.Pattern[str], int, int], ...] = tuple(
    (re.compile(p), cert, eap)
    for p, cert, eap in (
        (r"EAP-MS-CHAPv2 failed with error ERROR_AUTHENTICATION_FAILURE", 691, 691),
        (r"EAP_MSCHAPV2 method failed|received EAP_FAILURE", 691, 691),
        (r"EAP_TLS method failed", 13801, 13801),
        (r"received AUTHENTICATION_FAILED notify error", 13801, 691),
        (r"received NO_PROPOSAL_CHOSEN notify error|no acceptable proposal", 13868, 13868),
        (r"giving up after \d+ retransmits|peer not responding", 809, 809),
        (r"received TS_UNACCEPTABLE notify", 842, 842),
        (r"received INTERNAL_ADDRESS_FAILURE notify|peer didn't accept any virtual IP", 840, 840),
        (
            r"no trusted .* public key found|constraint check failed|certificate .* expired",
            13801,
            13801,
        ),
        (r"received INVALID_SYNTAX notify|parsing .* failed", 13843, 13843),
    )
)


def classify_failure(log_lines: list[str], case: AuthCase) -> Classification:
    """The Windows error for a failed attempt whose client log lines are LOG_LINES."""
    for pattern, cert_code, eap_code in _RULES:
        for line in log_lines:
            if pattern.search(line):
                code = eap_code if case is AuthCase.EAP_MSCHAPV2 else cert_code
                return Classification(windows_error(code), line.strip())
    tail = " | ".join(line.strip() for line in log_lines[-3:]) or "(empty client log)"
    return Classification(windows_error(13816), f"no known failure line; log ends: {tail}")
