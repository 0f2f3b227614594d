"""The typed shape of a Windows build profile; the YAML schema is derived from it.

Why one dataclass is both the type and the schema: the engine reads ``profile.options.x``
with static types, and the loader validates a YAML file against the same field list, so
an option cannot be added to one and forgotten in the other. Each field's metadata names
the section of windows-client-behavior.md that explains it.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from typing import Literal


class Confidence(enum.StrEnum):
    """The confidence labels of windows-client-behavior.md section 0.1."""

    DOCUMENTED = "documented"
    OBSERVED = "observed"
    OBSERVED_REVERSE_ENGINEERED = "observed-reverse-engineered"
    UNCERTAIN = "uncertain"


@dataclass(frozen=True)
class OptionSource:
    """Where an option's value comes from."""

    confidence: Confidence
    source: str


def _m(section: str, help_text: str) -> dict[str, str]:
    """Field metadata: the reference section explaining the option, and a one-line help."""
    return {"section": section, "help": help_text}


VendorIdName = Literal[
    "ms-nt5-isakmpoakley", "ms-negotiation-discovery", "vid-initial-contact", "windows-key-mods"
]
IkeProposalSet = Literal["A", "B", "C"]


@dataclass(frozen=True)
class ProfileOptions:
    """Every per-build or uncertain behaviour (windows-client-behavior.md section 13).

    Times are seconds of Windows time; the emulator divides them by its time scale.
    """

    # --- IKE_SA_INIT ---
    frag_sup_in_init: bool = field(
        metadata=_m("1.2, 5", "send N(IKEV2_FRAGMENTATION_SUPPORTED) first")
    )
    vendor_ids: tuple[VendorIdName, ...] = field(
        metadata=_m("1.4", "vendor ID payloads, in wire order")
    )
    nt5_version: int = field(
        metadata=_m("1.4", "version suffix of the MS NT5 ISAKMPOAKLEY vendor ID")
    )
    key_mods_version: int = field(
        metadata=_m("1.4", "version suffix of the Windows KEY_MODS vendor ID")
    )
    omit_initial_contact_vid_with_other_sa: bool = field(
        metadata=_m("1.4", "drop Vid-Initial-Contact while another IKE SA with the gateway exists")
    )
    ike_proposals: IkeProposalSet = field(
        metadata=_m("1.6", "default IKE proposal set (A, B = A + GCM, C)")
    )
    gcm_proposals_first: bool = field(
        metadata=_m("1.6 B", "set B: GCM proposals before the CBC ones")
    )
    gcm_explicit_integ_none: bool = field(
        metadata=_m("1.5", "GCM proposals carry an INTEG=NONE transform")
    )
    dh2048_value1: Literal["same-as-2", "prepend-to-default"] = field(
        metadata=_m("1.6 D", "what NegotiateDH2048_AES256 = 1 does on IKEv2")
    )
    dh2048_registry_supported: bool = field(
        metadata=_m("1.6 D", "the build reads NegotiateDH2048_AES256")
    )
    maximum_ike_proposals: Literal["default"] = field(
        metadata=_m("1.6 F", "IKE proposals under -EncryptionLevel Maximum (content unknown)")
    )
    nonce_length: int = field(metadata=_m("1.7", "Ni length in bytes"))
    invalid_ke_retry: bool = field(
        metadata=_m("1.8", "retry with the group INVALID_KE_PAYLOAD asks for")
    )
    cookie_support: bool = field(
        metadata=_m("1.8", "restart IKE_SA_INIT with a COOKIE (RFC 7296 2.6)")
    )
    retransmit_timeouts_s: tuple[float, ...] = field(
        metadata=_m(
            "1.8", "wait after each (re)transmission of a request; its length is the try count"
        )
    )
    # --- IKE_AUTH ---
    mobike_sup_in_auth: bool = field(metadata=_m("2.2", "send N(MOBIKE_SUPPORTED) in IKE_AUTH"))
    cp_request_ipv4: bool = field(metadata=_m("2.3", "request the IPv4 group (ADDR DNS NBNS SRV)"))
    cp_request_ipv6: bool = field(metadata=_m("2.3", "request the IPv6 group (ADDR6 DNS6 SRV6)"))
    cp_request_pcscf: bool = field(metadata=_m("2.3", "request P-CSCF addresses"))
    cp_rerequest_ipv4: bool = field(
        metadata=_m("2.3", "put the previous virtual IPv4 into the request")
    )
    cp_rerequest_ipv6: bool = field(
        metadata=_m("2.3", "put the previous virtual IPv6 into the request")
    )
    esp_proposals_default: Literal["docs-list", "two-proposal"] = field(
        metadata=_m("2.4", "ESP proposals of -EncryptionLevel Required")
    )
    certreq_filler_roots: int = field(
        metadata=_m("2.5", "roots in LocalMachine\\Root besides the ones a test installs")
    )
    ecdsa_auth_for_ecp_dh_group: bool = field(
        metadata=_m("2.5", "custom ECP256/384 DH group switches the machine AUTH to ECDSA (9/10)")
    )
    on_gateway_auth_failure: Literal["delete-ike-sa", "silent"] = field(
        metadata=_m(
            "2.5, 3", "what the client sends when the gateway certificate or AUTH is rejected"
        )
    )
    # --- EAP (consumed by emulator.eap) ---
    eap_idi: Literal["local-address", "extended"] = field(
        metadata=_m("2.6", "IDi in the EAP cases")
    )
    eap_identity: Literal["user", "domain-user", "windows-phone"] = field(
        metadata=_m(
            "2.7, 12",
            "EAP identity: user (DOMAIN\\user only when the credentials name a domain), "
            "domain-user (always qualified: the credentials' domain or the computer name), "
            "windows-phone (always qualified, 'Windows Phone' unless a domain is given)",
        )
    )
    mschapv2_retries: int = field(metadata=_m("2.7", "MSCHAPv2 retries after E=691 R=1"))
    mschapv2_keep_first_user: bool = field(
        metadata=_m("2.7", "a retry reuses the first user name (Win7)")
    )
    mschapv2_delete_on_failure: bool = field(
        metadata=_m("2.7", "answer R=0 failure with Delete (Win7)")
    )
    eap_tls_version: Literal["1.2", "1.3"] = field(
        metadata=_m("2.8", "highest TLS version for EAP-TLS")
    )
    eap_tls13_msk: Literal["rfc9190", "strongswan-5.9"] = field(
        metadata=_m(
            "2.8", "MSK derivation when TLS 1.3 is negotiated (RFC 9190, or strongSwan 5.9.2-5.9.9)"
        )
    )
    eap_tls_fragment_size: int = field(
        metadata=_m("2.8", "largest EAP-TLS packet the client sends, EAP header included")
    )
    eap_tls_no_certificate: Literal["before-dial", "at-tls-start"] = field(
        metadata=_m(
            "3",
            "when a missing EAP-TLS user certificate fails the dial (798): before any "
            "packet, or when the gateway starts EAP-TLS",
        )
    )
    # --- certificates ---
    untrusted_root_error: int = field(
        metadata=_m("3", "error for a gateway chain without trusted root")
    )
    gateway_key_type_error: int = field(
        metadata=_m("3", "error for a gateway key that is not RSA/P-256/384")
    )
    expired_gateway_cert_error: int = field(
        metadata=_m("3", "error for an expired gateway certificate")
    )
    # --- lifetimes ---
    ike_lifetime_s: int = field(metadata=_m("4.1", "IKE SA lifetime"))
    child_lifetime_s: int = field(metadata=_m("4.1", "CHILD SA lifetime"))
    child_rekey_after_s: int = field(metadata=_m("4.2", "CHILD SA rekey time"))
    child_rekey_volume_kb: int = field(metadata=_m("4.2", "CHILD SA rekey volume"))
    ike_rekey_after_s: int = field(metadata=_m("4.3", "IKE SA rekey time"))
    gw_child_rekey_behind_nat: Literal["reject-13863"] = field(
        metadata=_m("4.4", "answer to a gateway CHILD rekey while behind NAT")
    )
    gw_child_rekey_notify_protocol: Literal["none", "esp"] = field(
        metadata=_m("4.4", "protocol ID/SPI of the rejecting N(12345)")
    )
    gw_child_rekey_unexpected_ke: Literal["reject-13816"] = field(
        metadata=_m("4.4", "answer to a gateway CHILD rekey with KE but no PFS configured")
    )
    ike_rekey_responder_other_group: Literal["no-proposal-chosen", "invalid-ke", "no-answer"] = (
        field(metadata=_m("4.3", "gateway IKE rekey with another DH group"))
    )
    pfsmm_group: Literal["ike-group"] = field(metadata=_m("4.5", "what PfsGroup PFSMM maps to"))
    idle_child_delete_s: int = field(
        metadata=_m("4.6", "delete an idle CHILD SA after this (0 = never)")
    )
    # --- fragmentation ---
    fragment_ciphertext_len: int = field(metadata=_m("5", "ciphertext bytes in each non-final SKF"))
    max_fragments: int = field(metadata=_m("5", "most fragments per message (0 = unlimited)"))
    fragment_fit_path_mtu: bool = field(
        metadata=_m("5", "shrink fragments below fragment_ciphertext_len to fit the path MTU")
    )
    # --- routing ---
    vpn_route_refused_prefixes: tuple[str, ...] = field(
        metadata=_m("8", "prefixes Add-VpnConnectionRoute refuses")
    )
    dhcp_inform: bool = field(
        metadata=_m("8", "send DHCPINFORM through the tunnel and install option 249 routes")
    )
    dhcp_vendor_class: str = field(metadata=_m("8", "the DHCPINFORM's vendor class (option 60)"))
    dhcp_parameter_list: tuple[int, ...] = field(
        metadata=_m("8", "the DHCPINFORM's parameter request list (option 55)")
    )
    dhcp_inform_timeouts_s: tuple[float, ...] = field(
        metadata=_m("8", "wait after each DHCPINFORM for the DHCPACK; one entry per attempt")
    )
    # --- liveness ---
    dpd_intervals_s: tuple[float, ...] = field(
        metadata=_m("7", "gaps between the client's empty INFORMATIONAL requests; the last repeats")
    )
    nat_keepalive_s: float = field(
        metadata=_m("7", "NAT keepalive interval behind a NAT (0 = off)")
    )
    lost_peer_error: int = field(
        metadata=_m(
            "7",
            "Windows error ending an established connection whose gateway stops answering",
        )
    )
    # --- mobility ---
    outage_time_s: int = field(
        metadata=_m(
            "6",
            "how long the IKE SA survives without a usable network (MOBIKE); then the "
            "connection ends with lost_peer_error",
        )
    )
    mobike_update_natd: bool = field(
        metadata=_m("6", "N(NATD_S_IP) and N(NATD_D_IP) in the UPDATE_SA_ADDRESSES request")
    )
    mobike_update_address_list: bool = field(
        metadata=_m(
            "6",
            "N(NO_ADDITIONAL_ADDRESSES) in the UPDATE_SA_ADDRESSES request (the client's "
            "address list, RFC 4555 3.6)",
        )
    )
    mobike_update_cookie2: bool = field(
        metadata=_m("6", "N(COOKIE2) in the UPDATE_SA_ADDRESSES request (return routability)")
    )


@dataclass(frozen=True)
class Profile:
    """A named Windows build: its options and where each value comes from."""

    name: str
    description: str
    options: ProfileOptions
    sources: dict[str, OptionSource]

    def source(self, option: str) -> OptionSource:
        return self.sources[option]
