"""Validation of strongSwan proposal strings ("aes256-sha256-modp2048").

Why here and not in charon: a typo in a proposal makes charon reject the whole connection
with a terse "invalid value for: proposals" in its log. Checking every keyword before any
process starts lets a GatewaySpec error name the field and the bad keyword.
"""

from __future__ import annotations

import re

_KEYWORDS = re.compile(
    r"""^(
        default
      | 3des | des | null | cast128 | blowfish(128|192|256)?
      | aes(128|192|256)?(ctr|ccm(8|12|16|64|96|128)?|gcm(8|12|16|64|96|128)?|gmac)?
      | chacha20poly1305
      | camellia(128|192|256)?
      | md5 | md5_128 | sha1 | sha1_160 | sha | sha256 | sha2_256 | sha256_96 | sha384 | sha2_384
      | sha512 | sha2_512 | aesxcbc | aescmac | aes(128|192|256)gmac
      | prf(md5|sha1|sha256|sha384|sha512|aesxcbc|aescmac)
      | modp(768|1024|1536|2048|3072|4096|6144|8192) | modp(1024s160|2048s224|2048s256)
      | ecp(192|224|256|384|521) | ecp(224|256|384|512)bp | curve25519 | x25519 | curve448 | x448
      | mlkem(512|768|1024)
      | none | esn | noesn
    )$""",
    re.VERBOSE,
)


_ADDITIONAL_KE = re.compile(r"^ke[1-7]_")
"""RFC 9370 additional key exchanges (strongSwan 6.0): `ke1_mlkem768` is `mlkem768` as KE 1."""


def unknown_keywords(proposal: str) -> list[str]:
    """The keywords of PROPOSAL that no strongSwan release the lab runs recognises (empty =
    fine); which release knows which keyword is infra.gateway.releases' business."""
    if not proposal:
        return ["(empty proposal)"]
    return [
        word for word in proposal.split("-") if not _KEYWORDS.match(_ADDITIONAL_KE.sub("", word))
    ]
