-- Cross-model truth (KPI_SPEC section 3, "Relationship activities"): for every record, the
-- daily mart summed over its days equals the six direction counts of the completed linked
-- activities whose UTC date lies in the window (T - (N - 1) days .. T), recomputed here from
-- int_record_activities_joined. T is read from the KPI mart (kpis_as_of), so the check holds
-- for any as-of the build used. Returns one row per record whose totals differ.
-- In Dagster an asset check of mart_relationship_activity_daily (blocking, as every
-- error-severity test): a test of several models needs meta.dagster.ref to name the
-- model it checks.
{{ config(meta={'dagster': {'ref': {'name': 'mart_relationship_activity_daily'}}}) }}

with daily as (
    select * from {{ ref('mart_relationship_activity_daily') }}
),

record_activities as (
    select * from {{ ref('int_record_activities_joined') }}
),

as_of as (
    select cast(max(kpis_as_of) as date) as as_of_date
    from {{ ref('mart_relationship_kpis') }}
),

window_bounds as (
    select
        cast({{ dbt.dateadd('day', 1 - var('activity_window_days'), 'as_of_date') }} as date)
            as first_date,
        as_of_date as last_date
    from as_of
),

daily_totals as (
    select
        record_type,
        record_id,
        sum(emails_sent) as emails_sent,
        sum(emails_received) as emails_received,
        sum(meetings_sent) as meetings_sent,
        sum(meetings_received) as meetings_received,
        sum(phone_calls_made) as phone_calls_made,
        sum(phone_calls_received) as phone_calls_received
    from daily
    group by record_type, record_id
),

recomputed as (
    select
        record_activities.record_type,
        record_activities.record_id,
        sum(case when activity_type = 'email' and initiated_by = 'team' then 1 else 0 end)
            as emails_sent,
        sum(case when activity_type = 'email' and initiated_by = 'customer' then 1 else 0 end)
            as emails_received,
        sum(case when activity_type = 'meeting' and initiated_by = 'team' then 1 else 0 end)
            as meetings_sent,
        sum(case when activity_type = 'meeting' and initiated_by = 'customer' then 1 else 0 end)
            as meetings_received,
        sum(case when activity_type = 'phone_call' and initiated_by = 'team' then 1 else 0 end)
            as phone_calls_made,
        sum(case when activity_type = 'phone_call' and initiated_by = 'customer' then 1 else 0 end)
            as phone_calls_received
    from record_activities
    cross join window_bounds
    where {{ activity_status_at('record_activities.completed_from_at', 'record_activities.future_until_at') }} = 'completed'
        and cast(record_activities.activity_at as date) >= window_bounds.first_date
        and cast(record_activities.activity_at as date) <= window_bounds.last_date
    group by record_activities.record_type, record_activities.record_id
),

compared as (
    select
        coalesce(daily_totals.record_type, recomputed.record_type) as record_type,
        coalesce(daily_totals.record_id, recomputed.record_id) as record_id,
        coalesce(daily_totals.emails_sent, 0) as daily_emails_sent,
        coalesce(recomputed.emails_sent, 0) as window_emails_sent,
        coalesce(daily_totals.emails_received, 0) as daily_emails_received,
        coalesce(recomputed.emails_received, 0) as window_emails_received,
        coalesce(daily_totals.meetings_sent, 0) as daily_meetings_sent,
        coalesce(recomputed.meetings_sent, 0) as window_meetings_sent,
        coalesce(daily_totals.meetings_received, 0) as daily_meetings_received,
        coalesce(recomputed.meetings_received, 0) as window_meetings_received,
        coalesce(daily_totals.phone_calls_made, 0) as daily_phone_calls_made,
        coalesce(recomputed.phone_calls_made, 0) as window_phone_calls_made,
        coalesce(daily_totals.phone_calls_received, 0) as daily_phone_calls_received,
        coalesce(recomputed.phone_calls_received, 0) as window_phone_calls_received
    from daily_totals
    full outer join recomputed
        on daily_totals.record_type = recomputed.record_type
        and daily_totals.record_id = recomputed.record_id
)

select *
from compared
where daily_emails_sent <> window_emails_sent
    or daily_emails_received <> window_emails_received
    or daily_meetings_sent <> window_meetings_sent
    or daily_meetings_received <> window_meetings_received
    or daily_phone_calls_made <> window_phone_calls_made
    or daily_phone_calls_received <> window_phone_calls_received
