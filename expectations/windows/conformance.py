"""Does a client model agree with the oracle? The check behind tests/test_oracle_profiles.py.

Why here and not in the emulator: the oracle judges the model, so the rule lives with the
oracle and takes the model's values as plain data (option name -> value and the confidence
label the model gives it); it never imports the emulator. The rule:

- a documented or observed fact: the model must hold the same value (a contradiction fails);
- an uncertain fact: the model may pick either side, but must label its choice uncertain too,
  so that nobody reads the model's value as settled (a note, shown by the test; an unlabelled
  choice fails).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from expectations.windows.oracle import Confidence, facts


@dataclass(frozen=True)
class ModelValue:
    """One option of a client model: its value and the confidence label it carries."""

    value: Any
    confidence: str


@dataclass(frozen=True)
class Finding:
    """A difference between a model and the oracle; `fails` says whether it is an error."""

    build: str
    fact: str
    option: str
    fails: bool
    message: str


def _normal(value: Any) -> Any:
    return tuple(value) if isinstance(value, list) else value


def check_model(build: str, options: Mapping[str, ModelValue]) -> list[Finding]:
    """Every finding for BUILD's model against each oracle fact that names a model option."""
    found: list[Finding] = []
    for fact in facts().values():
        if fact.profile_option is None:
            continue
        expected = fact.for_build(build)
        option = fact.profile_option
        model = options.get(option)
        if model is None:
            found.append(Finding(build, fact.name, option, True, "the model has no such option"))
            continue
        same = _normal(model.value) == _normal(expected.value)
        where = f"{build}: {option} = {model.value!r} ({model.confidence})"
        if not expected.uncertain:
            if not same:
                message = f"{where} contradicts the oracle's {expected.value!r}: {expected.cite()}"
                found.append(Finding(build, fact.name, option, True, message))
            continue
        if model.confidence != Confidence.UNCERTAIN.value:
            message = (
                f"{where} picks a side of an uncertain fact without saying so "
                f"(label it uncertain): {expected.cite()}"
            )
            found.append(Finding(build, fact.name, option, True, message))
            continue
        side = "the oracle's default side" if same else f"not the oracle's {expected.value!r}"
        message = f"{where}, uncertain, {side}: {expected.cite()}"
        found.append(Finding(build, fact.name, option, False, message))
    return found
