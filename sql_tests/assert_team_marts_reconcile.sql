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

-- Each owner and each owner-period as one integer, so that the groupings below compare
-- integers instead of 36-character owner ids and period names. dense_rank gives one
-- number per owner_id and per (owner_id, period), as the distinct on the names did.
numbered_owner_periods as (
    select
        owner_id,
        period,
        period_start,
        period_end,
        customer_emails_received,
        emails_sent,
        dense_rank() over (order by owner_id) as owner_number,
        dense_rank() over (order by owner_id, period) as owner_period_number
    from owner_periods
),

owner_numbers as (
    select distinct owner_id, owner_number
    from numbered_owner_periods
),

-- An email outside every period counts in none: skipped before the joins.
period_bounds as (
    select min(period_start) as first_start, max(period_end) as last_end
    from owner_periods
),

-- Every completed email linked to an owner's records, once per linked record.
owner_email_links as (
    select
        owner_numbers.owner_number,
        record_emails.activity_key,
        record_emails.initiated_by,
        record_emails.activity_at
    from owner_numbers
    inner join records
        on owner_numbers.owner_id = records.owner_id
    inner join record_emails
        on records.record_type = record_emails.record_type
        and records.record_id = record_emails.record_id
    inner join period_bounds
        on record_emails.activity_at >= period_bounds.first_start
        and record_emails.activity_at < period_bounds.last_end
),

-- Each email once per owner, however many of the owner's records it is linked to (on the
-- integer key: one per activity, assert_activity_keys_identify_activities), with the
-- first and last time its links give it. Grouping before the periods are joined groups
-- each email once rather than once per period (at 10M activities 3.2M groups of 7.2M
-- links instead of 9M of 20M).
owner_emails_once as (
    select
        owner_number,
        activity_key,
        initiated_by,
        min(activity_at) as first_at,
        max(activity_at) as last_at
    from owner_email_links
    group by owner_number, activity_key, initiated_by
),

-- Each email once per owner and period. An email whose links give one time is in a
-- period or not: counted once. One whose links disagree on its time (none should) is
-- counted as before: once per period holding any of its times.
owner_period_emails as (
    select
        numbered_owner_periods.owner_period_number,
        owner_emails_once.initiated_by
    from owner_emails_once
    inner join numbered_owner_periods
        on owner_emails_once.owner_number = numbered_owner_periods.owner_number
        and owner_emails_once.first_at >= numbered_owner_periods.period_start
        and owner_emails_once.first_at < numbered_owner_periods.period_end
    where owner_emails_once.first_at = owner_emails_once.last_at
    union all
    select owner_period_number, initiated_by
    from (
        select distinct
            numbered_owner_periods.owner_period_number,
            owner_email_links.activity_key,
            owner_email_links.initiated_by
        from owner_emails_once
        inner join owner_email_links
            on owner_emails_once.owner_number = owner_email_links.owner_number
            and owner_emails_once.activity_key = owner_email_links.activity_key
            and owner_emails_once.initiated_by = owner_email_links.initiated_by
        inner join numbered_owner_periods
            on owner_email_links.owner_number = numbered_owner_periods.owner_number
            and owner_email_links.activity_at >= numbered_owner_periods.period_start
            and owner_email_links.activity_at < numbered_owner_periods.period_end
        where owner_emails_once.first_at <> owner_emails_once.last_at
    ) as emails_with_several_times
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
