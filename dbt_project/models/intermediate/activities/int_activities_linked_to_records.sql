-- Which activities belong to which record (KPI_SPEC section 2), at most once per pair:
-- 1. the activity is regarding the record;
-- 2. an account rolls up activities regarding its contacts, opportunities and leads;
-- 3. a customer person of interest takes part in a qualifying role; for opportunities
--    and leads a team person of interest must take part in a qualifying role too.
-- Records and people get integer keys (internal to this model), and activities come with
-- theirs (activity_key, a hash of the id: macros/activity_keys.sql), so the joins and the
-- one deduplication, the final group by, compare integers only. Numbering the activities
-- here instead cost a sort and a join of every party, more than it saved (measured at 1M
-- and 10M activities); the hash needs neither.
-- Incremental (macros/incremental_links.sql): a link depends only on the activity's
-- version and the record's linking fingerprint, kept on each row. The pre-hook deletes
-- the rows of changed or deleted activities and records; a run then builds all links of
-- the activities and of the records without a current row, and appends them. On Spark
-- a table rebuilt in full.
{{ config(
    materialized=activity_models_materialization(),
    incremental_strategy='append',
    on_schema_change='fail',
    pre_hook="{{ delete_changed_links() }}",
) }}

-- depends_on: {{ ref('int_exchange_parties_resolved') }}
-- Every record a link can name (records, their parent accounts, records of people of
-- interest), so that the keys drop no link the GUIDs would have made.
with record_keys as (
    select
        record_type,
        record_id,
        is_record,
        parent_account_id,
        linking_fingerprint,
        row_number() over (order by record_type, record_id) as record_key
    from {{ ref('int_record_linking_fingerprints') }}
),

people_of_interest as (
    select * from {{ ref('int_record_people_of_interest') }}
),

{% if is_incremental() %}
-- Activities whose current version has no link row: new, updated or late ones (and
-- those that link to nothing, which are looked at again each run).
changed_activities as (
    select activities.activity_key
    from {{ ref('int_activities_unioned') }} as activities
    where {{ version_not_built(this, 'activities', 'modified_at', 'activity_modified_at', key_column='activity_key') }}
),

-- Records whose current fingerprint has no link row: new or changed ones (and those
-- that link to nothing).
changed_records as (
    select record_keys.record_key
    from record_keys
    where {{ fingerprint_not_built(this, 'record_keys') }}
),

-- The customer people of interest of changed records: a changed record's participant
-- links start from one of them, so only their activities are read again for it.
changed_customer_people as (
    select people_of_interest.person_id
    from people_of_interest
    inner join record_keys
        on people_of_interest.record_type = record_keys.record_type
        and people_of_interest.record_id = record_keys.record_id
    where people_of_interest.side = 'customer'
        and record_keys.record_key in (select record_key from changed_records)
),

-- Activities whose participant links are built again: changed ones and those in which
-- a customer person of interest of a changed record takes part.
relinked_activities as (
    select activity_key from changed_activities
    union
    select customer_parties.activity_key
    from {{ ref('int_activity_parties_sided') }} as customer_parties
    where customer_parties.links_to_records
        and customer_parties.side = 'customer'
        and customer_parties.party_id in (select person_id from changed_customer_people)
),
{% endif %}

keyed_records as (
    select record_type, record_id, parent_account_id, record_key
    from record_keys
    where is_record
),

distinct_people as (
    select distinct person_id
    from people_of_interest
),

keyed_people as (
    select
        person_id,
        row_number() over (order by person_id) as person_key
    from distinct_people
),

keyed_people_of_interest as (
    select
        record_keys.record_type,
        record_keys.record_key,
        keyed_people.person_key,
        people_of_interest.side
    from people_of_interest
    inner join record_keys
        on people_of_interest.record_type = record_keys.record_type
        and people_of_interest.record_id = record_keys.record_id
    inner join keyed_people
        on people_of_interest.person_id = keyed_people.person_id
),

