-- One row per record owner x reporting period (docs/kpi_definitions.md, "Team views"):
-- what the owner's records saw in the period (activity by side and type, time spent,
-- response rates with their numerators, denominators and time sums) and how the owner's
-- records stand at T (health now, 14 and 90 days ago, going dark). An activity linked to
-- several of the owner's records counts once. Join owner_id to mart_users.user_id.
with team_periods as (
    select * from {{ ref('int_team_periods_aggregated') }}
    where team_type = 'owner'
),

final as (
    select
        team_id as owner_id,
        period,
        period_start,
        period_end,
        emails_sent,
        emails_received,
        meetings_sent,
        meetings_received,
        phone_calls_made,
        phone_calls_received,
        activities_initiated_by_team,
        activities_initiated_by_customer,
        time_spent_by_team_minutes,
        time_spent_by_customer_minutes,
        customer_emails_received,
        customer_emails_answered_by_us,
        response_rate_by_us,
        response_time_by_us_hours_sum,
        avg_response_time_by_us_hours,
        team_emails_sent,
        team_emails_answered_by_them,
        response_rate_by_them,
        response_time_by_them_hours_sum,
        avg_response_time_by_them_hours,
        records_owned,
        open_records_owned,
        records_good,
        records_fair,
        records_poor,
        records_not_enough_info,
        records_not_applicable,
        records_good_14d_ago,
        records_fair_14d_ago,
        records_poor_14d_ago,
        records_not_enough_info_14d_ago,
        records_good_to_poor_14d,
        records_improved_14d,
        records_declined_14d,
        records_good_90d_ago,
        records_fair_90d_ago,
        records_poor_90d_ago,
        records_not_enough_info_90d_ago,
        records_good_to_poor_90d,
        records_improved_90d,
        records_declined_90d,
        records_going_dark,
        kpis_as_of
    from team_periods
)

select * from final
