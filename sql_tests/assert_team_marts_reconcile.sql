-- Cross-model truth for the team marts (docs/kpi_definitions.md, "Team views"). Returns
-- one row per failure:
-- - owner_distinct: an owner's customer_emails_received and emails_sent in a period equal
--   the distinct completed emails linked to the owner's records (mart_records) in it,
--   counted here with a distinct per owner and period instead of the marts'
--   one-row-per-team activities;
-- - unit_records: a unit's record counts (owned, by health state now, good_to_poor,
--   going dark) equal the sums over its owners (every record has one owner);
-- - unit_activities: a unit's activity counts lie between its busiest owner's and the sum
--   over its owners (an activity reaching two of the unit's owners counts once).
{{ config(meta={'dagster': {'ref': {'name': 'mart_business_unit_periods'}}}) }}
with owner_periods as (
    select * from {{ ref('mart_owner_periods') }}
),

unit_periods as (
    select * from {{ ref('mart_business_unit_periods') }}
),

users as (
    select user_id, business_unit_id from {{ ref('mart_users') }}
),

records as (
    select record_type, record_id, owner_id from {{ ref('mart_records') }}
),

record_emails as (
    select record_type, record_id, activity_key, initiated_by, activity_at
    from {{ ref('int_record_activities_joined') }}
    where {{ activity_status_at() }} = 'completed'
        and activity_type = 'email'
),

-- Each owner and period as one integer, so that the distinct below groups three integers
-- per row instead of a 36-character owner id and a period name (at 10M activities tens of
-- millions of rows: most of this test's time). dense_rank gives one number per
-- (owner_id, period), as the distinct on the pair did.
numbered_owner_periods as (
    select
        owner_id,
        period,
        period_start,
        period_end,
        customer_emails_received,
        emails_sent,
        dense_rank() over (order by owner_id, period) as owner_period_number
    from owner_periods
),

-- Each completed email once per owner and period, however many of the owner's records it
-- is linked to (distinct on the integer key: one per activity,
-- assert_activity_keys_identify_activities). An email's initiator is one value, so one
-- distinct gives both counts below.
owner_period_emails as (
    select distinct
        numbered_owner_periods.owner_period_number,
        record_emails.activity_key,
        record_emails.initiated_by
    from numbered_owner_periods
    inner join records
        on numbered_owner_periods.owner_id = records.owner_id
    inner join record_emails
        on records.record_type = record_emails.record_type
        and records.record_id = record_emails.record_id
        and numbered_owner_periods.period_start <= record_emails.activity_at
        and numbered_owner_periods.period_end > record_emails.activity_at
),

owner_emails as (
    select
        owner_period_number,
        sum(case when initiated_by = 'customer' then 1 else 0 end) as customer_emails,
        sum(case when initiated_by = 'team' then 1 else 0 end) as team_emails
    from owner_period_emails
    group by owner_period_number
),

owner_distinct_failures as (
    select
        'owner_distinct' as failure,
        numbered_owner_periods.owner_id as team_id,
        numbered_owner_periods.period
    from numbered_owner_periods
    left join owner_emails
        on numbered_owner_periods.owner_period_number = owner_emails.owner_period_number
    where numbered_owner_periods.customer_emails_received
            <> coalesce(owner_emails.customer_emails, 0)
        or numbered_owner_periods.emails_sent <> coalesce(owner_emails.team_emails, 0)
),

owners_by_unit as (
    select
        users.business_unit_id,
        owner_periods.period,
        sum(owner_periods.records_owned) as records_owned,
        sum(owner_periods.records_good) as records_good,
        sum(owner_periods.records_poor) as records_poor,
        sum(owner_periods.records_good_to_poor_90d) as records_good_to_poor_90d,
        sum(owner_periods.records_going_dark) as records_going_dark,
        sum(owner_periods.emails_received) as emails_received_sum,
        max(owner_periods.emails_received) as emails_received_max,
        sum(owner_periods.meetings_sent) as meetings_sent_sum,
        max(owner_periods.meetings_sent) as meetings_sent_max
    from owner_periods
    inner join users
        on owner_periods.owner_id = users.user_id
    group by users.business_unit_id, owner_periods.period
),

unit_failures as (
    select
        case
            when unit_periods.records_owned <> owners_by_unit.records_owned
                or unit_periods.records_good <> owners_by_unit.records_good
                or unit_periods.records_poor <> owners_by_unit.records_poor
                or unit_periods.records_good_to_poor_90d <> owners_by_unit.records_good_to_poor_90d
                or unit_periods.records_going_dark <> owners_by_unit.records_going_dark
                then 'unit_records'
            else 'unit_activities'
        end as failure,
        unit_periods.business_unit_id as team_id,
        unit_periods.period
    from unit_periods
    left join owners_by_unit
        on unit_periods.business_unit_id = owners_by_unit.business_unit_id
        and unit_periods.period = owners_by_unit.period
    where owners_by_unit.business_unit_id is null
        or unit_periods.records_owned <> owners_by_unit.records_owned
        or unit_periods.records_good <> owners_by_unit.records_good
        or unit_periods.records_poor <> owners_by_unit.records_poor
        or unit_periods.records_good_to_poor_90d <> owners_by_unit.records_good_to_poor_90d
        or unit_periods.records_going_dark <> owners_by_unit.records_going_dark
        or unit_periods.emails_received > owners_by_unit.emails_received_sum
        or unit_periods.emails_received < owners_by_unit.emails_received_max
        or unit_periods.meetings_sent > owners_by_unit.meetings_sent_sum
        or unit_periods.meetings_sent < owners_by_unit.meetings_sent_max
),

final as (
    select * from owner_distinct_failures
    union all
    select * from unit_failures
)

select * from final
