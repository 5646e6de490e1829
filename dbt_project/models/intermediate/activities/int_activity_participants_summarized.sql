-- Per activity: the side of its sender and organizer, and who takes part for time spent.
-- One row per activity, also for an activity without parties (no sides, nobody counted).
-- Incremental by activity, like the parties it summarizes.
{{ config(
    materialized=activity_models_materialization(),
    unique_key='activity_key',
    incremental_strategy='delete+insert',
    on_schema_change='fail',
    post_hook="{{ delete_stale_activity_rows(['int_activities_unioned'], key_column='activity_key') }}",
) }}

-- depends_on: {{ ref('int_exchange_parties_resolved') }}
with activities as (
    select activity_id, activity_key, modified_at
    from {{ ref('int_activities_unioned') }} as activities
    {% if is_incremental() %}
    where {{ version_not_built(this, 'activities', 'modified_at', key_column='activity_key') }}
    {%- if var('exchange_source', false) %}
    -- Exchange parties are resolved again on every run, so their activities are
    -- rebuilt too. Only with RA_EXCHANGE: without it this SQL is what it was (Spark,
    -- which builds these models as tables, fails on some plans of this branch in
    -- its unit tests with a task deserialization error).
    union
    select exchange_activities.activity_id, exchange_activities.activity_key, exchange_activities.modified_at
    from {{ ref('int_activities_unioned') }} as exchange_activities
    where exchange_activities.activity_id in (
        select exchange_parties.activity_id from {{ ref('int_exchange_parties_resolved') }} as exchange_parties
    )
    {%- endif %}
    {% endif %}
),

-- Two imports of the parties, one per aggregate, so neither is a shared CTE that the
-- engine materializes in full (31 million rows at 10M activities). The aggregates group
-- on the integer activity key before the activities are joined: grouping the joined rows
-- on the activity's id cost twice as much (docs/benchmarks.md, "Session 11").
role_parties as (
    select parties.activity_key, parties.participation_role, parties.side, parties.counts_for_time_spent
    from {{ ref('int_activity_parties_sided') }} as parties
    {%- if is_incremental() %}
    -- Only the parties of the activities rebuilt in this run.
    where parties.activity_key in (select activities.activity_key from activities)
    {%- endif %}
),

team_time_parties as (
    select parties.activity_key, parties.party_id
    from {{ ref('int_activity_parties_sided') }} as parties
    where parties.counts_for_time_spent
        and parties.side = 'team'
    {%- if is_incremental() %}
        and parties.activity_key in (select activities.activity_key from activities)
    {%- endif %}
),

roles_per_activity as (
    select
        activity_key,
        max(case when participation_role = 'sender' and side = 'team' then 1 else 0 end) as has_team_sender,
        max(case when participation_role = 'sender' and side = 'customer' then 1 else 0 end) as has_customer_sender,
        max(case when participation_role = 'organizer' and side = 'team' then 1 else 0 end) as has_team_organizer,
        max(case when participation_role = 'organizer' and side = 'customer' then 1 else 0 end)
            as has_customer_organizer,
        max(case when counts_for_time_spent and side = 'customer' then 1 else 0 end) as has_customer_participant
    from role_parties
    group by activity_key
),

team_participants_per_activity as (
    select
        activity_key,
        count(distinct party_id) as team_participant_count
    from team_time_parties
    group by activity_key
),

summarized as (
    select
        activities.activity_id,
        activities.activity_key,
        activities.modified_at,
        case
            when roles_per_activity.has_team_sender = 1 then 'team'
            when roles_per_activity.has_customer_sender = 1 then 'customer'
        end as sender_side,
        case
            when roles_per_activity.has_team_organizer = 1 then 'team'
            when roles_per_activity.has_customer_organizer = 1 then 'customer'
        end as organizer_side,
        -- An activity without parties (or without team people counted for time): none.
        coalesce(team_participants_per_activity.team_participant_count, 0) as team_participant_count,
        coalesce(roles_per_activity.has_customer_participant = 1, false) as has_customer_participant,
        {{ next_build_number(this) }} as build_number
    from activities
    left join roles_per_activity
        on activities.activity_key = roles_per_activity.activity_key
    left join team_participants_per_activity
        on activities.activity_key = team_participants_per_activity.activity_key
)

select * from summarized
