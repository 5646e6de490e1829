-- The health explanation adds up (docs/kpi_definitions.md section 6, "Explanation"): on every
-- scored row of the health history, the components' contributions in points sum to the
-- score before rounding, so they differ from the published score by at most 0.5 plus the
-- rounding of each contribution to 2 decimals (5 x 0.005). Returns the rows that do not.
{{ config(meta={'dagster': {'ref': {'name': 'mart_relationship_health_daily'}}}) }}

with health as (
    select * from {{ ref('mart_relationship_health_daily') }}
),

sums as (
    select
        record_type,
        record_id,
        score_date,
        health_score,
        frequency_contribution_points
        + recency_contribution_points
        + reciprocity_contribution_points
        + coalesce(breadth_contribution_points, 0)
        + coalesce(sentiment_contribution_points, 0) as contribution_points
    from health
    where health_score is not null
),

final as (
    select *
    from sums
    where abs(contribution_points - health_score) > 0.525
)

select * from final
