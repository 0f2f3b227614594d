"""The debugging command line: argument handling (dialling needs a lab; the suites do that)."""

from __future__ import annotations

import pytest

from emulator.cli import PASSWORD_ENV, _credentials, _parser, _policy


def test_ipsec_policy_takes_the_six_cmdlet_values() -> None:
    policy = _policy(
        "auth=GCMAES256,cipher=GCMAES256,dh=ECP384,encryption=GCMAES256,integrity=SHA384,pfs=None"
    )
    assert policy.dh_group == "ECP384" and policy.pfs_group == "None"
    with pytest.raises(SystemExit, match=r"missing \['pfs'\]"):
        _policy("auth=SHA196,cipher=AES256,dh=Group14,encryption=AES256,integrity=SHA256")


def test_profiles_are_the_shipped_ones() -> None:
    parser = _parser()
    args = parser.parse_args(["--profile", "win7", "--server", "192.0.2.1"])
    assert args.profile == "win7" and args.encryption_level == "Required"
    with pytest.raises(SystemExit):
        parser.parse_args(["--profile", "win98", "--server", "192.0.2.1"])


def test_eap_password_comes_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    parser = _parser()
    argv = ["--profile", "win10-22h2", "--server", "192.0.2.1", "--auth", "eap-mschapv2"]
    args = parser.parse_args([*argv, "--user", "alice", "--domain", "DOMAIN"])
    monkeypatch.delenv(PASSWORD_ENV, raising=False)
    with pytest.raises(SystemExit, match=PASSWORD_ENV):
        _credentials(args)
    monkeypatch.setenv(PASSWORD_ENV, "pw-1")
    credentials = _credentials(args)
    assert credentials is not None and (credentials.user, credentials.domain) == ("alice", "DOMAIN")
    assert _credentials(parser.parse_args(argv)) is None
