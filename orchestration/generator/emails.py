"""The numeric model of e-mails: threads of a root message and replies in one context,
their sides, times, statuses, tracking counts and parties (one seller and one customer
person per thread, extra recipients per e-mail)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from . import vocabulary as vocab
from .contexts import Contexts, lerp, subject_templates
from .entities import Entities
from .parties import BCC, CC, P_CONTACT, SENDER, TO, USER, Parties, PartySlots, assemble_parties
from .people import People
from .sampling import DAY, HOUR, MINUTE, NULL, business_time, weighted_choice

MAX_THREAD_LENGTH = 12


@dataclass
class Emails:
    n: int
    context: np.ndarray
    thread: np.ndarray  # thread number (conversation root id)
    depth: np.ndarray  # 0 for the root, k for the k-th reply
    team_side: np.ndarray  # initiated by the team
    directioncode: np.ndarray  # 1 true, 0 false, -1 null
    statecode: np.ndarray
    statuscode: np.ndarray
    senton: np.ndarray
    createdon: np.ndarray
    modifiedon: np.ndarray
    owner: np.ndarray
    has_messageid: np.ndarray
    has_inreplyto: np.ndarray
    isemailfollowed: np.ndarray
    opencount: np.ndarray
    replycount: np.ndarray
    linksclickedcount: np.ndarray
    attachmentopencount: np.ndarray
    lastopenedtime: np.ndarray
    template: np.ndarray
    parties: Parties


def _group_cumsum(values: np.ndarray, starts_mask: np.ndarray) -> np.ndarray:
    """Cumulative sum that restarts at each True of starts_mask (values there included)."""
    total = np.cumsum(values)
    start_index = np.maximum.accumulate(np.where(starts_mask, np.arange(values.size), 0))
    return total - total[start_index] + values[start_index]


def _email_threads(rng: np.random.Generator, ctx: Contexts, n: int):
    """Thread contexts and lengths: a root e-mail and a chain of replies, longer for
    engaged customers; exactly n e-mails in all."""
    thread_ctx, thread_len = [], []
    total = 0
    while total < n:
        batch = max(int((n - total) / 1.6), 64)
        c = weighted_choice(rng, ctx.history_weight, batch)
        go_on = lerp(ctx.level[c], 0.25, 0.65)
        length = np.minimum(rng.geometric(1 - go_on), MAX_THREAD_LENGTH)
        thread_ctx.append(c)
        thread_len.append(length)
        total += int(length.sum())
    t_ctx = np.concatenate(thread_ctx)
    t_len = np.concatenate(thread_len)
    cut = np.searchsorted(np.cumsum(t_len), n)
    t_ctx, t_len = t_ctx[: cut + 1], t_len[: cut + 1].copy()
    t_len[-1] -= int(t_len.sum()) - n
    return t_ctx, t_len


def _email_messages(
    rng: np.random.Generator, ctx: Contexts, end: int, t_ctx: np.ndarray, t_len: np.ndarray
) -> dict[str, np.ndarray]:
    """Sides, times, statuses and tracking of every e-mail, in thread order."""
    n, n_threads = int(t_len.sum()), t_ctx.size
    thread = np.repeat(np.arange(n_threads, dtype=np.int32), t_len)
    first = np.zeros(n, dtype=bool)
    first[np.cumsum(t_len) - t_len] = True
    last = np.zeros(n, dtype=bool)
    last[np.cumsum(t_len) - 1] = True
    depth = np.arange(n) - np.maximum.accumulate(np.where(first, np.arange(n), 0))
    level = ctx.level[t_ctx][thread]

    # Who writes: the root side, then mostly alternating sides.
    t_customer_root = rng.random(n_threads) < lerp(ctx.level[t_ctx], 0.10, 0.40)
    alternate = (~first) & (rng.random(n) < lerp(level, 0.6, 0.9))
    flips = _group_cumsum(alternate.astype(np.int32), first) % 2
    customer_side = t_customer_root[thread] ^ (flips == 1)
    del flips
    team_side = ~customer_side

    # Reply delays: the team answers within hours, customers within a day or two (faster
    # when the deal is won-like); a same-side follow-up is a nudge days later.
    delay = np.where(
        team_side,
        rng.lognormal(np.log(3 * HOUR), 1.0, n),
        lerp(level, 48.0, 16.0) * HOUR * rng.lognormal(0, 1.0, n),
    )
    delay = np.where(alternate, delay, rng.lognormal(np.log(3 * DAY), 0.6, n))
    del alternate
    np.clip(delay, 2 * MINUTE, 20 * DAY, out=delay)
    delay[first] = 0
    t_duration = np.bincount(thread, weights=delay, minlength=n_threads)
    window = (ctx.window_end[t_ctx] - ctx.window_start[t_ctx]).astype(np.float64)
    scale = np.minimum(1.0, 0.9 * window / np.maximum(t_duration, 1.0))
    delay = np.where(first, 0, np.maximum(delay * scale[thread], MINUTE)).astype(np.int64)
    t_span = np.bincount(thread, weights=delay, minlength=n_threads).astype(np.int64) + 1
    t_root = business_time(rng, ctx.window_start[t_ctx], ctx.window_end[t_ctx] - t_span)
    time = t_root[thread] + _group_cumsum(delay, first)
    del delay

    # Status: drafts, failures and cancellations are unsent last messages of the team.
    unsent_pool = rng.permutation(np.flatnonzero(last & team_side))
    n_draft, n_failed, n_canceled = round(0.03 * n), round(0.01 * n), round(0.02 * n)
    status = np.where(team_side, 3, 4).astype(np.int8)
    status[rng.random(n) < 0.1] = 2
    draft = unsent_pool[:n_draft]
    failed = unsent_pool[n_draft : n_draft + n_failed]
    canceled = unsent_pool[n_draft + n_failed : n_draft + n_failed + n_canceled]
    status[draft], status[failed], status[canceled] = 1, 8, 5
    state = np.select([status == 5, (status == 1) | (status == 8)], [2, 0], 1).astype(np.int8)
    sent = np.isin(status, (2, 3, 4))
    direction = np.where(rng.random(n) < 0.02, -1, team_side).astype(np.int8)

    # Engagement tracking on followed outgoing e-mails.
    customer_reply = np.zeros(n, dtype=bool)
    customer_reply[:-1] = ~last[:-1] & customer_side[1:] & team_side[:-1]
    followed = team_side & sent & (rng.random(n) < 0.3)
    opened = followed & ((rng.random(n) < lerp(level, 0.35, 0.8)) | customer_reply)
    opencount = np.where(opened, 1 + rng.poisson(lerp(level, 0.8, 2.5)), 0)
    replycount = np.where(
        followed,
        customer_reply + (rng.random(n) < 0.03) + rng.poisson(0.05, n),
        0,
    )
    clicked = opened & (rng.random(n) < lerp(level, 0.1, 0.35))
    viewed = opened & (rng.random(n) < lerp(level, 0.15, 0.45))
    opened_after = rng.lognormal(np.log(lerp(level, 10.0, 2.0) * HOUR), 1.0, n).astype(np.int64)
    lastopened = np.where(opened, np.minimum(time + opened_after + MINUTE, end - 1), NULL)
    del opened_after, level

    created = np.where(
        team_side, time - rng.integers(MINUTE, 30 * MINUTE, n), time + rng.integers(5, 300, n)
    )
    created = np.minimum(created, end - 1)
    touched = np.maximum(np.maximum(created, time), np.where(opened, lastopened, 0))
    modified = np.minimum(touched + rng.integers(0, 10 * MINUTE, n), end - 1)
    del touched
    return dict(
        thread=thread,
        depth=depth.astype(np.int16),
        team_side=team_side,
        directioncode=direction,
        statecode=state,
        statuscode=status,
        senton=np.where(sent, time, NULL),
        createdon=created,
        modifiedon=np.maximum(modified, created),
        has_messageid=sent,
        has_inreplyto=(depth > 0) & (rng.random(n) >= 0.1),
        isemailfollowed=followed,
        opencount=opencount.astype(np.int32),
        replycount=replycount.astype(np.int32),
        linksclickedcount=np.where(clicked, 1 + rng.poisson(0.6, n), 0).astype(np.int32),
        attachmentopencount=np.where(viewed, 1 + rng.poisson(0.8, n), 0).astype(np.int32),
        lastopenedtime=lastopened,
    )


def _email_parties(
    rng: np.random.Generator,
    ent: Entities,
    people: People,
    t_ctx: np.ndarray,
    thread: np.ndarray,
    team_side: np.ndarray,
    unresolved_base: int,
) -> tuple[np.ndarray, Parties]:
    """One seller and one customer person per thread, extra recipients per e-mail."""
    n = thread.size
    t_team = people.team(rng, t_ctx)
    t_cust_type, t_cust = people.customer(rng, t_ctx)
    c = t_ctx[thread]
    seller = t_team[thread]
    cust_type, cust = t_cust_type[thread], t_cust[thread]
    main_contact = np.where(cust_type == P_CONTACT, cust, -1)
    rows = np.arange(n)
    slots = PartySlots.empty()
    slots.add(rows, np.where(team_side, USER, cust_type), np.where(team_side, seller, cust), SENDER)
    slots.add(rows, np.where(team_side, cust_type, USER), np.where(team_side, cust, seller), TO)
    del cust_type, cust
    second_to = rows[rng.random(n) < 0.5]
    to_customer = team_side[second_to]
    x_type, x_idx = people.extra_customer(rng, c[second_to], main_contact[second_to])
    x_team = people.extra_team(rng, c[second_to], seller[second_to])
    slots.add(
        second_to,
        np.where(to_customer, x_type, USER),
        np.where(to_customer, x_idx, x_team),
        TO,
    )
    cc_team = rows[rng.random(n) < 0.55]
    slots.add(cc_team, USER, people.extra_team(rng, c[cc_team], seller[cc_team]), CC)
    cc_customer = rows[rng.random(n) < 0.2]
    x_type, x_idx = people.extra_customer(rng, c[cc_customer], main_contact[cc_customer])
    slots.add(cc_customer, x_type, x_idx, CC)
    bcc = rows[team_side & (rng.random(n) < 0.05)]
    slots.add(bcc, USER, ent.users.random_enabled(rng, bcc.size), BCC)
    del rows, c, main_contact
    return seller.astype(np.int32), assemble_parties(slots, unresolved_base)


def build_emails(
    ent: Entities, ctx: Contexts, people: People, n: int, seed: int, unresolved_base: int
) -> Emails:
    rng = np.random.default_rng([seed, 2])
    t_ctx, t_len = _email_threads(rng, ctx, n)
    fields = _email_messages(rng, ctx, ent.end, t_ctx, t_len)
    thread = fields["thread"]
    owner, parties = _email_parties(
        rng, ent, people, t_ctx, thread, fields["team_side"], unresolved_base
    )
    template = subject_templates(rng, ctx.kind[t_ctx], vocab.EMAIL_SUBJECTS)
    return Emails(
        n=n,
        context=t_ctx[thread].astype(np.int32),
        owner=owner,
        template=template[thread].astype(np.int16),
        parties=parties,
        **fields,
    )
