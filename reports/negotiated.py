"""What the capture says was negotiated: the chosen IKE and ESP proposals, and their offers.

Why from the capture and not from the gateway's configuration: the recommended-settings page
must say what actually made a cell work, and with charon's default proposals configured
("proposals not set") only the wire tells which algorithms were chosen.
"""

from __future__ import annotations

from dataclasses import dataclass

from infra.capture.facts import CaptureFacts, IkeMessage, Proposal
from reports.proposal_names import proposal_name, swanctl_proposal


@dataclass(frozen=True)
class Chosen:
    """One chosen proposal in charon's notation and as a swanctl.conf keyword string."""

    log: str
    swanctl: str
    frame: int


@dataclass(frozen=True)
class Negotiated:
    ike: Chosen | None
    esp: Chosen | None
    ike_offered: tuple[str, ...]
    esp_offered: tuple[str, ...]
    fragmented: bool
    nat_t: bool


def negotiated(facts: CaptureFacts) -> Negotiated:
    init_response = facts.ike_sa_init_response()
    init_request = facts.ike_sa_init_request()
    auth_response = _last_with_sa(facts.ike_auth_responses())
    auth_request = _last_with_sa(facts.ike_auth_requests())
    return Negotiated(
        ike=_chosen(init_response),
        esp=_chosen(auth_response),
        ike_offered=_offered(init_request),
        esp_offered=_offered(auth_request),
        fragmented=any(m.fragment is not None for m in facts.messages),
        nat_t=any(m.sport == 4500 or m.dport == 4500 for m in facts.messages),
    )


def _last_with_sa(messages: tuple[IkeMessage, ...]) -> IkeMessage | None:
    with_sa = [m for m in messages if m.proposals]
    return with_sa[-1] if with_sa else None


def _chosen(message: IkeMessage | None) -> Chosen | None:
    if message is None or not message.proposals:
        return None
    proposal: Proposal = message.proposals[0]
    return Chosen(proposal_name(proposal), swanctl_proposal(proposal), message.frame)


def _offered(message: IkeMessage | None) -> tuple[str, ...]:
    return () if message is None else tuple(proposal_name(p) for p in message.proposals)
