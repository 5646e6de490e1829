"""The numeric model of the CRM records: users, accounts, contacts, leads, opportunities,
connection roles and connections, sized from the activity volume and built coherent with
each other (`build_entities`).

Everything is integer codes, indexes and epoch seconds in numpy arrays; names and GUIDs
are spelled out only when tables are written (spelling.py). Indexes refer to rows of the
other arrays (an opportunity's `account` is a row of the account arrays), -1 meaning none.
The record families live in organisation.py (users, accounts, contacts), deals.py (leads,
opportunities) and connections.py.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .connections import Connections, build_connections
from .deals import Leads, Opportunities, build_leads, build_opportunities
from .organisation import Accounts, Contacts, Users, build_accounts_and_contacts, build_users
from .sampling import DAY, HISTORY_DAYS


@dataclass(frozen=True)
class Sizes:
    activities: int
    users: int
    business_units: int
    accounts: int
    contacts: int
    leads: int
    opportunities: int

    @classmethod
    def for_activities(cls, activities: int, seed: int) -> Sizes:
        """Record counts that scale with the activity volume (ratios from the brief)."""
        contacts = max(round(activities / 25), 100)
        accounts = max(round(contacts / 5), 20)
        users = int(np.clip(round(activities / 2000), 25, 600))
        business_units = int(np.random.default_rng([seed, 99]).integers(4, 9))
        return cls(
            activities=activities,
            users=users,
            business_units=business_units,
            accounts=accounts,
            contacts=contacts,
            leads=max(round(contacts / 4), 25),
            opportunities=round(accounts * 1.5),
        )


@dataclass
class Entities:
    sizes: Sizes
    end: int  # epoch seconds of end-date 00:00 UTC: history is before, future after a day
    start: int  # start of history, two years earlier
    users: Users
    accounts: Accounts
    contacts: Contacts
    leads: Leads
    opportunities: Opportunities
    connections: Connections


def build_entities(sizes: Sizes, seed: int, end: int) -> Entities:
    """All CRM records, coherent with each other, for history [end - 2 years, end)."""
    rng = np.random.default_rng([seed, 1])
    start = end - HISTORY_DAYS * DAY
    users = build_users(rng, sizes, start)
    accounts, contacts, size_weight = build_accounts_and_contacts(rng, sizes, users, start, end)
    leads = build_leads(rng, sizes, users, accounts, contacts, start, end, size_weight)
    opportunities = build_opportunities(rng, sizes, users, accounts, start, end, size_weight)
    connections = build_connections(rng, sizes, users, accounts, leads, opportunities, end)
    return Entities(
        sizes=sizes,
        end=end,
        start=start,
        users=users,
        accounts=accounts,
        contacts=contacts,
        leads=leads,
        opportunities=opportunities,
        connections=connections,
    )
