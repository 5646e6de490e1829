-- Which activities belong to which record (KPI_SPEC section 2), at most once per pair:
-- 1. the activity is regarding the record;
-- 2. an account rolls up activities regarding its contacts, opportunities and leads;
-- 3. a customer person of interest takes part in a qualifying role; for opportunities
--    and leads a team person of interest must take part in a qualifying role too.
-- Records and people get integer keys (internal to this model), so the person joins and
-- the one deduplication, the final group by, carry one GUID (the activity's) instead of
-- three. Activities keep their id: numbering them costs a sort and a join of every party,
-- more than it saves (measured at 1M and 10M activities).
with activities as (
    select activity_id, regarding_object_type, regarding_object_id
    from {{ ref('int_activities_unioned') }}
),

records as (
    select * from {{ ref('int_records_unioned') }}
),

people_of_interest as (
    select * from {{ ref('int_record_people_of_interest') }}
),

parties as (
    select activity_id, party_id, side
    from {{ ref('int_activity_parties_sided') }}
    where links_to_records
        and party_id is not null
),

-- Every record a link can name: records, their parent accounts and the records of people
-- of interest, so that the keys drop no link the GUIDs would have made.
link_targets as (
    select record_type, record_id
    from records
    union
    select 'account' as record_type, parent_account_id as record_id
    from records
    where parent_account_id is not null
    union
    select record_type, record_id
    from people_of_interest
),

record_keys as (
    select
        record_type,
        record_id,
        row_number() over (order by record_type, record_id) as record_key
    from link_targets
),

keyed_records as (
    select
        records.record_type,
        records.record_id,
        records.parent_account_id,
        record_keys.record_key
    from records
    inner join record_keys
        on records.record_type = record_keys.record_type
        and records.record_id = record_keys.record_id
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

-- Only parties who are someone's person of interest can link. Duplicate parties need no
-- distinct here: every link is deduplicated at the end.
linking_parties as (
    select
        parties.activity_id,
        keyed_people.person_key,
        parties.side
    from parties
    inner join keyed_people
        on parties.party_id = keyed_people.person_id
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

regarded_records as (
    select
        activities.activity_id,
        keyed_records.record_key,
        keyed_records.record_type,
        keyed_records.parent_account_id
    from activities
    inner join keyed_records
        on activities.regarding_object_type = keyed_records.record_type
        and activities.regarding_object_id = keyed_records.record_id
),

regarding_links as (
    select record_key, activity_id, 1 as link_priority
    from regarded_records
),

account_rollup_links as (
    select
        parent_accounts.record_key,
        regarded_records.activity_id,
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
        linking_parties.activity_id,
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
        customer_parties.activity_id,
        3 as link_priority
    from linking_parties as customer_parties
    inner join keyed_people_of_interest as customer_people
        on customer_parties.person_key = customer_people.person_key
        and customer_people.side = 'customer'
        and customer_people.record_type in ('opportunity', 'lead')
    inner join linking_parties as team_parties
        on customer_parties.activity_id = team_parties.activity_id
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
        activity_id,
        min(link_priority) as link_priority
    from all_links
    group by record_key, activity_id
),

final as (
    select
        record_keys.record_type,
        record_keys.record_id,
        keyed_links.activity_id,
        case keyed_links.link_priority
            when 1 then 'regarding'
            when 2 then 'account_rollup'
            else 'participant'
        end as link_reason
    from keyed_links
    inner join record_keys
        on keyed_links.record_key = record_keys.record_key
)

select * from final
