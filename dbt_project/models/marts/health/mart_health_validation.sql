-- Does the health score predict outcomes? Per horizon (days before close) and health state:
-- the closed opportunities scored at that horizon, their win rate with a Wilson interval,
-- and, repeated on each state row of the horizon, the ROC AUC of the score for won against
-- lost with its interval and a verdict. Method in docs/kpi_definitions.md section 6,
-- "Validation against outcomes"; `make validate-health` writes docs/health_validation.md.
--
-- AUC is the Mann-Whitney statistic (the chance that a random won deal scores higher than
-- a random lost one, ties counting half), computed from counts per score value (scores are
-- whole numbers 0-100), so no pair join. Its interval is Hanley & McNeil's (1982) normal
-- approximation; win-rate intervals are Wilson score intervals. Both in SQL so the mart
-- builds the same on Spark and needs no statistics library.
{%- set z = var('health_validation_z') %}
with scored as (
    select * from {{ ref('int_opportunity_health_at_horizons') }}
),

horizons as (
    select distinct horizon_days from scored
),

states as (
    select health_state, min_score as state_min_score from {{ ref('health_state_bands') }}
    union all
    select 'not_enough_info', -1
),

-- The rank statistic: per score value, won and lost deals, and lost deals scoring lower.
score_counts as (
    select
        horizon_days,
        health_score,
        sum(case when outcome = 'won' then 1 else 0 end) as won,
        sum(case when outcome = 'lost' then 1 else 0 end) as lost
    from scored
    where health_score is not null
    group by horizon_days, health_score
),

score_ranks as (
    select
        horizon_days,
        won,
        lost,
        coalesce(sum(lost) over (
            partition by horizon_days
            order by health_score
            rows between unbounded preceding and 1 preceding
        ), 0) as lost_scoring_lower
    from score_counts
),

rank_sums as (
    select
        horizon_days,
        sum(won) as won_scored,
        sum(lost) as lost_scored,
        sum(won * (lost_scoring_lower + 0.5 * lost)) as won_over_lost_pairs
    from score_ranks
    group by horizon_days
),

auc as (
    select
        horizon_days,
        won_scored,
        lost_scored,
        case
            when won_scored > 0 and lost_scored > 0
                then won_over_lost_pairs / (cast(won_scored as double) * lost_scored)
        end as roc_auc
    from rank_sums
),

-- Hanley & McNeil: SE^2 = (A(1-A) + (nw-1)(Q1-A^2) + (nl-1)(Q2-A^2)) / (nw nl),
-- Q1 = A / (2 - A), Q2 = 2A^2 / (1 + A).
auc_interval as (
    select
        horizon_days,
        won_scored,
        lost_scored,
        roc_auc,
        sqrt(greatest(0.0, (
            roc_auc * (1 - roc_auc)
            + (won_scored - 1) * (roc_auc / (2 - roc_auc) - roc_auc * roc_auc)
            + (lost_scored - 1) * (2 * roc_auc * roc_auc / (1 + roc_auc) - roc_auc * roc_auc)
        ) / (cast(won_scored as double) * lost_scored))) as roc_auc_standard_error
    from auc
),

auc_verdict as (
    select
        horizon_days,
        won_scored,
        lost_scored,
        roc_auc,
        greatest(0.0, roc_auc - {{ z }} * roc_auc_standard_error) as roc_auc_lower,
        least(1.0, roc_auc + {{ z }} * roc_auc_standard_error) as roc_auc_upper
    from auc_interval
),

state_counts as (
    select
        horizon_days,
        health_state,
        count(*) as opportunities,
        sum(case when outcome = 'won' then 1 else 0 end) as won,
        sum(case when outcome = 'lost' then 1 else 0 end) as lost
    from scored
    group by horizon_days, health_state
),

-- Every state on every horizon, with zero counts where no deal had it.
state_grid as (
    select
        horizons.horizon_days,
        states.health_state,
        states.state_min_score,
        coalesce(state_counts.opportunities, 0) as opportunities,
        coalesce(state_counts.won, 0) as won,
        coalesce(state_counts.lost, 0) as lost
    from horizons
    cross join states
    left join state_counts
        on horizons.horizon_days = state_counts.horizon_days
        and states.health_state = state_counts.health_state
),

