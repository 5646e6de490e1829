-- Each record's linked activities with what decides their status at T (completed_from_at,
-- future_until_at; macros/activity_status.sql) and what the per-record KPIs count: the
-- one input of those KPIs, so every mart counts the same activities the same way. Readers
-- classify at T with activity_status_at(); whether an email has a threaded answer depends
-- on T too, so the readers that need it join int_email_replies_matched themselves.
-- Activities that are never completed nor future (both instants null: drafts, canceled
-- ones) are left out.
-- Keys and numbers only, no text: the activity's id, subject and owner, and the link's
-- reason, are read from int_activities_classified and int_activities_linked_to_records by
-- the few readers that show them (the KPI mart's last and next interactions), by
-- activity_key. At 10M activities this table has 30M rows; every text column costs its
-- write and every reader's scan.
-- Incremental with the links' changed set (macros/incremental_links.sql, docs/
-- architecture.md "Incremental links"): the pre-hook deletes the rows of changed or
-- deleted activities and of records whose linking fingerprint changed, as it does for the
-- links; a run then appends the rows of every link of an activity or a record that has no
-- current row here. On Spark a table rebuilt in full.
{{ config(
    materialized=activity_models_materialization(),
    incremental_strategy='append',
    on_schema_change='fail',
    pre_hook="{{ delete_changed_links() }}",
) }}

-- depends_on: {{ ref('int_activities_unioned') }}
-- depends_on: {{ ref('int_record_linking_fingerprints') }}
-- depends_on: {{ ref('int_exchange_parties_resolved') }}
with links as (
    select * from {{ ref('int_activities_linked_to_records') }}
),

activities as (
    select * from {{ ref('int_activities_classified') }}
    where completed_from_at is not null
        or future_until_at is not null
),

{% if is_incremental() %}
-- Activities whose current version has no row here: new or changed ones (and those that
-- are never counted or link to nothing, which are looked at again each run).
changed_activities as (
    select current_activities.activity_key
    from {{ ref('int_activities_unioned') }} as current_activities
    where {{ version_not_built(this, 'current_activities', 'modified_at', 'activity_modified_at', key_column='activity_key') }}
),

-- Records whose current linking fingerprint has no row here: new or changed ones (and
-- those without a counted activity).
changed_records as (
    select current_records.record_type, current_records.record_id
    from {{ ref('int_record_linking_fingerprints') }} as current_records
    where {{ fingerprint_not_built(this, 'current_records') }}
),

changed_links as (
    select links.*
    from links
    where links.activity_key in (select activity_key from changed_activities)
        or exists (
            select 1
            from changed_records
            where changed_records.record_type = links.record_type
                and changed_records.record_id = links.record_id
        )
),
{% endif %}

joined as (
    select
        links.record_type,
        links.record_id,
        -- The integer key mart_top_contacts groups and ranks on (macros/guid_keys.sql).
        {{ guid_key('links.record_id') }} as record_key,
        activities.activity_key,
        activities.activity_type,
        activities.completed_from_at,
        activities.future_until_at,
        activities.initiated_by,
        activities.activity_at,
        activities.activity_date,
        activities.team_minutes,
        activities.customer_minutes,
        activities.is_email_followed,
        activities.open_count,
        activities.reply_count,
        activities.links_clicked_count,
        activities.attachment_open_count,
        -- Incremental bookkeeping, as on the link: the activity version and record
        -- fingerprint this row was built from.
        links.activity_modified_at,
        links.record_fingerprint,
        {{ next_build_number(this) }} as build_number
    from {% if is_incremental() %}changed_links{% else %}links{% endif %} as links
    inner join activities
        on links.activity_key = activities.activity_key
)

select * from joined
