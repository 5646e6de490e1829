-- Every activity party with its side (team = systemusers; customer = contacts, accounts,
-- leads and unresolved addresses) and whether its role links records or counts time.
with parties as (
    select * from {{ ref('stg_dataverse__activity_parties') }}
),

activities as (
    select activity_id, activity_type from {{ ref('int_activities_unioned') }}
),

participation_roles as (
    select * from {{ ref('activity_participation_roles') }}
),

sided as (
    select
        parties.activity_party_id,
        parties.activity_id,
        activities.activity_type,
        parties.party_id,
        parties.party_type,
        parties.participation_role,
        case
            when parties.party_id is null then 'customer'
            when parties.party_type = 'systemuser' then 'team'
            when parties.party_type in ('contact', 'account', 'lead') then 'customer'
        end as side,
        coalesce(participation_roles.links_to_records, false) as links_to_records,
        coalesce(participation_roles.counts_for_time_spent, false) as counts_for_time_spent
    from parties
    inner join activities
        on parties.activity_id = activities.activity_id
    left join participation_roles
        on activities.activity_type = participation_roles.activity_type
        and parties.participation_role = participation_roles.participation_role
)

select * from sided
