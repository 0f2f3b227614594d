"""No EAP password, private key or WinRM credential reaches the site (DESIGN.md: secrets)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from fixtures.evidence import finish_evidence
from reports.secrets import REDACTED, findings, scrub
from reports.site import BuildResult, build_site
from tests.reports.conftest import CURRENT

PEM_KEY = (
    "-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASC\n-----END PRIVATE KEY-----\n"
)


def _site_text(site: Path) -> list[tuple[Path, str]]:
    files = [p for p in site.rglob("*") if p.is_file() and p.suffix != ".pcap"]
    return [(p, p.read_text(errors="replace")) for p in files]


def test_the_built_site_holds_no_secret(site: BuildResult) -> None:
    for path, text in _site_text(site.out):
        assert "PRIVATE KEY" not in text, path
        assert findings(text) == [], path


def test_key_tables_are_published_as_evidence_files_only(site: BuildResult) -> None:
    tables = list(site.out.glob("evidence/*/ikev2_decryption_table"))
    assert tables
    rows = {row for t in tables for row in t.read_text().split("\n") if row}
    for path, text in _site_text(site.out):
        if path.suffix == ".html":
            assert not any(row in text for row in rows), f"key table row in {path}"


def test_evidence_with_a_private_key_is_withheld(tmp_path: Path) -> None:
    root = tmp_path / "evidence"
    shutil.copytree(CURRENT, root)
    leaky = next(root.glob("*eap-tls-docs-recommended-direct*"))
    (leaky / "client.log").write_text("loading key\n" + PEM_KEY)
    (leaky / "winrm.log").write_text("connecting with winrm_password=Hunter2Hunter2\n")
    built = build_site([root], tmp_path / "site", decode_missing=False)
    published = built.out / "evidence" / leaky.name
    assert not (published / "client.log").exists() and not (published / "winrm.log").exists()
    assert (published / "capture.pcap").exists()
    page = next((built.out / "cells").glob("*eap-tls-docs-recommended-direct.html")).read_text()
    assert "Withheld from the site: client.log (PEM private key)" in page
    assert "winrm.log (credential assignment)" in page
    test_the_built_site_holds_no_secret(built)


def test_the_plugin_scrubs_the_run_password_from_evidence(tmp_path: Path) -> None:
    password = "Zq3-x_9pTt0wK1sJ"
    (tmp_path / "client.log").write_text(f"sending {password}-wrong as the password\n")
    (tmp_path / "gateway.log").write_text("nothing to see\n")
    finished = finish_evidence(tmp_path, (password,))
    assert finished.redacted == ("client.log",)
    assert password not in (tmp_path / "client.log").read_text()
    assert f"sending {REDACTED}-wrong" in (tmp_path / "client.log").read_text()


def test_a_binary_file_holding_the_password_is_removed(tmp_path: Path) -> None:
    password = "Zq3-x_9pTt0wK1sJ"
    (tmp_path / "capture.pcap").write_bytes(b"\xd4\xc3\xb2\xa1\x00\x00" + password.encode())
    finished = finish_evidence(tmp_path, (password,))
    assert not (tmp_path / "capture.pcap").exists()
    assert finished.redacted == ("capture.pcap (removed: binary file holding a secret)",)


@pytest.mark.parametrize(
    "text",
    [
        PEM_KEY,
        "-----BEGIN RSA PRIVATE KEY-----",
        "-----BEGIN OPENSSH PRIVATE KEY-----",
        '{"winrm_password": "s3cretValue"}',
        "ansible_password: s3cretValue",
        "Authorization: Basic YWxpY2U6czNjcmV0",
        "$p = ConvertTo-SecureString 'x' -AsPlainText -Force",
    ],
)
def test_secret_shapes_are_found(text: str) -> None:
    assert findings(text)


@pytest.mark.parametrize(
    "text",
    [
        "A wrong EAP-MSCHAPv2 password fails with the error Windows shows",
        "05:47:31.803 15[IKE] <winterop|1> Sk_ai secret => 32 bytes @ 0x7f6d580024e0",
        "LabCredentials(user='alice', password=<hidden>)",
        "loaded EAP shared key for: 'alice'",
    ],
)
def test_ordinary_text_is_not_a_finding(text: str) -> None:
    assert findings(text) == []


def test_scrub_replaces_every_literal() -> None:
    assert scrub("a pw pw-x", ("pw",)) == f"a {REDACTED} {REDACTED}-x"
