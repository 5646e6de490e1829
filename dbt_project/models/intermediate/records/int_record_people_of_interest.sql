-- The people of interest of each record (KPI_SPEC section 2). Team people of contacts and
-- accounts are "any user", so only opportunities and leads list team people here.
with accounts as (
    select * from {{ ref('stg_dataverse__accounts') }}
),

contacts as (
    select * from {{ ref('stg_dataverse__contacts') }}
),

leads as (
    select * from {{ ref('stg_dataverse__leads') }}
),

opportunities as (
    select * from {{ ref('stg_dataverse__opportunities') }}
),

connections as (
    select * from {{ ref('stg_dataverse__connections') }}
),

connection_roles as (
    select * from {{ ref('stg_dataverse__connection_roles') }}
),

contact_self as (
    select 'contact' as record_type, contact_id as record_id, contact_id as person_id,
        'customer' as side
    from contacts
),

account_contacts as (
    select 'account' as record_type, accounts.account_id as record_id,
        contacts.contact_id as person_id, 'customer' as side
    from contacts
    inner join accounts
        on contacts.parent_customer_id = accounts.account_id
),

account_primary_contacts as (
    select 'account' as record_type, account_id as record_id,
        primary_contact_id as person_id, 'customer' as side
    from accounts
    where primary_contact_id is not null
),

opportunity_contacts as (
    select 'opportunity' as record_type, opportunity_id as record_id,
        parent_contact_id as person_id, 'customer' as side
    from opportunities
    where parent_contact_id is not null
),

opportunity_account_primary_contacts as (
    select 'opportunity' as record_type, opportunities.opportunity_id as record_id,
        accounts.primary_contact_id as person_id, 'customer' as side
    from opportunities
    inner join accounts
        on opportunities.parent_account_id = accounts.account_id
    where accounts.primary_contact_id is not null
),

opportunity_owners as (
    select 'opportunity' as record_type, opportunity_id as record_id,
        owner_id as person_id, 'team' as side
    from opportunities
    where owner_id is not null
),

lead_self as (
    select 'lead' as record_type, lead_id as record_id, lead_id as person_id,
        'customer' as side
    from leads
),

lead_contacts as (
    select 'lead' as record_type, lead_id as record_id, parent_contact_id as person_id,
        'customer' as side
    from leads
    where parent_contact_id is not null
),

lead_owners as (
    select 'lead' as record_type, lead_id as record_id, owner_id as person_id,
        'team' as side
    from leads
    where owner_id is not null
),

-- Stakeholders (customer side) of opportunities and leads, and the sales team (team side)
-- of opportunities, from active connections whose record2 role has that category.
connected_people as (
    select
        connections.record1_type as record_type,
        connections.record1_id as record_id,
        connections.record2_id as person_id,
        case
            when connection_roles.connection_role_category = 'sales_team' then 'team'
            else 'customer'
        end as side
    from connections
    inner join connection_roles
        on connections.record2_role_id = connection_roles.connection_role_id
    where connections.connection_state = 'active'
        and connections.record2_id is not null
        and (
            (
                connection_roles.connection_role_category = 'stakeholder'
                and connections.record1_type in ('opportunity', 'lead')
                and connections.record2_type in ('contact', 'account', 'lead')
            )
            or (
                connection_roles.connection_role_category = 'sales_team'
                and connections.record1_type = 'opportunity'
                and connections.record2_type = 'systemuser'
            )
        )
),

unioned as (
    select * from contact_self
    union all select * from account_contacts
    union all select * from account_primary_contacts
    union all select * from opportunity_contacts
    union all select * from opportunity_account_primary_contacts
    union all select * from opportunity_owners
    union all select * from lead_self
    union all select * from lead_contacts
    union all select * from lead_owners
    union all select * from connected_people
),

final as (
    select distinct record_type, record_id, person_id, side
    from unioned
)

select * from final
