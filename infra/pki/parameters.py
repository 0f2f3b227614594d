"""The validated inputs that define one lab PKI set.

A cache directory holds exactly one set, so these parameters are stored in its index and
compared on every load: a directory made for another gateway name must not be handed out
silently.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from infra.pki.errors import PkiError
from infra.pki.names import validate_dns_name, validate_ip_address, validate_user_name

DEFAULT_GATEWAY_NAME = "gw.example.test"
DEFAULT_GATEWAY_IP = "192.0.2.1"
DEFAULT_MACHINE_NAME = "client1.example.test"
DEFAULT_USER_NAME = "alice@example.test"
DEFAULT_NO_CLIENT_AUTH_USER_NAME = "mallory@example.test"
MISMATCH_NAME = "other.example.test"
"""The only name in the name-mismatch gateway certificate."""


def _names(values: object, argument: str, kind: str) -> tuple[str, ...]:
    if isinstance(values, str | bytes) or not isinstance(values, Sequence):
        raise PkiError(f"{argument}: expected a sequence of names, got {values!r}")
    validate = validate_dns_name if kind == "dns" else validate_user_name
    return tuple(dict.fromkeys(validate(value, argument) for value in values))


@dataclass(frozen=True)
class LabPkiParameters:
    """Gateway name and address plus the client names to issue certificates for."""

    gateway_name: str = DEFAULT_GATEWAY_NAME
    gateway_ip: str = DEFAULT_GATEWAY_IP
    machine_names: tuple[str, ...] = (DEFAULT_MACHINE_NAME,)
    user_names: tuple[str, ...] = (DEFAULT_USER_NAME,)
    no_client_auth_user_names: tuple[str, ...] = (DEFAULT_NO_CLIENT_AUTH_USER_NAME,)

    @staticmethod
    def validated(
        *,
        gateway_name: object,
        gateway_ip: object,
        machine_names: object,
        user_names: object,
        no_client_auth_user_names: object,
    ) -> LabPkiParameters:
        """Check every argument; raise PkiError naming the first bad one."""
        name = validate_dns_name(gateway_name, "gateway_name")
        if name.lower() == MISMATCH_NAME:
            raise PkiError(
                f"gateway_name: must differ from {MISMATCH_NAME!r}, the name the "
                "name-mismatch gateway certificate uses"
            )
        return LabPkiParameters(
            gateway_name=name,
            gateway_ip=validate_ip_address(gateway_ip, "gateway_ip"),
            machine_names=_names(machine_names, "machine_names", "dns"),
            user_names=_names(user_names, "user_names", "user"),
            no_client_auth_user_names=_names(
                no_client_auth_user_names, "no_client_auth_user_names", "user"
            ),
        )

    def to_json(self) -> dict[str, Any]:
        return {
            "gateway_name": self.gateway_name,
            "gateway_ip": self.gateway_ip,
            "machine_names": list(self.machine_names),
            "user_names": list(self.user_names),
            "no_client_auth_user_names": list(self.no_client_auth_user_names),
        }

    @staticmethod
    def from_json(data: Any) -> LabPkiParameters:
        """Inverse of to_json; raises KeyError / TypeError on a malformed index."""
        return LabPkiParameters(
            gateway_name=str(data["gateway_name"]),
            gateway_ip=str(data["gateway_ip"]),
            machine_names=tuple(str(n) for n in data["machine_names"]),
            user_names=tuple(str(n) for n in data["user_names"]),
            no_client_auth_user_names=tuple(str(n) for n in data["no_client_auth_user_names"]),
        )
