"""The numeric model of the sales pipeline: leads and opportunities, each with its open,
won or lost state, its life span (`closed_at`) and its engagement (won-like or lost-like),
which sets how lively its activities are (contexts.py).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from . import vocabulary as vocab
from .organisation import company_words
from .sampling import DAY, HISTORY_DAYS, HOUR, NULL, dates_between, weighted_choice


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


def build_leads(rng, sizes, users, accounts, contacts, start, end, size_weight) -> Leads:
    """Leads created over history; 35% of an existing account (weighed by size_weight),
    closed ones qualified (won-like) or disqualified (lost-like)."""
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
        company_words=company_words(rng, n),
        account=account,
        contact=contact,
        owner=users.random_enabled(rng, n),
        statecode=state,
        createdon=createdon,
        modifiedon=np.where(
            closed,
            np.minimum(close + rng.integers(0, 2 * HOUR, n), end - 1),
            dates_between(rng, createdon, np.full(n, end - HOUR)),
        ),
        closed_at=closed_at,
        engagement=engagement.astype(np.float64),
    )


def build_opportunities(rng, sizes, users, accounts, start, end, size_weight) -> Opportunities:
    """Opportunities of accounts weighed by size_weight: about 35% won, 45% lost, the rest
    open (half of them won-like)."""
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
            dates_between(rng, createdon, np.full(n, end - HOUR)),
        ),
        closed_at=closed_at,
        won_like=won_like,
    )
