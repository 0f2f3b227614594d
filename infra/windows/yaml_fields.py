"""Read hand-written YAML so that every complaint names the file, the line and the field.

PyYAML's `safe_load` returns plain values and forgets where they came from; an operator
fixing a config file needs `lab.yaml:14: images[0].build: ...`. `FieldReader` therefore
walks the composed nodes (which keep their line) and checks each value as it converts
it. Only plain scalar tags are accepted, so a file cannot build arbitrary objects. The
schema that uses it is infra/windows/inventory.py.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import yaml
from yaml.constructor import ConstructorError, SafeConstructor
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from infra.windows.transports.credentials import ENV_NAME_RE

_PLAIN_TAGS = {
    "tag:yaml.org,2002:str",
    "tag:yaml.org,2002:int",
    "tag:yaml.org,2002:bool",
    "tag:yaml.org,2002:null",
    "tag:yaml.org,2002:float",
    "tag:yaml.org,2002:timestamp",
}


class FieldError(Exception):
    """A YAML file's value is unusable; `str()` reads `FILE:LINE: FIELD: what is wrong`."""

    def __init__(self, path: str, line: int | None, field: str, message: str) -> None:
        where = f"{path}:{line}" if line is not None else path
        super().__init__(f"{where}: {field}: {message}" if field else f"{where}: {message}")
        self.path = path
        self.line = line
        self.field = field


T = TypeVar("T")


class FieldReader:
    """Walks composed YAML nodes, so every error can carry the node's line.

    ERROR is the FieldError subclass raised, so that callers can catch their own file's
    errors (the inventory's are InventoryError).
    """

    def __init__(self, path: str, error: type[FieldError] = FieldError) -> None:
        self.path = path
        self.error = error
        self._constructor = SafeConstructor()

    def compose(self, text: str) -> Node:
        """TEXT's YAML as nodes (which keep their line); an error for bad YAML or none."""
        try:
            root = yaml.compose(text, Loader=yaml.SafeLoader)
        except yaml.MarkedYAMLError as exc:
            mark = exc.problem_mark or exc.context_mark
            line = None if mark is None else mark.line + 1
            raise self.error(self.path, line, "", f"not valid YAML: {exc.problem or exc}") from None
        except yaml.YAMLError as exc:
            raise self.error(self.path, None, "", f"not valid YAML: {exc}") from None
        if root is None:
            raise self.error(self.path, None, "", "the file is empty")
        return root

    def fail(self, node: Node | None, field: str, message: str) -> FieldError:
        line = None if node is None else node.start_mark.line + 1
        return self.error(self.path, line, field, message)

    def mapping(
        self, node: Node, field: str, required: tuple[str, ...], optional: tuple[str, ...] = ()
    ) -> dict[str, Node]:
        if not isinstance(node, MappingNode):
            raise self.fail(node, field or "(top level)", "expected a mapping (key: value lines)")
        out: dict[str, Node] = {}
        for key_node, value_node in node.value:
            key = self.scalar(key_node, f"{field} key")
            where = f"{field}.{key}" if field else str(key)
            if not isinstance(key, str):
                raise self.fail(key_node, where, "keys must be text")
            if key in out:
                raise self.fail(key_node, where, "given twice")
            if key not in required and key not in optional:
                allowed = ", ".join((*required, *optional))
                raise self.fail(key_node, where, f"unknown key; allowed here: {allowed}")
            out[key] = value_node
        missing = [k for k in required if k not in out]
        if missing:
            raise self.fail(node, field or "(top level)", f"missing {', '.join(missing)}")
        return out

    def sequence(self, node: Node, field: str, *, min_items: int = 0) -> list[Node]:
        if not isinstance(node, SequenceNode):
            raise self.fail(node, field, "expected a list")
        if len(node.value) < min_items:
            raise self.fail(
                node, field, f"needs at least {min_items} entr{'y' if min_items == 1 else 'ies'}"
            )
        return list(node.value)

    def scalar(self, node: Node, field: str) -> Any:
        if not isinstance(node, ScalarNode):
            raise self.fail(node, field, "expected a single value")
        if node.tag not in _PLAIN_TAGS:
            raise self.fail(node, field, f"tag {node.tag} is not allowed")
        try:
            return self._constructor.construct_object(node)
        except (ConstructorError, ValueError) as exc:
            raise self.fail(node, field, f"cannot read the value ({exc})") from None

    def text(
        self, node: Node, field: str, pattern: re.Pattern[str] | None = None, hint: str = ""
    ) -> str:
        value = self.scalar(node, field)
        if not isinstance(value, str) or not value:
            raise self.fail(node, field, f"expected text{': ' + hint if hint else ''}")
        if pattern is not None and not pattern.match(value):
            raise self.fail(node, field, f"{value!r} is not valid: expected {hint}")
        return value

    def integer(self, node: Node, field: str, low: int, high: int) -> int:
        value = self.scalar(node, field)
        if isinstance(value, bool) or not isinstance(value, int):
            raise self.fail(node, field, f"expected a whole number from {low} to {high}")
        if not low <= value <= high:
            raise self.fail(node, field, f"{value} is out of range {low}-{high}")
        return int(value)

    def number(self, node: Node, field: str, low: float, high: float) -> float:
        value = self.scalar(node, field)
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise self.fail(node, field, f"expected a number of seconds from {low:g} to {high:g}")
        if not low <= value <= high:
            raise self.fail(node, field, f"{value} is out of range {low:g}-{high:g}")
        return float(value)

    def flag(self, node: Node, field: str) -> bool:
        value = self.scalar(node, field)
        if not isinstance(value, bool):
            raise self.fail(node, field, "expected true or false")
        return value

    def choice(self, node: Node, field: str, allowed: tuple[T, ...]) -> T:
        value = self.scalar(node, field)
        for option in allowed:
            if value == option:
                return option
        raise self.fail(node, field, f"{value!r} is not one of {', '.join(map(str, allowed))}")

    def env_name(self, node: Node, field: str) -> str:
        value = self.scalar(node, field)
        # The value is not echoed: a mistaken entry may be the secret itself.
        if not isinstance(value, str) or not ENV_NAME_RE.match(value):
            raise self.fail(
                node,
                field,
                "must be the NAME of an environment variable (letters, digits, _), "
                "not the credential itself",
            )
        return value

    def file(self, node: Node, field: str, base: Path) -> str:
        value = self.text(node, field, hint="a file path")
        path = Path(value) if Path(value).is_absolute() else base / value
        if not path.is_file():
            raise self.fail(node, field, f"no such file: {path}")
        return str(path)

    def unique(self, items: list[tuple[str, Node]], field: str) -> None:
        seen: set[str] = set()
        for name, node in items:
            if name in seen:
                raise self.fail(node, field, f"{name!r} is used twice")
            seen.add(name)


def optional(m: dict[str, Node], key: str, read: Callable[[Node], T], default: T) -> T:
    """READ(M[KEY]) if the mapping has KEY, else DEFAULT (an optional key's value)."""
    return read(m[key]) if key in m else default