-- Only parties who are someone's person of interest can link. Duplicate parties need no
-- distinct here: every link is deduplicated at the end. An incremental run reads the
-- parties of the relinked activities only.
linking_parties as (
    select
        parties.activity_key,
        parties.activity_modified_at,
        keyed_people.person_key,
        parties.side
    from {{ ref('int_activity_parties_sided') }} as parties
    inner join keyed_people
        on parties.party_id = keyed_people.person_id
    where parties.links_to_records
        and parties.party_id is not null
        {%- if is_incremental() %}
        and parties.activity_key in (select activity_key from relinked_activities)
        {%- endif %}
),

regarded_records as (
    select
        activities.activity_key,
        activities.modified_at as activity_modified_at,
        keyed_records.record_key,
        keyed_records.record_type,
        keyed_records.parent_account_id
    from {{ ref('int_activities_unioned') }} as activities
    inner join keyed_records
        on activities.regarding_object_type = keyed_records.record_type
        and activities.regarding_object_id = keyed_records.record_id
),

regarding_links as (
    select record_key, activity_key, activity_modified_at, 1 as link_priority
    from regarded_records
),

account_rollup_links as (
    select
        parent_accounts.record_key,
        regarded_records.activity_key,
        regarded_records.activity_modified_at,
        2 as link_priority
    from regarded_records
    inner join record_keys as parent_accounts
        on regarded_records.parent_account_id = parent_accounts.record_id
        and parent_accounts.record_type = 'account'
    where regarded_records.record_type in ('contact', 'opportunity', 'lead')
),

-- Customer people of contacts and accounts link directly. No distinct in the person
-- links: the final group by deduplicates every link once.
direct_person_links as (
    select
        customer_people.record_key,
        linking_parties.activity_key,
        linking_parties.activity_modified_at,
        3 as link_priority
    from linking_parties
    inner join keyed_people_of_interest as customer_people
        on linking_parties.person_key = customer_people.person_key
    where linking_parties.side = 'customer'
        and customer_people.side = 'customer'
        and customer_people.record_type in ('contact', 'account')
),

-- Opportunities and leads also need one of their team people in the activity. Checked
-- per candidate link through (activity, person) keys, never user x all their records.
team_confirmed_links as (
    select
        customer_people.record_key,
        customer_parties.activity_key,
        customer_parties.activity_modified_at,
        3 as link_priority
    from linking_parties as customer_parties
    inner join keyed_people_of_interest as customer_people
        on customer_parties.person_key = customer_people.person_key
        and customer_people.side = 'customer'
        and customer_people.record_type in ('opportunity', 'lead')
    inner join linking_parties as team_parties
        on customer_parties.activity_key = team_parties.activity_key
        and team_parties.side = 'team'
    inner join keyed_people_of_interest as team_people
        on customer_people.record_key = team_people.record_key
        and team_parties.person_key = team_people.person_key
        and team_people.side = 'team'
    where customer_parties.side = 'customer'
),

all_links as (
    select * from regarding_links
    union all
    select * from account_rollup_links
    union all
    select * from direct_person_links
    union all
    select * from team_confirmed_links
),

keyed_links as (
    select
        record_key,
        activity_key,
        -- One version per activity (both inputs are built from the same activities).
        max(activity_modified_at) as activity_modified_at,
        min(link_priority) as link_priority
    from all_links
    {%- if is_incremental() %}
    -- Only links of changed activities or records: the others are kept in the table.
    where activity_key in (select activity_key from changed_activities)
        or record_key in (select record_key from changed_records)
    {%- endif %}
    group by record_key, activity_key
),

final as (
    select
        record_keys.record_type,
        record_keys.record_id,
        keyed_links.activity_key,
        case keyed_links.link_priority
            when 1 then 'regarding'
            when 2 then 'account_rollup'
            else 'participant'
        end as link_reason,
        -- Incremental bookkeeping: the activity version and record fingerprint this link
        -- was built from.
        keyed_links.activity_modified_at,
        record_keys.linking_fingerprint as record_fingerprint,
        {{ next_build_number(this) }} as build_number
    from keyed_links
    inner join record_keys
        on keyed_links.record_key = record_keys.record_key
)

select * from final
