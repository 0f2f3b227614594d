"""Failure classification of the reference client: charon's words -> Windows error numbers."""

from __future__ import annotations

import pytest

from infra.auth_cases import AuthCase
from infra.clients.classify import classify_failure

MSCHAP_FAIL = (
    "13[IKE] <winterop|1> EAP-MS-CHAPv2 failed with error ERROR_AUTHENTICATION_FAILURE: '(null)'"
)


@pytest.mark.parametrize(
    ("line", "case", "code"),
    [
        (MSCHAP_FAIL, AuthCase.EAP_MSCHAPV2, 691),
        ("09[IKE] <x|1> received AUTHENTICATION_FAILED notify error", AuthCase.MACHINE_CERT, 13801),
        ("09[IKE] <x|1> received AUTHENTICATION_FAILED notify error", AuthCase.EAP_MSCHAPV2, 691),
        ("09[IKE] <x|1> received NO_PROPOSAL_CHOSEN notify error", AuthCase.MACHINE_CERT, 13868),
        ("11[IKE] <x|1> giving up after 2 retransmits", AuthCase.EAP_TLS, 809),
        (
            "11[CFG] <x|1> no trusted RSA public key found for 'gw.example.test'",
            AuthCase.EAP_TLS,
            13801,
        ),
    ],
)
def test_known_lines(line: str, case: AuthCase, code: int) -> None:
    verdict = classify_failure(["05:00:00 00[NET] noise", line], case)
    assert verdict.error.code == code
    assert verdict.evidence == line


def test_unknown_failure_keeps_the_log_tail() -> None:
    verdict = classify_failure(["a", "b", "something odd"], AuthCase.MACHINE_CERT)
    assert verdict.error.code == 13816
    assert "something odd" in verdict.evidence
