-- Cross-model truth (KPI_SPEC section 2, "an activity links to a record at most once"):
-- 1. no (record, activity) pair appears twice in int_record_activities_joined;
-- 2. per record, the six direction counts of mart_relationship_kpis add up to no more than
--    the distinct completed linked activities (each counts in at most one direction).
-- Returns one row per violation, with the check that failed.
with record_activities as (
    select * from {{ ref('int_record_activities_joined') }}
),

kpis as (
    select * from {{ ref('mart_relationship_kpis') }}
),

duplicate_pairs as (
    select
        'duplicate_record_activity' as failed_check,
        record_type,
        record_id,
        activity_id,
        count(*) as observed,
        1 as allowed
    from record_activities
    group by record_type, record_id, activity_id
    having count(*) > 1
),

distinct_completed as (
    select
        record_type,
        record_id,
        count(distinct activity_id) as completed_activities
    from record_activities
    where activity_status = 'completed'
    group by record_type, record_id
),

over_counted as (
    select
        'direction_counts_exceed_activities' as failed_check,
        kpis.record_type,
        kpis.record_id,
        cast(null as {{ dbt.type_string() }}) as activity_id,
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

select * from duplicate_pairs
union all
select * from over_counted
