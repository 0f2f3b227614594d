"""What the lab set contains, and generating all of it in one pass.

The set is fixed by LabPkiParameters, so every certificate a test may ask for exists after
one generation: lookups never generate, which keeps xdist workers from racing to add
entries to a shared directory.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from datetime import datetime

from cryptography import x509
from cryptography.hazmat.primitives import serialization

from infra.pki.builder import (
    CLIENT_AUTH,
    IKE_INTERMEDIATE,
    SERVER_AUTH,
    Issuer,
    LeafProfile,
    Validity,
    build_ca,
    build_leaf,
)
from infra.pki.keys import KeySpec, generate_keys, key_type_of, private_key_pem
from infra.pki.material import PkiMaterial
from infra.pki.names import lab_name, strongswan_dn
from infra.pki.parameters import MISMATCH_NAME, LabPkiParameters
from infra.pki.variants import GatewayCertVariant

ROOT_CA = "root-ca"
ECDSA_CA = "ecdsa-ca"
UNTRUSTED_CA = "untrusted-ca"
RSA4096_ROOT_CA = "rsa4096-root-ca"
RSA4096_INTERMEDIATE_CA = "rsa4096-intermediate-ca"

ROOT_CA_CN = "winterop Root CA"
ECDSA_CA_CN = "winterop ECDSA Root CA"
UNTRUSTED_CA_CN = "winterop Untrusted CA"
RSA4096_ROOT_CA_CN = "winterop RSA-4096 Root CA"
RSA4096_INTERMEDIATE_CA_CN = "winterop RSA-4096 Intermediate CA"


FILLER_CAS = 64
"""Unrelated roots a gateway can be told to trust (GatewaySpec.filler_cas): charon sends a
CERTREQ hash for every CA it trusts in its IKE_SA_INIT response, which RFC 7383 cannot
fragment; 64 hashes (1280 bytes) push that response past a 1500-byte MTU, as loading a
system CA bundle into charon does. P-256 keys, because only their number matters."""


def filler_ca_entry(number: int) -> str:
    return f"filler-ca-{number:02d}"


def gateway_entry(variant: GatewayCertVariant) -> str:
    return f"gateway-{variant.value}"


def machine_entry(name: str) -> str:
    return f"machine-{name}"


def user_entry(name: str) -> str:
    return f"user-{name}"


def no_client_auth_user_entry(name: str) -> str:
    # A prefix that differs from "user-" at the start, so no user name can collide with it.
    return f"noclientauth-user-{name}"


@dataclass(frozen=True)
class EntrySpec:
    """One entry to generate. `profile` None means a self-signed CA named `ca_cn`."""

    name: str
    key_spec: KeySpec
    issuer: str
    identity: str | None
    """None: the identity is the subject DN (CAs and machine certificates)."""
    profile: LeafProfile | None = None
    ca_cn: str = ""
    """For a CA (profile None): its CN; it is a root when issuer == name, else an
    intermediate signed by ISSUER."""


def _ca(name: str, key_spec: KeySpec, cn: str) -> EntrySpec:
    return EntrySpec(name=name, key_spec=key_spec, issuer=name, identity=None, ca_cn=cn)


def _gateway_specs(params: LabPkiParameters, now: datetime) -> list[EntrySpec]:
    gw, ip = params.gateway_name, params.gateway_ip
    # The IP goes in as a dNSName string because Windows matches the address typed in the
    # profile only against the CN and dNSName SANs, never against iPAddress SANs
    # (windows-client-behavior.md section 3).
    good_sans: tuple[x509.GeneralName, ...] = (x509.DNSName(gw), x509.DNSName(ip))
    good_ekus = (SERVER_AUTH, IKE_INTERMEDIATE)
    leaf = Validity.leaf(now)

    def spec(
        variant: GatewayCertVariant,
        *,
        key_spec: KeySpec = KeySpec.RSA_2048,
        issuer: str = ROOT_CA,
        cn: str = gw,
        sans: tuple[x509.GeneralName, ...] = good_sans,
        ekus: tuple[x509.ObjectIdentifier, ...] = good_ekus,
        validity: Validity = leaf,
        identity: str = gw,
    ) -> EntrySpec:
        return EntrySpec(
            name=gateway_entry(variant),
            key_spec=key_spec,
            issuer=issuer,
            identity=identity,
            profile=LeafProfile(lab_name(cn), sans, ekus, validity),
        )

    v = GatewayCertVariant
    return [
        spec(v.GOOD),
        spec(v.ECDSA, key_spec=KeySpec.ECDSA_P256, issuer=ECDSA_CA),
        spec(v.NO_SERVER_AUTH, ekus=(IKE_INTERMEDIATE,)),
        # The gateway can only prove the identity its certificate holds, so charon must use
        # the other name (or the IP below) as its local ID for these two variants.
        spec(
            v.NAME_MISMATCH,
            cn=MISMATCH_NAME,
            sans=(x509.DNSName(MISMATCH_NAME),),
            identity=MISMATCH_NAME,
        ),
        spec(
            v.IP_AS_IPADDRESS_SAN,
            sans=(x509.IPAddress(ipaddress.ip_address(ip)),),
            identity=ip,
        ),
        spec(v.P521, key_spec=KeySpec.ECDSA_P521, issuer=ECDSA_CA),
        spec(v.EXPIRED, validity=Validity.expired_leaf(now)),
        spec(v.UNTRUSTED_CA, issuer=UNTRUSTED_CA),
        spec(v.RSA4096_CHAIN, key_spec=KeySpec.RSA_4096, issuer=RSA4096_INTERMEDIATE_CA),
    ]


def _user_san(name: str) -> x509.GeneralName:
    # Windows sends the user certificate's CN as EAP identity and requires it as a SAN too.
    return x509.RFC822Name(name) if "@" in name else x509.DNSName(name)


def entry_specs(params: LabPkiParameters, now: datetime) -> list[EntrySpec]:
    """Every entry of the set, CAs first so that issuers exist before their leaves."""
    leaf = Validity.leaf(now)
    specs = [
        _ca(ROOT_CA, KeySpec.RSA_2048, ROOT_CA_CN),
        _ca(ECDSA_CA, KeySpec.ECDSA_P256, ECDSA_CA_CN),
        _ca(UNTRUSTED_CA, KeySpec.RSA_2048, UNTRUSTED_CA_CN),
        _ca(RSA4096_ROOT_CA, KeySpec.RSA_4096, RSA4096_ROOT_CA_CN),
        EntrySpec(
            name=RSA4096_INTERMEDIATE_CA,
            key_spec=KeySpec.RSA_4096,
            issuer=RSA4096_ROOT_CA,
            identity=None,
            ca_cn=RSA4096_INTERMEDIATE_CA_CN,
        ),
        *(
            _ca(filler_ca_entry(n), KeySpec.ECDSA_P256, f"winterop Filler CA {n:02d}")
            for n in range(1, FILLER_CAS + 1)
        ),
        *_gateway_specs(params, now),
    ]
    for name in params.machine_names:
        profile = LeafProfile(lab_name(name), (x509.DNSName(name),), (CLIENT_AUTH,), leaf)
        specs.append(EntrySpec(machine_entry(name), KeySpec.RSA_2048, ROOT_CA, None, profile))
    for name in params.user_names:
        profile = LeafProfile(lab_name(name), (_user_san(name),), (CLIENT_AUTH,), leaf)
        specs.append(EntrySpec(user_entry(name), KeySpec.RSA_2048, ROOT_CA, name, profile))
    for name in params.no_client_auth_user_names:
        profile = LeafProfile(lab_name(name), (_user_san(name),), (SERVER_AUTH,), leaf)
        specs.append(
            EntrySpec(no_client_auth_user_entry(name), KeySpec.RSA_2048, ROOT_CA, name, profile)
        )
    return specs


def generate_set(params: LabPkiParameters, now: datetime) -> list[PkiMaterial]:
    """Generate keys (concurrently) and certificates for every entry."""
    specs = entry_specs(params, now)
    keys = generate_keys([spec.key_spec for spec in specs])
    issuers: dict[str, Issuer] = {}
    materials: list[PkiMaterial] = []
    for spec, key in zip(specs, keys, strict=True):
        if spec.profile is None:
            parent = None if spec.issuer == spec.name else issuers[spec.issuer]
            cert = build_ca(key, lab_name(spec.ca_cn), Validity.ca(now), parent)
            issuers[spec.name] = Issuer(cert, key)
        else:
            cert = build_leaf(key, spec.profile, issuers[spec.issuer])
        subject_dn = strongswan_dn(cert.subject)
        materials.append(
            PkiMaterial(
                name=spec.name,
                cert_pem=cert.public_bytes(serialization.Encoding.PEM),
                key_pem=private_key_pem(key),
                key_type=key_type_of(key),
                subject_dn=subject_dn,
                identity=subject_dn if spec.identity is None else spec.identity,
                issuer_name=spec.issuer,
            )
        )
    return materials
