"""The `windows` client kind over a transport test double that replays recorded documents.

Only the transport is replaced (replay_transport.ReplayTransport); the script builders,
result parsing, rasdial parsing and the mapping to Windows error numbers are the real
code. Each test checks the scripts the client requested, in order, and what it made of
the recorded answers.
"""

from __future__ import annotations

import datetime
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import pkcs12
from cryptography.x509.oid import NameOID

from infra.auth_cases import AuthCase
from infra.clients.protocol import (
    ClientKind,
    ClientState,
    Credentials,
    IPsecConfiguration,
    NotSupportedByClient,
    VpnProfile,
    WindowsClient,
)
from infra.clients.windows import WindowsHarnessError, WindowsVmClient, thumbprint
from infra.clients.windows_errors import windows_error
from infra.pki.material import PkiMaterial
from infra.windows.result import ScriptFailedError
from tests.windows.replay_transport import ReplayTransport, load_documents, value_block

NOW = datetime.datetime(2026, 5, 1, 10, 0, tzinfo=datetime.UTC)


def material(
    name: str, issuer: tuple[x509.Name, ec.EllipticCurvePrivateKey] | None = None
) -> tuple[PkiMaterial, ec.EllipticCurvePrivateKey]:
    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    issuer_name, issuer_key = issuer or (subject, key)
    cert = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer_name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(NOW - datetime.timedelta(days=1))
        .not_valid_after(NOW + datetime.timedelta(days=365))
        .add_extension(x509.BasicConstraints(ca=issuer is None, path_length=None), critical=True)
        .sign(issuer_key, hashes.SHA256())
    )
    pem = cert.public_bytes(serialization.Encoding.PEM)
    key_pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    return (
        PkiMaterial(name, pem, key_pem, "ecdsa", f"CN={name}", name, "ca" if issuer else name),
        key,
    )


@pytest.fixture(scope="module")
def pki() -> dict[str, PkiMaterial]:
    ca, ca_key = material("winterop test CA")
    machine, _ = material("client.winterop.test", (ca.cert.subject, ca_key))
    user, _ = material("alice", (ca.cert.subject, ca_key))
    return {"ca": ca, "machine": machine, "user": user}


def client(transport: ReplayTransport, **kwargs: object) -> WindowsVmClient:
    return WindowsVmClient(transport, profile="win10-22h2", now=lambda: NOW, **kwargs)  # type: ignore[arg-type]


def machine_documents(pki: dict[str, PkiMaterial]) -> dict[str, list[object]]:
    return load_documents(
        "machine-cert",
        ca_thumbprint=thumbprint(pki["ca"].cert),
        machine_thumbprint=thumbprint(pki["machine"].cert),
    )


def test_is_a_windows_client(pki: dict[str, PkiMaterial]) -> None:
    c = client(ReplayTransport({}))
    assert isinstance(c, WindowsClient)
    assert c.kind is ClientKind.WINDOWS and c.profile == "win10-22h2"


