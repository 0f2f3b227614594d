"""What differs between the strongSwan releases the lab runs, in one place.

The lab configures every gateway the same way (strongswan.conf + VICI); the releases do not
read that configuration the same way. Each difference the lab has to negotiate is one
function here, keyed by the release's upstream version, with its source, so that adding a
release means reading this file, and each difference has its own unit test
(tests/test_releases.py). The facts come from strongSwan's NEWS, conf/options/*.opt and
swanctl.opt of the tagged releases, and from the Debian packages themselves.
"""

from __future__ import annotations

import re

from infra.gateway.spec import GatewaySpec, SpecError

Version = tuple[int, int, int]

V6_0 = (6, 0, 0)


class ReleaseError(ValueError):
    """A version string that is not an upstream strongSwan version."""


def parse_version(text: str) -> Version:
    """(6, 0, 1) from '6.0.1', '6.0.1-6+deb13u7' (Debian) or '5.9.8-5+deb12u6'."""
    m = re.match(r"^(?:\d+:)?(\d+)\.(\d+)\.(\d+)", text.strip())
    if not m:
        raise ReleaseError(f"{text!r} is not a strongSwan version (expected e.g. 6.0.1)")
    return (int(m.group(1)), int(m.group(2)), int(m.group(3)))


def upstream(text: str) -> str:
    """'6.0.1' from a Debian package version such as '6.0.1-6+deb13u7'."""
    return ".".join(str(n) for n in parse_version(text))


# --- strongswan.conf ----------------------------------------------------------------------


def plugins(base: str, version: Version) -> str:
    """The `charon.load` list for VERSION, from the lab's list BASE (infra.charon.config).

    kdf: 5.9.8 needs it for every PRF+ (lab reference 3.2: "KDF_PRF with PRF_HMAC_SHA2_256
    not supported" without it). From 6.0 the openssl plugin's own HKDF covers every group
    and nonce size (strongSwan commit 1d5c5a1d72, "openssl: Require min version 3.0.0 for
    HKDF to support larger MODP groups and nonces"), and Debian's 6.x packages (trixie's
    6.0.1, sid's 6.1.0) ship no kdf plugin at all: charon would log "plugin 'kdf': failed
    to load" on every start.
    """
    words = base.split()
    if version >= V6_0:
        words = [w for w in words if w != "kdf"]
    return " ".join(words)


def filelog_milliseconds(version: Version) -> str:
    """The filelog option that adds milliseconds to each timestamp.

    5.9.x: `time_add_ms = yes`. 6.0 replaced it with `time_precision = ms|us` (strongSwan
    commit f09b8203d3, conf/options/charon-logging.opt); 6.0 still reads the old name as a
    fallback, but only the new one is documented, so each release gets its own.
    """
    return "time_precision = ms" if version >= V6_0 else "time_add_ms = yes"


# --- swanctl / VICI -----------------------------------------------------------------------

_SINCE_6_0 = re.compile(r"^(ke[1-7]_\w+|mlkem(512|768|1024))$")
"""Proposal keywords 6.0 introduced: ML-KEM and the additional key exchanges of RFC 9370
(`ke1_` .. `ke7_` prefixes; NEWS 6.0.0 "Support of multiple post-quantum (and classic) key
exchanges using the IKE_INTERMEDIATE exchange")."""


def unsupported_keywords(proposal: str, version: Version) -> list[str]:
    """The keywords of PROPOSAL that the release VERSION does not know (empty = fine).

    infra.gateway.proposals checks the grammar of every release; this says which words are
    too new for one, so a spec fails before charon answers with a terse "invalid value".
    """
    if version >= V6_0:
        return []
    return [word for word in proposal.split("-") if _SINCE_6_0.match(word)]


DEFAULT_CHILD_REKEY = 3600
"""charon's CHILD SA rekey_time when neither rekey_time nor life_time is set (1 h)."""


def child_rekey_time(version: Version, rekey_time: int | None, life_time: int | None) -> int:
    """The CHILD SA rekey time (s) charon uses for a child configured with these values.

    swanctl.opt, `children.<child>.rekey_time`: 5.9.8 "1h"; 6.0 "1h or life_time - 10%",
    so a child that sets only life_time rekeys before it expires on 6.x, but on 5.9.x
    rekeys after one hour whatever its life_time says.
    """
    if rekey_time is not None:
        return rekey_time
    if version >= V6_0 and life_time:
        return life_time - life_time // 10
    return DEFAULT_CHILD_REKEY


def check_spec(spec: GatewaySpec, version: Version) -> None:
    """Raise SpecError when SPEC asks release VERSION for something it cannot do, or for
    something it would do differently from what the spec states (field path first)."""
    label = ".".join(str(n) for n in version)
    for i, conn in enumerate(spec.connections):
        fields = [(f"connections[{i}].proposals", conn.proposals)]
        fields += [
            (f"connections[{i}].children[{j}].esp_proposals", c.esp_proposals)
            for j, c in enumerate(conn.children)
        ]
        for path, proposals in fields:
            for k, proposal in enumerate(proposals or ()):
                bad = unsupported_keywords(proposal, version)
                if bad:
                    raise SpecError(
                        f"{path}[{k}]: {', '.join(bad)} needs strongSwan >= 6.0; "
                        f"this gateway runs {label}"
                    )
        for j, child in enumerate(conn.children):
            rekey = child_rekey_time(version, child.rekey_time, child.life_time)
            if child.life_time and rekey >= child.life_time:
                raise SpecError(
                    f"connections[{i}].children[{j}].life_time: {child.life_time} s expires "
                    f"before strongSwan {label} rekeys (after {rekey} s, its default); "
                    "set rekey_time"
                )
