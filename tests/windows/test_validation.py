"""Values outside the documented accepted sets are refused before any script is built."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import pytest

from infra.windows.scripts import ipsec
from infra.windows.scripts.certificates import (
    import_certificate,
    import_pfx_certificate,
    remove_certificate,
)
from infra.windows.scripts.dial import RasCredentials, rasdial_connect, rasdial_disconnect
from infra.windows.scripts.eap import EapMsChapV2, EapTls
from infra.windows.scripts.ipsec import IpsecPolicy, set_vpn_ipsec_configuration
from infra.windows.scripts.logs import collect_logs
from infra.windows.scripts.pktmon import pktmon_start, pktmon_stop
from infra.windows.scripts.profile import add_vpn_connection
from infra.windows.scripts.reach import reachability
from infra.windows.scripts.registry import set_negotiate_dh2048_aes256, set_registry_dword
from infra.windows.scripts.routes import add_vpn_connection_route
from infra.windows.scripts.state import vpn_state

GOOD_POLICY: dict[str, str] = {
    "authentication_transform_constants": "SHA256128",
    "cipher_transform_constants": "AES256",
    "encryption_method": "AES256",
    "integrity_check_method": "SHA256",
    "dh_group": "Group14",
    "pfs_group": "PFS2048",
}
THUMB = "A" * 40


# --- Set-VpnConnectionIPsecConfiguration: windows-client-behavior.md section 9.1 -----------


@pytest.mark.parametrize(
    ("field", "accepted"),
    [
        ("authentication_transform_constants", ipsec.AUTHENTICATION_TRANSFORM_CONSTANTS),
        ("cipher_transform_constants", ipsec.CIPHER_TRANSFORM_CONSTANTS),
        ("encryption_method", ipsec.ENCRYPTION_METHODS),
        ("integrity_check_method", ipsec.INTEGRITY_CHECK_METHODS),
        ("dh_group", ipsec.DH_GROUPS),
        ("pfs_group", ipsec.PFS_GROUPS),
    ],
)
def test_every_documented_ipsec_value_is_accepted(field: str, accepted: tuple[str, ...]) -> None:
    for value in accepted:
        IpsecPolicy(**{**GOOD_POLICY, field: value})


def test_documented_ipsec_sets_are_exactly_section_9_1() -> None:
    assert ipsec.AUTHENTICATION_TRANSFORM_CONSTANTS == (
        "MD596",
        "SHA196",
        "SHA256128",
        "GCMAES128",
        "GCMAES192",
        "GCMAES256",
        "None",
    )
    assert ipsec.CIPHER_TRANSFORM_CONSTANTS == (
        "DES",
        "DES3",
        "AES128",
        "AES192",
        "AES256",
        "GCMAES128",
        "GCMAES192",
        "GCMAES256",
        "None",
    )
    assert ipsec.ENCRYPTION_METHODS == (
        "DES",
        "DES3",
        "AES128",
        "AES192",
        "AES256",
        "GCMAES128",
        "GCMAES256",
    )
    assert ipsec.INTEGRITY_CHECK_METHODS == ("MD5", "SHA1", "SHA256", "SHA384")
    assert ipsec.DH_GROUPS == ("None", "Group1", "Group2", "Group14", "ECP256", "ECP384", "Group24")
    assert ipsec.PFS_GROUPS == (
        "None",
        "PFS1",
        "PFS2",
        "PFS2048",
        "ECP256",
        "ECP384",
        "PFSMM",
        "PFS24",
    )


@pytest.mark.parametrize(
    ("field", "bad"),
    [
        ("authentication_transform_constants", "SHA384"),
        ("authentication_transform_constants", "sha196"),
        ("cipher_transform_constants", "AES256GCM"),
        ("cipher_transform_constants", "CHACHA20"),
        ("encryption_method", "GCMAES192"),  # ESP has GCMAES192, IKE does not
        ("encryption_method", "None"),
        ("integrity_check_method", "SHA512"),
        ("integrity_check_method", "None"),
        ("dh_group", "Group19"),
        ("dh_group", "ECP521"),
        ("dh_group", "PFS2048"),
        ("pfs_group", "Group14"),
        ("pfs_group", "PFS14"),
        ("pfs_group", ""),
    ],
)
def test_ipsec_values_outside_the_sets_are_refused(field: str, bad: str) -> None:
    cmdlet_name = {
        "authentication_transform_constants": "AuthenticationTransformConstants",
        "cipher_transform_constants": "CipherTransformConstants",
        "encryption_method": "EncryptionMethod",
        "integrity_check_method": "IntegrityCheckMethod",
        "dh_group": "DHGroup",
        "pfs_group": "PfsGroup",
    }[field]
    with pytest.raises(ValueError, match=f"{cmdlet_name} must be one of"):
        IpsecPolicy(**{**GOOD_POLICY, field: bad})


def test_ipsec_policy_must_be_a_policy() -> None:
    with pytest.raises(ValueError, match="IpsecPolicy"):
        set_vpn_ipsec_configuration("sw", GOOD_POLICY)  # type: ignore[arg-type]


def test_revert_and_custom_select_the_right_parameter_set() -> None:
    custom = set_vpn_ipsec_configuration("sw", IpsecPolicy(**GOOD_POLICY)).text
    revert = set_vpn_ipsec_configuration("sw", None).text
    assert "$RevertToDefault = $false" in custom and "$DHGroup = 'Group14'" in custom
    assert "$RevertToDefault = $true" in revert and "$DHGroup = $null" in revert


# --- Add-VpnConnection / New-EapConfiguration ----------------------------------------------


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"authentication_method": "MSChapv2"}, "authentication_method must be one of"),
        ({"authentication_method": "eap"}, "authentication_method must be one of"),
        ({"authentication_method": "Eap", "encryption_level": "High"}, "encryption_level"),
        ({"authentication_method": "MachineCertificate", "eap": EapTls()}, "eap applies only"),
        (
            {"authentication_method": "Eap", "machine_certificate_issuer_thumbprint": THUMB},
            "machine certificate filters",
        ),
        (
            {
                "authentication_method": "MachineCertificate",
                "machine_certificate_issuer_thumbprint": "ABC",
            },
            "40 hex digits",
        ),
        (
            {
                "authentication_method": "MachineCertificate",
                "machine_certificate_eku_filter": ("clientAuth",),
            },
            "dotted OID",
        ),
        ({"authentication_method": "Eap", "split_tunneling": 1}, "must be a bool"),
    ],
)
def test_add_vpn_connection_refuses(kwargs: dict[str, Any], match: str) -> None:
    with pytest.raises(ValueError, match=match):
        add_vpn_connection("sw", "gw.lab.test", **kwargs)


@pytest.mark.parametrize(
    "name", ["", "/DISCONNECT", " padded", "x" * 257, "line\nbreak", "nul\x00"]
)
def test_profile_names_rasdial_or_the_phone_book_would_misread(name: str) -> None:
    with pytest.raises(ValueError):
        add_vpn_connection(name, "gw.lab.test", authentication_method="Eap")


def test_every_documented_encryption_level_is_accepted() -> None:
    for level in ("NoEncryption", "Optional", "Required", "Maximum", "Custom"):
        add_vpn_connection("sw", "gw", authentication_method="Eap", encryption_level=level)


def test_eap_flags_must_be_bools() -> None:
    with pytest.raises(ValueError):
        EapTls(user_certificate="yes")  # type: ignore[arg-type]
    with pytest.raises(ValueError):
        EapMsChapV2(use_winlogon_credential=1)  # type: ignore[arg-type]


# --- certificates --------------------------------------------------------------------------


def test_certificate_stores_and_targets() -> None:
    with pytest.raises(ValueError, match="store must be one of"):
        import_certificate(b"x", store="TrustedPeople")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="non-empty bytes"):
        import_certificate(b"")
    with pytest.raises(ValueError, match="target must be one of"):
        import_pfx_certificate(b"x", "pw", target="service")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="needs the test user"):
        import_pfx_certificate(b"x", "pw", target="user")
    with pytest.raises(ValueError, match="only to target='user'"):
        import_pfx_certificate(b"x", "pw", target="machine", user="bob")
    with pytest.raises(ValueError, match="40 hex digits"):
        remove_certificate("zz" * 20, store="My")
    with pytest.raises(ValueError, match="location must be one of"):
        remove_certificate(THUMB, store="My", location="Machine")  # type: ignore[arg-type]


# --- registry ------------------------------------------------------------------------------


@pytest.mark.parametrize("value", [-1, 3, 2**31, True])
def test_negotiate_dh2048_accepts_0_1_2_only(value: int) -> None:
    with pytest.raises(ValueError):
        set_negotiate_dh2048_aes256(value)


@pytest.mark.parametrize(
    ("key", "name", "services"),
    [
        ("HKCU:\\Software\\x", "V", ()),
        ("HKLM:\\", "V", ()),
        ("HKLM:\\SOFTWARE\\\\x", "V", ()),
        ("HKLM:\\SOFTWARE\\x", "", ()),
        ("HKLM:\\SOFTWARE\\x", "V", ("Spooler",)),
        ("HKLM:\\SOFTWARE\\x", "V", ("RasMan", "RasMan")),
    ],
)
def test_registry_dword_refuses(key: str, name: str, services: tuple[str, ...]) -> None:
    with pytest.raises(ValueError):
        set_registry_dword(key, name, 1, restart_services=services)


# --- routes, dial, reach, logs, pktmon -----------------------------------------------------


@pytest.mark.parametrize(
    ("prefix", "metric"),
    [("198.18.0.1/15", None), ("not-a-prefix", None), ("10.0.0.0/8", -1)],
)
def test_route_refuses(prefix: str, metric: int | None) -> None:
    with pytest.raises(ValueError):
        add_vpn_connection_route("sw", prefix, route_metric=metric)


def test_route_sends_the_default_prefix_for_windows_to_refuse() -> None:
    """::/0 goes to the VM: Windows' own refusal is the verdict (CmdletRefused), not ours."""
    script = add_vpn_connection_route("sw", "::/0")
    assert "::/0" in script.text


