{{ config(tags=['weekly']) }}
-- Similar won opportunities (refreshed weekly): for each open opportunity, the most similar
-- won deals. Candidates are blocked on (industry, value order of magnitude +-1), so the
-- search joins on keys instead of comparing every open deal with every won deal. Empty
-- unless the data holds enough won and lost deals (see mart_similar_won_opportunities_status).
-- How it stays fast (docs/benchmarks.md, "Similar won deals: a top-n aggregate"): at 10M
-- activities the blocks still hold 88 million (open, won) pairs; ranking every pair with
-- row_number() sorted them all and spilled about 12 GB. Instead the pair step carries only
-- the open deal's id, the won deal's won_order and one bigint key (rounded score in
-- hundredths, desc, then won_order), and a top-n aggregate keeps the best similar_top_n per
-- open deal (macro top_n_per_group; row_number() on Spark). The score of the kept pairs is
-- computed again for publishing, with the same expression, and the won deals' columns are
-- joined to those rows only.
{#- The documented similarity of an open deal (open_side) and a won deal (won_side),
    rounded to 2 decimals; used for ranking and again for the published score. -#}
{%- set similarity_score = round_double(
    "100 * (" ~ var('similar_weight_industry')
    ~ " + " ~ var('similar_weight_value') ~ " * greatest(0.0, 1 - abs(open_side.log_estimated_value - won_side.log_estimated_value) / " ~ var('similar_value_orders_of_magnitude') ~ ")"
    ~ " + " ~ var('similar_weight_account_size') ~ " * greatest(0.0, 1 - abs(open_side.log_account_size - won_side.log_account_size) / " ~ var('similar_size_orders_of_magnitude') ~ ")"
    ~ " + " ~ var('similar_weight_business_unit') ~ " * case when open_side.business_unit_id = won_side.business_unit_id then 1.0 else 0.0 end"
    ~ " + " ~ var('similar_weight_stakeholders') ~ " * greatest(0.0, 1 - abs(open_side.stakeholder_count - won_side.stakeholder_count) / " ~ var('similar_stakeholder_difference') ~ "))",
    2
) %}
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
    select
        opportunity_id,
        industry_code,
        value_bucket,
        log_estimated_value,
        log_account_size,
        business_unit_id,
        stakeholder_count
    from features
    where opportunity_state = 'open'
),

-- won_order numbers the won deals in the tie order of the ranking (actual value desc, then
-- id), so one integer carries both tie-breakers through the pair step and the fallback
-- list is won_order 1..similar_fallback_top_n.
won_opportunities as (
    select
        opportunity_id,
        actual_value,
        actual_close_date,
        industry_code,
        value_bucket,
        log_estimated_value,
        log_account_size,
        business_unit_id,
        stakeholder_count,
        row_number() over (order by actual_value desc, opportunity_id) as won_order
    from features
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
    select
        open_opportunities.*,
        open_opportunities.value_bucket + bucket_offsets.bucket_offset as probe_bucket
    from open_opportunities
    cross join bucket_offsets
),

-- One row per (open deal, candidate), carrying only the keys: the rounded score in
-- hundredths and won_order packed into one number that sorts score desc, then actual value
-- desc, then id (won_order < 2^32). Never null: the features it reads are coalesced in
-- int_opportunity_similarity_features.
candidates as (
    select
        open_side.opportunity_id,
        won_side.won_order,
        -cast(round({{ similarity_score }} * 100) as {{ dbt.type_bigint() }}) * 4294967296
            + won_side.won_order as ranking_key
    from open_probes as open_side
    inner join won_opportunities as won_side
        on open_side.industry_code = won_side.industry_code
        and open_side.probe_bucket = won_side.value_bucket
),

similar_top as (
    {{ top_n_per_group(
        'candidates', 'opportunity_id', 'won_order', 'ranking_key',
        var('similar_top_n'), 'similarity_rank'
    ) }}
),

-- The published score, computed again for the kept pairs only.
similar_scored as (
    select
        similar_top.opportunity_id,
        similar_top.won_order,
        {{ similarity_score }} as similarity_score,
        'similar' as match_kind,
        similar_top.similarity_rank
    from similar_top
    inner join open_opportunities as open_side
        on similar_top.opportunity_id = open_side.opportunity_id
    inner join won_opportunities as won_side
        on similar_top.won_order = won_side.won_order
),

-- Open deals without any candidate fall back to the biggest won deals.
open_without_candidates as (
    select open_opportunities.opportunity_id
    from open_opportunities
    left join (select opportunity_id from similar_top where similarity_rank = 1) as with_candidates
        on open_opportunities.opportunity_id = with_candidates.opportunity_id
    where with_candidates.opportunity_id is null
),

fallback as (
    select
        open_without_candidates.opportunity_id,
        won_opportunities.won_order,
        cast(null as double) as similarity_score,
        'top_won_fallback' as match_kind,
        won_opportunities.won_order as similarity_rank
    from open_without_candidates
    cross join won_opportunities
    where won_opportunities.won_order <= {{ var('similar_fallback_top_n') }}
),

matches as (
    select * from similar_scored
    union all
    select * from fallback
),

final as (
    select
        matches.opportunity_id,
        won_opportunities.opportunity_id as similar_opportunity_id,
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
        on matches.won_order = won_opportunities.won_order
    left join won_kpis
        on won_opportunities.opportunity_id = won_kpis.record_id
    cross join status
    where status.is_enabled
)

select * from final
