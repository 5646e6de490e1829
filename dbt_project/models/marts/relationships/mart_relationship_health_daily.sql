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
        reciprocity_component,
        -- The explanation (docs/kpi_definitions.md section 6, "Reasons").
        frequency_score,
        frequency_contribution_points,
        recency_score,
        recency_contribution_points,
        reciprocity_score,
        reciprocity_contribution_points,
        breadth_component,
        breadth_score,
        breadth_contribution_points,
        sentiment_component,
        sentiment_score,
        sentiment_contribution_points,
        health_reasons
    from health
    -- The intermediate model may keep more days (for the team marts' 90-day comparison).
    where score_date > cast(
        {{ dbt.dateadd('day', -var('health_history_days'), as_of_date()) }} as date
    )
)

select * from final
