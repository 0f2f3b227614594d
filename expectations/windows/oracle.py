"""The Windows behaviour oracle: what each Windows build does, as data with its evidence.

Why it exists apart from the emulator: the suites grade the emulated client (and real
Windows VMs) against it, so it must not be the emulator's own profile, or a bug in a profile
would make its own test pass. Every fact is restated from windows-client-behavior.md (the
reference) with the reference section, its source and a confidence label; the emulator's
profiles are checked against it by a unit test (tests/test_oracle_profiles.py), not the other
way round.

Data: ``builds.yaml`` names the builds; every other ``*.yaml`` in this folder is a topic with
facts, each with a ``default`` and optional per-build overrides. ``expect(build, fact)`` is the
one way to read it; a call made while ``recording()`` is active (the results plugin opens one
per test) is remembered, so a test's result names every fact its expectation rested on and the
report can mark cells that rest on an uncertain one.
"""

from __future__ import annotations

import contextlib
import contextvars
import enum
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import yaml

DATA = Path(__file__).parent
_FACT_KEYS = {"section", "says", "profile_option", "default", "builds"}
_VALUE_KEYS = {"value", "confidence", "source"}


class Confidence(enum.StrEnum):
    """The labels of windows-client-behavior.md section 0.1."""

    DOCUMENTED = "documented"
    OBSERVED = "observed"
    OBSERVED_REVERSE_ENGINEERED = "observed-reverse-engineered"
    UNCERTAIN = "uncertain"


class OracleError(ValueError):
    """The oracle data does not fit its schema, or a fact or build is unknown."""


@dataclass(frozen=True)
class Expectation:
    """What one Windows build does in one situation, and how sure the reference is."""

    build: str
    fact: str
    value: Any
    confidence: Confidence
    source: str
    section: str
    says: str

    @property
    def uncertain(self) -> bool:
        return self.confidence is Confidence.UNCERTAIN

    def as_int(self) -> int:
        if isinstance(self.value, bool) or not isinstance(self.value, int):
            raise OracleError(f"{self.fact} for {self.build}: expected a number, is {self.value!r}")
        return int(self.value)

    def as_bool(self) -> bool:
        if not isinstance(self.value, bool):
            raise OracleError(f"{self.fact} for {self.build}: expected a bool, is {self.value!r}")
        return self.value

    def as_str(self) -> str:
        if not isinstance(self.value, str):
            raise OracleError(f"{self.fact} for {self.build}: expected a text, is {self.value!r}")
        return self.value

    def as_error(self) -> int | None:
        """A Windows error number, or None where Windows connects."""
        return None if self.value is None else self.as_int()

    def cite(self) -> str:
        """One line for a failure message: the fact, its confidence and source."""
        return f"{self.says} ({self.confidence.value}; {self.source})"

    def record(self) -> dict[str, Any]:
        """The JSON form kept in result.json (reports/SCHEMA.md, `expectations`)."""
        return {
            "build": self.build,
            "fact": self.fact,
            "value": self.value,
            "confidence": self.confidence.value,
            "source": self.source,
            "section": self.section,
            "says": self.says,
        }


@dataclass(frozen=True)
class Fact:
    """One fact of a topic file: its default and per-build values."""

    name: str
    topic: str
    section: str
    says: str
    profile_option: str | None
    default: tuple[Any, Confidence, str]
    builds: Mapping[str, tuple[Any, Confidence, str]]

    def for_build(self, build: str) -> Expectation:
        value, confidence, source = self.builds.get(build, self.default)
        return Expectation(build, self.name, value, confidence, source, self.section, self.says)


def _value(where: str, raw: Any) -> tuple[Any, Confidence, str]:
    if not isinstance(raw, dict) or set(raw) != _VALUE_KEYS:
        raise OracleError(f"{where}: expected exactly the keys {sorted(_VALUE_KEYS)}")
    try:
        confidence = Confidence(raw["confidence"])
    except ValueError:
        raise OracleError(f"{where}: unknown confidence {raw['confidence']!r}") from None
    if not isinstance(raw["source"], str) or not raw["source"].strip():
        raise OracleError(f"{where}: a source is required")
    value = tuple(raw["value"]) if isinstance(raw["value"], list) else raw["value"]
    return value, confidence, raw["source"]


def _fact(path: Path, topic: str, name: str, raw: Any, builds: set[str]) -> Fact:
    where = f"{path.name}: fact {name}"
    if not isinstance(raw, dict) or not {"section", "says", "default"} <= set(raw):
        raise OracleError(f"{where}: needs section, says and default")
    if set(raw) - _FACT_KEYS:
        raise OracleError(f"{where}: unknown keys {sorted(set(raw) - _FACT_KEYS)}")
    overrides = raw.get("builds") or {}
    unknown = set(overrides) - builds
    if unknown:
        raise OracleError(f"{where}: unknown builds {sorted(unknown)} (see builds.yaml)")
    return Fact(
        name=name,
        topic=topic,
        section=str(raw["section"]),
        says=str(raw["says"]),
        profile_option=raw.get("profile_option"),
        default=_value(f"{where} default", raw["default"]),
        builds={b: _value(f"{where} builds.{b}", v) for b, v in overrides.items()},
    )


@cache
def builds() -> tuple[str, ...]:
    """The Windows builds the oracle speaks for, oldest first."""
    raw = yaml.safe_load((DATA / "builds.yaml").read_text())
    if not isinstance(raw, dict) or not isinstance(raw.get("builds"), dict):
        raise OracleError("builds.yaml: expected a mapping `builds`")
    return tuple(raw["builds"])


@cache
def facts() -> Mapping[str, Fact]:
    """Every fact of every topic file, by name (names are unique across topics)."""
    known = set(builds())
    found: dict[str, Fact] = {}
    for path in sorted(DATA.glob("*.yaml")):
        if path.name == "builds.yaml":
            continue
        raw = yaml.safe_load(path.read_text())
        if not isinstance(raw, dict) or not isinstance(raw.get("facts"), dict):
            raise OracleError(f"{path.name}: expected `topic` and a mapping `facts`")
        topic = str(raw.get("topic", path.stem))
        for name, body in raw["facts"].items():
            if name in found:
                raise OracleError(f"{path.name}: fact {name} is also in {found[name].topic}")
            found[name] = _fact(path, topic, name, body, known)
    return found


_consulted: contextvars.ContextVar[list[Expectation] | None] = contextvars.ContextVar(
    "winterop_oracle_consulted", default=None
)


def expect(build: str, fact: str) -> Expectation:
    """What BUILD does as FACT says; remembered by an active ``recording()``."""
    if build not in builds():
        raise OracleError(f"unknown Windows build {build!r}; the oracle knows {builds()}")
    try:
        expectation = facts()[fact].for_build(build)
    except KeyError:
        raise OracleError(f"unknown fact {fact!r}") from None
    consulted = _consulted.get()
    if consulted is not None and expectation not in consulted:
        consulted.append(expectation)
    return expectation


@contextlib.contextmanager
def recording() -> Iterator[list[Expectation]]:
    """Collect the expectations consulted inside the block (one test's)."""
    consulted: list[Expectation] = []
    token = _consulted.set(consulted)
    try:
        yield consulted
    finally:
        _consulted.reset(token)
