"""Which records get a page: one ranking query per site, kept in a temporary table.

One query ranks every record of the scope and keeps the top N per type in
`dashboard_selection`; each widget query (`widget_data.py`) then joins to it, so a build
reads N records' widgets per type whatever the CRM's size.

Access: when a business unit is given, only records whose owner belongs to it are
selected, focus ranks are renumbered within the unit, and the subject of a last or next
interaction whose activity is owned outside it (or by an unknown owner) is replaced by
"restricted" here, before any rendering, so it cannot leak into a page or the index data.
"""

from __future__ import annotations

import duckdb

from orchestration.dashboards.model import (
    RECORD_TYPES,
    RESTRICTED,
    SELECTION_TABLE,
    Row,
    fetch_rows,
)

# Ranking within each type: open opportunities by focus rank (value at risk), then every
# record by health score, lowest first (the relationships that need attention), then the
# busiest, the most recent, and the id so the order repeats exactly.
SELECTION_SQL = f"""
create or replace temp table {SELECTION_TABLE} as
with
kpis as (
    select * from marts.mart_relationship_kpis
),

records as (
    select record_type, record_id, owner_id, owner_name, business_unit_id, record_state
    from marts.mart_records
),

users as (
    select user_id, business_unit_id
    from marts.mart_users
),

focus as (
    {{focus_sql}}
),

joined as (
    select
        kpis.*,
        records.owner_id,
        records.record_state,
        records.owner_name,
        records.business_unit_id,
        focus.focus_rank,
        focus.value_at_risk,
        focus.estimated_value,
        focus.estimated_close_date,
        focus.reasons as focus_reasons,
        coalesce(kpis.activities_initiated_by_team, 0)
            + coalesce(kpis.activities_initiated_by_customer, 0) as activity_count
    from kpis
    left join records
        on records.record_type = kpis.record_type
        and records.record_id = kpis.record_id
    left join focus
        on kpis.record_type = 'opportunity'
        and focus.opportunity_id = kpis.record_id
    where cast($business_unit as varchar) is null
        or records.business_unit_id = cast($business_unit as varchar)
),

scoped as (
    -- The focus rank a page shows: on a unit's site, the rank within the unit (1..n in
    -- the global order; the global rank would tell how many riskier deals other units
    -- have); on the all-units site, the mart's rank as it is.
    select
        * exclude (focus_rank),
        case
            when focus_rank is null then null
            when cast($business_unit as varchar) is null then focus_rank
            else row_number() over (
                partition by record_type, focus_rank is null order by focus_rank
            )
        end as focus_rank
    from joined
),

ranked as (
    select
        *,
        row_number() over (
            partition by record_type
            order by
                focus_rank asc nulls last,
                health_score asc nulls last,
                activity_count desc,
                last_interaction_at desc nulls last,
                record_id asc
        ) as type_rank,
        count(*) over (partition by record_type) as type_total
    from scoped
),

selected as (
    select * from ranked where type_rank <= $top_n
),

final as (
    select
        selected.*,
        last_owners.business_unit_id as last_interaction_business_unit_id,
        next_owners.business_unit_id as next_interaction_business_unit_id
    from selected
    left join users as last_owners
        on last_owners.user_id = selected.last_interaction_owner_id
    left join users as next_owners
        on next_owners.user_id = selected.next_interaction_owner_id
)

select * from final
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

FOCUS_SQL = """
    select opportunity_id, focus_rank, value_at_risk, estimated_value, estimated_close_date,
        reasons
    from marts.mart_focus_opportunities
"""
NO_FOCUS_SQL = """
    select cast(null as varchar) as opportunity_id, cast(null as integer) as focus_rank,
        cast(null as double) as value_at_risk, cast(null as double) as estimated_value,
        cast(null as date) as estimated_close_date, cast(null as varchar) as reasons
    where false
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


def select_records(
    connection: duckdb.DuckDBPyConnection,
    top_n: int,
    business_unit: str | None,
    has_focus_mart: bool,
) -> list[Row]:
    """The top `top_n` records per type of the scope, ordered by type then rank.

    Fills the temporary table `dashboard_selection` that the widget queries join to; the
    subjects of interactions owned outside `business_unit` come back as "restricted".
    """
    focus_sql = FOCUS_SQL if has_focus_mart else NO_FOCUS_SQL
    connection.execute(
        SELECTION_SQL.replace("{focus_sql}", focus_sql),
        {"business_unit": business_unit, "top_n": top_n},
    )
    order = ", ".join(f"'{record_type}'" for record_type in RECORD_TYPES)
    records = fetch_rows(
        connection,
        f"select * from {SELECTION_TABLE} "
        f"order by list_position([{order}], record_type), type_rank",
    )
    restrict_subjects(records, business_unit)
    return records


def count_states(
    connection: duckdb.DuckDBPyConnection, business_unit: str | None
) -> dict[str, dict[str, int]]:
    """{record_type: {health_state: records}} over every record of the scope."""
    counts: dict[str, dict[str, int]] = {}
    for record_type, state, count in connection.execute(
        STATE_COUNTS_SQL, {"business_unit": business_unit}
    ).fetchall():
        counts.setdefault(record_type, {})[state] = count
    return counts
