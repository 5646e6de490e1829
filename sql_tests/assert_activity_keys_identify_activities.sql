-- Each integer activity key names one activity, and the keys kept by the incremental models
-- are the running engine's (docs/architecture.md, "Activity keys"). The key is a hash of
-- the id (macros/activity_keys.sql), so two things can break it:
-- - a collision: two different ids with one key (about n^2 / 2^65 for n ids, 3e-6 at 10
--   million) would be counted as one activity. Nothing in the input can fix it: report it.
--   (An id landing twice, say as an email and a call, is the unique test on activity_id.)
-- - an engine upgrade that changed its hash function: rows built before it would carry other
--   keys than rows built after, and joins on the key would silently drop activities. The
--   fix is one run with full refresh (Launchpad: full_refresh true).
-- int_activity_parties_sided keeps the key without the id: its relationships test on
-- activity_key fails a key that names no activity here (stale or deleted), and
-- int_activity_people_deduplicated takes its keys from it.
-- Returns one row per colliding key and per stored row whose key differs from its id's.
{{ config(meta={'dagster': {'ref': {'name': 'int_activities_unioned'}}}) }}

with activities as (
    select activity_id, activity_key
    from {{ ref('int_activities_unioned') }}
),

-- Two ids on one key: its smallest and largest ids differ (the same verdict as
-- count(distinct activity_id) > 1, nulls ignored by both, without a distinct per key:
-- at 10M activities the test costs 6.9 CPU s instead of 8.1).
collisions as (
    select
        'int_activities_unioned' as model_name,
        'two ids share this key' as problem,
        min(activity_id) as activity_id,
        activity_key
    from activities
    group by activity_key
    having min(activity_id) != max(activity_id)
),

stale_keys as (
    select
        'int_activities_unioned' as model_name,
        'stored key is not the running engine''s hash of the id' as problem,
        activity_id,
        activity_key
    from activities
    where activity_key != {{ activity_key('activity_id') }}
),

final as (
    select * from collisions
    union all
    select * from stale_keys
)

select * from final
