-- Each integer person key names one person and each record key one record, and the keys
-- kept by the incremental models are the running engine's (macros/guid_keys.sql;
-- docs/architecture.md, "Activity keys"). The person marts group and rank on these keys
-- and join the GUIDs back by key, so two things would break them:
-- - a collision: two different ids with one key (about n^2 / 2^65 for n ids) would merge
--   two people's counts, or repeat a published row. Nothing in the input can fix it:
--   report it.
-- - an engine upgrade that changed its hash function: rows built before it would carry
--   other keys than rows built after, so one person would be counted under two keys. The
--   fix is one run with full refresh (Launchpad: full_refresh true).
-- Returns one row per colliding key and per stored row whose key differs from its id's.
{{ config(meta={'dagster': {'ref': {'name': 'int_activity_people_deduplicated'}}}) }}

with people as (
    select party_id, party_key
    from {{ ref('int_activity_people_deduplicated') }}
),

record_activities as (
    select record_id, record_key
    from {{ ref('int_record_activities_joined') }}
),

-- Every record a link can name (int_activities_linked_to_records), so every record key.
records as (
    select record_type, record_id
    from {{ ref('int_record_linking_fingerprints') }}
),

distinct_people as (
    select party_key, party_id
    from people
    group by party_key, party_id
),

person_collisions as (
    select
        'int_activity_people_deduplicated' as model_name,
        'two person ids share this key' as problem,
        min(party_id) as id,
        party_key as integer_key
    from distinct_people
    group by party_key
    having count(*) > 1
),

record_collisions as (
    select
        'int_record_linking_fingerprints' as model_name,
        'two record ids of one type share this key' as problem,
        min(record_id) as id,
        {{ guid_key('record_id') }} as integer_key
    from records
    group by record_type, {{ guid_key('record_id') }}
    having count(distinct record_id) > 1
),

stale_person_keys as (
    select
        'int_activity_people_deduplicated' as model_name,
        'stored key is not the running engine''s hash of the id' as problem,
        party_id as id,
        party_key as integer_key
    from people
    where party_key != {{ guid_key('party_id') }}
),

stale_record_keys as (
    select
        'int_record_activities_joined' as model_name,
        'stored key is not the running engine''s hash of the id' as problem,
        record_id as id,
        record_key as integer_key
    from record_activities
    where record_key != {{ guid_key('record_id') }}
),

final as (
    select * from person_collisions
    union all
    select * from record_collisions
    union all
    select * from stale_person_keys
    union all
    select * from stale_record_keys
)

select * from final
