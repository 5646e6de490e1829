-- Relationship health score per record and day, for the last health_history_days days
-- (docs/kpi_definitions.md, "Relationship health"). The score on day d uses only activity
-- on or before d, so the score at T-14 days is the same formula on earlier data.
--
-- score = 100 * (w_f * frequency + w_r * recency + w_c * reciprocity), rounded, where over
-- the health_window_days ending at d:
--   frequency   = min(1, weighted activities / (window days / expected interval days))
--   recency     = 0.5 ^ (days since the last activity / recency half-life)
--   reciprocity = min(1, customer-initiated share / target share), averaged with
--                 min(1, customer answers / team emails) when the team sent email.
-- Rolling sums use day-number range frames over a sparse day grid, never a join of every
-- day with every activity.
-- The window sorts millions of record-day rows, so records get a small integer key: sorting
-- by a 36-character id pair cost more than the window sums themselves.
with applicable_records as (
    select
        record_type,
        record_id,
        row_number() over (order by record_type, record_id) as record_key
    from {{ ref('int_records_unioned') }}
    where not is_closed
),

weights as (
    select activity_type, weight from {{ ref('health_activity_weights') }}
),

bands as (
    select * from {{ ref('health_state_bands') }}
),

completed as (
    select
        applicable_records.record_key,
        record_activities.activity_id,
        record_activities.activity_type,
        record_activities.initiated_by,
        {{ day_number('record_activities.activity_date') }} as day_number,
        weights.weight
    from {{ ref('int_record_activities_joined') }} as record_activities
    inner join applicable_records
        on record_activities.record_type = applicable_records.record_type
        and record_activities.record_id = applicable_records.record_id
    inner join weights
        on record_activities.activity_type = weights.activity_type
    where record_activities.activity_status = 'completed'
),

-- Customer answers to team emails, counted on the day the answer arrived.
customer_answers as (
    select
        completed.record_key,
        {{ day_number('cast(replies.answered_at as date)') }} as day_number
    from completed
    inner join {{ ref('int_email_replies_matched') }} as replies
        on completed.activity_id = replies.original_activity_id
    where replies.answered_by = 'customer'
),

day_offsets as (
    {{ integers_below(var('health_history_days')) }}
),

score_days as (
    select
        active_records.record_key,
        {{ day_number(as_of_date()) }} - day_offsets.n as day_number
    from (select distinct record_key from completed) as active_records
    cross join day_offsets
),

-- Activities, answers and (all-zero) score days, summed into one row per record and day:
-- one day per window peer group keeps the frames cheap. Days before the earliest window
-- only feed activities_to_date and the last activity day, so they fold into one row per
-- record the day before that window (its actual last activity day is kept aside).
{%- set folded_day_number = day_number(as_of_date()) ~ ' - '
    ~ (var('health_history_days') + var('health_window_days') - 1) %}
day_events as (
    select
        record_key,
        greatest(day_number, {{ folded_day_number }}) as day_number,
        day_number as activity_day_number,
        1 as activity_count,
        weight as weighted_activities,
        case when initiated_by = 'team' then weight else 0 end as team_initiated_weighted,
        case when initiated_by = 'customer' then weight else 0 end as customer_initiated_weighted,
        case when activity_type = 'email' and initiated_by = 'team' then 1 else 0 end
            as team_emails,
        0 as customer_answers
    from completed
    union all
    select record_key, greatest(day_number, {{ folded_day_number }}), null, 0, 0, 0, 0, 0, 1
    from customer_answers
    union all
    select record_key, day_number, null, 0, 0, 0, 0, 0, 0
    from score_days
),

grid as (
    select
        record_key,
        day_number,
        max(activity_day_number) as last_activity_day_number,
        sum(activity_count) as activity_count,
        sum(weighted_activities) as weighted_activities,
        sum(team_initiated_weighted) as team_initiated_weighted,
        sum(customer_initiated_weighted) as customer_initiated_weighted,
        sum(team_emails) as team_emails,
        sum(customer_answers) as customer_answers,
        day_number between {{ day_number(as_of_date()) }} - {{ var('health_history_days') - 1 }}
            and {{ day_number(as_of_date()) }} as is_score_day
    from day_events
    group by record_key, day_number
),

rolling as (
    select
        record_key,
        day_number,
        is_score_day,
        sum(activity_count) over all_before as activities_to_date,
        max(last_activity_day_number) over all_before as last_activity_day_number,
        sum(weighted_activities) over in_window as window_weighted_activities,
        sum(team_initiated_weighted) over in_window as window_team_initiated,
        sum(customer_initiated_weighted) over in_window as window_customer_initiated,
        sum(team_emails) over in_window as window_team_emails,
        sum(customer_answers) over in_window as window_customer_answers
    from grid
    window
        all_before as (
            partition by record_key
            order by day_number
            range between unbounded preceding and current row
        ),
        in_window as (
            partition by record_key
            order by day_number
            range between {{ var('health_window_days') - 1 }} preceding and current row
        )
),

components as (
    select
        record_key,
        day_number,
        activities_to_date,
        least(
            1.0,
            window_weighted_activities
            / ({{ var('health_window_days') }} / {{ var('health_expected_interval_days') }})
        ) as frequency_component,
        case
            when last_activity_day_number is null then 0.0
            else power(
                0.5,
                (day_number - last_activity_day_number)
                / {{ var('health_recency_half_life_days') }}
            )
        end as recency_component,
        case
            when window_team_initiated + window_customer_initiated > 0 then least(
                1.0,
                window_customer_initiated
                / (window_team_initiated + window_customer_initiated)
                / {{ var('health_target_customer_share') }}
            )
            else 0.0
        end as initiative_component,
        case
            when window_team_emails > 0
                then least(1.0, cast(window_customer_answers as double) / window_team_emails)
        end as answer_component
    from rolling
    where is_score_day
),

scored as (
    select
        record_key,
        day_number,
        activities_to_date,
        frequency_component,
        recency_component,
        case
            when answer_component is null then initiative_component
            else (initiative_component + answer_component) / 2
        end as reciprocity_component
    from components
),

with_scores as (
    select
        *,
        case
            when activities_to_date >= {{ var('health_min_activities') }} then cast({{ round_double(
                "100 * ("
                ~ var('health_weight_frequency') ~ " * frequency_component + "
                ~ var('health_weight_recency') ~ " * recency_component + "
                ~ var('health_weight_reciprocity') ~ " * reciprocity_component)",
                0
            ) }} as {{ dbt.type_int() }})
        end as health_score
    from scored
),

final as (
    select
        applicable_records.record_type,
        applicable_records.record_id,
        cast({{ dbt.dateadd('day', 'with_scores.day_number', "cast('1970-01-01' as date)") }} as date)
            as score_date,
        with_scores.health_score,
        case
            when with_scores.health_score is null then 'not_enough_info'
            else bands.health_state
        end as health_state,
        cast(with_scores.activities_to_date as {{ dbt.type_bigint() }}) as activities_to_date,
        cast(with_scores.frequency_component as double) as frequency_component,
        cast(with_scores.recency_component as double) as recency_component,
        cast(with_scores.reciprocity_component as double) as reciprocity_component
    from with_scores
    inner join applicable_records
        on with_scores.record_key = applicable_records.record_key
    left join bands
        on with_scores.health_score between bands.min_score and bands.max_score
)

select * from final
