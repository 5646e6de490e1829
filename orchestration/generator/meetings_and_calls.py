"""The numeric model of appointments and phone calls: past ones in their context's
window, scheduled ones from the day after end-date, with their statuses, actual times and
parties (organizer/required/optional for meetings, caller/called for calls)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from . import vocabulary as vocab
from .contexts import (
    FUTURE_FIRST_DAY,
    FUTURE_LAST_DAY,
    Contexts,
    future_contexts,
    lerp,
    subject_templates,
)
from .entities import Entities
from .parties import (
    OPTIONAL,
    ORGANIZER,
    P_CONTACT,
    REQUIRED,
    SENDER,
    TO,
    USER,
    Parties,
    PartySlots,
    assemble_parties,
)
from .people import People
from .sampling import DAY, HOUR, MINUTE, NULL, business_time, weighted_choice


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


def build_appointments(
    ent: Entities, ctx: Contexts, people: People, n: int, seed: int, unresolved_base: int
) -> Appointments:
    rng = np.random.default_rng([seed, 3])
    end = ent.end
    c, future = future_contexts(rng, ctx, round(0.08 * n), n)
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
    by_team = rng.random(n) < lerp(level, 0.95, 0.65)
    rows = np.arange(n)
    slots = PartySlots.empty()
    slots.add(rows, np.where(by_team, USER, cust_type), np.where(by_team, seller, cust), ORGANIZER)
    slots.add(rows, np.where(by_team, cust_type, USER), np.where(by_team, cust, seller), REQUIRED)
    more_team = rows[rng.random(n) < 0.75]
    slots.add(more_team, USER, people.extra_team(rng, c[more_team], seller[more_team]), REQUIRED)
    more_cust = rows[rng.random(n) < lerp(level[rows], 0.45, 0.75)]
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
        template=subject_templates(rng, ctx.kind[c], vocab.APPOINTMENT_SUBJECTS).astype(np.int16),
        parties=assemble_parties(slots, unresolved_base),
    )


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
    c, future = future_contexts(rng, ctx, round(0.05 * n), n)
    level = ctx.level[c]
    made = np.where(future, True, rng.random(n) < lerp(level, 0.88, 0.55))

    u = rng.random(n)
    state = np.where(future, 0, np.where(u < 0.04, 2, np.where(u < 0.07, 0, 1)))
    completed = state == 1
    minutes = np.clip(
        np.rint(rng.lognormal(np.log(lerp(level, 8.0, 16.0)), 0.8, n)), 1, 120
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
        template=subject_templates(rng, ctx.kind[c], vocab.PHONECALL_SUBJECTS).astype(np.int16),
        parties=assemble_parties(slots, unresolved_base),
    )
