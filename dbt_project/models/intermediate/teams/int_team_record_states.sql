-- Each record's standing for the team marts (docs/kpi_definitions.md, "Team views"): its
-- owner and the owner's business unit, its health state at T, T-14 and T-90 days (the
-- days are vars), and whether it is going dark. One row per (record_type, record_id).
--
-- Health states as mart_relationship_kpis reads them: a closed record is not_applicable
-- (then, too: the history is kept for records open at T only); an open one without a
-- score that day is not_enough_info.
-- Going dark: open/active, no completed linked activity in the going_dark_quiet_days
-- ending on T's date, at least one in the going_dark_lookback_days before those.
{%- set short_ago_date = 'cast(' ~ dbt.dateadd('day', -var('team_health_change_short_days'), as_of_date()) ~ ' as date)' %}
{%- set long_ago_date = 'cast(' ~ dbt.dateadd('day', -var('team_health_change_long_days'), as_of_date()) ~ ' as date)' %}
{%- set quiet_since_date = 'cast(' ~ dbt.dateadd('day', -var('going_dark_quiet_days'), as_of_date()) ~ ' as date)' %}
{%- set lookback_since_date = 'cast(' ~ dbt.dateadd(
    'day', -(var('going_dark_quiet_days') + var('going_dark_lookback_days')), as_of_date()
) ~ ' as date)' %}
with records as (
    select record_type, record_id, owner_id, is_closed
    from {{ ref('int_records_unioned') }}
),

users as (
    select user_id, business_unit_id
    from {{ ref('stg_dataverse__system_users') }}
),

health as (
    select record_type, record_id, score_date, health_state
    from {{ ref('int_record_health_daily') }}
    where score_date in ({{ as_of_date() }}, {{ short_ago_date }}, {{ long_ago_date }})
),

last_activities as (
    select record_type, record_id, max(activity_date) as last_activity_date
    from {{ ref('int_record_activities_joined') }}
    where {{ activity_status_at() }} = 'completed'
    group by record_type, record_id
),

health_pivoted as (
    select
        record_type,
        record_id,
        max(case when score_date = {{ as_of_date() }} then health_state end)
            as health_state_now,
        max(case when score_date = {{ short_ago_date }} then health_state end)
            as health_state_short_ago,
        max(case when score_date = {{ long_ago_date }} then health_state end)
            as health_state_long_ago
    from health
    group by record_type, record_id
),

final as (
    select
        records.record_type,
        records.record_id,
        records.owner_id,
        users.business_unit_id,
        records.is_closed,
        case
            when records.is_closed then 'not_applicable'
            else coalesce(health_pivoted.health_state_now, 'not_enough_info')
        end as health_state_now,
        case
            when records.is_closed then 'not_applicable'
            else coalesce(health_pivoted.health_state_short_ago, 'not_enough_info')
        end as health_state_short_ago,
        case
            when records.is_closed then 'not_applicable'
            else coalesce(health_pivoted.health_state_long_ago, 'not_enough_info')
        end as health_state_long_ago,
        last_activities.last_activity_date,
        coalesce(
            not records.is_closed
            and last_activities.last_activity_date <= {{ quiet_since_date }}
            and last_activities.last_activity_date > {{ lookback_since_date }},
            false
        ) as is_going_dark
    from records
    left join users
        on records.owner_id = users.user_id
    left join health_pivoted
        on records.record_type = health_pivoted.record_type
        and records.record_id = health_pivoted.record_id
    left join last_activities
        on records.record_type = last_activities.record_type
        and records.record_id = last_activities.record_id
)

select * from final
