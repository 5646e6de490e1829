-- The focus list (ours): open opportunities ranked by value at risk, each with its reasons
-- in words. value_at_risk = estimated value x (100 - health score) / 100; without a health
-- score (too little activity) the risk is focus_risk_without_health_score.
with opportunities as (
    select * from {{ ref('stg_dataverse__opportunities') }}
    where opportunity_state = 'open'
),

kpis as (
    select * from {{ ref('mart_relationship_kpis') }}
    where record_type = 'opportunity'
),

coverage as (
    select * from {{ ref('mart_stakeholder_coverage') }}
),

joined as (
    select
        opportunities.opportunity_id,
        opportunities.opportunity_name,
        opportunities.owner_id,
        opportunities.estimated_value,
        opportunities.estimated_close_date,
        kpis.health_score,
        kpis.health_state,
        kpis.health_trend,
        kpis.health_score_14d_ago,
        kpis.inactive_days,
        kpis.response_rate_by_them,
        kpis.next_interaction_at,
        coverage.engaged_stakeholders_30d,
        coverage.is_single_threaded,
        case
            when kpis.health_score is null then {{ var('focus_risk_without_health_score') }}
            else (100 - kpis.health_score) / 100.0
        end as risk_factor
    from opportunities
    inner join kpis
        on opportunities.opportunity_id = kpis.record_id
    left join coverage
        on opportunities.opportunity_id = coverage.opportunity_id
),

with_reasons as (
    select
        *,
        coalesce(estimated_value, 0) * risk_factor as value_at_risk,
        concat_ws(
            '; ',
            case when health_state = 'poor' then {{ dbt.concat([
                "'Poor relationship health (score '",
                "cast(health_score as " ~ dbt.type_string() ~ ")", "')'"]) }} end,
            case when health_trend = 'declining' then {{ dbt.concat([
                "'Health declining ('",
                "cast(health_score - health_score_14d_ago as " ~ dbt.type_string() ~ ")",
                "' points in " ~ var('health_trend_days') ~ " days)'"]) }} end,
            case when health_state = 'not_enough_info'
                then 'Too little activity to judge the relationship' end,
            case when inactive_days is null then 'No interaction yet'
                when inactive_days >= {{ var('focus_inactive_days') }} then {{ dbt.concat([
                    "'No interaction in '", "cast(inactive_days as " ~ dbt.type_string() ~ ")",
                    "' days'"]) }} end,
            case when is_single_threaded then {{ dbt.concat([
                "'Single-threaded: '",
                "cast(coalesce(engaged_stakeholders_30d, 0) as " ~ dbt.type_string() ~ ")",
                "' stakeholder(s) engaged in 30 days'"]) }} end,
            case when response_rate_by_them < {{ var('focus_low_response_rate') }}
                then {{ dbt.concat([
                    "'Customer answers only '",
                    "cast(cast(" ~ round_double('100 * response_rate_by_them', 0) ~ " as " ~ dbt.type_int() ~ ") as " ~ dbt.type_string() ~ ")",
                    "'% of your emails'"]) }} end,
            case when next_interaction_at is null then 'No next interaction scheduled' end,
            case when estimated_close_date < {{ as_of_date() }}
                then 'Estimated close date has passed' end
        ) as reasons
    from joined
),

final as (
    select
        cast(row_number() over (
            order by value_at_risk desc, opportunity_id
        ) as {{ dbt.type_int() }}) as focus_rank,
        opportunity_id,
        opportunity_name,
        owner_id,
        estimated_value,
        estimated_close_date,
        health_score,
        health_state,
        health_trend,
        cast(value_at_risk as double) as value_at_risk,
        coalesce(nullif(reasons, ''), 'No warning signs') as reasons
    from with_reasons
)

select * from final
