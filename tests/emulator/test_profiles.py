"""Windows build profiles: the shipped ones load, and schema errors name the field."""

from __future__ import annotations

from dataclasses import fields
from pathlib import Path

import pytest

from emulator.profiles import Confidence, ProfileError, available_profiles, load_profile
from emulator.profiles.schema import ProfileOptions

REQUIRED = ("win7", "win81", "win10-1709", "win10-22h2", "win11-23h2")
DATA = Path(__file__).parents[2] / "emulator" / "profiles" / "data"


def test_the_issue_s_profiles_exist_and_load() -> None:
    assert set(REQUIRED) <= set(available_profiles())
    for name in available_profiles():
        profile = load_profile(name)
        assert profile.name == name and profile.description
        assert set(profile.sources) == {f.name for f in fields(ProfileOptions)}
        assert all(s.source for s in profile.sources.values())


def test_builds_differ_where_the_reference_says() -> None:
    frag = {name: load_profile(name).options.frag_sup_in_init for name in REQUIRED}
    assert frag == {
        "win7": False,
        "win81": False,
        "win10-1709": False,
        "win10-22h2": True,
        "win11-23h2": True,
    }
    assert load_profile("win11-23h2").options.ike_proposals == "B"
    assert load_profile("win10-22h2").options.ike_proposals == "A"
    assert load_profile("win7").options.nt5_version == 7
    assert load_profile("win7").source("nt5_version").confidence is Confidence.UNCERTAIN


def test_uncertain_behaviours_are_labelled_uncertain() -> None:
    """Reference section 13: what no source settles stays visibly a guess."""
    profile = load_profile("win10-22h2")
    for option in ("nonce_length", "retransmit_timeouts_s", "dh2048_value1", "nat_keepalive_s"):
        assert profile.source(option).confidence is Confidence.UNCERTAIN, option


def _write(directory: Path, name: str, body: str) -> None:
    (directory / f"{name}.yaml").write_text(body)


@pytest.fixture
def profiles(tmp_path: Path) -> Path:
    (tmp_path / "_windows.yaml").write_text((DATA / "_windows.yaml").read_text())
    return tmp_path


def _load(directory: Path, name: str) -> None:
    load_profile.cache_clear()
    try:
        load_profile(name, directory)
    finally:
        load_profile.cache_clear()


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (
            "options:\n  nonce_length: {value: x, confidence: observed, source: s}\n",
            "bad.yaml: options.nonce_length.value: expected a whole number >= 0, got 'x'",
        ),
        (
            "options:\n  ike_proposals: {value: Z, confidence: observed, source: s}\n",
            "bad.yaml: options.ike_proposals.value: 'Z' is not one of 'A', 'B', 'C'",
        ),
        (
            "options:\n  frag_sup_in_init: {value: true, confidence: sure, source: s}\n",
            "bad.yaml: options.frag_sup_in_init.confidence: 'sure' is not one of",
        ),
        (
            "options:\n  frag_sup_in_init: {value: true, confidence: observed}\n",
            "bad.yaml: options.frag_sup_in_init.source: missing",
        ),
        (
            "options:\n  frag_sup_in_init: {value: true, confidence: observed, source: ' '}\n",
            "options.frag_sup_in_init.source: a non-empty string",
        ),
        (
            "options:\n  nonse_length: {value: 48, confidence: observed, source: s}\n",
            "bad.yaml: options.nonse_length: unknown option",
        ),
        (
            "options:\n  vendor_ids: {value: [], confidence: observed, source: s}\n",
            "options.vendor_ids.value: expected a non-empty list",
        ),
        (
            "options:\n  vendor_ids: {value: [ms-foo], confidence: observed, source: s}\n",
            "options.vendor_ids.value[0]: 'ms-foo' is not one of",
        ),
        ("colour: blue\n", "bad.yaml: colour: unknown key"),
    ],
    ids=[
        "wrong-type",
        "not-a-choice",
        "bad-confidence",
        "no-source",
        "empty-source",
        "unknown-option",
        "empty-list",
        "bad-list-item",
        "unknown-top-key",
    ],
)
def test_schema_errors_name_the_file_and_field(profiles: Path, body: str, message: str) -> None:
    _write(profiles, "bad", f"name: bad\ndescription: d\nextends: _windows\n{body}")
    with pytest.raises(ProfileError, match=None) as caught:
        _load(profiles, "bad")
    assert message in str(caught.value)


def test_a_profile_without_a_base_must_list_every_option(profiles: Path) -> None:
    _write(profiles, "bare", "name: bare\ndescription: d\noptions: {}\n")
    with pytest.raises(ProfileError, match=r"bare.yaml: options.frag_sup_in_init: missing"):
        _load(profiles, "bare")


def test_extends_cycle_and_name_mismatch(profiles: Path) -> None:
    _write(profiles, "a", "name: a\ndescription: d\nextends: b\n")
    _write(profiles, "b", "name: b\ndescription: d\nextends: a\n")
    with pytest.raises(ProfileError, match="extends: cycle"):
        _load(profiles, "a")
    _write(profiles, "c", "name: other\ndescription: d\nextends: _windows\n")
    with pytest.raises(ProfileError, match="name: must equal the file name 'c'"):
        _load(profiles, "c")


def test_unknown_profile_lists_the_known_ones(profiles: Path) -> None:
    _write(profiles, "win-x", "name: win-x\ndescription: d\nextends: _windows\n")
    with pytest.raises(ProfileError, match=r"no profile 'win-y' \(known: win-x\)"):
        _load(profiles, "win-y")
