-- Cross-model truth (KPI_SPEC section 3, "Most contacted / contacted by"): in
-- mart_top_contacts the per-type counts add up to interaction_count, and within each
-- record and side the ranks are exactly 1..n (no gaps, no repeats, n <= the configured
-- people per side). Returns one row per violating person or record-side.
with top_contacts as (
    select * from {{ ref('mart_top_contacts') }}
),

count_mismatches as (
    select
        'type_counts_do_not_add_up' as failed_check,
        record_type,
        record_id,
        side,
        party_id,
        interaction_count as observed,
        email_count + meeting_count + phone_call_count as expected
    from top_contacts
    where interaction_count <> email_count + meeting_count + phone_call_count
        or interaction_count is null
        or interaction_count < 1
),

rank_summary as (
    select
        record_type,
        record_id,
        side,
        count(*) as people,
        count(distinct rank) as distinct_ranks,
        min(rank) as min_rank,
        max(rank) as max_rank
    from top_contacts
    group by record_type, record_id, side
),

rank_gaps as (
    select
        'ranks_not_1_to_n' as failed_check,
        record_type,
        record_id,
        side,
        cast(null as {{ dbt.type_string() }}) as party_id,
        max_rank as observed,
        people as expected
    from rank_summary
    where min_rank <> 1
        or max_rank <> people
        or distinct_ranks <> people
        or people > {{ var('top_contacts_per_side') }}
)

select * from count_mismatches
union all
select * from rank_gaps
