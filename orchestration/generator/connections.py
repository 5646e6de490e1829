"""The numeric model of connections: stakeholder contacts of opportunities and leads, and
the sales team (users other than the owner) of each opportunity, with their roles.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from . import vocabulary as vocab
from .sampling import DAY, HOUR, Groups, weighted_choice

# Connection record types (record1 / record2).
RECORD_OPPORTUNITY = 0
RECORD_LEAD = 1
RECORD_CONTACT = 0
RECORD_USER = 1

STAKEHOLDER_ROLES = np.array(
    [i for i, (_, category) in enumerate(vocab.CONNECTION_ROLES) if category == 1000]
)
SALES_TEAM_ROLES = np.array(
    [i for i, (_, category) in enumerate(vocab.CONNECTION_ROLES) if category == 1001]
)


@dataclass
class Connections:
    record1_type: np.ndarray
    record1: np.ndarray
    record2_type: np.ndarray
    record2: np.ndarray
    role: np.ndarray
    statecode: np.ndarray
    modifiedon: np.ndarray
    opportunity_stakeholders: Groups
    opportunity_sales_team: Groups
    lead_stakeholders: Groups


def _unique_pairs(first: np.ndarray, second: np.ndarray, n_second: int) -> np.ndarray:
    """Positions of the first occurrence of each (first, second) pair, in input order."""
    _, position = np.unique(first * np.int64(n_second + 1) + second, return_index=True)
    return np.sort(position)


def build_connections(rng, sizes, users, accounts, leads, opportunities, end) -> Connections:
    """Opportunity stakeholders, opportunity sales teams, then lead stakeholders (that
    order in the arrays), each pair once; 3% inactive."""
    opp = opportunities
    n_opp, n_lead = sizes.opportunities, sizes.leads

    # Stakeholders of an opportunity: contacts of its account (won deals are multi-threaded).
    k = 1 + rng.poisson(np.where(opp.won_like, 1.8, 0.8))
    s_opp = np.repeat(np.arange(n_opp), k)
    s_contact = accounts.contacts.pick(opp.account[s_opp], rng.random(s_opp.size))
    keep = _unique_pairs(s_opp, s_contact, sizes.contacts)
    s_opp, s_contact = s_opp[keep], s_contact[keep]

    # Sales team: colleagues of the owner's business unit, never the owner.
    k = rng.poisson(np.where(opp.won_like, 1.2, 0.7))
    t_opp = np.repeat(np.arange(n_opp), k)
    t_user = users.colleague(rng, opp.owner[t_opp])
    keep = _unique_pairs(t_opp, t_user, sizes.users)
    t_opp, t_user = t_opp[keep], t_user[keep]
    keep = t_user != opp.owner[t_opp]
    t_opp, t_user = t_opp[keep], t_user[keep]

    # Lead stakeholders: contacts of the lead's parent account.
    with_account = np.flatnonzero(leads.account >= 0)
    k = rng.poisson(0.8, with_account.size)
    l_lead = np.repeat(with_account, k)
    l_contact = accounts.contacts.pick(leads.account[l_lead], rng.random(l_lead.size))
    keep = _unique_pairs(l_lead, l_contact, sizes.contacts)
    l_lead, l_contact = l_lead[keep], l_contact[keep]

    n_s, n_t, n_l = s_opp.size, t_opp.size, l_lead.size
    n = n_s + n_t + n_l
    record1_created = np.concatenate(
        [opp.createdon[s_opp], opp.createdon[t_opp], leads.createdon[l_lead]]
    )
    role = np.concatenate(
        [
            STAKEHOLDER_ROLES[weighted_choice(rng, np.array([0.3, 0.3, 0.25, 0.15]), n_s)],
            SALES_TEAM_ROLES[weighted_choice(rng, np.array([0.7, 0.3]), n_t)],
            STAKEHOLDER_ROLES[weighted_choice(rng, np.array([0.3, 0.3, 0.25, 0.15]), n_l)],
        ]
    )
    return Connections(
        record1_type=np.concatenate(
            [np.full(n_s + n_t, RECORD_OPPORTUNITY), np.full(n_l, RECORD_LEAD)]
        ),
        record1=np.concatenate([s_opp, t_opp, l_lead]),
        record2_type=np.concatenate(
            [np.full(n_s, RECORD_CONTACT), np.full(n_t, RECORD_USER), np.full(n_l, RECORD_CONTACT)]
        ),
        record2=np.concatenate([s_contact, t_user, l_contact]),
        role=role,
        statecode=(rng.random(n) < 0.03).astype(np.int64),
        modifiedon=np.minimum(record1_created + rng.integers(HOUR, 10 * DAY, n), end - 1),
        opportunity_stakeholders=Groups.from_pairs(s_opp, s_contact, n_opp),
        opportunity_sales_team=Groups.from_pairs(t_opp, t_user, n_opp),
        lead_stakeholders=Groups.from_pairs(l_lead, l_contact, n_lead),
    )
