-- Response rate and time per record (KPI_SPEC section 4): over the completed emails linked
-- to the record, how many the other side answered and how fast. An email counts for every
-- record it is linked to.
with record_emails as (
    select record_type, record_id, activity_key, initiated_by
    from {{ ref('int_record_activities_joined') }}
    where {{ activity_status_at() }} = 'completed'
        and activity_type = 'email'
        and initiated_by in ('team', 'customer')
),

answers as (
    select original_activity_key, response_time_hours, response_time_seconds
    from {{ ref('int_email_replies_matched') }}
),

emails_with_answers as (
    select
        record_emails.record_type,
        record_emails.record_id,
        record_emails.initiated_by,
        answers.original_activity_key is not null as is_answered,
        answers.response_time_hours,
        answers.response_time_seconds
    from record_emails
    left join answers
        on record_emails.activity_key = answers.original_activity_key
),

aggregated as (
    select
        record_type,
        record_id,
        sum(case when initiated_by = 'customer' then 1 else 0 end) as customer_emails,
        sum(case when initiated_by = 'customer' and is_answered then 1 else 0 end)
            as customer_emails_answered_by_us,
        -- Mean of exact seconds, then hours: an average of hours would depend on the
        -- order DuckDB's threads add the (inexact) hour values in.
        sum(case when initiated_by = 'customer' then response_time_seconds end)
            as response_time_by_us_seconds_sum,
        sum(case when initiated_by = 'customer' then response_time_seconds end)
            / count(case when initiated_by = 'customer' then response_time_seconds end)
            / 3600.0 as avg_response_time_by_us_hours,
        {{ median("case when initiated_by = 'customer' then response_time_hours end") }}
            as median_response_time_by_us_hours,
        sum(case when initiated_by = 'team' then 1 else 0 end) as team_emails,
        sum(case when initiated_by = 'team' and is_answered then 1 else 0 end)
            as team_emails_answered_by_them,
        sum(case when initiated_by = 'team' then response_time_seconds end)
            as response_time_by_them_seconds_sum,
        sum(case when initiated_by = 'team' then response_time_seconds end)
            / count(case when initiated_by = 'team' then response_time_seconds end)
            / 3600.0 as avg_response_time_by_them_hours,
        {{ median("case when initiated_by = 'team' then response_time_hours end") }}
            as median_response_time_by_them_hours
    from emails_with_answers
    group by record_type, record_id
),

final as (
    select
        record_type,
        record_id,
        {{ safe_divide('customer_emails_answered_by_us', 'customer_emails') }}
            as response_rate_by_us,
        {{ safe_divide('team_emails_answered_by_them', 'team_emails') }}
            as response_rate_by_them,
        -- Averages of doubles depend on the order threads add them in: rounded to 6
        -- places so that a fixed as-of gives byte-identical marts.
        {{ round_double('cast(avg_response_time_by_us_hours as double)', 6) }}
            as avg_response_time_by_us_hours,
        {{ round_double('cast(median_response_time_by_us_hours as double)', 6) }}
            as median_response_time_by_us_hours,
        {{ round_double('cast(avg_response_time_by_them_hours as double)', 6) }}
            as avg_response_time_by_them_hours,
        {{ round_double('cast(median_response_time_by_them_hours as double)', 6) }}
            as median_response_time_by_them_hours,
        -- Roll-up-safe parts of the rates and averages above (numerators, denominators and
        -- the sums behind the averages): any grouping of records sums them, then divides.
        cast(customer_emails_answered_by_us as {{ dbt.type_bigint() }}) as responses_by_us,
        cast(team_emails_answered_by_them as {{ dbt.type_bigint() }}) as responses_by_them,
        {{ round_double('cast(response_time_by_us_seconds_sum as double) / 3600.0', 6) }}
            as response_time_by_us_hours_sum,
        {{ round_double('cast(response_time_by_them_seconds_sum as double) / 3600.0', 6) }}
            as response_time_by_them_hours_sum
    from aggregated
)

select * from final