def test_machine_certificate_case_end_to_end(pki: dict[str, PkiMaterial], tmp_path: Path) -> None:
    transport = ReplayTransport(machine_documents(pki))
    c = client(transport)
    c.install_root_ca(pki["ca"])
    c.install_machine_certificate(pki["machine"])
    c.add_vpn_connection(VpnProfile("winterop", "192.0.2.1", AuthCase.MACHINE_CERT))
    outcome = c.connect("winterop", timeout=20)
    state = c.state("winterop")
    reachable = c.reach("198.19.1.1", timeout=2)
    c.disconnect("winterop")
    files = c.collect_logs(tmp_path)
    c.close()

    assert transport.names() == [
        "import-certificate",
        "import-pfx-machine",
        "add-vpn-connection",
        "rasdial-connect",
        "vpn-state",
        "reachability",
        "rasdial-disconnect",
        "collect-logs",
    ]
    assert outcome.connected and outcome.error is None
    assert outcome.seconds == pytest.approx(2.481)
    assert outcome.detail.startswith("rasdial-session: Command completed successfully.")
    assert outcome.detail.endswith("profile status: Connected")
    assert state == ClientState(True, ("198.18.10.1",), ("198.18.0.53",), routes=())
    assert reachable is True
    assert transport.closed == 1
    assert [p.name for p in files] == ["windows-logs.json", "client.log"]
    log = (tmp_path / "client.log").read_text()
    assert "rasdial-connect [replay] ok" in log and "20225: CoId={A1}" in log

    ca_values = value_block(transport.requested[0])
    assert ca_values["CertStoreLocation"] == "Cert:\\LocalMachine\\Root"
    pfx_values = value_block(transport.requested[1])
    assert pfx_values["CertStoreLocation"] == "Cert:\\LocalMachine\\My"
    assert pfx_values["PfxPassword"] not in transport.requested[1].log_text
    import base64

    key, cert, _ = pkcs12.load_key_and_certificates(
        base64.b64decode(str(pfx_values["PfxBase64"])), str(pfx_values["PfxPassword"]).encode()
    )
    assert cert == pki["machine"].cert and key is not None
    profile_values = value_block(transport.requested[2])
    assert profile_values["AuthenticationMethod"] == ["MachineCertificate"]
    assert profile_values["EapMethod"] == "None" and profile_values["AllUserConnection"] is True
    dial_values = value_block(transport.requested[3])
    assert dial_values["Methods"] == ["rasdial-session", "rasdial-pinvoke"]
    assert dial_values["TimeoutMs"] == 20_000 and dial_values["RasdialArguments"] == "winterop"
    assert transport.timeouts[3] >= 2 * 20


@pytest.mark.parametrize(
    ("code", "symbol"),
    [
        (13801, "ERROR_IPSEC_IKE_AUTH_FAIL"),
        (809, "ERROR_VPN_TIMEOUT"),
        (13868, "ERROR_IPSEC_IKE_POLICY_MATCH"),
        (623, "ERROR_CANNOT_FIND_PHONEBOOK_ENTRY"),
    ],
)
def test_rasdial_failures_map_to_the_shared_error_numbers(code: int, symbol: str) -> None:
    documents = load_documents("connect-failures")
    order = [13801, 809, 13868, 623]
    documents["rasdial-connect"] = [documents["rasdial-connect"][order.index(code)]]
    c = client(ReplayTransport(documents))
    outcome = c.connect("winterop")
    assert not outcome.connected
    assert outcome.error == windows_error(code) and outcome.error.symbol == symbol
    assert f"error {code}" in outcome.detail


def test_eap_mschapv2_falls_back_through_the_703_workarounds(pki: dict[str, PkiMaterial]) -> None:
    transport = ReplayTransport(load_documents("eap-mschapv2", user_thumbprint="00"))
    c = client(transport, test_user="winterop")
    c.add_vpn_connection(
        VpnProfile("winterop", "gw.winterop.test", AuthCase.EAP_MSCHAPV2, split_tunneling=True)
    )
    creds = Credentials("alice", "p@ss 'w\"rd", domain="LAB")
    first = c.connect("winterop", creds, timeout=15)
    second = c.connect("winterop", creds, timeout=15)
    with pytest.raises(WindowsHarnessError, match="no dial method could run"):
        c.connect("winterop", creds, timeout=15)

    assert first.error == windows_error(703) and not first.connected
    assert "rasdial-session=703, rasdial-interactive-task=703, rasdial-pinvoke=703" in first.detail
    assert second.error == windows_error(691)
    assert second.detail.startswith("rasdial-interactive-task: ")
    profile_values = value_block(transport.requested[0])
    assert profile_values["EapMethod"] == "MsChapv2" and profile_values["SplitTunneling"] is True
    dial = transport.requested[1]
    values = value_block(dial)
    assert values["Methods"] == ["rasdial-session", "rasdial-interactive-task", "rasdial-pinvoke"]
    assert values["InteractiveUser"] == "winterop"
    assert values["User"] == "LAB\\alice" and values["Password"] == "p@ss 'w\"rd"
    assert values["RasdialArguments"] == 'winterop LAB\\alice "p@ss \'w\\"rd"'
    assert "p@ss" not in dial.log_text
    assert transport.timeouts[1] >= 3 * 15


