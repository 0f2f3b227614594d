"""The Windows error numbers an EAP conversation can end with.

The emulator fails the way Windows fails, so the EAP layer reports RAS / IPsec error
numbers rather than exceptions. Texts and numbers come from Microsoft's RAS error list
(windows-client-behavior.md section 11, [MS-ERR]). Which number Windows shows for which
EAP situation is only partly documented; where it is a guess the owning option says so
and lets the profile choose another number.
"""

from __future__ import annotations

import enum


class WinError(enum.IntEnum):
    """RAS and IPsec error numbers used by the EAP layer."""

    #: wrong EAP password or unknown user; the MS-CHAPv2 E= code strongSwan sends.
    AUTHENTICATION_FAILURE = 691
    #: "It was not possible to verify the identity of the server" (bad MS-CHAPv2 S=).
    UNABLE_TO_AUTHENTICATE_SERVER = 778
    #: no user certificate for EAP-TLS.
    NO_EAPTLS_CERTIFICATE = 798
    #: the EAP server certificate could not be validated.
    VALIDATING_SERVER_CERT = 801
    #: the authentication method is not allowed by the server (NAK not accepted).
    SERVER_POLICY = 812
    EAP_SERVER_CERT_INVALID = 857
    EAP_SERVER_CERT_EXPIRED = 858
    EAP_SERVER_CERT_REVOKED = 859
    EAP_SERVER_CERT_OTHER_ERROR = 860
    EAP_SERVER_ROOT_CERT_NOT_FOUND = 864
    #: "IKE authentication credentials are unacceptable" (gateway EKU/SAN, untrusted CA).
    IPSEC_IKE_AUTH_FAIL = 13801
    #: generic IKE negotiation failure; used for EAP protocol violations by the gateway.
    IPSEC_IKE_ERROR = 13816
