"""Which records get a page: one ranking query per site, kept in a temporary table.

One query keeps the top N per type of the scope, by the ranks of the mart
mart_dashboard_records (dbt ranks every record, globally and within its owner's unit), in
`dashboard_selection`; each widget query (`widget_data.py`) then joins to it, so a build
reads N records' widgets per type whatever the CRM's size.

Access: when a business unit is given, only records whose owner belongs to it are
selected (ranked, and focus-ranked, within the unit), and the subject of a last or next
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


def select_records(
    connection: duckdb.DuckDBPyConnection,
    top_n: int,
    business_unit: str | None,
) -> list[Row]:
    """The top `top_n` records per type of the scope, ordered by type then rank.

    Fills the temporary table `dashboard_selection` that the widget queries join to; the
    subjects of interactions owned outside `business_unit` come back as "restricted".
    """
    connection.execute(SELECTION_SQL, {"business_unit": business_unit, "top_n": top_n})
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
