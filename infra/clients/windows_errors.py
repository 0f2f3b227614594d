"""The error numbers Windows reports for a failed VPN connection, with their texts.

One table for all client kinds, so a suite's assertion reads the same whether the outcome
came from rasdial on a real VM, from the emulator, or from the reference client's
classification. Texts abridged from Microsoft's system error code pages (RAS 600-999,
IPsec 13000-13999).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class WindowsError:
    code: int
    symbol: str
    text: str

    def __str__(self) -> str:
        return f"{self.code} {self.symbol}: {self.text}"


_TABLE = (
    (623, "ERROR_CANNOT_FIND_PHONEBOOK_ENTRY", "The VPN profile name was not found."),
    (691, "ERROR_AUTHENTICATION_FAILURE", "The user name or password is not valid."),
    (703, "ERROR_INTERACTIVE_MODE", "The connection needs credentials but no UI is allowed."),
    (778, "ERROR_UNABLE_TO_AUTHENTICATE_SERVER", "The server identity could not be verified."),
    (798, "ERROR_NO_EAPTLS_CERTIFICATE", "No certificate was found for EAP-TLS."),
    (801, "ERROR_VALIDATING_SERVER_CERT", "The server certificate could not be validated."),
    (809, "ERROR_VPN_TIMEOUT", "The VPN server did not respond."),
    (810, "ERROR_VPN_BAD_CERT", "The certificate is incorrect or expired."),
    (812, "ERROR_SERVER_POLICY", "The authentication method is not allowed by the server."),
    (827, "ERROR_IPSEC_SERVICE_STOPPED", "The IKE and AuthIP IPsec Keying Modules are stopped."),
    (840, "ERROR_INTERNAL_ADDRESS_FAILURE", "Internal address negotiation failed."),
    (841, "ERROR_FAILED_CP_REQUIRED", "No internal address was received."),
    (842, "ERROR_TS_UNACCEPTABLE", "Traffic selector negotiation failed."),
    (853, "ERROR_EAP_USER_CERT_INVALID", "The user certificate is not valid."),
    (854, "ERROR_EAP_USER_CERT_EXPIRED", "The user certificate has expired."),
    (855, "ERROR_EAP_USER_CERT_REVOKED", "The user certificate has been revoked."),
    (856, "ERROR_EAP_USER_CERT_OTHER_ERROR", "The user certificate could not be used."),
    (857, "ERROR_EAP_SERVER_CERT_INVALID", "The server certificate is not valid."),
    (858, "ERROR_EAP_SERVER_CERT_EXPIRED", "The server certificate has expired."),
    (859, "ERROR_EAP_SERVER_CERT_REVOKED", "The server certificate has been revoked."),
    (860, "ERROR_EAP_SERVER_CERT_OTHER_ERROR", "The server certificate could not be validated."),
    (861, "ERROR_EAP_USER_ROOT_CERT_NOT_FOUND", "The root of the user certificate was not found."),
    (862, "ERROR_EAP_USER_ROOT_CERT_INVALID", "The root of the user certificate is not valid."),
    (863, "ERROR_EAP_USER_ROOT_CERT_EXPIRED", "The root of the user certificate has expired."),
    (864, "ERROR_EAP_SERVER_ROOT_CERT_NOT_FOUND", "The server certificate's root is not trusted."),
    (865, "ERROR_EAP_SERVER_ROOT_CERT_INVALID", "The trusted root of the server is invalid."),
    (866, "ERROR_EAP_SERVER_ROOT_CERT_NAME_REQUIRED", "The server certificate names no server."),
    (868, "ERROR_DNSNAME_NOT_RESOLVABLE", "The server name could not be resolved."),
    (13801, "ERROR_IPSEC_IKE_AUTH_FAIL", "IKE authentication credentials are unacceptable."),
    (13805, "ERROR_IPSEC_IKE_TIMED_OUT", "Negotiation timed out."),
    (13806, "ERROR_IPSEC_IKE_NO_CERT", "IKE failed to find a valid machine certificate."),
    (13807, "ERROR_IPSEC_IKE_SA_DELETED", "The IKE SA was deleted by the peer before it was up."),
    (13813, "ERROR_IPSEC_IKE_DROP_NO_RESPONSE", "No response from the peer."),
    (13816, "ERROR_IPSEC_IKE_ERROR", "IKE negotiation failed (generic)."),
    (13817, "ERROR_IPSEC_IKE_CRL_FAILED", "The certificate revocation check failed."),
    (13820, "ERROR_IPSEC_IKE_NO_PRIVATE_KEY", "The certificate has no private key."),
    (13825, "ERROR_IPSEC_IKE_NO_POLICY", "No policy configured."),
    (13843, "ERROR_IPSEC_IKE_INVALID_PAYLOAD", "Invalid payload received."),
    (13863, "ERROR_IPSEC_IKE_INVALID_SITUATION", "Invalid situation."),
    (13868, "ERROR_IPSEC_IKE_POLICY_MATCH", "Policy match error: no proposal matched."),
    (
        13887,
        "ERROR_IPSEC_IKE_CERT_CHAIN_POLICY_MISMATCH",
        "The certificate does not chain to a trusted root in the IPsec policy.",
    ),
)

WINDOWS_ERRORS: dict[int, WindowsError] = {c: WindowsError(c, s, t) for c, s, t in _TABLE}


def windows_error(code: int) -> WindowsError:
    """The table entry for CODE; an unknown code still gets an entry saying so."""
    return WINDOWS_ERRORS.get(code, WindowsError(code, "UNKNOWN", "not in winterop's table"))
