"""What the dashboards show, read from the warehouse in a handful of set-based queries.

The cost of a build is bounded by the number of pages, not by the size of the CRM: one
query keeps the top N per type by the ranks of the mart mart_dashboard_records (dbt ranks
every record, globally and within its owner's unit) in a temporary table, and each
widget is then one query joined to that table. A warehouse with 100,000 records and
N = 200 reads 800 records' widgets, in about ten queries, whatever the record count.

Access: when a business unit is given, only records whose owner belongs to it are
selected (ranked within the unit), and the subject of a last or next interaction whose
activity is owned outside it (or by an unknown owner) is replaced by "restricted" here,
before any rendering, so it cannot leak into a page or the index data.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

import duckdb

RESTRICTED = "restricted"
RECORD_TYPES = ("opportunity", "lead", "account", "contact")
ACTIVITY_WINDOW_DAYS = 60
SIMILAR_DEALS_SHOWN = 10
PAIRS_SHOWN = 10
SELECTION_TABLE = "dashboard_selection"
DEFAULT_HEALTH_BANDS = (("good", 60, 100), ("fair", 40, 59), ("poor", 0, 39))

Key = tuple[str, str]
Row = dict[str, Any]


@dataclass
class DashboardData:
    """Everything one dashboard site needs, grouped by record."""

    as_of: datetime
    business_unit: str | None
    top_n: int
    records: list[Row]
    type_totals: dict[str, int]
    health_bands: tuple[tuple[str, int, int], ...]
    missing_marts: set[str] = field(default_factory=set)
    daily: dict[Key, list[Row]] = field(default_factory=dict)
    health: dict[Key, list[Row]] = field(default_factory=dict)
    top_contacts: dict[Key, list[Row]] = field(default_factory=dict)
    summaries: dict[Key, list[Row]] = field(default_factory=dict)
    who_knows_whom: dict[Key, list[Row]] = field(default_factory=dict)
    pairs: dict[Key, list[Row]] = field(default_factory=dict)
    coverage: dict[Key, Row] = field(default_factory=dict)
    similar: dict[Key, list[Row]] = field(default_factory=dict)
    similar_status: Row | None = None
    # Health states of every record in scope (not only those with pages), for the index.
    state_counts: dict[str, dict[str, int]] = field(default_factory=dict)

    @property
    def window_start(self) -> date:
        return self.as_of.date() - timedelta(days=ACTIVITY_WINDOW_DAYS - 1)


def _rows(connection: duckdb.DuckDBPyConnection, sql: str, params: object = None) -> list[Row]:
    cursor = connection.execute(sql, params) if params is not None else connection.execute(sql)
    names = [column[0] for column in cursor.description]
    return [dict(zip(names, values, strict=True)) for values in cursor.fetchall()]


def _by_record(rows: Iterable[Row]) -> dict[Key, list[Row]]:
    grouped: dict[Key, list[Row]] = defaultdict(list)
    for row in rows:
        grouped[(row["record_type"], row["record_id"])].append(row)
    return dict(grouped)


def present_relations(connection: duckdb.DuckDBPyConnection) -> set[str]:
    """'schema.name' of every table and view, to tolerate marts not built yet (weekly)."""
    return {
        f"{schema}.{name}"
        for schema, name in connection.execute(
            "select table_schema, table_name from information_schema.tables"
        ).fetchall()
    }


def business_units(connection: duckdb.DuckDBPyConnection) -> list[str]:
    """Every business unit that owns at least one user, for RA_DASHBOARD_BUSINESS_UNITS=all."""
    return [
        row[0]
        for row in connection.execute(
            "select distinct business_unit_id from marts.mart_users "
            "where business_unit_id is not null order by business_unit_id"
        ).fetchall()
    ]


# The ranking and the unit columns come from the mart mart_dashboard_records (dbt): a site
# keeps the top N of each type by the global rank, or, on a unit's site, the unit's records
# by their rank within the unit, which also shows the focus rank within the unit.
SELECTION_SQL = f"""
create or replace temp table {SELECTION_TABLE} as
with
ranking as (
    select * from marts.mart_dashboard_records
),

