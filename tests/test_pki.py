"""Unit tests of infra.pki: every entry parsed back and checked field by field.

The certificate contents are what Windows checks (windows-client-behavior.md section 3), so
each expectation is written out literally here rather than derived from the code under test.
openssl and strongSwan's own pki tool serve as independent verifiers where installed.
"""

from __future__ import annotations

import fcntl
import hashlib
import ipaddress
import json
import multiprocessing
import os
import shutil
import stat
import subprocess
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import NameOID

import infra.pki.lab_pki
from expectations.windows.oracle import expect
from infra.pki import GatewayCertVariant, LabPki, PkiError, PkiMaterial, store

GW = "gw.example.test"
IP = "192.0.2.1"
SERVER_AUTH = "1.3.6.1.5.5.7.3.1"
CLIENT_AUTH = "1.3.6.1.5.5.7.3.2"
IKE_INTERMEDIATE = "1.3.6.1.5.5.8.2.2"
DAY = timedelta(days=1)
SLACK = timedelta(seconds=5)

OPENSSL = shutil.which("openssl")
STRONGSWAN_PKI = shutil.which("pki")


@dataclass(frozen=True)
class Lab:
    pki: LabPki
    started: datetime
    finished: datetime


@pytest.fixture(scope="module")
def lab(tmp_path_factory: pytest.TempPathFactory) -> Lab:
    started = datetime.now(UTC).replace(microsecond=0)
    pki = LabPki.load_or_create(tmp_path_factory.mktemp("pki"))
    return Lab(pki, started, datetime.now(UTC))


# -- helpers ---------------------------------------------------------------------------


def sans(cert: x509.Certificate) -> list[tuple[str, str]]:
    try:
        ext = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    except x509.ExtensionNotFound:
        return []
    kinds = {x509.DNSName: "dns", x509.IPAddress: "ip", x509.RFC822Name: "email"}
    return [(kinds[type(name)], str(name.value)) for name in ext]


def ekus(cert: x509.Certificate) -> set[str]:
    ext = cert.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value
    return {oid.dotted_string for oid in ext}


def common_name(cert: x509.Certificate) -> str:
    return str(cert.subject.get_attributes_for_oid(NameOID.COMMON_NAME)[0].value)


def key_description(cert: x509.Certificate) -> tuple[str, object]:
    key = cert.public_key()
    if isinstance(key, rsa.RSAPublicKey):
        return ("rsa", key.key_size)
    assert isinstance(key, ec.EllipticCurvePublicKey)
    return ("ecdsa", key.curve.name)


def fingerprints(pki: LabPki) -> dict[str, str]:
    return {
        name: hashlib.sha256(m.cert_pem + m.key_pem).hexdigest() for name, m in pki.entries.items()
    }


