-- The people of each activity (KPI_SPEC section 2, "qualifying role"): one row per
-- activity and person (party type and id) who takes part in a role that links records
-- (email: sender, to, cc; meeting: organizer, required or optional attendee; phone call:
-- from or to). A person listed twice (sender and cc) is one row; a party without an id
-- (an address that matched no record) is left out. The one shared input of the person
-- marts (top contacts, who knows whom, relationship strength, stakeholder coverage),
-- which apply T last: it does not depend on the as-of instant.
-- Incremental by activity, like the parties it reads (macros/incremental_activities.sql).
-- Keys, not the activity's id: no reader needs it, and at 10M activities (30M rows) the id
-- cost a third of the build and half of the key test (docs/benchmarks.md).
{{ config(
    materialized=activity_models_materialization(),
    unique_key='activity_key',
    incremental_strategy='delete+insert',
    on_schema_change='fail',
    post_hook="{{ delete_stale_activity_rows(['int_activities_unioned'], 'activity_modified_at', key_column='activity_key') }}",
) }}

-- depends_on: {{ ref('int_exchange_parties_resolved') }}
-- depends_on: {{ ref('int_activities_unioned') }}
with parties as (
    select
        activity_key,
        activity_type,
        party_type,
        party_id,
        side,
        participation_role,
        activity_modified_at
    from {{ ref('int_activity_parties_sided') }} as parties
    where links_to_records
        and party_id is not null
        and side is not null
    {%- if is_incremental() %}
        -- The activities whose version is not built yet, found among the activities
        -- rather than the parties (a third of the rows to check: measured 5x faster at
        -- 1M). An activity without people never gets a row, so it is checked each run and
        -- yields nothing. Integer keys, not 36-character ids (macros/activity_keys.sql).
        and parties.activity_key in (
            select activities.activity_key
            from {{ ref('int_activities_unioned') }} as activities
            where {{ version_not_built(this, 'activities', 'modified_at', 'activity_modified_at', key_column='activity_key') }}
            {%- if var('exchange_source', false) %}
            -- Exchange parties are resolved again on every run (int_activity_parties_sided
            -- rebuilds them without a new version), so their activities are rebuilt too.
            union
            select {{ activity_key('exchange_parties.activity_id') }} as activity_key
            from {{ ref('int_exchange_parties_resolved') }} as exchange_parties
            {%- endif %}
        )
    {%- endif %}
),

people as (
    select
        -- The integer key the person marts join on (macros/activity_keys.sql).
        activity_key,
        activity_type,
        party_type,
        party_id,
        -- The integer key the person marts group and rank on (macros/guid_keys.sql).
        {{ guid_key('party_id') }} as party_key,
        side,
        max(case when participation_role = 'sender' then 1 else 0 end) = 1 as is_sender,
        -- The activity version these rows were built from (incremental bookkeeping).
        activity_modified_at,
        {{ next_build_number(this) }} as build_number
    from parties
    group by activity_key, activity_type, party_type, party_id, side, activity_modified_at
)

select * from people
