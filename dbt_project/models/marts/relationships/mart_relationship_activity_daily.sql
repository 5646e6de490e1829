-- Relationship activities: per record and UTC calendar day, the six direction counts over
-- the window ending at the as-of date (T-59 days .. T for the default 60 days). Only days
-- with at least one completed activity have a row.
with record_activities as (
    select * from {{ ref('int_record_activities_joined') }}
    where {{ activity_status_at() }} = 'completed'
),

in_window as (
    select *
    from record_activities
    where activity_date >= cast(
            {{ dbt.dateadd('day', 1 - var('activity_window_days'), as_of_date()) }} as date
        )
        and activity_date <= {{ as_of_date() }}
),

daily as (
    select
        record_type,
        record_id,
        activity_date,
        {{ interaction_counts() }}
    from in_window
    group by record_type, record_id, activity_date
),

final as (
    select
        record_type,
        record_id,
        activity_date,
        cast(emails_sent as {{ dbt.type_bigint() }}) as emails_sent,
        cast(emails_received as {{ dbt.type_bigint() }}) as emails_received,
        cast(meetings_sent as {{ dbt.type_bigint() }}) as meetings_sent,
        cast(meetings_received as {{ dbt.type_bigint() }}) as meetings_received,
        cast(phone_calls_made as {{ dbt.type_bigint() }}) as phone_calls_made,
        cast(phone_calls_received as {{ dbt.type_bigint() }}) as phone_calls_received
    from daily
)

select * from final
