"""Contexts: the record an activity is regarding (an opportunity, a lead, a contact, an
account) or none, with the time window, people and engagement level it fixes.

The engagement level is 1.0 for won-like deals (two-way, fast, frequent), 0.0 for
lost-like ones (one-way outreach), 0.5 for everything else; `lerp` interpolates every
probability of the activity models (emails.py, meetings_and_calls.py) linearly between its
lost-like and won-like value. `history_weight` and `future_weight` say how likely each
context is to get a past or a scheduled activity.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .entities import Entities
from .sampling import DAY, HOUR, MINUTE, weighted_choice

# Context kinds, in the order of KIND_NAMES (the regardingobjecttypecode).
OPPORTUNITY, LEAD, CONTACT, ACCOUNT, NONE = range(5)
KIND_NAMES = ("opportunity", "lead", "contact", "account", None)

HISTORY_SHARE = {OPPORTUNITY: 0.62, LEAD: 0.08, CONTACT: 0.14, ACCOUNT: 0.09, NONE: 0.07}
FUTURE_SHARE = {OPPORTUNITY: 0.65, LEAD: 0.10, CONTACT: 0.15, ACCOUNT: 0.10}
FUTURE_FIRST_DAY = 1  # future activities start the day after end-date ...
FUTURE_LAST_DAY = 45  # ... and reach this many days past it


def lerp(level: np.ndarray, lost_like: float, won_like: float) -> np.ndarray:
    """The probability (or scale) at engagement `level`: lost_like at 0.0, won_like at 1.0."""
    return lost_like + level * (won_like - lost_like)


@dataclass
class Contexts:
    """One row per context: every opportunity, lead, contact and account, then one "none"."""

    kind: np.ndarray
    entity: np.ndarray  # row in the kind's entity arrays
    window_start: np.ndarray
    window_end: np.ndarray
    level: np.ndarray
    owner: np.ndarray  # user, -1 for kind none
    account: np.ndarray  # related account, -1 if none
    history_weight: np.ndarray
    future_weight: np.ndarray


def build_contexts(ent: Entities, rng: np.random.Generator) -> Contexts:
    """Every record as a context: its window (created to closed, within history), level,
    owner, account, and weights shared out by HISTORY_SHARE and FUTURE_SHARE per kind."""
    opp, lead, con, acc = ent.opportunities, ent.leads, ent.contacts, ent.accounts
    n_opp, n_lead, n_con, n_acc = opp.owner.size, lead.owner.size, con.owner.size, acc.owner.size
    end = ent.end
    kind = np.concatenate(
        [
            np.full(n_opp, OPPORTUNITY),
            np.full(n_lead, LEAD),
            np.full(n_con, CONTACT),
            np.full(n_acc, ACCOUNT),
            [NONE],
        ]
    ).astype(np.int8)
    entity = np.concatenate(
        [np.arange(n_opp), np.arange(n_lead), np.arange(n_con), np.arange(n_acc), [0]]
    )
    start = np.concatenate(
        [opp.createdon, lead.createdon, con.createdon, acc.createdon, [ent.start]]
    )
    stop = np.concatenate(
        [opp.closed_at, lead.closed_at, np.full(n_con, end), np.full(n_acc, end), [end]]
    )
    stop = np.minimum(stop, end - MINUTE)
    start = np.minimum(np.maximum(start, ent.start), stop - 2 * HOUR)
    level = np.concatenate(
        [
            opp.won_like.astype(np.float64),
            lead.engagement,
            np.full(n_con, 0.5),
            np.full(n_acc, 0.5),
            [0.5],
        ]
    )
    days = (stop - start) / DAY
    per_kind_history = [
        (1 + days[:n_opp]) ** 0.7 * np.where(opp.won_like, 2.6, 1.0) * rng.lognormal(0, 0.4, n_opp),
        (1 + days[n_opp : n_opp + n_lead]) ** 0.5 * rng.lognormal(0, 0.4, n_lead),
        rng.lognormal(0, 0.8, n_con) * np.where(con.statecode == 0, 1.0, 0.3),
        acc.numberofemployees.astype(np.float64) ** 0.3,
        np.ones(1),
    ]
    per_kind_future = [
        np.where(opp.statecode == 0, np.where(opp.won_like, 3.0, 1.0), 0.0),
        (lead.statecode == 0).astype(np.float64),
        (con.statecode == 0).astype(np.float64),
        (acc.statecode == 0).astype(np.float64),
        np.zeros(1),
    ]

    def normalised(parts: list[np.ndarray], shares: dict[int, float]) -> np.ndarray:
        out = []
        for k, part in enumerate(parts):
            total = part.sum()
            out.append(part * (shares.get(k, 0.0) / total) if total > 0 else part * 0.0)
        return np.concatenate(out)

    return Contexts(
        kind=kind,
        entity=entity,
        window_start=start,
        window_end=stop,
        level=level,
        owner=np.concatenate([opp.owner, lead.owner, con.owner, acc.owner, [-1]]),
        account=np.concatenate([opp.account, lead.account, con.account, np.arange(n_acc), [-1]]),
        history_weight=normalised(per_kind_history, HISTORY_SHARE),
        future_weight=normalised(per_kind_future, FUTURE_SHARE),
    )


def future_contexts(
    rng: np.random.Generator, ctx: Contexts, n_future: int, n: int
) -> tuple[np.ndarray, np.ndarray]:
    """Contexts of n activities, n_future of them scheduled after end-date, in random order;
    also whether each is in the future."""
    history = weighted_choice(rng, ctx.history_weight, n - n_future)
    future = weighted_choice(rng, ctx.future_weight, n_future)
    is_future = np.zeros(n, dtype=bool)
    is_future[n - n_future :] = True
    order = rng.permutation(n)  # interleave, so table order says nothing about the future
    return np.concatenate([history, future])[order], is_future[order]


def subject_templates(rng: np.random.Generator, kind: np.ndarray, table) -> np.ndarray:
    """Index into the flattened template list of `table` for each activity's kind."""
    counts = np.array([len(t) for t in table])
    offsets = np.cumsum(counts) - counts
    return offsets[kind] + (rng.random(kind.size) * counts[kind]).astype(np.int64)
