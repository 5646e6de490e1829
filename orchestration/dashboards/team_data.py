"""What the owner and business-unit pages show, read from the team marts in four queries.

The manager views (issue 16 item 3) are one page per owner and per business unit. Their
figures come as they are from `mart_owner_periods` and `mart_business_unit_periods` (one
row per team and reporting period, rates next to their numerators and denominators); the
records going dark are listed from `mart_records` and `mart_relationship_kpis`.

Which teams get a page (bounded like the record pages):
- owners: the owners of the records that have a page on the site (the selection table,
  `dashboard_selection`, see `selection.py`);
- units: every unit of the team mart on the all-units site; on a unit's site that unit
  only, and owners of that unit only, so a unit's site names no other unit's team.

Marts only (`marts.mart_*`), like every other dashboard query.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

import duckdb

from orchestration.dashboards.model import SELECTION_TABLE, Row, fetch_rows

# mart_owner_periods.period, in the order the pages show them (docs/kpi_definitions.md,
# "Team views").
PERIODS = (
    ("last_7_days", "Last 7 days"),
    ("last_30_days", "Last 30 days"),
    ("last_90_days", "Last 90 days"),
    ("quarter_to_date", "Quarter to date"),
    ("last_quarter", "Last quarter"),
    ("year_to_date", "Year to date"),
)
# Records going dark listed per page (the page says how many there are in all).
GOING_DARK_SHOWN = 50

OWNER_PERIODS_SQL = f"""
with
periods as (
    select * from marts.mart_owner_periods
),

users as (
    select user_id, user_name, business_unit_id from marts.mart_users
),

owners as (
    select distinct owner_id from {SELECTION_TABLE} where owner_id is not null
),

final as (
    select periods.*, users.user_name as owner_name, users.business_unit_id
    from periods
    inner join owners
        on owners.owner_id = periods.owner_id
    left join users
        on users.user_id = periods.owner_id
    where cast($business_unit as varchar) is null
        or users.business_unit_id = cast($business_unit as varchar)
)

select * from final order by owner_id, period
"""

UNIT_PERIODS_SQL = """
select * from marts.mart_business_unit_periods
where cast($business_unit as varchar) is null
    or business_unit_id = cast($business_unit as varchar)
order by business_unit_id, period
"""

# Every owner of each unit in scope (one snapshot per owner: the records_* columns repeat
# on every period row), for the unit page's list of owners.
UNIT_OWNERS_SQL = """
with
periods as (
    select * from marts.mart_owner_periods where period = 'last_30_days'
),

users as (
    select user_id, user_name, business_unit_id from marts.mart_users
),

final as (
    select
        users.business_unit_id,
        periods.owner_id,
        users.user_name as owner_name,
        periods.records_owned,
        periods.open_records_owned,
        periods.records_good,
        periods.records_fair,
        periods.records_poor,
        periods.records_good_to_poor_14d,
        periods.records_going_dark,
        periods.activities_initiated_by_team,
        periods.activities_initiated_by_customer
    from periods
    inner join users
        on users.user_id = periods.owner_id
    where users.business_unit_id is not null
        and (
            cast($business_unit as varchar) is null
            or users.business_unit_id = cast($business_unit as varchar)
        )
)

select * from final order by business_unit_id, lower(owner_name), owner_id
"""

# The records going dark (mart_dashboard_records.is_going_dark: the flag the team marts
# count in records_going_dark), ranked per owner and per unit, longest quiet first, so each
# page lists at most $shown of them.
GOING_DARK_SQL = """
with
flags as (
    select record_type, record_id
    from marts.mart_dashboard_records
    where is_going_dark
),

records as (
    select record_type, record_id, record_name, owner_id, owner_name, business_unit_id
    from marts.mart_records
),

kpis as (
    select record_type, record_id, last_interaction_at, inactive_days, health_state
    from marts.mart_relationship_kpis
),

