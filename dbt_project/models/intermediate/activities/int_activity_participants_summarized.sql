-- Per activity: the side of its sender and organizer, and who takes part for time spent.
-- One row per activity, also for an activity without parties (no sides, nobody counted).
-- Incremental by activity, like the parties it summarizes.
{{ config(
    materialized=activity_models_materialization(),
    unique_key='activity_id',
    incremental_strategy='delete+insert',
    on_schema_change='fail',
    post_hook="{{ delete_stale_activity_rows(['int_activities_unioned']) }}",
) }}

-- depends_on: {{ ref('int_exchange_parties_resolved') }}
with activities as (
    select activity_id, activity_key, modified_at
    from {{ ref('int_activities_unioned') }} as activities
    {% if is_incremental() %}
    where {{ version_not_built(this, 'activities', 'modified_at') }}
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

parties as (
    select activity_key, participation_role, side, counts_for_time_spent, party_id
    from {{ ref('int_activity_parties_sided') }}
),

summarized as (
    select
        activities.activity_id,
        activities.activity_key,
        activities.modified_at,
        case
            when max(case when parties.participation_role = 'sender' and parties.side = 'team' then 1 else 0 end) = 1
                then 'team'
            when max(case when parties.participation_role = 'sender' and parties.side = 'customer' then 1 else 0 end) = 1
                then 'customer'
        end as sender_side,
        case
            when max(case when parties.participation_role = 'organizer' and parties.side = 'team' then 1 else 0 end) = 1
                then 'team'
            when max(case when parties.participation_role = 'organizer' and parties.side = 'customer' then 1 else 0 end) = 1
                then 'customer'
        end as organizer_side,
        count(distinct case when parties.counts_for_time_spent and parties.side = 'team' then parties.party_id end)
            as team_participant_count,
        max(case when parties.counts_for_time_spent and parties.side = 'customer' then 1 else 0 end) = 1
            as has_customer_participant
    from activities
    left join parties
        on activities.activity_key = parties.activity_key
    group by activities.activity_id, activities.activity_key, activities.modified_at
)

select * from summarized
