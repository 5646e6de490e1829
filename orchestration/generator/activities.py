"""The numeric model of activities: emails in threads, appointments, phone calls and their
parties.

Every activity happens in a *context*: the record it is regarding (an opportunity, a lead,
a contact, an account) or none. The context fixes the time window, the people who take
part, and the engagement level: 1.0 for won-like deals (two-way, fast, frequent), 0.0 for
lost-like ones (one-way outreach), 0.5 for everything else. Probabilities interpolate
linearly between their lost-like and won-like values.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from . import vocabulary as vocab
from .entities import Entities
from .sampling import DAY, HOUR, MINUTE, NULL, business_time, weighted_choice

# Context kinds, in the order of KIND_NAMES (the regardingobjecttypecode).
OPPORTUNITY, LEAD, CONTACT, ACCOUNT, NONE = range(5)
KIND_NAMES = ("opportunity", "lead", "contact", "account", None)

# Party types, in the order of PARTY_TYPE_NAMES (the partyobjecttypecode).
USER, P_CONTACT, P_ACCOUNT, P_LEAD, UNRESOLVED = range(5)
PARTY_TYPE_NAMES = ("systemuser", "contact", "account", "lead", None)

# participationtypemask values written.
SENDER, TO, CC, BCC, REQUIRED, OPTIONAL, ORGANIZER = 1, 2, 3, 4, 5, 6, 7

HISTORY_SHARE = {OPPORTUNITY: 0.62, LEAD: 0.08, CONTACT: 0.14, ACCOUNT: 0.09, NONE: 0.07}
FUTURE_SHARE = {OPPORTUNITY: 0.65, LEAD: 0.10, CONTACT: 0.15, ACCOUNT: 0.10}
FUTURE_FIRST_DAY = 1  # future activities start the day after end-date ...
FUTURE_LAST_DAY = 45  # ... and reach this many days past it
MAX_THREAD_LENGTH = 12


def _lerp(level: np.ndarray, lost_like: float, won_like: float) -> np.ndarray:
    return lost_like + level * (won_like - lost_like)


@dataclass
class Contexts:
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


class People:
    """Who takes part in an activity of a context, drawn for many activities at once."""

    def __init__(self, ent: Entities, ctx: Contexts):
        self.ent = ent
        self.ctx = ctx

    def team(self, rng: np.random.Generator, c: np.ndarray) -> np.ndarray:
        """The seller: the record owner (always for leads), a sales-team member on some
        deals, anyone for contacts and accounts now and then."""
        ctx, users = self.ctx, self.ent.users
        kind, entity, owner = ctx.kind[c], ctx.entity[c], ctx.owner[c]
        u = rng.random(c.size)
        out = owner.copy()
        opp = (kind == OPPORTUNITY) & (u < 0.35)
        member = self.ent.connections.opportunity_sales_team.pick(
            np.where(opp, entity, -1), rng.random(c.size)
        )
        out = np.where(opp & (member >= 0), member, out)
        anyone = (kind == NONE) | ((kind == CONTACT) & (u < 0.5)) | ((kind == ACCOUNT) & (u < 0.4))
        out = np.where(anyone | (out < 0), users.random_enabled(rng, c.size), out)
        return out

    def customer(self, rng: np.random.Generator, c: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """The customer-side person (party type, index) an activity of the context is with."""
        ent, ctx = self.ent, self.ctx
        kind, entity = ctx.kind[c], ctx.entity[c]
        n = c.size
        u = rng.random(n)
        v = rng.random(n)
        ptype = np.full(n, P_CONTACT, dtype=np.int8)
        pidx = np.full(n, -1, dtype=np.int64)

        is_opp = kind == OPPORTUNITY
        opp_i = np.where(is_opp, entity, 0)
        opp_contact = ent.opportunities.contact[opp_i]
        stakeholder = ent.connections.opportunity_stakeholders.pick(
            np.where(is_opp & (u >= 0.5) & (u < 0.85), entity, -1), v
        )
        primary = ent.accounts.primary_contact[ent.opportunities.account[opp_i]]
        opp_pick = np.where(u < 0.5, opp_contact, np.where(u < 0.85, stakeholder, primary))
        opp_pick = np.where(opp_pick >= 0, opp_pick, opp_contact)
        pidx = np.where(is_opp, opp_pick, pidx)

        is_lead = kind == LEAD
        lead_i = np.where(is_lead, entity, 0)
        lead_contact = ent.leads.contact[lead_i]
        lead_stake = ent.connections.lead_stakeholders.pick(
            np.where(is_lead & (u >= 0.9), entity, -1), v
        )
        lead_person = np.where(u < 0.7, -1, np.where(u < 0.9, lead_contact, lead_stake))
        as_lead = is_lead & (lead_person < 0)
        ptype = np.where(as_lead, P_LEAD, ptype).astype(np.int8)
        pidx = np.where(as_lead, entity, np.where(is_lead, lead_person, pidx))

        is_contact = kind == CONTACT
        pidx = np.where(is_contact, entity, pidx)

        is_account = kind == ACCOUNT
        acc_i = np.where(is_account, entity, 0)
        member = ent.accounts.contacts.pick(np.where(is_account, entity, -1), v)
        acc_pick = np.where(u < 0.5, ent.accounts.primary_contact[acc_i], member)
        account_party = is_account & (u >= 0.95)
        ptype = np.where(account_party, P_ACCOUNT, ptype).astype(np.int8)
        pidx = np.where(account_party, entity, np.where(is_account, acc_pick, pidx))

        is_none = kind == NONE
        active = np.flatnonzero(ent.contacts.statecode == 0)
        random_contact = active[rng.integers(0, active.size, n)]
        external = is_none & (u >= 0.85)
        ptype = np.where(external, UNRESOLVED, ptype).astype(np.int8)
        pidx = np.where(is_none, np.where(external, -1, random_contact), pidx)
        return ptype, pidx

    def extra_customer(
        self,
        rng: np.random.Generator,
        c: np.ndarray,
        avoid: np.ndarray,
        external_share: float = 0.06,
    ) -> tuple[np.ndarray, np.ndarray]:
        """Another customer-side person: a contact of the related account, or an outsider."""
        account = self.ctx.account[c]
        member = self.ent.accounts.contacts.pick(account, rng.random(c.size), avoid=avoid)
        external = (member < 0) | (rng.random(c.size) < external_share)
        ptype = np.where(external, UNRESOLVED, P_CONTACT).astype(np.int8)
        return ptype, np.where(external, -1, member)

    def extra_team(self, rng: np.random.Generator, c: np.ndarray, user: np.ndarray) -> np.ndarray:
        """A colleague: a sales-team member of the deal, else someone of the same unit."""
        ctx = self.ctx
        member = self.ent.connections.opportunity_sales_team.pick(
            np.where(ctx.kind[c] == OPPORTUNITY, ctx.entity[c], -1), rng.random(c.size), user
        )
        member = np.where(member == user, -1, member)
        colleague = self.ent.users.colleague(rng, user)
        return np.where(member >= 0, member, colleague)


@dataclass
class PartySlots:
    """Party rows being collected for one activity table, before de-duplication."""

    activity: list[np.ndarray]
    ptype: list[np.ndarray]
    pidx: list[np.ndarray]
    mask: list[np.ndarray]

    @classmethod
    def empty(cls) -> PartySlots:
        return cls([], [], [], [])

    def add(self, rows: np.ndarray, ptype, pidx, mask: int) -> None:
        rows = np.asarray(rows, dtype=np.int32)
        self.activity.append(rows)
        self.ptype.append(np.broadcast_to(np.asarray(ptype, dtype=np.int8), rows.shape).copy())
        self.pidx.append(np.broadcast_to(np.asarray(pidx, dtype=np.int32), rows.shape).copy())
        self.mask.append(np.full(rows.shape, mask, dtype=np.int8))


@dataclass
class Parties:
    activity: np.ndarray  # row of the activity table
    ptype: np.ndarray
    pidx: np.ndarray  # entity row; for UNRESOLVED a running number (spells the address)
    mask: np.ndarray

    @property
    def size(self) -> int:
        return self.activity.size


def _bits(x: np.ndarray) -> int:
    return max(int(x.max(initial=0)).bit_length(), 1)


def assemble_parties(slots: PartySlots, unresolved_base: int) -> Parties:
    """Concatenate slots, drop a person's second role in one activity, order by activity.

    The slot order is the priority: a contact who is both sender and cc stays the sender.
    """
    slot = np.concatenate([np.full(a.size, i, dtype=np.int8) for i, a in enumerate(slots.activity)])
    activity = np.concatenate(slots.activity)
    ptype = np.concatenate(slots.ptype)
    pidx = np.concatenate(slots.pidx)
    mask = np.concatenate(slots.mask)
    for parts in (slots.activity, slots.ptype, slots.pidx, slots.mask):
        parts.clear()
    external = ptype == UNRESOLVED
    pidx[external] = np.arange(np.count_nonzero(external)) + unresolved_base  # never merged

    b_slot, b_pidx, b_act = _bits(slot), _bits(pidx), _bits(activity)
    if b_act + 3 + b_pidx + b_slot > 63:
        order = np.lexsort((slot, pidx, ptype, activity))
    else:
        key = activity.astype(np.int64) << 3 | ptype
        key = (key << b_pidx | pidx) << b_slot | slot
        order = np.argsort(key, kind="stable")
        del key
    a, t, p = activity[order], ptype[order], pidx[order]
    duplicate = np.zeros(order.size, dtype=bool)
    duplicate[1:] = (a[1:] == a[:-1]) & (t[1:] == t[:-1]) & (p[1:] == p[:-1])
    del a, t, p
    kept = order[~duplicate]
    del order, duplicate
    kept = kept[np.argsort(activity[kept].astype(np.int64) << b_slot | slot[kept], kind="stable")]
    return Parties(activity=activity[kept], ptype=ptype[kept], pidx=pidx[kept], mask=mask[kept])


def _subject_templates(rng: np.random.Generator, kind: np.ndarray, table) -> np.ndarray:
    """Index into the flattened template list of `table` for each activity's kind."""
    counts = np.array([len(t) for t in table])
    offsets = np.cumsum(counts) - counts
    return offsets[kind] + (rng.random(kind.size) * counts[kind]).astype(np.int64)


