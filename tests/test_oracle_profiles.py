"""The emulator's build profiles are graded against the Windows behaviour oracle.

The oracle (expectations/windows) is where the suites' expectations come from; a profile
that contradicts a documented or observed fact there fails here, and one that picks a side
of an uncertain fact must label that option uncertain (the notes are printed with -rP).
"""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path

import pytest

from emulator.profiles import Confidence, OptionSource, Profile, available_profiles, load_profile
from emulator.profiles.schema import ProfileOptions
from expectations.windows.conformance import ModelValue, check_model
from expectations.windows.oracle import builds, expect, facts, recording


def _model(profile: Profile) -> dict[str, ModelValue]:
    options = dataclasses.asdict(profile.options)
    return {
        name: ModelValue(value, profile.source(name).confidence.value)
        for name, value in options.items()
    }


def test_every_profile_is_a_build_of_the_oracle_and_back() -> None:
    assert set(available_profiles()) == set(builds())


def test_every_profile_option_named_by_the_oracle_exists() -> None:
    fields = {f.name for f in dataclasses.fields(ProfileOptions)}
    named = {f.profile_option for f in facts().values() if f.profile_option}
    assert named <= fields, f"oracle names unknown profile options {sorted(named - fields)}"


@pytest.mark.parametrize("build", available_profiles())
def test_profile_agrees_with_the_oracle(build: str) -> None:
    findings = check_model(build, _model(load_profile(build)))
    for note in (f for f in findings if not f.fails):
        print("note:", note.message)
    failures = [f.message for f in findings if f.fails]
    assert not failures, "\n".join(failures)


def _flipped(profile: Profile, option: str, value: object, confidence: Confidence) -> Profile:
    """A copy of PROFILE with one option changed, as someone editing its YAML would."""
    options = dataclasses.replace(profile.options, **{option: value})
    sources = {**profile.sources, option: OptionSource(confidence, "edited copy")}
    return dataclasses.replace(profile, options=options, sources=sources)


def test_a_flipped_documented_option_fails() -> None:
    """win10-22h2 without N(FRAG_SUP) contradicts the documented 1803+ fragmentation fact."""
    copy = _flipped(load_profile("win10-22h2"), "frag_sup_in_init", False, Confidence.DOCUMENTED)
    [finding] = [f for f in check_model("win10-22h2", _model(copy)) if f.fails]
    assert finding.fact == "init_announces_fragmentation"
    assert "contradicts the oracle's True" in finding.message and "[SW-WC]" in finding.message


def test_a_side_of_an_uncertain_fact_must_say_so() -> None:
    """13887 for an untrusted root is a possible side of an uncertain fact: fine while the
    profile labels it uncertain, an error when it claims the value is documented."""
    base = load_profile("win11-23h2")
    labelled = _flipped(base, "untrusted_root_error", 13887, Confidence.UNCERTAIN)
    notes = [
        f for f in check_model("win11-23h2", _model(labelled)) if f.option == "untrusted_root_error"
    ]
    assert [f.fails for f in notes] == [False] and "not the oracle's 13801" in notes[0].message
    claimed = _flipped(base, "untrusted_root_error", 13887, Confidence.DOCUMENTED)
    [finding] = [f for f in check_model("win11-23h2", _model(claimed)) if f.fails]
    assert "picks a side of an uncertain fact" in finding.message


def test_a_profile_missing_an_option_fails() -> None:
    model = _model(load_profile("win81"))
    del model["nt5_version"]
    [finding] = [f for f in check_model("win81", model) if f.fails]
    assert finding.option == "nt5_version"


def test_consulted_facts_are_recorded_once_per_block() -> None:
    expect("win7", "nt5_vendor_id_version")  # outside a recording: remembered nowhere
    with recording() as consulted:
        expect("win7", "nt5_vendor_id_version")
        expect("win7", "nt5_vendor_id_version")
        expect("win11-23h2", "default_ike_proposal_set")
    assert [(e.build, e.fact, e.uncertain) for e in consulted] == [
        ("win7", "nt5_vendor_id_version", True),
        ("win11-23h2", "default_ike_proposal_set", False),
    ]


def test_oracle_data_errors_name_the_file_and_fact(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from expectations.windows import oracle

    (tmp_path / "builds.yaml").write_text("builds: {win7: {}}\n")
    (tmp_path / "bad.yaml").write_text(
        "topic: bad\nfacts:\n  x:\n    section: '1'\n    says: s\n"
        "    default: {value: 1, confidence: maybe, source: s}\n"
    )
    monkeypatch.setattr(oracle, "DATA", tmp_path)
    oracle.builds.cache_clear()
    oracle.facts.cache_clear()
    try:
        with pytest.raises(
            oracle.OracleError, match=re.escape("bad.yaml: fact x default: unknown confidence")
        ):
            oracle.facts()
    finally:
        oracle.builds.cache_clear()
        oracle.facts.cache_clear()
