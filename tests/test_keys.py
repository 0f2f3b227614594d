"""The key-table parser against real gateway logs whose captures tshark decrypts."""

from __future__ import annotations

from pathlib import Path

import pytest

from infra.capture.decode import decode_capture
from infra.capture.keys import IkeSaKeys, UnsupportedAlgorithm, parse_charon_log

DATA = Path(__file__).parent / "data" / "captures"


@pytest.mark.parametrize("case", ["machine-cert", "eap-tls"])
def test_rows_match_the_tables_that_decrypt_the_captures(case: str) -> None:
    sas = parse_charon_log((DATA / f"nat-{case}.gateway.log").read_text())
    expected = (DATA / f"nat-{case}.ikev2_decryption_table").read_text().splitlines()
    assert [sa.table_row() for sa in sas] == expected


def test_one_sa_with_all_secrets() -> None:
    (sa,) = parse_charon_log((DATA / "nat-machine-cert.gateway.log").read_text())
    assert sa.proposal == "AES_CBC_128/HMAC_SHA2_256_128/PRF_HMAC_SHA2_256/CURVE_25519"
    assert len(sa.secrets["Sk_ei"]) == 16 and len(sa.secrets["Sk_ai"]) == 32
    assert sa.spi_r != "0" * 16


def test_aead_row_has_empty_integrity_keys() -> None:
    sa = IkeSaKeys(
        1,
        "00" * 8,
        "11" * 8,
        "AES_GCM_16_256/PRF_HMAC_SHA2_384/ECP_384",
        {"Sk_ei": b"\x01" * 36, "Sk_er": b"\x02" * 36},
    )
    row = sa.table_row().split(",")
    assert row[4] == '"AES-GCM-256 with 16 octet ICV [RFC5282]"'
    assert row[5:7] == ["", ""] and row[7] == '"NONE [RFC4306]"'


def test_unknown_cipher_is_named() -> None:
    sa = IkeSaKeys(
        1, "0" * 16, "1" * 16, "CAMELLIA_CBC_128/HMAC_SHA1_96", {"Sk_ei": b"", "Sk_er": b""}
    )
    with pytest.raises(UnsupportedAlgorithm, match="CAMELLIA_CBC_128"):
        sa.table_row()


def test_log_without_keys_gives_nothing() -> None:
    assert parse_charon_log("05:00:00.000 00[DMN] Starting IKE charon daemon\n") == []


def test_rekeyed_ike_sa_gets_its_own_keys() -> None:
    """After an IKE rekey charon logs the new SA's keys in the old SA's context; the
    check-in line that follows names the new SA. Both rows must decrypt their own messages:
    the capture's CREATE_CHILD_SA (old SA) and the final Delete (new SA)."""
    sas = parse_charon_log((DATA / "direct-ike-rekey.gateway.log").read_text())
    assert [(sa.unique_id, sa.spi_i) for sa in sas] == [
        (1, "b51e000bf8f3c99d"),
        (2, "8431bc3c6c21ad5d"),
    ]
    assert sas[0].secrets["Sk_ei"] != sas[1].secrets["Sk_ei"]
    expected = (DATA / "direct-ike-rekey.ikev2_decryption_table").read_text().splitlines()
    assert [sa.table_row() for sa in sas] == expected


def test_rekey_capture_decrypts_on_both_sas() -> None:
    facts = decode_capture(
        DATA / "direct-ike-rekey.pcap", DATA / "direct-ike-rekey.ikev2_decryption_table"
    )
    summaries = [m.summary() for m in facts.messages if m.exchange in (36, 37)]
    assert summaries == [
        "CREATE_CHILD_SA request 0 [ SA No KE ]",
        "CREATE_CHILD_SA response 0 [ SA No KE ]",
        "INFORMATIONAL request 1 [ D ]",
        "INFORMATIONAL response 1 [ ]",
        "INFORMATIONAL request 0 [ D ]",
        "INFORMATIONAL response 0 [ ]",
    ]
    assert not facts.malformed_frames


def test_keys_of_an_sa_destroyed_after_its_first_ike_auth(tmp_path: Path) -> None:
    """charon derives the keys while processing an unfragmented IKE_AUTH request and then
    destroys the SA it refuses ("checkin and destroy", no SPI check-in after the keys): the
    keys belong to the SA the IKE_SA_INIT check-in named, and its refusal decrypts."""
    (sa,) = parse_charon_log((DATA / "direct-auth-refused.gateway.log").read_text())
    assert (sa.unique_id, sa.spi_i) == (1, "8a9a9376b3f9a846") and sa.complete
    table = tmp_path / "ikev2_decryption_table"
    table.write_text(sa.table_row() + "\n")
    facts = decode_capture(DATA / "direct-auth-refused.pcap", table)
    [response] = facts.ike_auth_responses()
    assert response.decrypted and 24 in response.notify_types(), response.summary()