@pytest.mark.parametrize(
    ("user", "password"),
    [("/x", "pw"), ("u", "/pw"), ("u", "*"), ("", "pw"), ("u" * 257, "pw"), ("u", "p" * 257)],
)
def test_credentials_rasdial_would_misread(user: str, password: str) -> None:
    with pytest.raises(ValueError):
        RasCredentials(user, password)


def test_credentials_repr_hides_the_password() -> None:
    assert "hunter2" not in repr(RasCredentials("alice", "hunter2"))


@pytest.mark.parametrize(
    "kwargs",
    [
        {"methods": ()},
        {"methods": ("rasdial-session", "rasdial-session")},
        {"methods": ("rasdial",)},
        {"methods": ("rasdial-interactive-task",)},
        {"timeout_seconds": 0},
        {"timeout_seconds": 3601},
    ],
)
def test_connect_refuses(kwargs: dict[str, Any]) -> None:
    with pytest.raises(ValueError):
        rasdial_connect("sw", **kwargs)


def test_connect_default_methods_follow_the_documented_order() -> None:
    with_user = rasdial_connect("sw", interactive_user="labuser").text
    assert (
        "$Methods = @('rasdial-session', 'rasdial-interactive-task', 'rasdial-pinvoke')"
        in with_user
    )
    without = rasdial_connect("sw").text
    assert "$Methods = @('rasdial-session', 'rasdial-pinvoke')" in without


