{{ config(tags=['weekly']) }}
-- Similar won opportunities (refreshed weekly): for each open opportunity, the most similar
-- won deals. Candidates are blocked on (industry, value order of magnitude +-1), so the
-- search joins on keys instead of comparing every open deal with every won deal. Empty
-- unless the data holds enough won and lost deals (see mart_similar_won_opportunities_status).
with features as (
    select * from {{ ref('int_opportunity_similarity_features') }}
),

won_kpis as (
    select * from {{ ref('mart_relationship_kpis') }}
    where record_type = 'opportunity'
),

status as (
    select * from {{ ref('mart_similar_won_opportunities_status') }}
),

open_opportunities as (
    select * from features
    where opportunity_state = 'open'
),

won_opportunities as (
    select * from features
    where opportunity_state = 'won'
),

bucket_offsets as (
    select -1 as bucket_offset
    union all
    select 0
    union all
    select 1
),

open_probes as (
    select open_opportunities.*, open_opportunities.value_bucket + bucket_offsets.bucket_offset as probe_bucket
    from open_opportunities
    cross join bucket_offsets
),

candidates as (
    select
        open_probes.opportunity_id,
        won_opportunities.opportunity_id as similar_opportunity_id,
        won_opportunities.actual_value,
        greatest(0.0, 1 - abs(open_probes.log_estimated_value - won_opportunities.log_estimated_value)
            / {{ var('similar_value_orders_of_magnitude') }}) as value_similarity,
        greatest(0.0, 1 - abs(open_probes.log_account_size - won_opportunities.log_account_size)
            / {{ var('similar_size_orders_of_magnitude') }}) as account_size_similarity,
        case
            when open_probes.business_unit_id = won_opportunities.business_unit_id then 1.0
            else 0.0
        end as business_unit_similarity,
        greatest(0.0, 1 - abs(open_probes.stakeholder_count - won_opportunities.stakeholder_count)
            / {{ var('similar_stakeholder_difference') }}) as stakeholder_similarity
    from open_probes
    inner join won_opportunities
        on open_probes.industry_code = won_opportunities.industry_code
        and open_probes.probe_bucket = won_opportunities.value_bucket
),

scored as (
    select
        opportunity_id,
        similar_opportunity_id,
        actual_value,
        {{ round_double(
            "100 * (" ~ var('similar_weight_industry')
            ~ " + " ~ var('similar_weight_value') ~ " * value_similarity"
            ~ " + " ~ var('similar_weight_account_size') ~ " * account_size_similarity"
            ~ " + " ~ var('similar_weight_business_unit') ~ " * business_unit_similarity"
            ~ " + " ~ var('similar_weight_stakeholders') ~ " * stakeholder_similarity)",
            2
        ) }} as similarity_score
    from candidates
),

similar_ranked as (
    select
        opportunity_id,
        similar_opportunity_id,
        similarity_score,
        'similar' as match_kind,
        row_number() over (
            partition by opportunity_id
            order by similarity_score desc, actual_value desc, similar_opportunity_id
        ) as similarity_rank
    from scored
),

-- Open deals without any candidate fall back to the biggest won deals.
top_won as (
    select
        opportunity_id as similar_opportunity_id,
        row_number() over (
            order by actual_value desc, opportunity_id
        ) as similarity_rank
    from won_opportunities
),

open_without_candidates as (
    select open_opportunities.opportunity_id
    from open_opportunities
    left join (select distinct opportunity_id from candidates) as with_candidates
        on open_opportunities.opportunity_id = with_candidates.opportunity_id
    where with_candidates.opportunity_id is null
),

fallback as (
    select
        open_without_candidates.opportunity_id,
        top_won.similar_opportunity_id,
        cast(null as double) as similarity_score,
        'top_won_fallback' as match_kind,
        top_won.similarity_rank
    from open_without_candidates
    cross join top_won
    where top_won.similarity_rank <= {{ var('similar_fallback_top_n') }}
),

matches as (
    select * from similar_ranked
    where similarity_rank <= {{ var('similar_top_n') }}
    union all
    select * from fallback
),

final as (
    select
        matches.opportunity_id,
        matches.similar_opportunity_id,
        cast(matches.similarity_rank as {{ dbt.type_int() }}) as similarity_rank,
        cast(matches.similarity_score as double) as similarity_score,
        matches.match_kind,
        cast(
            won_kpis.activities_initiated_by_team + won_kpis.activities_initiated_by_customer
            as {{ dbt.type_bigint() }}
        ) as activity_count,
        won_kpis.time_spent_by_team_minutes,
        won_kpis.time_spent_by_customer_minutes,
        won_kpis.avg_response_time_by_us_hours,
        won_kpis.response_rate_by_them,
        won_opportunities.actual_value,
        won_opportunities.actual_close_date,
        status.refreshed_at,
        -- The counts behind the two response figures above, so the similar deals of an
        -- opportunity (or any group) roll up as sums: avg time = hours sum / responses,
        -- rate by them = responses_by_them / emails_sent.
        won_kpis.responses_by_us,
        won_kpis.response_time_by_us_hours_sum,
        won_kpis.responses_by_them,
        won_kpis.emails_sent
    from matches
    inner join won_opportunities
        on matches.similar_opportunity_id = won_opportunities.opportunity_id
    left join won_kpis
        on matches.similar_opportunity_id = won_kpis.record_id
    cross join status
    where status.is_enabled
)

select * from final
