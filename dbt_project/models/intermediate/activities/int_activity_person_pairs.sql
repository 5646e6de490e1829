-- The (user, person) pairs of each activity that the pair marts decay at T (KPI_SPEC
-- sections 4 and 5: who knows whom, relationship strength): one row per activity, user and
-- contact or lead who both take part in a qualifying role (int_activity_people_deduplicated),
-- for the activities that complete at some instant and have a time, with what the marts
-- read: the activity's type, time and completed_from_at (macros/activity_status.sql), and
-- whether each of the two is a sender. Nothing here depends on the as-of instant T: the
-- marts keep the rows completed at T, decay them by their age at T and sum per pair, so
-- they no longer join the activities with the party rows on every run (31 million at 10M
-- activities; docs/benchmarks.md). People are integer keys (macros/guid_keys.sql).
-- Pairs are built per activity (an equi-join of its party lists), never as all users x all
-- people.
-- Incremental by activity, like the people it reads (macros/incremental_activities.sql):
-- only activities whose current version has no row here are paired again; rows of
-- deleted or changed activities go in the post-hook. On Spark a table rebuilt in full.
{{ config(
    materialized=activity_models_materialization(),
    unique_key='activity_key',
    incremental_strategy='delete+insert',
    on_schema_change='fail',
    post_hook="{{ delete_stale_activity_rows(['int_activities_unioned'], 'activity_modified_at', key_column='activity_key') }}",
) }}

-- depends_on: {{ ref('int_exchange_parties_resolved') }}
-- depends_on: {{ ref('int_activities_unioned') }}
with activities as (
    select
        activity_id,
        activity_key,
        modified_at as activity_modified_at,
        activity_type,
        activity_at,
        completed_from_at
    from {{ ref('int_activities_classified') }} as activities
    where completed_from_at is not null
        and activity_at is not null
    {%- if is_incremental() %}
        -- The activities whose version is not paired yet (and those without a pair, which
        -- are looked at again each run and yield nothing).
        and (
            {{ version_not_built(this, 'activities', 'modified_at', 'activity_modified_at', key_column='activity_key') }}
            {%- if var('exchange_source', false) %}
            -- Exchange parties are resolved again on every run (int_activity_parties_sided
            -- rebuilds them without a new version), so their activities are paired again.
            or activities.activity_id in (
                select exchange_parties.activity_id
                from {{ ref('int_exchange_parties_resolved') }} as exchange_parties
            )
            {%- endif %}
        )
    {%- endif %}
),

-- Each side is imported once, so neither import is a shared CTE that an engine
-- materializes in full.
team_people as (
    select activity_key, party_key as user_key, is_sender
    from {{ ref('int_activity_people_deduplicated') }}
    where party_type = 'systemuser'
),

customer_people as (
    select activity_key, party_type as person_type, party_key as person_key, is_sender
    from {{ ref('int_activity_people_deduplicated') }}
    where party_type in ('contact', 'lead')
),

pairs as (
    select
        -- The activity's integer key only (macros/activity_keys.sql): no GUID is written
        -- for tens of millions of rows; delete+insert and the post-hook compare the key.
        activities.activity_key,
        activities.activity_type,
        activities.activity_at,
        activities.completed_from_at,
        team_people.user_key,
        customer_people.person_type,
        customer_people.person_key,
        team_people.is_sender as user_is_sender,
        customer_people.is_sender as person_is_sender,
        -- The activity version the row was built from (incremental bookkeeping).
        activities.activity_modified_at,
        {{ next_build_number(this) }} as build_number
    from activities
    inner join team_people
        on activities.activity_key = team_people.activity_key
    inner join customer_people
        on activities.activity_key = customer_people.activity_key
)

select * from pairs