def run(args: list[str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(args, capture_output=True, text=True, timeout=30, check=False)


# -- CAs -------------------------------------------------------------------------------

CA_EXPECTATIONS = [
    ("root_ca", "root-ca", "winterop Root CA", ("rsa", 2048)),
    ("ecdsa_ca", "ecdsa-ca", "winterop ECDSA Root CA", ("ecdsa", "secp256r1")),
    ("untrusted_ca", "untrusted-ca", "winterop Untrusted CA", ("rsa", 2048)),
]


@pytest.mark.parametrize(
    ("attribute", "name", "cn", "key"), CA_EXPECTATIONS, ids=[c[0] for c in CA_EXPECTATIONS]
)
def test_ca_contents(lab: Lab, attribute: str, name: str, cn: str, key: tuple[str, object]) -> None:
    ca: PkiMaterial = getattr(lab.pki, attribute)
    cert = ca.cert
    assert ca.name == name
    assert ca.issuer_name == name
    assert common_name(cert) == cn
    assert ca.subject_dn == f"C=CH, O=winterop, CN={cn}"
    assert cert.subject == cert.issuer
    cert.verify_directly_issued_by(cert)
    assert key_description(cert) == key
    assert ca.key_type == key[0]

    basic = cert.extensions.get_extension_for_class(x509.BasicConstraints)
    assert basic.critical is True
    assert basic.value.ca is True
    usage = cert.extensions.get_extension_for_class(x509.KeyUsage)
    assert usage.critical is True
    assert usage.value.key_cert_sign is True
    assert usage.value.crl_sign is True
    assert usage.value.digital_signature is False
    ski = cert.extensions.get_extension_for_class(x509.SubjectKeyIdentifier).value
    assert ski == x509.SubjectKeyIdentifier.from_public_key(cert.public_key())
    # The CA must cover the expired leaf's whole window (400 days back).
    assert cert.not_valid_before_utc <= lab.started - timedelta(days=400)
    assert cert.not_valid_after_utc >= lab.finished + timedelta(days=365)


def test_trusted_roots_exclude_untrusted_ca(lab: Lab) -> None:
    names = [m.name for m in lab.pki.trusted_roots]
    assert names == ["root-ca", "ecdsa-ca"]


def test_filler_cas_are_distinct_self_signed_roots(lab: Lab) -> None:
    fillers = lab.pki.filler_cas
    assert len(fillers) == 64
    assert len({m.key_sha1_spki() for m in fillers}) == 64
    for material in fillers:
        assert material.issuer_name == material.name
        material.cert.verify_directly_issued_by(material.cert)
        assert key_description(material.cert) == ("ecdsa", "secp256r1")


def test_rsa4096_chain_has_an_intermediate_under_its_own_root(lab: Lab) -> None:
    pki = lab.pki
    gateway = pki.gateway(V.RSA4096_CHAIN)
    intermediate, root = pki.issuers_of(gateway)
    assert (intermediate.name, root.name) == ("rsa4096-intermediate-ca", "rsa4096-root-ca")
    assert pki.intermediates_of(gateway) == (intermediate,)
    assert key_description(intermediate.cert) == ("rsa", 4096)
    assert key_description(root.cert) == ("rsa", 4096)
    intermediate.cert.verify_directly_issued_by(root.cert)
    gateway.cert.verify_directly_issued_by(intermediate.cert)
    basic = intermediate.cert.extensions.get_extension_for_class(x509.BasicConstraints)
    assert basic.critical and basic.value.ca
    aki = intermediate.cert.extensions.get_extension_for_class(x509.AuthorityKeyIdentifier)
    root_ski = root.cert.extensions.get_extension_for_class(x509.SubjectKeyIdentifier)
    assert aki.value.key_identifier == root_ski.value.digest


def test_clients_trust_a_chain_root_only_when_its_gateway_certificate_is_presented(
    lab: Lab,
) -> None:
    pki = lab.pki
    assert pki.roots_for(pki.gateway()) == pki.trusted_roots
    assert pki.roots_for(pki.gateway(V.UNTRUSTED_CA)) == pki.trusted_roots
    assert [m.name for m in pki.roots_for(pki.gateway(V.RSA4096_CHAIN))] == [
        "root-ca",
        "ecdsa-ca",
        "rsa4096-root-ca",
    ]
    assert pki.intermediates_of(pki.gateway()) == ()
    assert pki.issuers_of(pki.root_ca) == ()


# -- gateway variants -------------------------------------------------------------------


@dataclass(frozen=True)
class GatewayExpectation:
    key: tuple[str, object]
    issuer: str
    cn: str
    sans: list[tuple[str, str]]
    ekus: set[str]
    expired: bool
    identity: str


GOOD_SANS = [("dns", GW), ("dns", IP)]
BOTH_EKUS = {SERVER_AUTH, IKE_INTERMEDIATE}
V = GatewayCertVariant
GATEWAY_EXPECTATIONS = {
    V.GOOD: GatewayExpectation(("rsa", 2048), "root-ca", GW, GOOD_SANS, BOTH_EKUS, False, GW),
    V.ECDSA: GatewayExpectation(
        ("ecdsa", "secp256r1"), "ecdsa-ca", GW, GOOD_SANS, BOTH_EKUS, False, GW
    ),
    V.NO_SERVER_AUTH: GatewayExpectation(
        ("rsa", 2048), "root-ca", GW, GOOD_SANS, {IKE_INTERMEDIATE}, False, GW
    ),
    V.NAME_MISMATCH: GatewayExpectation(
        ("rsa", 2048),
        "root-ca",
        "other.example.test",
        [("dns", "other.example.test")],
        BOTH_EKUS,
        False,
        "other.example.test",
    ),
    V.IP_AS_IPADDRESS_SAN: GatewayExpectation(
        ("rsa", 2048), "root-ca", GW, [("ip", IP)], BOTH_EKUS, False, IP
    ),
    V.P521: GatewayExpectation(
        ("ecdsa", "secp521r1"), "ecdsa-ca", GW, GOOD_SANS, BOTH_EKUS, False, GW
    ),
    V.EXPIRED: GatewayExpectation(("rsa", 2048), "root-ca", GW, GOOD_SANS, BOTH_EKUS, True, GW),
    V.UNTRUSTED_CA: GatewayExpectation(
        ("rsa", 2048), "untrusted-ca", GW, GOOD_SANS, BOTH_EKUS, False, GW
    ),
    V.RSA4096_CHAIN: GatewayExpectation(
        ("rsa", 4096), "rsa4096-intermediate-ca", GW, GOOD_SANS, BOTH_EKUS, False, GW
    ),
}


def test_every_variant_has_an_expectation() -> None:
    assert set(GATEWAY_EXPECTATIONS) == set(GatewayCertVariant)


def test_variant_values_are_kebab_case() -> None:
    assert [v.value for v in GatewayCertVariant] == [
        "good",
        "ecdsa",
        "no-server-auth",
        "name-mismatch",
        "ip-as-ipaddress-san",
        "p521",
        "expired",
        "untrusted-ca",
        "rsa4096-chain",
    ]


@pytest.mark.parametrize("variant", list(GatewayCertVariant), ids=lambda v: v.value)
def test_gateway_variant_contents(lab: Lab, variant: GatewayCertVariant) -> None:
    expected = GATEWAY_EXPECTATIONS[variant]
    material = lab.pki.gateway(variant)
    cert = material.cert
    assert material.name == f"gateway-{variant.value}"
    assert key_description(cert) == expected.key
    assert material.key_type == expected.key[0]
    assert material.issuer_name == expected.issuer
    cert.verify_directly_issued_by(lab.pki.entries[expected.issuer].cert)
    assert common_name(cert) == expected.cn
    assert material.subject_dn == f"C=CH, O=winterop, CN={expected.cn}"
    assert sans(cert) == expected.sans
    assert ekus(cert) == expected.ekus
    assert material.identity == expected.identity
    if expected.expired:
        assert cert.not_valid_before_utc == lab.started - timedelta(days=400)
        assert cert.not_valid_after_utc == lab.started - timedelta(days=30)
        assert cert.not_valid_after_utc < datetime.now(UTC)
    else:
        assert lab.started - DAY <= cert.not_valid_before_utc <= lab.finished - DAY
        assert lab.started + 365 * DAY <= cert.not_valid_after_utc <= lab.finished + 365 * DAY


def test_gateway_accepts_variant_value_string(lab: Lab) -> None:
    assert lab.pki.gateway("no-server-auth") == lab.pki.gateway(V.NO_SERVER_AUTH)
    assert lab.pki.gateway() == lab.pki.gateway(V.GOOD)


def test_gateway_variants_have_distinct_keys(lab: Lab) -> None:
    spkis = {lab.pki.gateway(v).key_sha1_spki() for v in GatewayCertVariant}
    assert len(spkis) == len(GatewayCertVariant)


@pytest.mark.parametrize("variant", list(GatewayCertVariant), ids=lambda v: v.value)
def test_variant_names_its_check_and_its_oracle_fact(variant: GatewayCertVariant) -> None:
    """Each broken variant names the check it violates; the oracle says what Windows does."""
    expectation = expect("win10-22h2", variant.oracle_fact)
    if variant in (V.GOOD, V.ECDSA, V.RSA4096_CHAIN):
        assert variant.violated_check is None and expectation.as_error() is None
    else:
        assert variant.violated_check and expectation.as_error() == 13801


# -- client certificates ----------------------------------------------------------------


def test_machine_certificate(lab: Lab) -> None:
    machine = lab.pki.machine()
    cert = machine.cert
    assert machine.name == "machine-client1.example.test"
    assert machine.subject_dn == "C=CH, O=winterop, CN=client1.example.test"
    assert machine.identity == machine.subject_dn
    assert [(a.oid, a.value) for a in cert.subject] == [
        (NameOID.COUNTRY_NAME, "CH"),
        (NameOID.ORGANIZATION_NAME, "winterop"),
        (NameOID.COMMON_NAME, "client1.example.test"),
    ]
    assert sans(cert) == [("dns", "client1.example.test")]
    assert ekus(cert) == {CLIENT_AUTH}
    assert key_description(cert) == ("rsa", 2048)
    assert machine.issuer_name == "root-ca"
    cert.verify_directly_issued_by(lab.pki.root_ca.cert)


def test_user_certificate(lab: Lab) -> None:
    user = lab.pki.user()
    cert = user.cert
    assert user.name == "user-alice@example.test"
    assert common_name(cert) == "alice@example.test"
    assert user.identity == "alice@example.test"
    assert user.subject_dn == "C=CH, O=winterop, CN=alice@example.test"
    # Windows sends the CN as EAP identity, so the CN must also be a SAN.
    assert sans(cert) == [("email", "alice@example.test")]
    assert ekus(cert) == {CLIENT_AUTH}
    assert key_description(cert) == ("rsa", 2048)
    cert.verify_directly_issued_by(lab.pki.root_ca.cert)


def test_user_without_client_auth(lab: Lab) -> None:
    user = lab.pki.user_without_client_auth()
    cert = user.cert
    assert common_name(cert) == "mallory@example.test"
    assert user.identity == "mallory@example.test"
    assert sans(cert) == [("email", "mallory@example.test")]
    assert ekus(cert) == {SERVER_AUTH}
    assert CLIENT_AUTH not in ekus(cert)
    cert.verify_directly_issued_by(lab.pki.root_ca.cert)


# -- properties shared by all leaves ------------------------------------------------------


def leaf_names(pki: LabPki) -> list[str]:
    cas = {"root-ca", "ecdsa-ca", "untrusted-ca", "rsa4096-root-ca", "rsa4096-intermediate-ca"}
    return [n for n in pki.entries if n not in cas and not n.startswith("filler-ca-")]


def test_entry_set_is_complete(lab: Lab) -> None:
    assert sorted(lab.pki.entries) == sorted(
        [
            "root-ca",
            "ecdsa-ca",
            "untrusted-ca",
            "rsa4096-root-ca",
            "rsa4096-intermediate-ca",
            *(f"filler-ca-{n:02d}" for n in range(1, 65)),
            *(f"gateway-{v.value}" for v in GatewayCertVariant),
            "machine-client1.example.test",
            "user-alice@example.test",
            "noclientauth-user-mallory@example.test",
        ]
    )


def test_leaf_common_extensions(lab: Lab) -> None:
    names = leaf_names(lab.pki)
    assert len(names) == 12
    for name in names:
        material = lab.pki.entries[name]
        cert = material.cert
        issuer = lab.pki.issuer_of(material).cert
        basic = cert.extensions.get_extension_for_class(x509.BasicConstraints)
        assert basic.value.ca is False, name
        usage = cert.extensions.get_extension_for_class(x509.KeyUsage)
        assert usage.critical is True, name
        assert usage.value.digital_signature is True, name
        assert usage.value.key_encipherment is (material.key_type == "rsa"), name
        assert usage.value.key_cert_sign is False, name
        ski = cert.extensions.get_extension_for_class(x509.SubjectKeyIdentifier).value
        assert ski == x509.SubjectKeyIdentifier.from_public_key(cert.public_key()), name
        aki = cert.extensions.get_extension_for_class(x509.AuthorityKeyIdentifier).value
        issuer_ski = issuer.extensions.get_extension_for_class(x509.SubjectKeyIdentifier).value
        assert aki.key_identifier == issuer_ski.digest, name
        # No CRL distribution point: Windows would fail with 13817 fetching it.
        with pytest.raises(x509.ExtensionNotFound):
            cert.extensions.get_extension_for_class(x509.CRLDistributionPoints)
        assert cert.issuer == issuer.subject, name


def test_keys_match_certificates_and_are_pkcs8(lab: Lab) -> None:
    for name, material in lab.pki.entries.items():
        assert material.key_pem.startswith(b"-----BEGIN PRIVATE KEY-----\n"), name
        key = serialization.load_pem_private_key(material.key_pem, password=None)
        assert key.public_key() == material.cert.public_key(), name
        assert material.private_key().public_key() == material.cert.public_key(), name
        expected_type = "rsa" if isinstance(key, rsa.RSAPrivateKey) else "ecdsa"
        assert material.key_type == expected_type, name


def test_cert_der_and_spki_hash(lab: Lab) -> None:
    root = lab.pki.root_ca
    assert x509.load_der_x509_certificate(root.cert_der()) == root.cert
    assert root.cert_der().startswith(b"\x30\x82")
    spki = root.cert.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    assert root.key_sha1_spki() == hashlib.sha1(spki).digest()
    assert len(root.key_sha1_spki()) == 20
    assert root.key_sha1_spki() != lab.pki.ecdsa_ca.key_sha1_spki()


def test_repr_hides_private_key(lab: Lab) -> None:
    text = repr(lab.pki.gateway())
    assert "gateway-good" in text
    assert "PRIVATE KEY" not in text
    assert "key_pem" not in text


def test_files_on_disk(lab: Lab) -> None:
    for material in lab.pki.entries.values():
        cert_path = lab.pki.cert_path(material)
        key_path = lab.pki.key_path(material)
        assert cert_path.read_bytes() == material.cert_pem
        assert key_path.read_bytes() == material.key_pem
        assert stat.S_IMODE(key_path.stat().st_mode) == 0o600
        assert stat.S_IMODE(cert_path.stat().st_mode) == 0o644
    index = json.loads((lab.pki.directory / "index.json").read_text())
    assert set(index["entries"]) == set(lab.pki.entries)
    assert not [p for p in lab.pki.directory.iterdir() if p.name.endswith(".tmp")]


# -- other parameters --------------------------------------------------------------------


def test_custom_parameters(tmp_path: Path) -> None:
    pki = LabPki.load_or_create(
        tmp_path,
        gateway_name="vpn.example.test",
        gateway_ip="2001:db8::1",
        machine_names=("a.example.test", "b.example.test"),
        user_names=("bob",),
    )
    assert pki.gateway_name == "vpn.example.test"
    assert sans(pki.gateway().cert) == [("dns", "vpn.example.test"), ("dns", "2001:db8::1")]
    assert sans(pki.gateway(V.IP_AS_IPADDRESS_SAN).cert) == [("ip", "2001:db8::1")]
    ip_san = pki.gateway(V.IP_AS_IPADDRESS_SAN).cert.extensions.get_extension_for_class(
        x509.SubjectAlternativeName
    )
    assert ip_san.value.get_values_for_type(x509.IPAddress) == [ipaddress.ip_address("2001:db8::1")]
    assert pki.machine("b.example.test").subject_dn == "C=CH, O=winterop, CN=b.example.test"
    assert pki.machine("a.example.test").identity == "C=CH, O=winterop, CN=a.example.test"
    assert sans(pki.user("bob").cert) == [("dns", "bob")]
    assert pki.user("bob").identity == "bob"


def test_ip_is_canonicalised(tmp_path: Path) -> None:
    pki = LabPki.load_or_create(tmp_path, gateway_ip="2001:DB8:0::1")
    assert pki.gateway_ip == "2001:db8::1"
    assert ("dns", "2001:db8::1") in sans(pki.gateway().cert)


# -- caching and regeneration ------------------------------------------------------------


def mtimes(directory: Path) -> dict[str, int]:
    return {p.name: p.stat().st_mtime_ns for p in directory.iterdir() if p.name != ".lock"}


def test_second_load_reuses_files(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    first = LabPki.load_or_create(tmp_path)
    before = mtimes(tmp_path)

    def no_generation(*_args: Any, **_kwargs: Any) -> None:
        raise AssertionError("load_or_create regenerated an existing set")

    monkeypatch.setattr(infra.pki.lab_pki, "generate_set", no_generation)
    second = LabPki.load_or_create(str(tmp_path))
    assert fingerprints(second) == fingerprints(first)
    assert second.gateway().cert_pem == first.gateway().cert_pem
    assert second.user().key_pem == first.user().key_pem
    assert second.machine() == first.machine()
    assert mtimes(tmp_path) == before


def test_corrupt_file_regenerates_whole_set(tmp_path: Path) -> None:
    first = LabPki.load_or_create(tmp_path)
    (tmp_path / "gateway-good.cert.pem").write_bytes(b"garbage")
    second = LabPki.load_or_create(tmp_path)
    old, new = fingerprints(first), fingerprints(second)
    assert set(old) == set(new)
    assert all(old[name] != new[name] for name in old)
    second.gateway().cert.verify_directly_issued_by(second.root_ca.cert)
    assert (tmp_path / "gateway-good.cert.pem").read_bytes() == second.gateway().cert_pem


def test_missing_index_regenerates(tmp_path: Path) -> None:
    first = LabPki.load_or_create(tmp_path)
    (tmp_path / "index.json").unlink()
    second = LabPki.load_or_create(tmp_path)
    assert second.root_ca.cert_pem != first.root_ca.cert_pem


def test_old_set_regenerates(tmp_path: Path) -> None:
    first = LabPki.load_or_create(tmp_path)
    index_path = tmp_path / "index.json"
    index = json.loads(index_path.read_text())
    index["generated_at"] = (datetime.now(UTC) - timedelta(days=60)).isoformat()
    index_path.write_text(json.dumps(index))
    second = LabPki.load_or_create(tmp_path)
    assert second.root_ca.cert_pem != first.root_ca.cert_pem
    assert datetime.fromisoformat(json.loads(index_path.read_text())["generated_at"]) > (
        datetime.now(UTC) - timedelta(minutes=5)
    )


def test_other_parameters_on_same_directory_are_refused(tmp_path: Path) -> None:
    LabPki.load_or_create(tmp_path)
    with pytest.raises(PkiError, match=r"^gateway_name: .*'gw\.example\.test'"):
        LabPki.load_or_create(tmp_path, gateway_name="vpn.example.test")
    with pytest.raises(PkiError, match=r"^machine_names: "):
        LabPki.load_or_create(tmp_path, machine_names=("x.example.test",))


def _load_in_child(directory: str, barrier: Any, results: Any) -> None:
    barrier.wait(timeout=60)
    pki = LabPki.load_or_create(directory)
    results.put(fingerprints(pki))


def test_concurrent_creation_yields_one_set(tmp_path: Path) -> None:
    context = multiprocessing.get_context("spawn")
    workers = 3
    barrier = context.Barrier(workers)
    results = context.Queue()
    processes = [
        context.Process(target=_load_in_child, args=(str(tmp_path), barrier, results))
        for _ in range(workers)
    ]
    for process in processes:
        process.start()
    try:
        sets = [results.get(timeout=120) for _ in processes]
    finally:
        for process in processes:
            process.join(timeout=60)
    assert [p.exitcode for p in processes] == [0] * workers
    assert sets[0] == sets[1] == sets[2]
    assert len(sets[0]) == 17 + 64
    assert fingerprints(LabPki.load_or_create(tmp_path)) == sets[0]
    assert not [p for p in tmp_path.iterdir() if p.name.endswith(".tmp")]


def test_lock_wait_times_out_with_a_message(tmp_path: Path) -> None:
    holder = os.open(tmp_path / ".lock", os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(holder, fcntl.LOCK_EX)
        with (
            pytest.raises(PkiError, match=r"^directory: timed out after 0\.2 s .*\.lock"),
            store.directory_lock(tmp_path, timeout_s=0.2),
        ):
            pass
    finally:
        os.close(holder)
    with store.directory_lock(tmp_path, timeout_s=0.2):
        pass


# -- argument validation -------------------------------------------------------------------

BAD_ARGUMENTS = [
    ({"gateway_ip": "not-an-ip"}, "gateway_ip"),
    ({"gateway_ip": "192.0.2.300"}, "gateway_ip"),
    ({"gateway_ip": ""}, "gateway_ip"),
    ({"gateway_name": ""}, "gateway_name"),
    ({"gateway_name": "192.0.2.1"}, "gateway_name"),
    ({"gateway_name": "bad_name.example.test"}, "gateway_name"),
    ({"gateway_name": "-gw.example.test"}, "gateway_name"),
    ({"gateway_name": "other.example.test"}, "gateway_name"),
    ({"gateway_name": "a" * 60 + ".example.test"}, "gateway_name"),
    ({"machine_names": "client1.example.test"}, "machine_names"),
    ({"machine_names": [""]}, "machine_names"),
    ({"user_names": ["bad name"]}, "user_names"),
    ({"user_names": ["@example.test"]}, "user_names"),
    ({"user_names": ["a@b@example.test"]}, "user_names"),
    ({"no_client_auth_user_names": ["x@bad_domain"]}, "no_client_auth_user_names"),
]


@pytest.mark.parametrize(
    ("kwargs", "argument"),
    BAD_ARGUMENTS,
    ids=[f"{a}-{i}" for i, (_, a) in enumerate(BAD_ARGUMENTS)],
)
def test_bad_arguments_raise_pki_error(
    tmp_path: Path, kwargs: dict[str, Any], argument: str
) -> None:
    directory = tmp_path / "pki"
    with pytest.raises(PkiError, match=rf"^{argument}: ") as info:
        LabPki.load_or_create(directory, **kwargs)
    assert isinstance(info.value, ValueError)
    assert not directory.exists()


def test_directory_that_is_a_file(tmp_path: Path) -> None:
    path = tmp_path / "file"
    path.write_text("x")
    with pytest.raises(PkiError, match=r"^directory: "):
        LabPki.load_or_create(path)


def test_unknown_lookups(lab: Lab) -> None:
    with pytest.raises(PkiError, match=r"^name: .*machine_names"):
        lab.pki.machine("client2.example.test")
    with pytest.raises(PkiError, match=r"^name: .*user_names"):
        lab.pki.user("bob@example.test")
    with pytest.raises(PkiError, match=r"^name: .*no_client_auth_user_names"):
        lab.pki.user_without_client_auth("alice@example.test")
    with pytest.raises(PkiError, match=r"^variant: 'nope' is not one of good, ecdsa"):
        lab.pki.gateway("nope")


# -- independent verifiers: openssl and strongSwan's pki -----------------------------------

OPENSSL_CASES = [
    ("gateway-good", "root-ca", ["-purpose", "sslserver", "-verify_hostname", GW], None),
    ("gateway-good", "root-ca", ["-verify_hostname", IP], None),
    ("gateway-good", "root-ca", ["-verify_ip", IP], "IP address mismatch"),
    ("gateway-ecdsa", "ecdsa-ca", ["-purpose", "sslserver", "-verify_hostname", GW], None),
    ("gateway-p521", "ecdsa-ca", ["-purpose", "sslserver"], None),
    ("gateway-no-server-auth", "root-ca", ["-purpose", "sslserver"], "unsuitable certificate"),
    ("gateway-name-mismatch", "root-ca", ["-verify_hostname", GW], "hostname mismatch"),
    ("gateway-ip-as-ipaddress-san", "root-ca", ["-verify_ip", IP], None),
    ("gateway-ip-as-ipaddress-san", "root-ca", ["-verify_hostname", IP], "hostname mismatch"),
    ("gateway-expired", "root-ca", [], "certificate has expired"),
    ("gateway-untrusted-ca", "root-ca", [], "unable to get local issuer certificate"),
    ("gateway-untrusted-ca", "untrusted-ca", ["-purpose", "sslserver"], None),
    ("machine-client1.example.test", "root-ca", ["-purpose", "sslclient"], None),
    ("user-alice@example.test", "root-ca", ["-purpose", "sslclient"], None),
    ("noclientauth-user-mallory@example.test", "root-ca", ["-purpose", "sslclient"], "unsuitable"),
    ("gateway-rsa4096-chain", "rsa4096-root-ca", [], "unable to get local issuer certificate"),
    (
        "gateway-rsa4096-chain",
        "rsa4096-root-ca",
        ["-purpose", "sslserver", "-untrusted", "rsa4096-intermediate-ca"],
        None,
    ),
]


@pytest.mark.skipif(OPENSSL is None, reason="openssl not installed")
@pytest.mark.parametrize(
    ("entry", "ca", "options", "error"),
    OPENSSL_CASES,
    ids=[f"{c[0]}-{i}" for i, c in enumerate(OPENSSL_CASES)],
)
def test_openssl_verify(
    lab: Lab, entry: str, ca: str, options: list[str], error: str | None
) -> None:
    assert OPENSSL is not None
    pki = lab.pki
    cert = pki.cert_path(pki.entries[entry])
    ca_file = pki.cert_path(pki.entries[ca])
    options = [str(pki.cert_path(pki.entries[o])) if o in pki.entries else o for o in options]
    result = run([OPENSSL, "verify", *options, "-CAfile", str(ca_file), str(cert)])
    output = result.stdout + result.stderr
    if error is None:
        assert result.returncode == 0, output
        assert f"{cert}: OK" in result.stdout
    else:
        assert result.returncode != 0, output
        assert error in output


STRONGSWAN_CASES = [
    ("gateway-good", "root-ca", True),
    ("gateway-ecdsa", "ecdsa-ca", True),
    ("gateway-p521", "ecdsa-ca", True),
    ("gateway-expired", "root-ca", False),
    ("gateway-untrusted-ca", "root-ca", False),
    ("machine-client1.example.test", "root-ca", True),
    ("user-alice@example.test", "root-ca", True),
]


@pytest.mark.skipif(STRONGSWAN_PKI is None, reason="strongSwan pki not installed")
@pytest.mark.parametrize(("entry", "ca", "trusted"), STRONGSWAN_CASES, ids=lambda v: str(v))
def test_strongswan_verify(lab: Lab, entry: str, ca: str, trusted: bool) -> None:
    assert STRONGSWAN_PKI is not None
    pki = lab.pki
    cert = pki.cert_path(pki.entries[entry])
    ca_file = pki.cert_path(pki.entries[ca])
    result = run([STRONGSWAN_PKI, "--verify", "--in", str(cert), "--cacert", str(ca_file)])
    if trusted:
        assert result.returncode == 0, result.stdout
        assert "certificate trusted, lifetimes valid" in result.stdout
    else:
        assert result.returncode != 0, result.stdout
        assert "certificate untrusted" in result.stdout


@pytest.mark.skipif(STRONGSWAN_PKI is None, reason="strongSwan pki not installed")
def test_strongswan_prints_same_subject_and_flags(lab: Lab) -> None:
    assert STRONGSWAN_PKI is not None
    expected_flags = {
        "gateway-good": "serverAuth ikeIntermediate",
        "gateway-no-server-auth": "ikeIntermediate",
        "machine-client1.example.test": "clientAuth",
    }
    for name, material in lab.pki.entries.items():
        result = run([STRONGSWAN_PKI, "--print", "--in", str(lab.pki.cert_path(material))])
        assert result.returncode == 0, result.stdout
        fields = dict(
            line.strip().split(":", 1) for line in result.stdout.splitlines() if ":" in line
        )
        assert fields["subject"].strip() == f'"{material.subject_dn}"', name
        if name in expected_flags:
            assert fields["flags"].strip() == expected_flags[name], name


@pytest.mark.skipif(STRONGSWAN_PKI is None, reason="strongSwan pki not installed")
def test_strongswan_keyid_matches_certreq_hash(lab: Lab) -> None:
    assert STRONGSWAN_PKI is not None
    for ca in (lab.pki.root_ca, lab.pki.ecdsa_ca):
        result = run(
            [
                STRONGSWAN_PKI,
                "--keyid",
                "--type",
                "x509",
                "--id",
                "spki",
                "--format",
                "hex",
                "--in",
                str(lab.pki.cert_path(ca)),
            ]
        )
        assert result.returncode == 0, result.stdout
        assert result.stdout.strip() == ca.key_sha1_spki().hex()
