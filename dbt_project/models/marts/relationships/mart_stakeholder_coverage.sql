-- Stakeholder coverage (KPI_SPEC section 5, ours): per open opportunity, its stakeholders
-- (the parentcontactid plus active stakeholder connections to contacts), how many of them
-- the team engaged in the engagement window (T - 30 days, T], the share, and whether the
-- deal hangs on one person (single-threaded).
with opportunities as (
    select * from {{ ref('stg_dataverse__opportunities') }}
),

connections as (
    select * from {{ ref('stg_dataverse__connections') }}
),

connection_roles as (
    select * from {{ ref('stg_dataverse__connection_roles') }}
),

activities as (
    select * from {{ ref('int_activities_classified') }}
),

open_opportunities as (
    select
        opportunity_id,
        opportunity_name,
        owner_id,
        parent_contact_id
    from opportunities
    where opportunity_state = 'open'
),

parent_contacts as (
    select
        opportunity_id,
        parent_contact_id as contact_id
    from open_opportunities
    where parent_contact_id is not null
),

connected_stakeholders as (
    select
        open_opportunities.opportunity_id,
        connections.record2_id as contact_id
    from open_opportunities
    inner join connections
        on open_opportunities.opportunity_id = connections.record1_id
    inner join connection_roles
        on connections.record2_role_id = connection_roles.connection_role_id
    where connections.connection_state = 'active'
        and connections.record1_type = 'opportunity'
        and connections.record2_type = 'contact'
        and connection_roles.connection_role_category = 'stakeholder'
        and connections.record2_id is not null
),

-- The parent contact may also be connected as a stakeholder: one person, one stakeholder.
stakeholders as (
    select opportunity_id, contact_id from parent_contacts
    union
    select opportunity_id, contact_id from connected_stakeholders
),

completed_activities as (
    select
        activity_key,
        activity_at
    from activities
    where {{ activity_status_at() }} = 'completed'
        and activity_at is not null
),

-- Activities where someone from the team took part in a qualifying role. The people
-- table is read here and below, each time once: DuckDB would copy a shared CTE of it in
-- full.
team_activities as (
    select distinct activity_key
    from {{ ref('int_activity_people_deduplicated') }}
    where side = 'team'
),

stakeholder_contacts as (
    select distinct contact_id from stakeholders
),

-- Only stakeholders' activities matter: filter before joining activities. One row per
-- contact and activity already (int_activity_people_deduplicated).
contact_parties as (
    select
        people.activity_key,
        people.party_id as contact_id
    from {{ ref('int_activity_people_deduplicated') }} as people
    inner join stakeholder_contacts
        on people.party_id = stakeholder_contacts.contact_id
    where people.party_type = 'contact'
),

-- Per contact, the completed activities shared with the team, reduced to two facts.
contact_interactions as (
    select
        contact_parties.contact_id,
        max(completed_activities.activity_at) as last_interaction_at,
        max(
            case
                when completed_activities.activity_at > {{ dbt.dateadd(
                    'day', -1 * var('stakeholder_engagement_days'), as_of_timestamp()
                ) }}
                    and completed_activities.activity_at <= {{ as_of_timestamp() }}
                    then 1
                else 0
            end
        ) as is_engaged
    from contact_parties
    inner join completed_activities
        on contact_parties.activity_key = completed_activities.activity_key
    inner join team_activities
        on contact_parties.activity_key = team_activities.activity_key
    group by contact_parties.contact_id
),

stakeholder_engagement as (
    select
        stakeholders.opportunity_id,
        count(*) as stakeholder_count,
        sum(coalesce(contact_interactions.is_engaged, 0)) as engaged_stakeholders,
        max(contact_interactions.last_interaction_at) as last_stakeholder_interaction_at
    from stakeholders
    left join contact_interactions
        on stakeholders.contact_id = contact_interactions.contact_id
    group by stakeholders.opportunity_id
),

final as (
    select
        open_opportunities.opportunity_id,
        open_opportunities.opportunity_name,
        open_opportunities.owner_id,
        cast(coalesce(stakeholder_engagement.stakeholder_count, 0) as {{ dbt.type_bigint() }})
            as stakeholder_count,
        cast(coalesce(stakeholder_engagement.engaged_stakeholders, 0) as {{ dbt.type_bigint() }})
            as engaged_stakeholders_30d,
        {{ safe_divide(
            'stakeholder_engagement.engaged_stakeholders',
            'stakeholder_engagement.stakeholder_count'
        ) }} as coverage_share,
        coalesce(stakeholder_engagement.engaged_stakeholders, 0) <= 1 as is_single_threaded,
        stakeholder_engagement.last_stakeholder_interaction_at
    from open_opportunities
    left join stakeholder_engagement
        on open_opportunities.opportunity_id = stakeholder_engagement.opportunity_id
)

select * from final
