-- Every activity party with its side (team = systemusers; customer = contacts, accounts,
-- leads and unresolved addresses, except unresolved Exchange addresses in the company's
-- domains, which are the team side) and whether its role links records or counts time.
-- Incremental by activity: the parties of new or changed activities are rebuilt; in
-- Dataverse a change to an activity's parties changes the activity's modifiedon. The
-- parties of Exchange activities are rebuilt on every run: they are resolved by address,
-- so a contact created since can name a party of an unchanged message.
{{ config(
    materialized=activity_models_materialization(),
    unique_key='activity_key',
    incremental_strategy='delete+insert',
    on_schema_change='fail',
    post_hook="{{ delete_stale_activity_rows(['int_activities_unioned'], 'activity_modified_at', key_column='activity_key') }}",
) }}

with activities as (
    select activity_id, activity_key, activity_type, modified_at
    from {{ ref('int_activities_unioned') }} as activities
    {% if is_incremental() %}
    -- Integer keys: the check compares 10M activities with 31M party rows at 10M.
    where {{ version_not_built(this, 'activities', 'modified_at', 'activity_modified_at', key_column='activity_key') }}
    {%- if var('exchange_source', false) %}
    -- Exchange parties are resolved again on every run, so their activities are
    -- rebuilt too. Only with RA_EXCHANGE: without it this SQL is what it was (Spark,
    -- which builds these models as tables, fails on some plans of this branch in
    -- its unit tests with a task deserialization error).
    union
    select
        exchange_activities.activity_id,
        exchange_activities.activity_key,
        exchange_activities.activity_type,
        exchange_activities.modified_at
    from {{ ref('int_activities_unioned') }} as exchange_activities
    where exchange_activities.activity_id in (
        select exchange_parties.activity_id from {{ ref('int_exchange_parties_resolved') }} as exchange_parties
    )
    {%- endif %}
    {% endif %}
),

parties as (
    select
        activity_party_id,
        activity_id,
        party_id,
        party_type,
        participation_role,
        false as is_company_address
    from {{ ref('stg_dataverse__activity_parties') }}
    union all
    select
        activity_party_id,
        activity_id,
        party_id,
        party_type,
        participation_role,
        is_company_address
    from {{ ref('int_exchange_parties_resolved') }}
),

participation_roles as (
    select * from {{ ref('activity_participation_roles') }}
),

sided as (
    select
        parties.activity_party_id,
        -- The activity's integer key, from the party's activity id (macros/activity_keys.sql).
        -- The id itself is not kept: no reader needs it, and at 10M activities (31M rows)
        -- it cost a fifth of the build (docs/benchmarks.md).
        {{ activity_key('parties.activity_id') }} as activity_key,
        activities.activity_type,
        parties.party_id,
        parties.party_type,
        parties.participation_role,
        case
            when parties.party_id is null and parties.is_company_address then 'team'
            when parties.party_id is null then 'customer'
            when parties.party_type = 'systemuser' then 'team'
            when parties.party_type in ('contact', 'account', 'lead') then 'customer'
        end as side,
        coalesce(participation_roles.links_to_records, false) as links_to_records,
        coalesce(participation_roles.counts_for_time_spent, false) as counts_for_time_spent,
        -- The activity version these rows were built from (incremental bookkeeping).
        activities.modified_at as activity_modified_at,
        {{ next_build_number(this) }} as build_number
    from parties
    inner join activities
        on parties.activity_id = activities.activity_id
    left join participation_roles
        on activities.activity_type = participation_roles.activity_type
        and parties.participation_role = participation_roles.participation_role
)

select * from sided