def test_disconnect_timeout_bounds() -> None:
    with pytest.raises(ValueError):
        rasdial_disconnect("sw", timeout_seconds=0)


@pytest.mark.parametrize("kwargs", [{"port": 0}, {"port": 65536}, {"count": 0}, {"port": True}])
def test_reach_refuses(kwargs: dict[str, Any]) -> None:
    with pytest.raises(ValueError):
        reachability("198.51.100.1", **kwargs)


def test_state_and_logs_refuse() -> None:
    with pytest.raises(ValueError):
        vpn_state("")
    with pytest.raises(ValueError, match="timezone-aware"):
        collect_logs(datetime(2025, 1, 1))
    with pytest.raises(ValueError):
        collect_logs(datetime.now().astimezone(), max_events=0)


@pytest.mark.parametrize(
    "kwargs",
    [
        {"name": "a b"},
        {"name": "x", "capture_dir": "C:\\Program Files\\x"},
        {"name": "x", "capture_dir": "relative\\dir"},
        {"name": "x", "udp_ports": (0,)},
        {"name": "x", "udp_ports": (), "esp": False},
    ],
)
def test_pktmon_refuses(kwargs: dict[str, Any]) -> None:
    with pytest.raises(ValueError):
        pktmon_start(**kwargs)


def test_pktmon_stop_refuses_bad_names() -> None:
    with pytest.raises(ValueError):
        pktmon_stop("../x")
