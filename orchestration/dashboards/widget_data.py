"""The rows behind each widget of the record pages: one query per widget, joined to the
selection (`dashboard_selection`, see `selection.py`), from marts only.

A mart that is absent (a weekly one not built yet) leaves its widget empty; the page says
so. On a business unit's site, similar won deals owned elsewhere lose their names and the
all-units counts are dropped here, before rendering.
"""

from __future__ import annotations

import duckdb

from orchestration.dashboards.model import (
    PAIRS_SHOWN,
    RESTRICTED,
    SELECTION_TABLE,
    SIMILAR_DEALS_SHOWN,
    DashboardData,
    Row,
    fetch_rows,
    group_by_record,
)


def load_widgets(
    connection: duckdb.DuckDBPyConnection,
    data: DashboardData,
    present: set[str],
    business_unit: str | None,
) -> None:
    selection = SELECTION_TABLE
    joined = f"inner join {selection} as selection using (record_type, record_id)"
    if "marts.mart_relationship_activity_daily" in present:
        data.daily = group_by_record(
            fetch_rows(
                connection,
                f"select daily.* from marts.mart_relationship_activity_daily as daily {joined} "
                f"where daily.activity_date >= $start order by daily.activity_date",
                {"start": data.window_start},
            )
        )
    if "marts.mart_relationship_health_daily" in present:
        data.health = group_by_record(
            fetch_rows(
                connection,
                f"select health.record_type, health.record_id, health.score_date, "
                f"health.health_score, health.health_state "
                f"from marts.mart_relationship_health_daily as health {joined} "
                f"order by health.score_date",
            )
        )
    if "marts.mart_top_contacts" in present:
        data.top_contacts = group_by_record(
            fetch_rows(
                connection,
                f"select top.* from marts.mart_top_contacts as top {joined} "
                f"order by top.side, top.rank",
            )
        )
    if "marts.mart_relationship_summaries" in present:
        data.summaries = group_by_record(
            fetch_rows(
                connection,
                f"select summaries.* from marts.mart_relationship_summaries as summaries {joined} "
                "order by summaries.summary_kind, list_position(['meetings', 'emails', "
                "'phone_calls', 'response_time_by_us', 'response_time_by_them'], "
                "summaries.topic) nulls last, summaries.topic",
            )
        )
    if "marts.mart_who_knows_whom" in present:
        data.who_knows_whom = group_by_record(
            fetch_rows(
                connection,
                f"select knows.* from marts.mart_who_knows_whom as knows {joined} "
                f"order by knows.rank",
            )
        )
    if "marts.mart_relationship_strength" in present:
        data.pairs = group_by_record(fetch_rows(connection, PAIRS_SQL, {"shown": PAIRS_SHOWN}))
    if "marts.mart_stakeholder_coverage" in present:
        data.coverage = {
            ("opportunity", row["opportunity_id"]): row
            for row in fetch_rows(
                connection,
                f"select coverage.* from marts.mart_stakeholder_coverage as coverage "
                f"inner join {selection} as selection on selection.record_type = "
                f"'opportunity' and selection.record_id = coverage.opportunity_id",
            )
        }
    if "marts.mart_similar_won_opportunities" in present:
        rows = fetch_rows(connection, SIMILAR_SQL, {"shown": SIMILAR_DEALS_SHOWN})
        restrict_similar_deals(rows, business_unit)
        data.similar = group_by_record(rows)
    if "marts.mart_similar_won_opportunities_status" in present:
        status = fetch_rows(connection, "select * from marts.mart_similar_won_opportunities_status")
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