kpis as (
    select * from marts.mart_relationship_kpis
),

records as (
    select record_type, record_id, owner_id, owner_name, record_state
    from marts.mart_records
),

focus as (
    select opportunity_id, value_at_risk, estimated_value, estimated_close_date, reasons
    from marts.mart_focus_opportunities
),

scoped as (
    select
        kpis.*,
        records.owner_id,
        records.record_state,
        records.owner_name,
        ranking.business_unit_id,
        focus.value_at_risk,
        focus.estimated_value,
        focus.estimated_close_date,
        focus.reasons as focus_reasons,
        ranking.activity_count,
        ranking.last_interaction_business_unit_id,
        ranking.next_interaction_business_unit_id,
        case when cast($business_unit as varchar) is null then ranking.focus_rank
            else ranking.unit_focus_rank end as focus_rank,
        case when cast($business_unit as varchar) is null then ranking.type_rank
            else ranking.unit_type_rank end as type_rank,
        case when cast($business_unit as varchar) is null then ranking.type_total
            else ranking.unit_type_total end as type_total
    from ranking
    inner join kpis
        on kpis.record_type = ranking.record_type
        and kpis.record_id = ranking.record_id
    left join records
        on records.record_type = ranking.record_type
        and records.record_id = ranking.record_id
    left join focus
        on ranking.record_type = 'opportunity'
        and focus.opportunity_id = ranking.record_id
    where cast($business_unit as varchar) is null
        or ranking.business_unit_id = cast($business_unit as varchar)
)

select * from scoped where type_rank <= $top_n
"""

STATE_COUNTS_SQL = """
with
kpis as (
    select record_type, record_id, health_state from marts.mart_relationship_kpis
),

records as (
    select record_type, record_id, business_unit_id from marts.mart_records
),

final as (
    select kpis.record_type, kpis.health_state, count(*) as record_count
    from kpis
    left join records
        on records.record_type = kpis.record_type
        and records.record_id = kpis.record_id
    where cast($business_unit as varchar) is null
        or records.business_unit_id = cast($business_unit as varchar)
    group by kpis.record_type, kpis.health_state
)