def test_status_decides_when_rasdial_and_the_profile_disagree() -> None:
    c = client(ReplayTransport(load_documents("status-disagrees")))
    exit_zero_but_down = c.connect("winterop")
    exit_one_but_up = c.connect("winterop")
    timed_out = c.connect("winterop")
    assert not exit_zero_but_down.connected and exit_zero_but_down.error is None
    assert exit_one_but_up.connected and exit_one_but_up.error is None
    assert not timed_out.connected and timed_out.error is None
    assert "rasdial timed out" in timed_out.detail


def test_user_certificate_needs_a_session_of_the_test_user(pki: dict[str, PkiMaterial]) -> None:
    with pytest.raises(NotSupportedByClient, match="CurrentUser"):
        client(ReplayTransport({})).install_user_certificate(pki["user"])
    admin = ReplayTransport({})
    user = ReplayTransport(
        load_documents("eap-mschapv2", user_thumbprint=thumbprint(pki["user"].cert)),
        name="ssh-user",
    )
    c = client(admin, user_transport=user, test_user="winterop")
    c.install_user_certificate(pki["user"])
    assert admin.names() == [] and user.names() == ["import-pfx-user"]
    values = value_block(user.requested[0])
    assert values["CertStoreLocation"] == "Cert:\\CurrentUser\\My"
    assert values["ExpectedUser"] == "winterop"


def test_thumbprint_mismatch_is_a_harness_error(pki: dict[str, PkiMaterial]) -> None:
    documents = load_documents("machine-cert", ca_thumbprint="A", machine_thumbprint="B" * 40)
    c = client(ReplayTransport(documents))
    with pytest.raises(WindowsHarnessError, match="not " + thumbprint(pki["machine"].cert)):
        c.install_machine_certificate(pki["machine"])


def test_ipsec_policy_and_registry_knob() -> None:
    transport = ReplayTransport(load_documents("status-disagrees"))
    c = client(transport)
    c.set_ipsec_configuration(
        "winterop",
        IPsecConfiguration("GCMAES256", "GCMAES256", "ECP384", "GCMAES256", "SHA384", "ECP384"),
    )
    c.set_ipsec_configuration("winterop", None)
    c.set_registry_value("NegotiateDH2048_AES256", 2)
    custom, revert, knob = (value_block(s) for s in transport.requested)
    assert custom["RevertToDefault"] is False
    assert (custom["EncryptionMethod"], custom["DHGroup"], custom["PfsGroup"]) == (
        "GCMAES256",
        "ECP384",
        "ECP384",
    )
    assert revert["RevertToDefault"] is True and revert["EncryptionMethod"] is None
    assert knob["ValueName"] == "NegotiateDH2048_AES256" and knob["Value"] == 2
    assert knob["RestartServices"] == ["RasMan", "IKEEXT"]
    assert all(e.ok for e in c.transcript)


def test_a_script_that_fails_raises_naming_it() -> None:
    c = client(ReplayTransport(load_documents("status-disagrees")))
    with pytest.raises(ScriptFailedError, match=r"'add-vpn-connection' failed: .*access is denied"):
        c.add_vpn_connection(VpnProfile("winterop", "192.0.2.1", AuthCase.MACHINE_CERT))
    assert c.transcript[-1].ok is False


def test_close_cleans_a_reused_vm_and_releases_it(pki: dict[str, PkiMaterial]) -> None:
    transport = ReplayTransport(machine_documents(pki))
    released: list[bool] = []
    c = client(transport, disposable=False, on_close=lambda: released.append(True))
    c.install_root_ca(pki["ca"])
    c.install_machine_certificate(pki["machine"])
    c.add_vpn_connection(VpnProfile("winterop", "192.0.2.1", AuthCase.MACHINE_CERT))
    c.close()
    assert transport.names()[3:] == [
        "remove-vpn-connection",
        "remove-certificate",
        "remove-certificate",
    ]
    removed = [value_block(s)["Thumbprint"] for s in transport.requested[4:]]
    assert removed == [thumbprint(pki["machine"].cert), thumbprint(pki["ca"].cert)]
    assert released == [True] and transport.closed == 1


def test_close_of_a_disposable_vm_runs_no_cleanup(pki: dict[str, PkiMaterial]) -> None:
    transport = ReplayTransport(machine_documents(pki))
    c = client(transport)
    c.install_root_ca(pki["ca"])
    c.close()
    assert transport.names() == ["import-certificate"] and transport.closed == 1
