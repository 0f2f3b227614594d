"""Distinguished names and the validation of names and addresses used in certificates.

DNs are rendered the way strongSwan prints them ("C=CH, O=winterop, CN=gw.example.test"):
attributes in certificate order, comma and space separated, strongSwan's short attribute
names. That string is what a gateway configuration uses as a remote ID for a machine
certificate (Windows sends its subject as an ID_DER_ASN1_DN, windows-client-behavior.md
section 2.5), so it must match strongSwan's rendering exactly.
"""

from __future__ import annotations

import ipaddress
import re

from cryptography import x509
from cryptography.x509.oid import NameOID

from infra.pki.errors import PkiError

LAB_COUNTRY = "CH"
LAB_ORGANIZATION = "winterop"

# RFC 5280 ub-common-name; cryptography's NameAttribute rejects longer CNs.
MAX_COMMON_NAME_LENGTH = 64

# The short names strongSwan's identification.c prints (first name in its x501rdns table).
_STRONGSWAN_SHORT_NAMES: dict[x509.ObjectIdentifier, str] = {
    NameOID.USER_ID: "UID",
    NameOID.DOMAIN_COMPONENT: "DC",
    NameOID.COMMON_NAME: "CN",
    NameOID.SURNAME: "S",
    NameOID.SERIAL_NUMBER: "SN",
    NameOID.COUNTRY_NAME: "C",
    NameOID.LOCALITY_NAME: "L",
    NameOID.STATE_OR_PROVINCE_NAME: "ST",
    NameOID.ORGANIZATION_NAME: "O",
    NameOID.ORGANIZATIONAL_UNIT_NAME: "OU",
    NameOID.TITLE: "T",
    NameOID.GIVEN_NAME: "G",
    NameOID.INITIALS: "I",
    NameOID.EMAIL_ADDRESS: "E",
}

_DNS_LABEL = re.compile(r"^(?!-)[A-Za-z0-9-]{1,63}(?<!-)$")
_USER_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._+@-]*$")


def strongswan_dn(name: x509.Name) -> str:
    """Render a Name as strongSwan prints it: certificate order, ", " separated."""
    parts = []
    for attribute in name:
        key = _STRONGSWAN_SHORT_NAMES.get(attribute.oid, attribute.oid.dotted_string)
        value = attribute.value
        text = value.decode("utf-8", "replace") if isinstance(value, bytes) else value
        parts.append(f"{key}={text}")
    return ", ".join(parts)


def lab_name(common_name: str) -> x509.Name:
    """The lab's subject layout: C=CH, O=winterop, CN=<common_name>."""
    return x509.Name(
        [
            x509.NameAttribute(NameOID.COUNTRY_NAME, LAB_COUNTRY),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, LAB_ORGANIZATION),
            x509.NameAttribute(NameOID.COMMON_NAME, common_name),
        ]
    )


def _require_text(value: object, argument: str) -> str:
    if not isinstance(value, str):
        raise PkiError(f"{argument}: expected a string, got {type(value).__name__}")
    if not value:
        raise PkiError(f"{argument}: must not be empty")
    if len(value) > MAX_COMMON_NAME_LENGTH:
        raise PkiError(
            f"{argument}: {value!r} is longer than {MAX_COMMON_NAME_LENGTH} characters, "
            "the X.509 limit for a CN"
        )
    return value


def validate_dns_name(value: object, argument: str) -> str:
    """A DNS host name usable as CN and dNSName SAN; IP addresses are refused.

    An IP address is refused because the gateway's IP is a separate argument: the variants
    need to place the name and the address differently.
    """
    text = _require_text(value, argument)
    try:
        ipaddress.ip_address(text)
    except ValueError:
        pass
    else:
        raise PkiError(f"{argument}: {text!r} is an IP address; a DNS name is required here")
    if not all(_DNS_LABEL.match(label) for label in text.split(".")):
        raise PkiError(f"{argument}: {text!r} is not a valid DNS name")
    return text


def validate_ip_address(value: object, argument: str) -> str:
    """An IPv4 or IPv6 address, returned in its canonical text form."""
    text = value if isinstance(value, str) else ""
    try:
        return str(ipaddress.ip_address(text))
    except ValueError:
        raise PkiError(f"{argument}: {value!r} is not an IP address") from None


def validate_user_name(value: object, argument: str) -> str:
    """A user name for a user certificate: "alice@example.test" or a bare "alice".

    The name becomes the CN, a SAN and part of a file name, so only a conservative
    character set is accepted; an '@' name must have a valid DNS domain because it becomes
    an rfc822Name.
    """
    text = _require_text(value, argument)
    if not _USER_NAME.match(text) or text.count("@") > 1:
        raise PkiError(f"{argument}: {text!r} is not a valid user name")
    if "@" in text:
        _local, domain = text.split("@")
        if not _local:
            raise PkiError(f"{argument}: {text!r} has an empty local part")
        validate_dns_name(domain, argument)
    return text
