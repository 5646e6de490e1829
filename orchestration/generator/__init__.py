"""Sample Dataverse landing files for the relationship-analytics warehouse.

`generate()` writes every contract table (orchestration/contract.py) for a CRM with two
years of history ending at `end_date` plus scheduled activities up to 45 days after it.
Output is a pure function of (activities, seed, end_date): reruns are byte-identical.

The data is built as numpy arrays of codes, indexes and epoch seconds (the model:
entities.py, contexts.py, emails.py, meetings_and_calls.py, parties.py) and spelled out as
Arrow strings only while writing (spelling.py, entity_tables.py, activity_tables.py,
party_table.py; output.py writes), chunk by chunk, so ten million activities fit in a few
GiB.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from functools import partial
from pathlib import Path

import numpy as np

from .activity_tables import appointment_chunk, email_chunk, phonecall_chunk
from .contexts import build_contexts
from .emails import build_emails
from .entities import Sizes, build_entities
from .entity_tables import ENGAGEMENT_COLUMN, entity_tables
from .meetings_and_calls import build_appointments, build_phonecalls
from .output import FORMATS, ChunkPipeline, chunks
from .parties import UNRESOLVED
from .party_table import party_chunk
from .people import People
from .spelling import spell

__all__ = ["ENGAGEMENT_COLUMN", "FORMATS", "MIN_ACTIVITIES", "generate", "parse_end_date"]

MIN_ACTIVITIES = 100
ACTIVITY_CHUNK_ROWS = 500_000
PARTY_CHUNK_ROWS = 1_000_000
# Above this many party rows activityparty is written as a folder of part files.
PARTY_FOLDER_THRESHOLD = 4_000_000
EMAIL_SHARE, APPOINTMENT_SHARE = 0.6, 0.2
WORKERS = 2


def parse_end_date(value: date | str | None) -> date:
    """The end date (UTC; default today): history ends at its 00:00, the future starts
    the day after."""
    if value is None:
        return datetime.now(UTC).date()
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    return date.fromisoformat(value.strip())


def generate(
    out_dir: str | Path,
    activities: int = 50_000,
    seed: int = 42,
    fmt: str = "parquet",
    end_date: date | str | None = None,
) -> dict[str, int]:
    """Write all contract tables to out_dir; return the row count of each table.

    History runs over the two years before end_date (exclusive); future appointments and
    phone calls fall from the day after end_date to 45 days after it.
    """
    if fmt not in FORMATS:
        raise ValueError(f"fmt must be one of {FORMATS}, not {fmt!r}")
    if activities < MIN_ACTIVITIES:
        raise ValueError(f"activities must be at least {MIN_ACTIVITIES}, not {activities}")
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    last_day = parse_end_date(end_date)
    end = int(datetime(last_day.year, last_day.month, last_day.day, tzinfo=UTC).timestamp())

    sizes = Sizes.for_activities(activities, seed)
    ent = build_entities(sizes, seed, end)
    ctx = build_contexts(ent, np.random.default_rng([seed, 5]))
    people = People(ent, ctx)
    n_email = round(activities * EMAIL_SHARE)
    n_appointment = round(activities * APPOINTMENT_SHARE)
    n_phonecall = activities - n_email - n_appointment

    emails = build_emails(ent, ctx, people, n_email, seed, unresolved_base=0)
    base = int((emails.parties.ptype == UNRESOLVED).sum())
    appointments = build_appointments(ent, ctx, people, n_appointment, seed, base)
    base += int((appointments.parties.ptype == UNRESOLVED).sum())
    phonecalls = build_phonecalls(ent, ctx, people, n_phonecall, seed, base)

    spelled = spell(ent, ctx, seed)
    counts: dict[str, int] = {}
    with ChunkPipeline(workers=WORKERS) as pipeline:
        for name, table in entity_tables(ent, spelled, seed).items():
            columns = {c: table[c].combine_chunks() for c in table.column_names}
            counts[name] = pipeline.write_table(out, name, fmt, [lambda c=columns: c])

        activity_tables = (
            ("email", emails, email_chunk),
            ("appointment", appointments, appointment_chunk),
            ("phonecall", phonecalls, phonecall_chunk),
        )
        for name, model, build in activity_tables:
            counts[name] = pipeline.write_table(
                out,
                name,
                fmt,
                (
                    partial(build, seed, spelled, ctx, model, lo, hi)
                    for lo, hi in chunks(model.n, ACTIVITY_CHUNK_ROWS)
                ),
            )

        party_chunks = []
        first_id = 0
        for name, model, _ in activity_tables:
            party_chunks += [
                partial(party_chunk, seed, spelled, name, model.parties, first_id, lo, hi)
                for lo, hi in chunks(model.parties.size, PARTY_CHUNK_ROWS)
            ]
            first_id += model.parties.size
        counts["activityparty"] = pipeline.write_table(
            out, "activityparty", fmt, party_chunks, as_folder=first_id > PARTY_FOLDER_THRESHOLD
        )
    return counts
