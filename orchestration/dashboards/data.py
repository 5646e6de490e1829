"""What the dashboards show, read from the warehouse in a handful of set-based queries.

The cost of a build is bounded by the number of pages, not by the size of the CRM: one
query keeps the top N per type by the ranks of the mart mart_dashboard_records in a
temporary table (`selection.py`), and each widget is then one query joined to that table
(`widget_data.py`). A warehouse with 100,000 records and N = 200 reads 800 records'
widgets, in about ten queries, whatever the record count. Marts only (`marts.mart_*`).
"""

from __future__ import annotations

from datetime import datetime

import duckdb

from orchestration.dashboards.model import (
    DEFAULT_HEALTH_BANDS,
    RECORD_TYPES,
    DashboardData,
    fetch_rows,
)
from orchestration.dashboards.selection import count_states, select_records
from orchestration.dashboards.widget_data import load_widgets

# Marts a site can do without (weekly ones, or not built yet): their widgets say so.
OPTIONAL_MARTS = (
    "marts.mart_relationship_activity_daily",
    "marts.mart_relationship_health_daily",
    "marts.mart_top_contacts",
    "marts.mart_relationship_summaries",
    "marts.mart_who_knows_whom",
    "marts.mart_relationship_strength",
    "marts.mart_stakeholder_coverage",
    "marts.mart_similar_won_opportunities",
    "marts.mart_similar_won_opportunities_status",
    "marts.mart_health_validation",
)

# The validation's figures per horizon: the AUC columns repeat on each health-state row of
# a horizon (mart_health_validation), so one distinct row per horizon.
HEALTH_VALIDATION_SQL = """
select distinct
    horizon_days,
    horizon_opportunities,
    horizon_won,
    horizon_lost,
    won_scored,
    lost_scored,
    roc_auc,
    roc_auc_lower,
    roc_auc_upper,
    verdict
from marts.mart_health_validation
order by horizon_days
"""


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


def load_dashboard_data(
    connection: duckdb.DuckDBPyConnection, top_n: int, business_unit: str | None = None
) -> DashboardData:
    """The top `top_n` records per type (of `business_unit`, if given) and all their widgets."""
    present = present_relations(connection)
    missing = {name for name in OPTIONAL_MARTS if name not in present}
    records = select_records(connection, top_n, business_unit)
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
        state_counts=count_states(connection, business_unit),
    )
    # Organisation-wide (every unit's closed deals): a unit's site does not show it.
    if "marts.mart_health_validation" in present and business_unit is None:
        data.health_validation = fetch_rows(connection, HEALTH_VALIDATION_SQL)
    load_widgets(connection, data, present, business_unit)
    return data
