{{ config(tags=['weekly']) }}
-- Whether similar won opportunities can be computed, and why not: the list needs at least
-- similar_min_won won and similar_min_lost lost deals to mean anything.
with opportunities as (
    select opportunity_state from {{ ref('stg_dataverse__opportunities') }}
),

counts as (
    select
        sum(case when opportunity_state = 'won' then 1 else 0 end) as won_opportunities,
        sum(case when opportunity_state = 'lost' then 1 else 0 end) as lost_opportunities,
        sum(case when opportunity_state = 'open' then 1 else 0 end) as open_opportunities
    from opportunities
),

final as (
    select
        cast(coalesce(won_opportunities, 0) as {{ dbt.type_bigint() }}) as won_opportunities,
        cast(coalesce(lost_opportunities, 0) as {{ dbt.type_bigint() }}) as lost_opportunities,
        cast(coalesce(open_opportunities, 0) as {{ dbt.type_bigint() }}) as open_opportunities,
        coalesce(won_opportunities, 0) >= {{ var('similar_min_won') }}
            and coalesce(lost_opportunities, 0) >= {{ var('similar_min_lost') }} as is_enabled,
        case
            when coalesce(won_opportunities, 0) >= {{ var('similar_min_won') }}
                and coalesce(lost_opportunities, 0) >= {{ var('similar_min_lost') }}
                then 'enough won and lost opportunities'
            else {{ dbt.concat([
                "'needs at least " ~ var('similar_min_won') ~ " won and "
                    ~ var('similar_min_lost') ~ " lost opportunities; found '",
                "cast(coalesce(won_opportunities, 0) as " ~ dbt.type_string() ~ ")",
                "' won and '",
                "cast(coalesce(lost_opportunities, 0) as " ~ dbt.type_string() ~ ")",
                "' lost'",
            ]) }}
        end as reason,
        {{ as_of_timestamp() }} as refreshed_at
    from counts
)

select * from final
