"""LabPki: the cached certificate set every test session shares."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from pathlib import Path
from types import MappingProxyType

from infra.pki import store
from infra.pki.errors import PkiError
from infra.pki.material import PkiMaterial
from infra.pki.parameters import (
    DEFAULT_GATEWAY_IP,
    DEFAULT_GATEWAY_NAME,
    DEFAULT_MACHINE_NAME,
    DEFAULT_NO_CLIENT_AUTH_USER_NAME,
    DEFAULT_USER_NAME,
    LabPkiParameters,
)
from infra.pki.plan import (
    ECDSA_CA,
    FILLER_CAS,
    ROOT_CA,
    UNTRUSTED_CA,
    entry_specs,
    filler_ca_entry,
    gateway_entry,
    generate_set,
    machine_entry,
    no_client_auth_user_entry,
    user_entry,
)
from infra.pki.variants import GatewayCertVariant


class LabPki:
    """The lab's CAs, gateway certificates (good and deliberately broken) and client
    certificates, generated once per cache directory and loaded from it afterwards.

    Build it with load_or_create(); every lookup afterwards is a dictionary access.
    """

    def __init__(
        self, directory: Path, parameters: LabPkiParameters, materials: Sequence[PkiMaterial]
    ) -> None:
        self._directory = directory
        self._parameters = parameters
        self._entries = MappingProxyType({m.name: m for m in materials})

    @classmethod
    def load_or_create(
        cls,
        directory: Path | str,
        *,
        gateway_name: str = DEFAULT_GATEWAY_NAME,
        gateway_ip: str = DEFAULT_GATEWAY_IP,
        machine_names: Sequence[str] = (DEFAULT_MACHINE_NAME,),
        user_names: Sequence[str] = (DEFAULT_USER_NAME,),
        no_client_auth_user_names: Sequence[str] = (DEFAULT_NO_CLIENT_AUTH_USER_NAME,),
    ) -> LabPki:
        """Load the set stored in `directory`, generating and storing it first if needed.

        Safe to call from several processes at once (pytest-xdist workers): an flock inside
        the directory lets exactly one of them generate while the others wait and then load
        the same files. Raises PkiError for bad arguments, and when `directory` already
        holds a set made with other parameters.
        """
        if not isinstance(directory, Path | str) or not str(directory):
            raise PkiError(f"directory: expected a path, got {directory!r}")
        directory = Path(directory)
        params = LabPkiParameters.validated(
            gateway_name=gateway_name,
            gateway_ip=gateway_ip,
            machine_names=machine_names,
            user_names=user_names,
            no_client_auth_user_names=no_client_auth_user_names,
        )
        now = datetime.now(UTC)
        expected = {spec.name for spec in entry_specs(params, now)}
        with store.directory_lock(directory):
            materials = store.load_set(directory, params, now)
            if materials is None or {m.name for m in materials} != expected:
                materials = generate_set(params, now)
                store.save_set(directory, params, now, materials)
        return cls(directory, params, materials)

    # -- the set as a whole -------------------------------------------------------------

    @property
    def directory(self) -> Path:
        return self._directory

    @property
    def parameters(self) -> LabPkiParameters:
        return self._parameters

    @property
    def gateway_name(self) -> str:
        return self._parameters.gateway_name

    @property
    def gateway_ip(self) -> str:
        return self._parameters.gateway_ip

    @property
    def entries(self) -> Mapping[str, PkiMaterial]:
        """Every entry by name (read-only)."""
        return self._entries

    def cert_path(self, material: PkiMaterial) -> Path:
        """The PEM certificate file of an entry, for tools that want a path."""
        return self._directory / store.cert_file(self._get(material.name, "material").name)

    def key_path(self, material: PkiMaterial) -> Path:
        """The PKCS#8 PEM key file of an entry (mode 0600)."""
        return self._directory / store.key_file(self._get(material.name, "material").name)

    def issuer_of(self, material: PkiMaterial) -> PkiMaterial:
        """The CA entry that issued `material` (itself for a root)."""
        return self._get(material.issuer_name, "material")

    def issuers_of(self, material: PkiMaterial) -> tuple[PkiMaterial, ...]:
        """The CAs above `material`, its issuer first and its root last (empty for a root)."""
        chain: list[PkiMaterial] = []
        current = material
        while current.issuer_name != current.name:
            current = self.issuer_of(current)
            chain.append(current)
        return tuple(chain)

    def intermediates_of(self, material: PkiMaterial) -> tuple[PkiMaterial, ...]:
        """The intermediate CAs between `material` and its root (what a peer must send)."""
        return self.issuers_of(material)[:-1]

    def roots_for(self, gateway: PkiMaterial) -> tuple[PkiMaterial, ...]:
        """The roots a client trusts when the gateway presents GATEWAY: trusted_roots, plus
        the root of a chain outside them (the RSA-4096 chain's). Only then: every extra
        root adds a CERTREQ hash to the IKE_AUTH of every other test."""
        chain = self.issuers_of(gateway)
        root = chain[-1] if chain else gateway
        if root in self.trusted_roots or root == self.untrusted_ca:
            return self.trusted_roots
        return (*self.trusted_roots, root)

    # -- CAs --------------------------------------------------------------------------

    @property
    def root_ca(self) -> PkiMaterial:
        """RSA-2048 root that issues the RSA gateway and all client certificates."""
        return self._entries[ROOT_CA]

    @property
    def ecdsa_ca(self) -> PkiMaterial:
        """P-256 root that issues the ECDSA and P-521 gateway certificates."""
        return self._entries[ECDSA_CA]

    @property
    def untrusted_ca(self) -> PkiMaterial:
        """RSA root that no test installs as trusted; issues the untrusted-ca variant."""
        return self._entries[UNTRUSTED_CA]

    @property
    def filler_cas(self) -> tuple[PkiMaterial, ...]:
        """Unrelated P-256 roots for a gateway that trusts many CAs (plan.FILLER_CAS)."""
        return tuple(self._entries[filler_ca_entry(n)] for n in range(1, FILLER_CAS + 1))

    @property
    def trusted_roots(self) -> tuple[PkiMaterial, ...]:
        """The roots a lab client trusts: root_ca and ecdsa_ca, never untrusted_ca."""
        return (self.root_ca, self.ecdsa_ca)

    # -- leaves -----------------------------------------------------------------------

    def gateway(self, variant: GatewayCertVariant | str = GatewayCertVariant.GOOD) -> PkiMaterial:
        """The gateway certificate of `variant` (an enum member or its kebab-case value)."""
        try:
            member = GatewayCertVariant(variant)
        except ValueError:
            known = ", ".join(v.value for v in GatewayCertVariant)
            raise PkiError(f"variant: {variant!r} is not one of {known}") from None
        return self._entries[gateway_entry(member)]

    def machine(self, name: str = DEFAULT_MACHINE_NAME) -> PkiMaterial:
        """Machine certificate (case A): subject "C=CH, O=winterop, CN=<name>", EKU clientAuth;
        identity is the subject DN because Windows sends it as ID_DER_ASN1_DN."""
        return self._get(machine_entry(name), "name", "machine_names")

    def user(self, name: str = DEFAULT_USER_NAME) -> PkiMaterial:
        """User certificate (case B, EAP-TLS): CN and SAN = name, EKU clientAuth; identity is
        the name because Windows sends the CN as EAP identity."""
        return self._get(user_entry(name), "name", "user_names")

    def user_without_client_auth(self, name: str = DEFAULT_NO_CLIENT_AUTH_USER_NAME) -> PkiMaterial:
        """A user certificate whose EKU is serverAuth only, which Windows must not pick for
        EAP-TLS ("if any EKU is present it must include clientAuth")."""
        return self._get(no_client_auth_user_entry(name), "name", "no_client_auth_user_names")

    def _get(self, entry: str, argument: str, created_by: str | None = None) -> PkiMaterial:
        try:
            return self._entries[entry]
        except KeyError:
            hint = f"; pass it in {created_by} to LabPki.load_or_create" if created_by else ""
            raise PkiError(f"{argument}: no entry {entry!r} in this lab PKI set{hint}") from None