-- Wilson: (p + z^2/2n -+ z sqrt(p(1-p)/n + z^2/4n^2)) / (1 + z^2/n).
win_rates as (
    select
        *,
        {{ safe_divide('won', 'opportunities') }} as win_rate
    from state_grid
),

win_rate_intervals as (
    select
        *,
        case when opportunities > 0 then greatest(0.0,
            (win_rate + {{ z }} * {{ z }} / (2.0 * opportunities)
                - {{ z }} * sqrt(
                    win_rate * (1 - win_rate) / opportunities
                    + {{ z }} * {{ z }} / (4.0 * opportunities * opportunities)
                ))
            / (1 + {{ z }} * {{ z }} / opportunities))
        end as win_rate_lower,
        case when opportunities > 0 then least(1.0,
            (win_rate + {{ z }} * {{ z }} / (2.0 * opportunities)
                + {{ z }} * sqrt(
                    win_rate * (1 - win_rate) / opportunities
                    + {{ z }} * {{ z }} / (4.0 * opportunities * opportunities)
                ))
            / (1 + {{ z }} * {{ z }} / opportunities))
        end as win_rate_upper
    from win_rates
),

horizon_totals as (
    select
        horizon_days,
        sum(opportunities) as horizon_opportunities,
        sum(won) as horizon_won,
        sum(lost) as horizon_lost
    from state_grid
    group by horizon_days
),

final as (
    select
        cast(win_rate_intervals.horizon_days as {{ dbt.type_int() }}) as horizon_days,
        win_rate_intervals.health_state,
        cast(win_rate_intervals.state_min_score as {{ dbt.type_int() }}) as state_min_score,
        cast(win_rate_intervals.opportunities as {{ dbt.type_bigint() }}) as opportunities,
        cast(win_rate_intervals.won as {{ dbt.type_bigint() }}) as won,
        cast(win_rate_intervals.lost as {{ dbt.type_bigint() }}) as lost,
        cast({{ round_double('win_rate_intervals.win_rate', 6) }} as double) as win_rate,
        cast({{ round_double('win_rate_intervals.win_rate_lower', 6) }} as double)
            as win_rate_lower,
        cast({{ round_double('win_rate_intervals.win_rate_upper', 6) }} as double)
            as win_rate_upper,
        cast(horizon_totals.horizon_opportunities as {{ dbt.type_bigint() }})
            as horizon_opportunities,
        cast(horizon_totals.horizon_won as {{ dbt.type_bigint() }}) as horizon_won,
        cast(horizon_totals.horizon_lost as {{ dbt.type_bigint() }}) as horizon_lost,
        cast(coalesce(auc_verdict.won_scored, 0) as {{ dbt.type_bigint() }}) as won_scored,
        cast(coalesce(auc_verdict.lost_scored, 0) as {{ dbt.type_bigint() }}) as lost_scored,
        cast({{ round_double('auc_verdict.roc_auc', 6) }} as double) as roc_auc,
        cast({{ round_double('auc_verdict.roc_auc_lower', 6) }} as double) as roc_auc_lower,
        cast({{ round_double('auc_verdict.roc_auc_upper', 6) }} as double) as roc_auc_upper,
        case
            when coalesce(auc_verdict.won_scored, 0) < {{ var('health_validation_min_deals') }}
                or coalesce(auc_verdict.lost_scored, 0) < {{ var('health_validation_min_deals') }}
                then 'too few deals'
            when auc_verdict.roc_auc_lower > 0.5 then 'evidence'
            when auc_verdict.roc_auc_upper < 0.5 then 'evidence against'
            else 'no evidence'
        end as verdict
    from win_rate_intervals
    inner join horizon_totals
        on win_rate_intervals.horizon_days = horizon_totals.horizon_days
    left join auc_verdict
        on win_rate_intervals.horizon_days = auc_verdict.horizon_days
)

select * from final
