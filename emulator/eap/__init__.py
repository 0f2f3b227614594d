"""The EAP layer of the Windows client emulator: pure, synchronous, no sockets.

The IKE state machine feeds each EAP packet from the gateway to an :class:`EapPeer` and
sends back what it returns (see :mod:`emulator.eap.peer` for the loop). Two methods:

* :class:`MschapV2Method` (case C, eap-mschapv2), with Windows' retry behaviour in
  :class:`MschapV2Policy`; the MSK in strongSwan's layout.
* :class:`EapTlsMethod` (case B, eap-tls) configured by :class:`TlsPeerConfig`; TLS 1.2
  by default, TLS 1.3 as an option, with the MSK mode the gateway needs.

The outcome is a Windows error number (:class:`WinError` and the MS-CHAPv2 ``E=``
codes), never an exception; the transcript says what happened without secrets.
"""

from emulator.eap.codes import WinError
from emulator.eap.errors import EapParseError
from emulator.eap.identity import WINDOWS_PHONE_DOMAIN, strip_domain, windows_eap_identity
from emulator.eap.method import EapMethod, MethodReply
from emulator.eap.mschapv2 import MschapV2Method
from emulator.eap.mschapv2_policy import FinalFailure, MschapV2Policy, RetryCredential
from emulator.eap.packet import decode_eap, encode_eap, identity_response, nak_response
from emulator.eap.peer import EapPeer
from emulator.eap.tls import EapTlsMethod
from emulator.eap.tls_config import (
    ServerCertRejection,
    ServerCertVerifier,
    Tls13Msk,
    TlsPeerConfig,
    TlsVersion,
)
from emulator.eap.transcript import Transcript

__all__ = [
    "WINDOWS_PHONE_DOMAIN",
    "EapMethod",
    "EapParseError",
    "EapPeer",
    "EapTlsMethod",
    "FinalFailure",
    "MethodReply",
    "MschapV2Method",
    "MschapV2Policy",
    "RetryCredential",
    "ServerCertRejection",
    "ServerCertVerifier",
    "Tls13Msk",
    "TlsPeerConfig",
    "TlsVersion",
    "Transcript",
    "WinError",
    "decode_eap",
    "encode_eap",
    "identity_response",
    "nak_response",
    "strip_domain",
    "windows_eap_identity",
]
