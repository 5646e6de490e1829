-- Which activities belong to which record (KPI_SPEC section 2), at most once per pair:
-- 1. the activity is regarding the record;
-- 2. an account rolls up activities regarding its contacts, opportunities and leads;
-- 3. a customer person of interest takes part in a qualifying role; for opportunities
--    and leads a team person of interest must take part in a qualifying role too.
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

linking_parties as (
    select distinct activity_id, party_id, side
    from {{ ref('int_activity_parties_sided') }}
    where links_to_records
        and party_id is not null
),

regarding_links as (
    select
        records.record_type,
        records.record_id,
        activities.activity_id,
        1 as link_priority
    from activities
    inner join records
        on activities.regarding_object_type = records.record_type
        and activities.regarding_object_id = records.record_id
),

account_rollup_links as (
    select
        'account' as record_type,
        records.parent_account_id as record_id,
        activities.activity_id,
        2 as link_priority
    from activities
    inner join records
        on activities.regarding_object_type = records.record_type
        and activities.regarding_object_id = records.record_id
    where records.record_type in ('contact', 'opportunity', 'lead')
        and records.parent_account_id is not null
),

customer_person_matches as (
    select distinct
        people_of_interest.record_type,
        people_of_interest.record_id,
        linking_parties.activity_id
    from linking_parties
    inner join people_of_interest
        on linking_parties.party_id = people_of_interest.person_id
        and linking_parties.side = people_of_interest.side
    where people_of_interest.side = 'customer'
),

-- Opportunities and leads also need one of their team people in the activity. Checked
-- per candidate link through (activity, person) keys, never user x all their records.
team_confirmed_matches as (
    select distinct
        customer_person_matches.record_type,
        customer_person_matches.record_id,
        customer_person_matches.activity_id
    from customer_person_matches
    inner join people_of_interest as team_people
        on customer_person_matches.record_type = team_people.record_type
        and customer_person_matches.record_id = team_people.record_id
        and team_people.side = 'team'
    inner join linking_parties as team_parties
        on customer_person_matches.activity_id = team_parties.activity_id
        and team_people.person_id = team_parties.party_id
        and team_parties.side = 'team'
    where customer_person_matches.record_type in ('opportunity', 'lead')
),

person_links as (
    select record_type, record_id, activity_id, 3 as link_priority
    from customer_person_matches
    where record_type in ('contact', 'account')
    union all
    select record_type, record_id, activity_id, 3 as link_priority
    from team_confirmed_matches
),

all_links as (
    select * from regarding_links
    union all
    select * from account_rollup_links
    union all
    select * from person_links
),

final as (
    select
        record_type,
        record_id,
        activity_id,
        case min(link_priority)
            when 1 then 'regarding'
            when 2 then 'account_rollup'
            else 'participant'
        end as link_reason
    from all_links
    group by record_type, record_id, activity_id
)

select * from final
