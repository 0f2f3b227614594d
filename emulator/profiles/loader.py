"""Load and validate profile YAML files (``emulator/profiles/data/*.yaml``).

A file has ``name``, ``description``, an optional ``extends`` (another file's name, whose
options it inherits and may override) and ``options``: one entry per field of
:class:`ProfileOptions`, each ``{value, confidence, source}``. Files whose name starts
with ``_`` are bases, not selectable profiles. Every error names the file and the field
path, e.g. ``win10-22h2.yaml: options.nonce_length.value: expected an integer, got 'x'``.
"""

from __future__ import annotations

import functools
import types
import typing
from dataclasses import fields
from pathlib import Path
from typing import Any

import yaml

from emulator.profiles.schema import Confidence, OptionSource, Profile, ProfileOptions

DATA_DIR = Path(__file__).parent / "data"
_TOP_KEYS = {"name", "description", "extends", "options"}
_ENTRY_KEYS = {"value", "confidence", "source"}


class ProfileError(ValueError):
    """A profile file is missing, unreadable or does not match the schema."""


def available_profiles(directory: Path = DATA_DIR) -> tuple[str, ...]:
    """Selectable profile names, sorted (bases starting with ``_`` excluded)."""
    return tuple(sorted(p.stem for p in directory.glob("*.yaml") if not p.stem.startswith("_")))


@functools.cache
def load_profile(name: str, directory: Path = DATA_DIR) -> Profile:
    """The validated profile NAME (cached: profiles are immutable)."""
    raw = _resolve(name, directory, ())
    where = f"{name}.yaml"
    if raw.get("name") != name:
        raise ProfileError(f"{where}: name: must equal the file name {name!r}")
    description = raw.get("description")
    if not isinstance(description, str) or not description.strip():
        raise ProfileError(f"{where}: description: a non-empty string is required")
    values: dict[str, Any] = {}
    sources: dict[str, OptionSource] = {}
    hints = typing.get_type_hints(ProfileOptions)
    options = raw["options"]
    for spec in fields(ProfileOptions):
        origin = options.get(spec.name)
        if origin is None:
            raise ProfileError(f"{where}: options.{spec.name}: missing ({spec.metadata['help']})")
        entry, file = origin
        path = f"{file}: options.{spec.name}"
        values[spec.name] = _check_value(f"{path}.value", entry["value"], hints[spec.name])
        sources[spec.name] = _check_source(path, entry)
    return Profile(name, description.strip(), ProfileOptions(**values), sources)


def _read(name: str, directory: Path) -> dict[str, Any]:
    path = directory / f"{name}.yaml"
    try:
        data = yaml.safe_load(path.read_text())
    except FileNotFoundError:
        known = ", ".join(available_profiles(directory))
        raise ProfileError(f"no profile {name!r} (known: {known})") from None
    except yaml.YAMLError as exc:
        raise ProfileError(f"{path.name}: not valid YAML: {exc}") from None
    if not isinstance(data, dict):
        raise ProfileError(f"{path.name}: expected a mapping at the top level")
    unknown = sorted(set(data) - _TOP_KEYS)
    if unknown:
        raise ProfileError(f"{path.name}: {unknown[0]}: unknown key (allowed: {sorted(_TOP_KEYS)})")
    return data


def _resolve(name: str, directory: Path, chain: tuple[str, ...]) -> dict[str, Any]:
    """The file's keys, with ``options`` merged over its bases: option -> (entry, file)."""
    if name in chain:
        raise ProfileError(f"{name}.yaml: extends: cycle {' -> '.join((*chain, name))}")
    data = _read(name, directory)
    where = f"{name}.yaml"
    own = data.get("options", {})
    if not isinstance(own, dict):
        raise ProfileError(f"{where}: options: expected a mapping of option names")
    known = {f.name for f in fields(ProfileOptions)}
    merged: dict[str, tuple[dict[str, Any], str]] = {}
    base = data.get("extends")
    if base is not None:
        if not isinstance(base, str):
            raise ProfileError(f"{where}: extends: expected a profile name")
        merged.update(_resolve(base, directory, (*chain, name))["options"])
    for option, entry in own.items():
        path = f"{where}: options.{option}"
        if option not in known:
            raise ProfileError(f"{path}: unknown option")
        if not isinstance(entry, dict):
            raise ProfileError(f"{path}: expected a mapping with {sorted(_ENTRY_KEYS)}")
        extra = sorted(set(entry) - _ENTRY_KEYS)
        missing = sorted(_ENTRY_KEYS - set(entry))
        if extra:
            raise ProfileError(f"{path}.{extra[0]}: unknown key (allowed: {sorted(_ENTRY_KEYS)})")
        if missing:
            raise ProfileError(f"{path}.{missing[0]}: missing")
        merged[option] = (entry, where)
    return {**data, "options": merged}


def _check_source(path: str, entry: dict[str, Any]) -> OptionSource:
    try:
        confidence = Confidence(entry["confidence"])
    except ValueError:
        allowed = ", ".join(c.value for c in Confidence)
        raise ProfileError(
            f"{path}.confidence: {entry['confidence']!r} is not one of {allowed}"
        ) from None
    source = entry["source"]
    if not isinstance(source, str) or not source.strip():
        raise ProfileError(f"{path}.source: a non-empty string naming the source is required")
    return OptionSource(confidence, source.strip())


def _check_value(path: str, value: Any, hint: Any) -> Any:
    """VALUE converted to the field's type, or ProfileError naming PATH."""
    origin = typing.get_origin(hint)
    if hint is bool:
        if not isinstance(value, bool):
            raise ProfileError(f"{path}: expected true or false, got {value!r}")
        return value
    if hint is int:
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            raise ProfileError(f"{path}: expected a whole number >= 0, got {value!r}")
        return value
    if hint is float:
        if isinstance(value, bool) or not isinstance(value, int | float) or value < 0:
            raise ProfileError(f"{path}: expected a number >= 0, got {value!r}")
        return float(value)
    if hint is str:
        if not isinstance(value, str) or not value.strip():
            raise ProfileError(f"{path}: expected a non-empty string, got {value!r}")
        return value
    if origin is typing.Literal:
        choices = typing.get_args(hint)
        if value not in choices:
            allowed = ", ".join(repr(c) for c in choices)
            raise ProfileError(f"{path}: {value!r} is not one of {allowed}")
        return value
    if origin is tuple:
        item = typing.get_args(hint)[0]
        if not isinstance(value, list) or not value:
            raise ProfileError(f"{path}: expected a non-empty list, got {value!r}")
        return tuple(_check_value(f"{path}[{i}]", v, item) for i, v in enumerate(value))
    if isinstance(hint, types.UnionType):  # pragma: no cover - no such field yet
        raise ProfileError(f"{path}: union types are not supported by the schema")
    raise ProfileError(f"{path}: the schema has no rule for {hint!r}")
