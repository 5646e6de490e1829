-- Every team (owner or business unit) x reporting period with its activity, time and
-- response measures over the period and its records' standing at T (docs/
-- kpi_definitions.md, "Team views"). One row per (team_type, team_id, period); the two
-- team marts select their half. Teams: every owner of at least one record, every business
-- unit of such an owner; a team without activity in a period gets zeros.
--
-- An activity is in a period when its time is in [period_start, period_end); an email's
-- answer counts whenever it came by T, so last_quarter's response rate is over the emails
-- received last quarter. Counts come from int_team_activities_attributed, where each
-- activity is one row per team: never a sum of per-record counts or rates.
{#- Health change columns carry the default day counts in their names (*_14d, *_90d);
    the vars team_health_change_short_days and _long_days set the days compared. #}
{%- set changes = [('14d', 'short_ago'), ('90d', 'long_ago')] %}
{%- set customer_email = "activity_type = 'email' and initiated_by = 'customer'" %}
{%- set team_email = "activity_type = 'email' and initiated_by = 'team'" %}
with periods as (
    select * from {{ ref('int_team_periods') }}
),

team_activities as (
    select * from {{ ref('int_team_activities_attributed') }}
),

record_states as (
    select * from {{ ref('int_team_record_states') }}
),

-- good > fair > poor; not_enough_info and not_applicable have no rank, so a record moving
-- to or from them has neither improved nor declined.
{%- set band_rank = "case {} when 'good' then 3 when 'fair' then 2 when 'poor' then 1 end" %}
ranked_states as (
    select
        *,
        {{ band_rank.format('health_state_now') }} as band_rank_now,
        {{ band_rank.format('health_state_short_ago') }} as band_rank_short_ago,
        {{ band_rank.format('health_state_long_ago') }} as band_rank_long_ago
    from record_states
),

team_records as (
    select
        'owner' as team_type,
        owner_id as team_id,
        health_state_now,
        health_state_short_ago,
        health_state_long_ago,
        band_rank_now,
        band_rank_short_ago,
        band_rank_long_ago,
        is_closed,
        is_going_dark
    from ranked_states
    where owner_id is not null
    union all
    select
        'business_unit' as team_type,
        business_unit_id as team_id,
        health_state_now,
        health_state_short_ago,
        health_state_long_ago,
        band_rank_now,
        band_rank_short_ago,
        band_rank_long_ago,
        is_closed,
        is_going_dark
    from ranked_states
    where business_unit_id is not null
),

records_standing as (
    select
        team_type,
        team_id,
        count(*) as records_owned,
        sum(case when not is_closed then 1 else 0 end) as open_records_owned,
        {%- for state in ['good', 'fair', 'poor', 'not_enough_info', 'not_applicable'] %}
        sum(case when health_state_now = '{{ state }}' then 1 else 0 end) as records_{{ state }},
        {%- endfor %}
        {%- for suffix, column in changes %}
        {%- for state in ['good', 'fair', 'poor', 'not_enough_info'] %}
        sum(case when health_state_{{ column }} = '{{ state }}' then 1 else 0 end)
            as records_{{ state }}_{{ suffix }}_ago,
        {%- endfor %}
        sum(case when health_state_{{ column }} = 'good' and health_state_now = 'poor' then 1 else 0 end)
            as records_good_to_poor_{{ suffix }},
        sum(case when band_rank_now > band_rank_{{ column }} then 1 else 0 end)
            as records_improved_{{ suffix }},
        sum(case when band_rank_now < band_rank_{{ column }} then 1 else 0 end)
            as records_declined_{{ suffix }},
        {%- endfor %}
        sum(case when is_going_dark then 1 else 0 end) as records_going_dark
    from team_records
    group by team_type, team_id
),

activities_in_periods as (
    select
        team_activities.team_type,
        team_activities.team_id,
        periods.period,
        team_activities.activity_type,
        team_activities.initiated_by,
        team_activities.team_minutes,
        team_activities.customer_minutes,
        team_activities.is_answered,
        team_activities.response_time_seconds
    from team_activities
    inner join periods
        on team_activities.activity_at >= periods.period_start
        and team_activities.activity_at < periods.period_end
),

period_activity as (
    select
        team_type,
        team_id,
        period,
        {{ interaction_counts() }},
        sum(team_minutes) as time_spent_by_team_minutes,
        sum(customer_minutes) as time_spent_by_customer_minutes,
        sum(case when {{ customer_email }} then 1 else 0 end) as customer_emails_received,
        sum(case when {{ customer_email }} and is_answered then 1 else 0 end)
            as customer_emails_answered_by_us,
        -- Whole seconds: exact sums in any order; hours only at the end.
        sum(case when {{ customer_email }} then response_time_seconds end)
            as response_time_by_us_seconds_sum,
        sum(case when {{ team_email }} then 1 else 0 end) as team_emails_sent,
        sum(case when {{ team_email }} and is_answered then 1 else 0 end)
            as team_emails_answered_by_them,
        sum(case when {{ team_email }} then response_time_seconds end)
            as response_time_by_them_seconds_sum
    from activities_in_periods
    group by team_type, team_id, period
),

final as (
    select
        records_standing.team_type,
        records_standing.team_id,
        periods.period,
        periods.period_start,
        periods.period_end,
        {%- for column in [
            'emails_sent', 'emails_received', 'meetings_sent', 'meetings_received',
            'phone_calls_made', 'phone_calls_received'] %}
        cast(coalesce(period_activity.{{ column }}, 0) as {{ dbt.type_bigint() }}) as {{ column }},
        {%- endfor %}
        cast(
            coalesce(
                period_activity.emails_sent + period_activity.meetings_sent
                + period_activity.phone_calls_made, 0
            ) as {{ dbt.type_bigint() }}
        ) as activities_initiated_by_team,
        cast(
            coalesce(
                period_activity.emails_received + period_activity.meetings_received
                + period_activity.phone_calls_received, 0
            ) as {{ dbt.type_bigint() }}
        ) as activities_initiated_by_customer,
        {{ round_double('cast(coalesce(period_activity.time_spent_by_team_minutes, 0) as double)', 6) }}
            as time_spent_by_team_minutes,
        {{ round_double('cast(coalesce(period_activity.time_spent_by_customer_minutes, 0) as double)', 6) }}
            as time_spent_by_customer_minutes,
        cast(coalesce(period_activity.customer_emails_received, 0) as {{ dbt.type_bigint() }})
            as customer_emails_received,
        cast(coalesce(period_activity.customer_emails_answered_by_us, 0) as {{ dbt.type_bigint() }})
            as customer_emails_answered_by_us,
        {{ safe_divide('period_activity.customer_emails_answered_by_us', 'period_activity.customer_emails_received') }}
            as response_rate_by_us,
        {{ round_double('cast(coalesce(period_activity.response_time_by_us_seconds_sum, 0) as double) / 3600.0', 6) }}
            as response_time_by_us_hours_sum,
        {{ round_double(safe_divide('period_activity.response_time_by_us_seconds_sum', 'period_activity.customer_emails_answered_by_us') ~ ' / 3600.0', 6) }}
            as avg_response_time_by_us_hours,
        cast(coalesce(period_activity.team_emails_sent, 0) as {{ dbt.type_bigint() }})
            as team_emails_sent,
        cast(coalesce(period_activity.team_emails_answered_by_them, 0) as {{ dbt.type_bigint() }})
            as team_emails_answered_by_them,
        {{ safe_divide('period_activity.team_emails_answered_by_them', 'period_activity.team_emails_sent') }}
            as response_rate_by_them,
        {{ round_double('cast(coalesce(period_activity.response_time_by_them_seconds_sum, 0) as double) / 3600.0', 6) }}
            as response_time_by_them_hours_sum,
        {{ round_double(safe_divide('period_activity.response_time_by_them_seconds_sum', 'period_activity.team_emails_answered_by_them') ~ ' / 3600.0', 6) }}
            as avg_response_time_by_them_hours,
        cast(records_standing.records_owned as {{ dbt.type_bigint() }}) as records_owned,
        cast(records_standing.open_records_owned as {{ dbt.type_bigint() }}) as open_records_owned,
        {%- for state in ['good', 'fair', 'poor', 'not_enough_info', 'not_applicable'] %}
        cast(records_standing.records_{{ state }} as {{ dbt.type_bigint() }}) as records_{{ state }},
        {%- endfor %}
        {%- for suffix, column in changes %}
        {%- for state in ['good', 'fair', 'poor', 'not_enough_info'] %}
        cast(records_standing.records_{{ state }}_{{ suffix }}_ago as {{ dbt.type_bigint() }})
            as records_{{ state }}_{{ suffix }}_ago,
        {%- endfor %}
        cast(records_standing.records_good_to_poor_{{ suffix }} as {{ dbt.type_bigint() }})
            as records_good_to_poor_{{ suffix }},
        cast(records_standing.records_improved_{{ suffix }} as {{ dbt.type_bigint() }})
            as records_improved_{{ suffix }},
        cast(records_standing.records_declined_{{ suffix }} as {{ dbt.type_bigint() }})
            as records_declined_{{ suffix }},
        {%- endfor %}
        cast(records_standing.records_going_dark as {{ dbt.type_bigint() }}) as records_going_dark,
        {{ as_of_timestamp() }} as kpis_as_of
    from records_standing
    cross join periods
    left join period_activity
        on records_standing.team_type = period_activity.team_type
        and records_standing.team_id = period_activity.team_id
        and periods.period = period_activity.period
)

select * from final
