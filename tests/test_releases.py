"""One test per difference between strongSwan releases that the lab negotiates
(infra.gateway.releases), and the strongswan.conf each release gets."""

from __future__ import annotations

from pathlib import Path

import pytest

from infra.charon.config import PLUGINS, CharonPaths, strongswan_conf
from infra.gateway import releases
from infra.gateway.builds import BUILDS, root_of, status
from infra.gateway.releases import ReleaseError, check_spec, parse_version
from infra.gateway.spec import ChildSpec, ConnectionSpec, GatewaySpec, RemoteAuth, SpecError

V598, V601, V610 = (5, 9, 8), (6, 0, 1), (6, 1, 0)


def test_versions_parse_from_debian_package_versions() -> None:
    assert parse_version("5.9.8-5+deb12u6") == V598
    assert parse_version("6.0.1-6+deb13u7") == V601
    assert parse_version("1:6.1.0-2") == V610
    assert releases.upstream("6.0.1-6+deb13u7") == "6.0.1"
    with pytest.raises(ReleaseError, match="'charon' is not a strongSwan version"):
        parse_version("charon")


def test_kdf_plugin_only_before_6_0() -> None:
    assert "kdf" in releases.plugins(PLUGINS, V598).split()
    for version in (V601, V610):
        words = releases.plugins(PLUGINS, version).split()
        assert "kdf" not in words
        assert words == [w for w in PLUGINS.split() if w != "kdf"], "order must be kept"


@pytest.mark.parametrize("build", [b for b in BUILDS if not b.is_host], ids=lambda b: b.name)
def test_debian_6_builds_really_ship_no_kdf(build: object) -> None:
    """The fact behind test_kdf_plugin_only_before_6_0, read from the built roots."""
    built = status(build)  # type: ignore[arg-type]
    if not built.ok:
        pytest.skip(f"{built.build.name}: {built.problem}")
    plugins = root_of(built.build) / "usr/lib/ipsec/plugins"
    assert (plugins / "libstrongswan-openssl.so").is_file()
    assert not (plugins / "libstrongswan-kdf.so").exists(), f"{built.package} ships kdf again"


def test_filelog_milliseconds_option_was_renamed_in_6_0() -> None:
    assert releases.filelog_milliseconds(V598) == "time_add_ms = yes"
    assert releases.filelog_milliseconds(V601) == "time_precision = ms"
    assert releases.filelog_milliseconds(V610) == "time_precision = ms"


def test_strongswan_conf_follows_the_release(tmp_path: Path) -> None:
    paths = CharonPaths(tmp_path)
    old, new = strongswan_conf(paths, V598), strongswan_conf(paths, V610)
    assert " kdf " in old and "time_add_ms = yes" in old and "time_precision" not in old
    assert " kdf " not in new and "time_precision = ms" in new and "time_add_ms" not in new


def _spec(proposals: tuple[str, ...] | None = None, child: ChildSpec | None = None) -> GatewaySpec:
    conn = ConnectionSpec(
        "rw", RemoteAuth.PUBKEY, proposals=proposals, children=(child or ChildSpec(),)
    )
    return GatewaySpec("test", (conn,))


def test_ml_kem_keywords_need_6_0() -> None:
    spec = _spec(("aes256-sha384-ecp384-ke1_mlkem768",))
    assert releases.unsupported_keywords("aes256-sha256-mlkem768", V598) == ["mlkem768"]
    assert releases.unsupported_keywords("aes256-sha256-mlkem768", V601) == []
    check_spec(spec, V601)
    with pytest.raises(SpecError, match=r"proposals\[0\]: ke1_mlkem768 needs strongSwan >= 6.0"):
        check_spec(spec, V598)


def test_child_rekey_default_follows_life_time_from_6_0() -> None:
    assert releases.child_rekey_time(V598, None, 1800) == 3600
    assert releases.child_rekey_time(V601, None, 1800) == 1620
    assert releases.child_rekey_time(V598, 600, 1800) == 600
    short_life = _spec(child=ChildSpec(life_time=1800))
    check_spec(short_life, V601)
    with pytest.raises(SpecError, match=r"life_time: 1800 s expires before strongSwan 5.9.8"):
        check_spec(short_life, V598)