select * from final order by record_type, health_state
"""


def restrict_subjects(records: list[Row], business_unit: str | None) -> None:
    """Hide the subject of interactions owned outside the unit, as CRM suites do."""
    if business_unit is None:
        return
    for record in records:
        for moment in ("last", "next"):
            if record.get(f"{moment}_interaction_activity_id") is None:
                continue
            if record.get(f"{moment}_interaction_business_unit_id") != business_unit:
                record[f"{moment}_interaction_subject"] = RESTRICTED
                record[f"{moment}_interaction_is_restricted"] = True


def load_dashboard_data(
    connection: duckdb.DuckDBPyConnection, top_n: int, business_unit: str | None = None
) -> DashboardData:
    """The top `top_n` records per type (of `business_unit`, if given) and all their widgets."""
    present = present_relations(connection)
    missing = {
        name
        for name in (
            "marts.mart_relationship_activity_daily",
            "marts.mart_relationship_health_daily",
            "marts.mart_top_contacts",
            "marts.mart_relationship_summaries",
            "marts.mart_who_knows_whom",
            "marts.mart_relationship_strength",
            "marts.mart_stakeholder_coverage",
            "marts.mart_similar_won_opportunities",
            "marts.mart_similar_won_opportunities_status",
        )
        if name not in present
    }
    connection.execute(SELECTION_SQL, {"business_unit": business_unit, "top_n": top_n})
    order = ", ".join(f"'{record_type}'" for record_type in RECORD_TYPES)
    records = _rows(
        connection,
        f"select * from {SELECTION_TABLE} "
        f"order by list_position([{order}], record_type), type_rank",
    )
    restrict_subjects(records, business_unit)
    type_totals = dict.fromkeys(RECORD_TYPES, 0)
    for record in records:
        type_totals[record["record_type"]] = record["type_total"]
    # From the whole mart, so a unit without records is still dated like every export.
    as_of_row = connection.execute(
        "select max(kpis_as_of) from marts.mart_relationship_kpis"
    ).fetchone()
    as_of = as_of_row[0] if as_of_row and as_of_row[0] else datetime(1970, 1, 1)

    bands = DEFAULT_HEALTH_BANDS
    if "marts.mart_health_state_bands" in present:
        rows = connection.execute(
            "select health_state, min_score, max_score from marts.mart_health_state_bands "
            "order by min_score desc"
        ).fetchall()
        bands = tuple((str(state), int(low), int(high)) for state, low, high in rows) or bands

    data = DashboardData(
        as_of=as_of,
        business_unit=business_unit,
        top_n=top_n,
        records=records,
        type_totals=type_totals,
        health_bands=bands,
        missing_marts=missing,
    )
    for record_type, state, count in connection.execute(
        STATE_COUNTS_SQL, {"business_unit": business_unit}
    ).fetchall():
        data.state_counts.setdefault(record_type, {})[state] = count
    _load_widgets(connection, data, present, business_unit)
    return data


def _load_widgets(
    connection: duckdb.DuckDBPyConnection,
    data: DashboardData,
    present: set[str],
    business_unit: str | None,
) -> None:
    selection = SELECTION_TABLE
    joined = f"inner join {selection} as selection using (record_type, record_id)"
    if "marts.mart_relationship_activity_daily" in present:
        data.daily = _by_record(
            _rows(
                connection,
                f"select daily.* from marts.mart_relationship_activity_daily as daily {joined} "
                f"where daily.activity_date >= $start order by daily.activity_date",
                {"start": data.window_start},
            )
        )
    if "marts.mart_relationship_health_daily" in present:
        data.health = _by_record(
            _rows(
                connection,
                f"select health.record_type, health.record_id, health.score_date, "
                f"health.health_score, health.health_state "
                f"from marts.mart_relationship_health_daily as health {joined} "
                f"order by health.score_date",
            )
        )
    if "marts.mart_top_contacts" in present:
        data.top_contacts = _by_record(
            _rows(
                connection,
                f"select top.* from marts.mart_top_contacts as top {joined} "
                f"order by top.side, top.rank",
            )
        )
    if "marts.mart_relationship_summaries" in present:
        data.summaries = _by_record(
            _rows(
                connection,
                f"select summaries.* from marts.mart_relationship_summaries as summaries {joined} "
                "order by summaries.summary_kind, list_position(['meetings', 'emails', "
                "'phone_calls', 'response_time_by_us', 'response_time_by_them'], "
                "summaries.topic) nulls last, summaries.topic",
            )
        )
    if "marts.mart_who_knows_whom" in present:
        data.who_knows_whom = _by_record(
            _rows(
                connection,
                f"select knows.* from marts.mart_who_knows_whom as knows {joined} "
                f"order by knows.rank",
            )
        )
    if "marts.mart_relationship_strength" in present:
        data.pairs = _by_record(_rows(connection, PAIRS_SQL, {"shown": PAIRS_SHOWN}))
    if "marts.mart_stakeholder_coverage" in present:
        data.coverage = {
            ("opportunity", row["opportunity_id"]): row
            for row in _rows(
                connection,
                f"select coverage.* from marts.mart_stakeholder_coverage as coverage "
                f"inner join {selection} as selection on selection.record_type = "
                f"'opportunity' and selection.record_id = coverage.opportunity_id",
            )
        }
    if "marts.mart_similar_won_opportunities" in present:
        rows = _rows(connection, SIMILAR_SQL, {"shown": SIMILAR_DEALS_SHOWN})
        restrict_similar_deals(rows, business_unit)
        data.similar = _by_record(rows)
    if "marts.mart_similar_won_opportunities_status" in present:
        status = _rows(connection, "select * from marts.mart_similar_won_opportunities_status")
        data.similar_status = scoped_similar_status(status[0] if status else None, business_unit)


def restrict_similar_deals(rows: list[Row], business_unit: str | None) -> None:
    """On a unit's site: hide names of deals owned elsewhere and the all-units total.

    `similar_total` counts similar won deals of every unit ("Showing 10 of 37"): on a
    unit's site it would tell how many won deals other units have, so it is dropped and
    the page says only how many it shows.
    """
    if business_unit is None:
        return
    for row in rows:
        row.pop("similar_total", None)
        if row["similar_business_unit_id"] != business_unit:
            row["similar_opportunity_name"] = RESTRICTED
            row["is_restricted"] = True


def scoped_similar_status(status: Row | None, business_unit: str | None) -> Row | None:
    """The similar-deals status a site may show; on a unit's site, without counts.

    The mart's reason ("needs at least 30 won and 30 lost opportunities; found 12 won and
    40 lost") and its won, lost and open counts are over every unit. A unit's site keeps
    whether the list is computed and says why not in words without numbers.
    """
    if status is None or business_unit is None:
        return status
    return {
        "is_enabled": status.get("is_enabled"),
        "reason": None
        if status.get("is_enabled")
        else "too few won and lost opportunities in the whole organisation to compare yet",
        "refreshed_at": status.get("refreshed_at"),
    }


# Who knows whom beyond contacts and leads: for an account, the strongest user x contact
# pairs among its contacts; for an opportunity, among its account's contacts; for a
# contact, its own pairs.
PAIRS_SQL = f"""
with
records as (
    select record_type, record_id, parent_account_id
    from marts.mart_records
),

