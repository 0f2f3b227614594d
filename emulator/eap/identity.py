"""The EAP identity as Windows builds it from the VPN profile and credentials.

Windows sends the user name as typed, ``DOMAIN\\user`` when a domain is given, and some
builds (Windows Phone 8.1 / 10 Mobile) always prefix a domain part, e.g.
``Windows Phone\\User`` (windows-client-behavior.md 2.7 and 12, [SW-WC]). The same
string is the MS-CHAPv2 Name; only the part after the last backslash enters the
MS-CHAPv2 hashes (RFC 2759 8.2, and strongSwan's ``extract_username``). For EAP-TLS the
identity is the user certificate's CN, which the caller takes from the certificate.
"""

from __future__ import annotations

WINDOWS_PHONE_DOMAIN = "Windows Phone"
"""The domain part Windows Phone clients put in front of every user name."""


def windows_eap_identity(user: str, domain: str | None = None) -> str:
    """``user``, or ``DOMAIN\\user`` when ``domain`` is given (``Windows Phone\\User`` too)."""
    if not user:
        raise ValueError("an EAP user name must not be empty")
    return f"{domain}\\{user}" if domain else user


def strip_domain(identity: str) -> str:
    """The user part of ``DOMAIN\\user``: what RFC 2759's ChallengeHash hashes.

    strongSwan (``extract_username`` in eap_mschapv2.c, 5.9.8) cuts at the first
    backslash; a user part cannot contain one in Windows, so first and last agree.
    """
    _, sep, user = identity.partition("\\")
    return user if sep else identity
