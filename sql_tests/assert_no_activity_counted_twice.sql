-- Cross-model truth (KPI_SPEC section 2, "an activity links to a record at most once"):
-- per record, the six direction counts of mart_relationship_kpis add up to no more than
-- the distinct completed linked activities (each counts in at most one direction). That no
-- (record, activity) pair appears twice is the unique_combination test of
-- int_record_activities_joined, so its rows are counted here, not distinct activities (the
-- distinct cost a group by of every row; a repeated pair fails that test instead).
-- Returns one row per violation.
-- In Dagster an asset check of mart_relationship_kpis (blocking, as every error-severity test): a test
-- of several models needs meta.dagster.ref to name the model it checks.
{{ config(meta={'dagster': {'ref': {'name': 'mart_relationship_kpis'}}}) }}

with record_activities as (
    select record_type, record_id, completed_from_at, future_until_at
    from {{ ref('int_record_activities_joined') }}
),

kpis as (
    select * from {{ ref('mart_relationship_kpis') }}
),

distinct_completed as (
    select
        record_type,
        record_id,
        count(*) as completed_activities
    from record_activities
    where {{ activity_status_at() }} = 'completed'
    group by record_type, record_id
),

over_counted as (
    select
        kpis.record_type,
        kpis.record_id,
        kpis.emails_sent + kpis.emails_received + kpis.meetings_sent
            + kpis.meetings_received + kpis.phone_calls_made + kpis.phone_calls_received
            as observed,
        coalesce(distinct_completed.completed_activities, 0) as allowed
    from kpis
    left join distinct_completed
        on kpis.record_type = distinct_completed.record_type
        and kpis.record_id = distinct_completed.record_id
    where kpis.emails_sent + kpis.emails_received + kpis.meetings_sent
            + kpis.meetings_received + kpis.phone_calls_made + kpis.phone_calls_received
        > coalesce(distinct_completed.completed_activities, 0)
)

select * from over_counted