dark as (
    select
        records.record_type,
        records.record_id,
        records.record_name,
        records.owner_id,
        records.owner_name,
        records.business_unit_id,
        kpis.last_interaction_at,
        kpis.inactive_days,
        kpis.health_state
    from flags
    inner join records
        on records.record_type = flags.record_type
        and records.record_id = flags.record_id
    inner join kpis
        on kpis.record_type = flags.record_type
        and kpis.record_id = flags.record_id
    where cast($business_unit as varchar) is null
        or records.business_unit_id = cast($business_unit as varchar)
),

ranked as (
    select
        *,
        row_number() over (
            partition by owner_id order by last_interaction_at, record_type, record_id
        ) as owner_rank,
        count(*) over (partition by owner_id) as owner_total,
        row_number() over (
            partition by business_unit_id order by last_interaction_at, record_type, record_id
        ) as unit_rank,
        count(*) over (partition by business_unit_id) as unit_total
    from dark
)

select * from ranked
where owner_rank <= $shown or unit_rank <= $shown
order by last_interaction_at, record_type, record_id
"""


@dataclass
class TeamData:
    """The rows of the team pages of one site, keyed by owner id or business unit id."""

    owner_periods: dict[str, list[Row]] = field(default_factory=dict)
    unit_periods: dict[str, list[Row]] = field(default_factory=dict)
    unit_owners: dict[str, list[Row]] = field(default_factory=dict)
    owner_going_dark: dict[str, list[Row]] = field(default_factory=dict)
    unit_going_dark: dict[str, list[Row]] = field(default_factory=dict)

    def owner_name(self, owner_id: str) -> str:
        """The owner's name in mart_users, else the id."""
        rows = self.owner_periods.get(owner_id) or [{}]
        return rows[0].get("owner_name") or owner_id


def _by(rows: list[Row], key: str) -> dict[str, list[Row]]:
    grouped: dict[str, list[Row]] = defaultdict(list)
    for row in rows:
        grouped[row[key]].append(row)
    return dict(grouped)


def period_order(rows: list[Row]) -> list[Row]:
    """A team's period rows in the order of PERIODS (a period missing from the mart is left out)."""
    by_period = {row["period"]: row for row in rows}
    return [by_period[period] for period, _ in PERIODS if period in by_period]


def load_team_data(
    connection: duckdb.DuckDBPyConnection, business_unit: str | None, present: set[str]
) -> TeamData:
    """The team rows of one site; needs the selection table (`select_records`) filled first.

    Without the team marts (a warehouse built before them), the site has no team pages.
    """
    data = TeamData()
    if not {"marts.mart_owner_periods", "marts.mart_business_unit_periods"} <= present:
        return data
    unit = {"business_unit": business_unit}
    data.owner_periods = {
        owner: period_order(rows)
        for owner, rows in _by(fetch_rows(connection, OWNER_PERIODS_SQL, unit), "owner_id").items()
    }
    data.unit_periods = {
        name: period_order(rows)
        for name, rows in _by(
            fetch_rows(connection, UNIT_PERIODS_SQL, unit), "business_unit_id"
        ).items()
    }
    data.unit_owners = _by(fetch_rows(connection, UNIT_OWNERS_SQL, unit), "business_unit_id")
    dark = fetch_rows(
        connection,
        GOING_DARK_SQL,
        unit | {"shown": GOING_DARK_SHOWN},
    )
    data.owner_going_dark = {
        owner: rows
        for owner, rows in _by(
            [row for row in dark if row["owner_rank"] <= GOING_DARK_SHOWN], "owner_id"
        ).items()
        if owner in data.owner_periods
    }
    data.unit_going_dark = {
        name: rows
        for name, rows in _by(
            [row for row in dark if row["unit_rank"] <= GOING_DARK_SHOWN], "business_unit_id"
        ).items()
        if name in data.unit_periods
    }
    return data
