"""infra.pki: the lab's CAs, gateway and client certificates, good and deliberately broken.

Everything is generated with `cryptography` (no openssl or pki subprocesses) once per cache
directory and shared by all xdist workers; see LabPki.load_or_create.
"""

from infra.pki.builder import IKE_INTERMEDIATE
from infra.pki.errors import PkiError
from infra.pki.keys import KeySpec, KeyType
from infra.pki.lab_pki import LabPki
from infra.pki.material import PkiMaterial
from infra.pki.names import strongswan_dn
from infra.pki.parameters import LabPkiParameters
from infra.pki.variants import GatewayCertVariant

__all__ = [
    "IKE_INTERMEDIATE",
    "GatewayCertVariant",
    "KeySpec",
    "KeyType",
    "LabPki",
    "LabPkiParameters",
    "PkiError",
    "PkiMaterial",
    "strongswan_dn",
]