contacts as (
    select record_id as contact_id, parent_account_id
    from records
    where record_type = 'contact'
),

targets as (
    select selection.record_type, selection.record_id, selection.record_id as contact_id
    from {SELECTION_TABLE} as selection
    where selection.record_type = 'contact'
    union all
    select selection.record_type, selection.record_id, contacts.contact_id
    from {SELECTION_TABLE} as selection
    inner join contacts
        on contacts.parent_account_id = selection.record_id
    where selection.record_type = 'account'
    union all
    select selection.record_type, selection.record_id, contacts.contact_id
    from {SELECTION_TABLE} as selection
    inner join records as opportunities
        on opportunities.record_type = 'opportunity'
        and opportunities.record_id = selection.record_id
    inner join contacts
        on contacts.parent_account_id = opportunities.parent_account_id
    where selection.record_type = 'opportunity'
),

pairs as (
    select
        targets.record_type,
        targets.record_id,
        strength.user_id,
        strength.user_name,
        strength.contact_id,
        strength.contact_name,
        strength.relationship_strength,
        strength.email_reciprocity,
        strength.email_count,
        strength.meeting_count,
        strength.phone_call_count,
        strength.last_interaction_at,
        row_number() over (
            partition by targets.record_type, targets.record_id
            order by strength.relationship_strength desc, strength.last_interaction_at desc,
                strength.user_id, strength.contact_id
        ) as pair_rank
    from targets
    inner join marts.mart_relationship_strength as strength
        on strength.contact_id = targets.contact_id
)

select * from pairs where pair_rank <= $shown order by pair_rank
"""

SIMILAR_SQL = f"""
with
similar_deals as (
    select * from marts.mart_similar_won_opportunities
),

records as (
    select record_id, record_name, business_unit_id
    from marts.mart_records
    where record_type = 'opportunity'
),

final as (
    select
        'opportunity' as record_type,
        similar_deals.opportunity_id as record_id,
        similar_deals.*,
        records.record_name as similar_opportunity_name,
        records.business_unit_id as similar_business_unit_id,
        count(*) over (partition by similar_deals.opportunity_id) as similar_total
    from similar_deals
    inner join {SELECTION_TABLE} as selection
        on selection.record_type = 'opportunity'
        and selection.record_id = similar_deals.opportunity_id
    left join records
        on records.record_id = similar_deals.similar_opportunity_id
)

select * from final where similarity_rank <= $shown order by similarity_rank
"""
