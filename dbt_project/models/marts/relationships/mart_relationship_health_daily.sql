-- Relationship health per day over the last health_history_days, so a trend can be drawn.
-- Rows for open or active records with at least one completed linked activity.
with health as (
    select * from {{ ref('int_record_health_daily') }}
),

final as (
    select
        record_type,
        record_id,
        score_date,
        health_score,
        health_state,
        activities_to_date,
        frequency_component,
        recency_component,
        reciprocity_component
    from health
    -- The intermediate model may keep more days (for the team marts' 90-day comparison).
    where score_date > cast(
        {{ dbt.dateadd('day', -var('health_history_days'), as_of_date()) }} as date
    )
)

select * from final