# ----------------------------------------------------------------------------- emails


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
        go_on = _lerp(ctx.level[c], 0.25, 0.65)
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
    t_customer_root = rng.random(n_threads) < _lerp(ctx.level[t_ctx], 0.10, 0.40)
    alternate = (~first) & (rng.random(n) < _lerp(level, 0.6, 0.9))
    flips = _group_cumsum(alternate.astype(np.int32), first) % 2
    customer_side = t_customer_root[thread] ^ (flips == 1)
    del flips
    team_side = ~customer_side

    # Reply delays: the team answers within hours, customers within a day or two (faster
    # when the deal is won-like); a same-side follow-up is a nudge days later.
    delay = np.where(
        team_side,
        rng.lognormal(np.log(3 * HOUR), 1.0, n),
        _lerp(level, 48.0, 16.0) * HOUR * rng.lognormal(0, 1.0, n),
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
    opened = followed & ((rng.random(n) < _lerp(level, 0.35, 0.8)) | customer_reply)
    opencount = np.where(opened, 1 + rng.poisson(_lerp(level, 0.8, 2.5)), 0)
    replycount = np.where(
        followed,
        customer_reply + (rng.random(n) < 0.03) + rng.poisson(0.05, n),
        0,
    )
    clicked = opened & (rng.random(n) < _lerp(level, 0.1, 0.35))
    viewed = opened & (rng.random(n) < _lerp(level, 0.15, 0.45))
    opened_after = rng.lognormal(np.log(_lerp(level, 10.0, 2.0) * HOUR), 1.0, n).astype(np.int64)
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
    template = _subject_templates(rng, ctx.kind[t_ctx], vocab.EMAIL_SUBJECTS)
    return Emails(
        n=n,
        context=t_ctx[thread].astype(np.int32),
        owner=owner,
        template=template[thread].astype(np.int16),
        parties=parties,
        **fields,
    )


# ----------------------------------------------------------------------- appointments


@dataclass
class Appointments:
    n: int
    context: np.ndarray
    scheduledstart: np.ndarray
    scheduledend: np.ndarray
    scheduleddurationminutes: np.ndarray
    actualstart: np.ndarray
    actualend: np.ndarray
    actualdurationminutes: np.ndarray
    statecode: np.ndarray
    createdon: np.ndarray
    modifiedon: np.ndarray
    owner: np.ndarray
    template: np.ndarray
    parties: Parties


def _future_contexts(rng, ctx: Contexts, n_future: int, n: int) -> tuple[np.ndarray, np.ndarray]:
    history = weighted_choice(rng, ctx.history_weight, n - n_future)
    future = weighted_choice(rng, ctx.future_weight, n_future)
    is_future = np.zeros(n, dtype=bool)
    is_future[n - n_future :] = True
    order = rng.permutation(n)  # interleave, so table order says nothing about the future
    return np.concatenate([history, future])[order], is_future[order]


def build_appointments(
    ent: Entities, ctx: Contexts, people: People, n: int, seed: int, unresolved_base: int
) -> Appointments:
    rng = np.random.default_rng([seed, 3])
    end = ent.end
    c, future = _future_contexts(rng, ctx, round(0.08 * n), n)
    level = ctx.level[c]
    duration = np.array([30, 60, 90])[weighted_choice(rng, np.array([0.4, 0.45, 0.15]), n)]
    start_low = np.where(future, end + FUTURE_FIRST_DAY * DAY, ctx.window_start[c])
    start_high = np.where(
        future, end + FUTURE_LAST_DAY * DAY, ctx.window_end[c] - duration * MINUTE
    )
    start = business_time(rng, start_low, start_high, slot_minutes=30)
    stop = start + duration * MINUTE

    u = rng.random(n)
    canceled = u < 0.08
    left_open = ~future & ~canceled & (u < 0.11)
    state = np.where(canceled, 2, np.where(future | left_open, np.where(u < 0.8, 3, 0), 1))
    state = np.where(future & ~canceled & (rng.random(n) < 0.3), 0, state)
    completed = state == 1
    late = np.where(rng.random(n) < 0.2, rng.integers(1, 11, n) * MINUTE, 0)
    v = rng.random(n)
    actual_minutes = np.where(
        v < 0.75, duration, np.maximum(duration + rng.choice([-15, 15, 30], n), 10)
    )
    actual_start = np.where(completed, start + late, NULL)
    actual_end = np.where(completed, start + late + actual_minutes * MINUTE, NULL)
    actual_minutes = np.where(completed & (v < 0.85), actual_minutes, NULL)

    created = np.maximum(start - rng.integers(HOUR, 14 * DAY, n), ent.start - 14 * DAY)
    created = np.minimum(created, end - HOUR)
    finished = np.where(completed, actual_end, np.where(future, created, stop))
    modified = np.minimum(finished + rng.integers(MINUTE, 2 * HOUR, n), end - 1)
    modified = np.maximum(modified, created + rng.integers(0, 2 * MINUTE, n))

    # People: the organizer is usually the seller; engaged customers invite us themselves.
    seller = people.team(rng, c)
    cust_type, cust = people.customer(rng, c)
    main_contact = np.where(cust_type == P_CONTACT, cust, -1)
    by_team = rng.random(n) < _lerp(level, 0.95, 0.65)
    rows = np.arange(n)
    slots = PartySlots.empty()
    slots.add(rows, np.where(by_team, USER, cust_type), np.where(by_team, seller, cust), ORGANIZER)
    slots.add(rows, np.where(by_team, cust_type, USER), np.where(by_team, cust, seller), REQUIRED)
    more_team = rows[rng.random(n) < 0.75]
    slots.add(more_team, USER, people.extra_team(rng, c[more_team], seller[more_team]), REQUIRED)
    more_cust = rows[rng.random(n) < _lerp(level[rows], 0.45, 0.75)]
    x_type, x_idx = people.extra_customer(
        rng, c[more_cust], main_contact[more_cust], external_share=0.03
    )
    slots.add(more_cust, x_type, x_idx, REQUIRED)
    optional = rows[rng.random(n) < 0.45]
    x_type, x_idx = people.extra_customer(rng, c[optional], main_contact[optional])
    x_team = people.extra_team(rng, c[optional], seller[optional])
    team_optional = rng.random(optional.size) < 0.5
    slots.add(
        optional,
        np.where(team_optional, USER, x_type),
        np.where(team_optional, x_team, x_idx),
        OPTIONAL,
    )
    third_team = rows[rng.random(n) < 0.25]
    slots.add(third_team, USER, people.extra_team(rng, c[third_team], seller[third_team]), REQUIRED)

    return Appointments(
        n=n,
        context=c.astype(np.int32),
        scheduledstart=start,
        scheduledend=stop,
        scheduleddurationminutes=duration,
        actualstart=actual_start,
        actualend=actual_end,
        actualdurationminutes=actual_minutes,
        statecode=state.astype(np.int8),
        createdon=created,
        modifiedon=modified,
        owner=seller.astype(np.int32),
        template=_subject_templates(rng, ctx.kind[c], vocab.APPOINTMENT_SUBJECTS).astype(np.int16),
        parties=assemble_parties(slots, unresolved_base),
    )


# ------------------------------------------------------------------------ phone calls


@dataclass
class PhoneCalls:
    n: int
    context: np.ndarray
    directioncode: np.ndarray
    scheduledstart: np.ndarray
    actualstart: np.ndarray
    actualend: np.ndarray
    actualdurationminutes: np.ndarray
    statecode: np.ndarray
    createdon: np.ndarray
    modifiedon: np.ndarray
    owner: np.ndarray
    template: np.ndarray
    parties: Parties


def build_phonecalls(
    ent: Entities, ctx: Contexts, people: People, n: int, seed: int, unresolved_base: int
) -> PhoneCalls:
    rng = np.random.default_rng([seed, 4])
    end = ent.end
    c, future = _future_contexts(rng, ctx, round(0.05 * n), n)
    level = ctx.level[c]
    made = np.where(future, True, rng.random(n) < _lerp(level, 0.88, 0.55))

    u = rng.random(n)
    state = np.where(future, 0, np.where(u < 0.04, 2, np.where(u < 0.07, 0, 1)))
    completed = state == 1
    minutes = np.clip(
        np.rint(rng.lognormal(np.log(_lerp(level, 8.0, 16.0)), 0.8, n)), 1, 120
    ).astype(np.int64)
    seconds = minutes * MINUTE - rng.integers(0, 60, n)
    low = np.where(future, end + FUTURE_FIRST_DAY * DAY, ctx.window_start[c])
    high = np.where(future, end + FUTURE_LAST_DAY * DAY, ctx.window_end[c] - seconds)
    at = business_time(rng, low, high)
    planned = (rng.random(n) < 0.4) | ~completed
    scheduled = np.where(planned, at - at % (15 * MINUTE), NULL)
    actual_start = np.where(completed, at, NULL)
    actual_end = np.where(completed, at + seconds, NULL)
    actual_minutes = np.where(completed & (rng.random(n) >= 0.1), minutes, NULL)

    logged_before = rng.random(n) < 0.5
    created = np.where(
        completed & ~logged_before,
        at + seconds + rng.integers(MINUTE, HOUR, n),
        at - rng.integers(10 * MINUTE, 3 * DAY, n),
    )
    created = np.where(future, end - rng.integers(HOUR, 20 * DAY, n), created)
    created = np.minimum(created, end - HOUR)
    finished = np.where(completed, at + seconds, created)
    modified = np.minimum(np.maximum(finished, created) + rng.integers(0, HOUR, n), end - 1)
    modified = np.maximum(modified, created)

    seller = people.team(rng, c)
    cust_type, cust = people.customer(rng, c)
    rows = np.arange(n)
    slots = PartySlots.empty()
    slots.add(rows, np.where(made, USER, cust_type), np.where(made, seller, cust), SENDER)
    slots.add(rows, np.where(made, cust_type, USER), np.where(made, cust, seller), TO)
    conference = rows[rng.random(n) < 0.15]  # a colleague or a second customer dialled in
    main_contact = np.where(cust_type == P_CONTACT, cust, -1)
    x_type, x_idx = people.extra_customer(rng, c[conference], main_contact[conference], 0.0)
    x_team = people.extra_team(rng, c[conference], seller[conference])
    team_joins = rng.random(conference.size) < 0.5
    slots.add(
        conference,
        np.where(team_joins, USER, x_type),
        np.where(team_joins, x_team, x_idx),
        TO,
    )
    return PhoneCalls(
        n=n,
        context=c.astype(np.int32),
        directioncode=made.astype(np.int8),
        scheduledstart=scheduled,
        actualstart=actual_start,
        actualend=actual_end,
        actualdurationminutes=actual_minutes,
        statecode=state.astype(np.int8),
        createdon=created,
        modifiedon=modified,
        owner=seller.astype(np.int32),
        template=_subject_templates(rng, ctx.kind[c], vocab.PHONECALL_SUBJECTS).astype(np.int16),
        parties=assemble_parties(slots, unresolved_base),
    )
