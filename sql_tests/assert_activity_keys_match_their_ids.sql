-- The integer activity keys kept by the incremental models were computed by the engine
-- that runs now (docs/architecture.md, "Activity keys"). The key is a hash of the id
-- (macros/activity_keys.sql); an engine upgrade that changed its hash function would leave
-- rows built before it with other keys than rows built after, and joins on the key would
-- silently drop activities. Recomputing the key of every stored activity and party row
-- catches that: the fix is one run with full refresh (Launchpad: full_refresh true, or
-- `dbt build --full-refresh`). Returns the rows whose stored key differs.
{{ config(meta={'dagster': {'ref': {'name': 'int_activities_unioned'}}}) }}

with activities as (
    select
        'int_activities_unioned' as model_name,
        activity_id,
        activity_key
    from {{ ref('int_activities_unioned') }}
),

parties as (
    select
        'int_activity_parties_sided' as model_name,
        activity_id,
        activity_key
    from {{ ref('int_activity_parties_sided') }}
),

stored as (
    select * from activities
    union all
    select * from parties
),

final as (
    select
        model_name,
        activity_id,
        activity_key as stored_activity_key,
        {{ activity_key('activity_id') }} as recomputed_activity_key
    from stored
    where activity_key != {{ activity_key('activity_id') }}
)

select * from final
