"""Turning the machine's state into one dial: what this Windows build sends, and checks.

The emulated machine's stores, registry values, VPN profile, credentials and IPsec policy
decide the IKE and ESP proposals (emulator.machine.offers), how the client authenticates
(case A: the machine certificate and AUTH method, emulator.machine.credentials; cases B
and C: EAP, emulator.machine.eap_setup), the CERTREQ content (every trusted root, unless
DisableCertReqPayload = 1), the gateway-certificate checks (certcheck) and the wire
details the build profile fixes (CP request, vendor IDs, traffic selectors 0.0.0.0/0 and
::/0). The result is a DialConfig the IKE engine executes without knowing about Windows.
"""

from __future__ import annotations

from cryptography.hazmat.primitives.serialization import Encoding

from emulator.codec import TrafficSelector
from emulator.crypto.auth import VerifyingKey
from emulator.log import ClientLog
from emulator.machine.certcheck import CertCheckPolicy, check_gateway_certificate
from emulator.machine.credentials import select_machine_credential
from emulator.machine.eap_setup import eap_authenticator
from emulator.machine.ipsec_policy import CustomPolicy
from emulator.machine.offers import esp_proposals, ike_proposals
from emulator.machine.registry import Registry
from emulator.machine.stores import MachineStores
from emulator.machine.vendor_ids import vendor_id_bytes
from emulator.profiles.schema import ProfileOptions
from emulator.sa.authenticator import Authenticator, CertificateAuthenticator
from emulator.sa.cp import cp_request
from emulator.sa.dial import DialConfig
from emulator.sa.names import proposal_name
from infra.auth_cases import AuthCase
from infra.clients.protocol import Credentials, VpnProfile

ECP_GROUPS = (19, 20)
DEFAULT_COMPUTER_NAME = "DESKTOP-WINTEROP"
"""The emulated machine's NetBIOS name (qualifies a local account as COMPUTER\\user)."""


def dial_config(
    options: ProfileOptions,
    registry: Registry,
    stores: MachineStores,
    profile: VpnProfile,
    policy: CustomPolicy | None,
    *,
    credentials: Credentials | None = None,
    computer_name: str = DEFAULT_COMPUTER_NAME,
    time_scale: float,
    retransmit_scale: float | None = None,
    log: ClientLog,
) -> DialConfig:
    """The DialConfig of one dial; raises ConnectError before any packet where Windows
    fails before dialling (13806, 13820 for case A; 703, 798 for the EAP cases)."""
    certreq = () if registry.flag("DisableCertReqPayload") else stores.root_hashes()
    authenticator: Authenticator
    if profile.auth is AuthCase.MACHINE_CERT:
        authenticator, auth_text = _machine_authenticator(
            options, registry, stores, policy, certreq
        )
    else:
        authenticator, auth_text = eap_authenticator(
            options,
            registry,
            stores,
            profile,
            credentials,
            certreq=certreq,
            computer_name=computer_name,
            log=log,
        )
    dh2048 = registry.negotiate_dh2048_aes256
    ike = ike_proposals(options, dh2048=dh2048, level=profile.encryption_level, policy=policy)
    esp = esp_proposals(options, level=profile.encryption_level, policy=policy)
    origin = "the custom IPsec policy" if policy else f"NegotiateDH2048_AES256={dh2048}"
    log.line(
        "CFG",
        f"dialling {profile.name!r}: {len(ike)} IKE proposal(s) from {origin}, first "
        f"{proposal_name(ike[0])}; {len(esp)} ESP proposal(s), first {proposal_name(esp[0])}; "
        f"{auth_text}; CERTREQ with {len(certreq)} root hash(es)",
    )
    check = CertCheckPolicy(
        server_address=profile.server_address,
        roots=tuple(e.certificate for e in stores.local_machine_root.entries()),
        check_name_and_eku=not registry.flag("DisableIKENameEkuCheck"),
        untrusted_root_error=options.untrusted_root_error,
        key_type_error=options.gateway_key_type_error,
        expired_error=options.expired_gateway_cert_error,
    )

    def verify_gateway(certificates: tuple[bytes, ...]) -> VerifyingKey:
        return check_gateway_certificate(certificates, check)

    any_address = (TrafficSelector.any_ipv4(), TrafficSelector.any_ipv6())
    return DialConfig(
        ike_proposals=ike,
        esp_proposals=esp,
        authenticator=authenticator,
        verify_gateway=verify_gateway,
        cp=cp_request(
            ipv4=options.cp_request_ipv4,
            ipv6=options.cp_request_ipv6,
            pcscf=options.cp_request_pcscf,
        ),
        tsi=any_address,
        tsr=any_address,
        vendor_ids=vendor_id_bytes(
            options.vendor_ids,
            nt5_version=options.nt5_version,
            key_mods_version=options.key_mods_version,
            # The machine holds one connection at a time (a new dial ends the old one), so
            # "another IKE SA with this gateway" never exists when it dials.
            omit_initial_contact=False,
        ),
        options=options,
        time_scale=time_scale,
        retransmit_scale=retransmit_scale,
        pfs_group=None if policy is None else policy.pfs_group,
        pfs_same_as_ike=policy is not None and policy.pfs_same_as_ike,
    )


def _machine_authenticator(
    options: ProfileOptions,
    registry: Registry,
    stores: MachineStores,
    policy: CustomPolicy | None,
    certreq: tuple[bytes, ...],
) -> tuple[CertificateAuthenticator, str]:
    """Case A: the machine certificate and its AUTH method (13806 / 13820 without one)."""
    ecdsa_group = None
    if (
        policy is not None
        and options.ecdsa_auth_for_ecp_dh_group
        and not registry.flag("UseRSACertForEcpDHGroups")
        and policy.dh_group in ECP_GROUPS
    ):
        ecdsa_group = policy.dh_group
    credential = select_machine_credential(stores.local_machine_my, ecdsa_for_group=ecdsa_group)
    authenticator = CertificateAuthenticator(
        credential.certificate.public_bytes(Encoding.DER),
        credential.certificate.subject.public_bytes(),
        credential.key,
        credential.method,
        certreq,
    )
    subject = credential.certificate.subject.rfc4514_string()
    return authenticator, f"machine certificate {subject} (AUTH method {credential.method})"
