"""The CHILD SA created in IKE_AUTH: SPIs, negotiated ESP suite, keys, traffic selectors.

KEYMAT = prf+(SK_d, Ni | Nr) with the nonces of IKE_SA_INIT (RFC 7296 2.17): Windows
uses no PFS for the first CHILD SA (windows-client-behavior.md 2.4). A rekeyed CHILD SA
uses the nonces of its CREATE_CHILD_SA and, with PFS, the new g^ir in front of them; when
the gateway initiated that exchange, the "initiator" keys are the gateway's, so the keys
are stored turned round: ``keys.*_i`` always protect what this client sends.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from emulator.codec import Proposal, TrafficSelector, UnknownTrafficSelector
from emulator.crypto import ChildSaKeys, PrfAlgorithm, child_sa_keys
from emulator.net.esp_algorithms import EspSuite
from emulator.sa.cp import ConfigReply

Selector = TrafficSelector | UnknownTrafficSelector


@dataclass(frozen=True)
class ChildSa:
    spi_in: bytes
    """Our inbound SPI (put into our proposal; the gateway sends ESP with it)."""
    spi_out: bytes
    """The gateway's inbound SPI (from its chosen proposal; we send with it)."""
    proposal: Proposal
    suite: EspSuite
    keys: ChildSaKeys
    tsi: tuple[Selector, ...]
    tsr: tuple[Selector, ...]
    config: ConfigReply


def derive_child(
    prf: PrfAlgorithm,
    sk_d: bytes,
    nonce_i: bytes,
    nonce_r: bytes,
    proposal: Proposal,
    spi_in: bytes,
    tsi: tuple[Selector, ...],
    tsr: tuple[Selector, ...],
    config: ConfigReply,
    *,
    shared_secret: bytes | None = None,
    we_initiated: bool = True,
) -> ChildSa:
    """PROPOSAL carries the gateway's inbound SPI; TSI/TSR are this client's / the
    gateway's side, whoever initiated; NONCE_I/NONCE_R in the exchange's order."""
    suite = EspSuite.from_proposal(proposal)
    keys = child_sa_keys(
        prf,
        sk_d,
        nonce_i,
        nonce_r,
        suite.encr_key_size,
        suite.integ_key_size,
        shared_secret=shared_secret,
    )
    if not we_initiated:
        keys = replace(
            keys,
            encr_i=keys.encr_r,
            integ_i=keys.integ_r,
            encr_r=keys.encr_i,
            integ_r=keys.integ_i,
        )
    return ChildSa(spi_in, proposal.spi, proposal, suite, keys, tsi, tsr, config)
