"""The numeric model of the CRM records: users, accounts, contacts, leads, opportunities,
connection roles and connections.

Everything here is integer codes, indexes and epoch seconds in numpy arrays; names and GUIDs
are spelled out only when tables are written (see tables.py). Indexes refer to rows of the
other arrays (an opportunity's `account` is a row of the account arrays), -1 meaning none.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from . import vocabulary as vocab
from .sampling import DAY, HOUR, NULL, Groups, lognormal_int, weighted_choice

HISTORY_DAYS = 730

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
class Users:
    business_unit: np.ndarray
    first_name: np.ndarray
    last_name: np.ndarray
    is_disabled: np.ndarray
    modifiedon: np.ndarray
    enabled: np.ndarray  # indexes of enabled users
    enabled_by_unit: Groups

    def random_enabled(self, rng: np.random.Generator, size: int) -> np.ndarray:
        return self.enabled[rng.integers(0, self.enabled.size, size)]

    def colleague(self, rng: np.random.Generator, user: np.ndarray) -> np.ndarray:
        """Another enabled user of the same business unit (the user only if alone)."""
        picked = self.enabled_by_unit.pick(
            self.business_unit[user], rng.random(user.size), avoid=user
        )
        fallback = self.random_enabled(rng, user.size)
        return np.where(picked >= 0, picked, fallback)


@dataclass
class Accounts:
    name_words: np.ndarray  # (n, 3) indexes into COMPANY_WORDS_1, _2, COMPANY_SUFFIXES
    owner: np.ndarray
    industrycode: np.ndarray
    numberofemployees: np.ndarray
    revenue: np.ndarray
    statecode: np.ndarray
    createdon: np.ndarray
    modifiedon: np.ndarray
    primary_contact: np.ndarray
    contacts: Groups  # contacts by account


@dataclass
class Contacts:
    account: np.ndarray
    first_name: np.ndarray
    last_name: np.ndarray
    job_title: np.ndarray
    owner: np.ndarray
    statecode: np.ndarray
    createdon: np.ndarray
    modifiedon: np.ndarray


@dataclass
class Leads:
    first_name: np.ndarray
    last_name: np.ndarray
    company_words: np.ndarray  # (n, 3); used when the lead has no parent account
    account: np.ndarray
    contact: np.ndarray
    owner: np.ndarray
    statecode: np.ndarray
    createdon: np.ndarray
    modifiedon: np.ndarray
    closed_at: np.ndarray  # end of the lead's active life (end of history when open)
    engagement: np.ndarray  # 1.0 won-like, 0.0 lost-like


@dataclass
class Opportunities:
    account: np.ndarray
    contact: np.ndarray
    owner: np.ndarray
    product: np.ndarray
    estimatedvalue: np.ndarray
    actualvalue: np.ndarray  # NaN = null
    estimatedclosedate: np.ndarray  # epoch days
    actualclosedate: np.ndarray  # epoch days, NULL when open
    statecode: np.ndarray
    createdon: np.ndarray
    modifiedon: np.ndarray
    closed_at: np.ndarray  # close instant, end of history when open
    won_like: np.ndarray


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


def _dates_between(rng: np.random.Generator, low: np.ndarray, high: np.ndarray) -> np.ndarray:
    low = np.asarray(low, dtype=np.int64)
    high = np.maximum(np.asarray(high, dtype=np.int64), low)
    return low + (rng.random(low.size) * (high - low)).astype(np.int64)


def _company_words(rng: np.random.Generator, n: int) -> np.ndarray:
    return np.stack(
        [
            rng.integers(0, len(vocab.COMPANY_WORDS_1), n),
            rng.integers(0, len(vocab.COMPANY_WORDS_2), n),
            rng.integers(0, len(vocab.COMPANY_SUFFIXES), n),
        ],
        axis=1,
    )


def _build_users(rng: np.random.Generator, sizes: Sizes, start: int) -> Users:
    n = sizes.users
    unit = rng.permutation(np.arange(n) % sizes.business_units)
    disabled = rng.random(n) < 0.04
    disabled[: sizes.business_units] = False  # every unit keeps at least one active seller
    enabled = np.flatnonzero(~disabled)
    return Users(
        business_unit=unit,
        first_name=rng.integers(0, len(vocab.FIRST_NAMES), n),
        last_name=rng.integers(0, len(vocab.LAST_NAMES), n),
        is_disabled=disabled,
        modifiedon=start - rng.integers(DAY, 400 * DAY, n),
        enabled=enabled,
        enabled_by_unit=Groups.from_labels(np.where(disabled, -1, unit), sizes.business_units),
    )


def _build_accounts(rng: np.random.Generator, sizes: Sizes, users: Users, start: int, end: int):
    n = sizes.accounts
    established = rng.random(n) < 0.8
    createdon = np.where(
        established,
        start - rng.integers(DAY, 400 * DAY, n),
        end - rng.integers(60 * DAY, (HISTORY_DAYS - 30) * DAY, n),
    )
    employees = np.clip(lognormal_int(rng, 180, 1.3, n), 2, 400_000)
    revenue = np.round(employees * rng.lognormal(np.log(120_000), 0.5, n), -3)
    industry_weights = 1.0 / np.arange(1, 21) ** 0.7
    industry = 1 + weighted_choice(rng, industry_weights, n)
    return dict(
        name_words=_company_words(rng, n),
        owner=users.random_enabled(rng, n),
        industrycode=industry,
        numberofemployees=employees,
        revenue=revenue.astype(np.float64),
        statecode=(rng.random(n) < 0.03).astype(np.int64),
        createdon=createdon,
        modifiedon=_dates_between(rng, createdon, np.full(n, end - HOUR)),
    )


def build_entities(sizes: Sizes, seed: int, end: int) -> Entities:
    """All CRM records, coherent with each other, for history [end - 2 years, end)."""
    rng = np.random.default_rng([seed, 1])
    start = end - HISTORY_DAYS * DAY
    users = _build_users(rng, sizes, start)

    # Accounts and their contacts: every account has at least one contact.
    acc = _build_accounts(rng, sizes, users, start, end)
    n_acc, n_con = sizes.accounts, sizes.contacts
    size_weight = acc["numberofemployees"].astype(np.float64) ** 0.35
    contact_account = np.empty(n_con, dtype=np.int64)
    contact_account[:n_acc] = rng.permutation(n_acc)
    contact_account[n_acc:] = weighted_choice(rng, size_weight, n_con - n_acc)
    orphan = (np.arange(n_con) >= n_acc) & (rng.random(n_con) < 0.03)
    contact_account[orphan] = -1
    contacts_by_account = Groups.from_labels(contact_account, n_acc)
    primary = contacts_by_account.pick(np.arange(n_acc), rng.random(n_acc))
    has_account = contact_account >= 0
    acc_of = np.where(has_account, contact_account, 0)
    contact_created = np.where(
        has_account,
        acc["createdon"][acc_of] + rng.integers(0, 2 * DAY, n_con),
        end - rng.integers(30 * DAY, (HISTORY_DAYS + 300) * DAY, n_con),
    )
    contact_state = (rng.random(n_con) < 0.04).astype(np.int64)
    contact_state[primary] = 0
    contacts = Contacts(
        account=contact_account,
        first_name=rng.integers(0, len(vocab.FIRST_NAMES), n_con),
        last_name=rng.integers(0, len(vocab.LAST_NAMES), n_con),
        job_title=rng.integers(0, len(vocab.JOB_TITLES), n_con),
        owner=np.where(
            has_account & (rng.random(n_con) < 0.8),
            acc["owner"][acc_of],
            users.random_enabled(rng, n_con),
        ),
        statecode=contact_state,
        createdon=contact_created,
        modifiedon=_dates_between(rng, contact_created, np.full(n_con, end - HOUR)),
    )
    accounts = Accounts(primary_contact=primary, contacts=contacts_by_account, **acc)

    leads = _build_leads(rng, sizes, users, accounts, contacts, start, end, size_weight)
    opportunities = _build_opportunities(rng, sizes, users, accounts, start, end, size_weight)
    connections = _build_connections(rng, sizes, users, accounts, leads, opportunities, end)
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


def _build_leads(rng, sizes, users, accounts, contacts, start, end, size_weight) -> Leads:
    n = sizes.leads
    createdon = end - rng.integers(DAY, HISTORY_DAYS * DAY, n)
    has_account = rng.random(n) < 0.35
    account = np.where(has_account, weighted_choice(rng, size_weight, n), -1)
    contact = np.where(
        has_account & (rng.random(n) < 0.7),
        accounts.contacts.pick(account, rng.random(n)),
        -1,
    )
    close = createdon + rng.integers(3 * DAY, 100 * DAY, n)
    closed = (close < end - DAY) & (rng.random(n) >= 0.1)
    state = np.where(closed, np.where(rng.random(n) < 0.45, 1, 2), 0)
    engagement = np.where(state == 1, 1.0, np.where(state == 2, 0.0, rng.random(n) < 0.5))
    has_contact = contact >= 0
    contact_of = np.where(has_contact, contact, 0)
    closed_at = np.where(closed, close, end)
    return Leads(
        first_name=np.where(
            has_contact,
            contacts.first_name[contact_of],
            rng.integers(0, len(vocab.FIRST_NAMES), n),
        ),
        last_name=np.where(
            has_contact, contacts.last_name[contact_of], rng.integers(0, len(vocab.LAST_NAMES), n)
        ),
        company_words=_company_words(rng, n),
        account=account,
        contact=contact,
        owner=users.random_enabled(rng, n),
        statecode=state,
        createdon=createdon,
        modifiedon=np.where(
            closed,
            np.minimum(close + rng.integers(0, 2 * HOUR, n), end - 1),
            _dates_between(rng, createdon, np.full(n, end - HOUR)),
        ),
        closed_at=closed_at,
        engagement=engagement.astype(np.float64),
    )


def _build_opportunities(rng, sizes, users, accounts, start, end, size_weight) -> Opportunities:
    n = sizes.opportunities
    account = weighted_choice(rng, size_weight, n)
    contact = accounts.contacts.pick(account, rng.random(n))
    owner = np.where(rng.random(n) < 0.65, accounts.owner[account], users.random_enabled(rng, n))
    createdon = start + (rng.random(n) ** 0.85 * (HISTORY_DAYS - 1) * DAY).astype(np.int64)
    createdon = np.maximum(createdon, accounts.createdon[account] + rng.integers(DAY, 30 * DAY, n))
    createdon = np.minimum(createdon, end - 2 * DAY - rng.integers(0, 5 * DAY, n))
    cycle = np.clip(rng.lognormal(np.log(60 * DAY), 0.6, n), 7 * DAY, 400 * DAY).astype(np.int64)
    close = createdon + cycle
    closed = (close < end - DAY) & (rng.random(n) >= 0.12)
    won = closed & (rng.random(n) < 0.45)
    state = np.where(won, 1, np.where(closed, 2, 0))
    won_like = np.where(state == 1, True, np.where(state == 2, False, rng.random(n) < 0.5))
    estimated = np.maximum(np.round(rng.lognormal(np.log(30_000), 1.0, n), -2), 500.0)
    actual = np.where(won, np.round(estimated * rng.uniform(0.85, 1.1, n), -2), np.nan)
    estimated_close_day = np.where(
        closed,
        (close + rng.normal(0, 14 * DAY, n).astype(np.int64)) // DAY,
        end // DAY + rng.integers(7, 120, n),
    )
    closed_at = np.where(closed, close, end)
    return Opportunities(
        account=account,
        contact=contact,
        owner=owner,
        product=rng.integers(0, len(vocab.PRODUCTS), n),
        estimatedvalue=estimated,
        actualvalue=actual,
        estimatedclosedate=estimated_close_day,
        actualclosedate=np.where(closed, close // DAY, NULL),
        statecode=state,
        createdon=createdon,
        modifiedon=np.where(
            closed,
            np.minimum(close + rng.integers(60, 2 * HOUR, n), end - 1),
            _dates_between(rng, createdon, np.full(n, end - HOUR)),
        ),
        closed_at=closed_at,
        won_like=won_like,
    )


def _unique_pairs(first: np.ndarray, second: np.ndarray, n_second: int) -> np.ndarray:
    """Positions of the first occurrence of each (first, second) pair, in input order."""
    _, position = np.unique(first * np.int64(n_second + 1) + second, return_index=True)
    return np.sort(position)


def _build_connections(rng, sizes, users, accounts, leads, opportunities, end) -> Connections:
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
