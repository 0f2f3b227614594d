"""Credentials of a guest account, read from environment variables the inventory names.

The inventory (a file in version control) holds only the *names* of the variables; their
values come from the CI secret store or the operator's shell. A `Credentials` value never
shows its password in `repr()`, and every error here names the variable, never its value.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field

ENV_NAME_RE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,127}$")


class CredentialError(Exception):
    """A credential variable is missing or empty; the message names the variable."""


@dataclass(frozen=True)
class CredentialNames:
    """Which environment variables hold one account's user name, password and key file.

    `source` says where the names were configured (e.g. "lab.yaml: credentials.ssh"), so
    an error can point at the line to fix.
    """

    user_env: str
    password_env: str | None = None
    key_file_env: str | None = None
    source: str = "inventory"

    def __post_init__(self) -> None:
        for what, name in (
            ("user_env", self.user_env),
            ("password_env", self.password_env),
            ("key_file_env", self.key_file_env),
        ):
            if name is not None and not ENV_NAME_RE.match(name):
                raise ValueError(f"{self.source}: {what} must name an environment variable")
        if self.password_env is None and self.key_file_env is None:
            raise ValueError(f"{self.source}: give password_env, key_file_env or both")


@dataclass(frozen=True)
class Credentials:
    """An account on the guest. `password` and `key_file` may be None (not both)."""

    user: str
    password: str | None = field(default=None, repr=False)
    key_file: str | None = None

    def secrets(self) -> tuple[str, ...]:
        """Values that must be scrubbed from any message."""
        return (self.password,) if self.password else ()


def _read(environ: Mapping[str, str], name: str, names: CredentialNames, what: str) -> str:
    value = environ.get(name, "")
    if not value:
        raise CredentialError(
            f"environment variable {name} ({names.source}.{what}) is not set or empty"
        )
    return value


def resolve_credentials(
    names: CredentialNames, environ: Mapping[str, str] | None = None
) -> Credentials:
    """Read the credentials NAMES points at from ENVIRON (default: os.environ)."""
    env = os.environ if environ is None else environ
    user = _read(env, names.user_env, names, "user_env")
    password = None
    key_file = None
    if names.password_env is not None:
        password = _read(env, names.password_env, names, "password_env")
    if names.key_file_env is not None:
        key_file = _read(env, names.key_file_env, names, "key_file_env")
        if not os.path.isfile(key_file):
            raise CredentialError(
                f"{names.source}.key_file_env: {names.key_file_env} names a file that does "
                "not exist"
            )
    return Credentials(user=user, password=password, key_file=key_file)
