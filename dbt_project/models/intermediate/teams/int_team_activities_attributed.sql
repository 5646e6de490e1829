-- Each completed activity once per team it counts for (docs/kpi_definitions.md, "Team
-- views"): a record's linked activities count for the record's owner and for the owner's
-- business unit. An activity linked to several records of one owner (a contact, its
-- account and an opportunity) is one row for that owner, and one row for the unit however
-- many of the unit's owners it reaches, so team totals never count it twice. Activities
-- linked to records of two owners count for each of them.
-- One row per (team_type, team_id, activity_key); team_type is owner or business_unit.
-- Activities are named by their integer key (macros/activity_keys.sql): the distinct
-- below compares integers, and no later model reads the GUID.
-- Only activities at a time some reporting period covers (int_team_periods: from the
-- earliest period start, at most about a year before T) are attributed, the only ones
-- int_team_periods_aggregated sums: older history is never joined with its owners.
with periods_span as (
    select min(period_start) as first_start, max(period_end) as last_end
    from {{ ref('int_team_periods') }}
),

record_activities as (
    select
        record_type,
        record_id,
        activity_key,
        activity_type,
        initiated_by,
        activity_at,
        team_minutes,
        customer_minutes
    from {{ ref('int_record_activities_joined') }}
    where {{ activity_status_at() }} = 'completed'
        and activity_at >= (select first_start from periods_span)
        and activity_at < (select last_end from periods_span)
),

records as (
    select record_type, record_id, owner_id
    from {{ ref('int_records_unioned') }}
),

users as (
    select user_id, business_unit_id
    from {{ ref('stg_dataverse__system_users') }}
),

answers as (
    select original_activity_key, response_time_seconds
    from {{ ref('int_email_replies_matched') }}
),

activities_with_owners as (
    select
        records.owner_id,
        users.business_unit_id,
        record_activities.activity_key,
        record_activities.activity_type,
        record_activities.initiated_by,
        record_activities.activity_at,
        record_activities.team_minutes,
        record_activities.customer_minutes
    from record_activities
    inner join records
        on record_activities.record_type = records.record_type
        and record_activities.record_id = records.record_id
    left join users
        on records.owner_id = users.user_id
    where records.owner_id is not null
),

-- The activity's own columns are the same on every link, so distinct keeps one row.
team_activities as (
    select distinct
        'owner' as team_type,
        owner_id as team_id,
        activity_key,
        activity_type,
        initiated_by,
        activity_at,
        team_minutes,
        customer_minutes
    from activities_with_owners
    union all
    select distinct
        'business_unit' as team_type,
        business_unit_id as team_id,
        activity_key,
        activity_type,
        initiated_by,
        activity_at,
        team_minutes,
        customer_minutes
    from activities_with_owners
    where business_unit_id is not null
),

final as (
    select
        cast(team_activities.team_type as {{ dbt.type_string() }}) as team_type,
        team_activities.team_id,
        team_activities.activity_key,
        team_activities.activity_type,
        team_activities.initiated_by,
        team_activities.activity_at,
        team_activities.team_minutes,
        team_activities.customer_minutes,
        -- The first answer from the other side (int_email_replies_matched); emails only.
        answers.original_activity_key is not null as is_answered,
        answers.response_time_seconds
    from team_activities
    left join answers
        on team_activities.activity_key = answers.original_activity_key
)

select * from final
