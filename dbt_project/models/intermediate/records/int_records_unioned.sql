-- Every account, contact, lead and opportunity as one record list: the spine of the marts.
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

account_records as (
    select
        'account' as record_type,
        account_id as record_id,
        account_name as record_name,
        owner_id,
        account_id as parent_account_id,
        account_state as record_state,
        account_state = 'inactive' as is_closed,
        created_at
    from accounts
),

contact_records as (
    select
        'contact' as record_type,
        contacts.contact_id as record_id,
        contacts.contact_name as record_name,
        contacts.owner_id,
        -- parentcustomerid may also name a contact; only an account is a parent account.
        accounts.account_id as parent_account_id,
        contacts.contact_state as record_state,
        contacts.contact_state = 'inactive' as is_closed,
        contacts.created_at
    from contacts
    left join accounts
        on contacts.parent_customer_id = accounts.account_id
),

lead_records as (
    select
        'lead' as record_type,
        lead_id as record_id,
        coalesce(lead_name, company_name) as record_name,
        owner_id,
        parent_account_id,
        lead_state as record_state,
        lead_state in ('qualified', 'disqualified') as is_closed,
        created_at
    from leads
),

opportunity_records as (
    select
        'opportunity' as record_type,
        opportunity_id as record_id,
        opportunity_name as record_name,
        owner_id,
        parent_account_id,
        opportunity_state as record_state,
        opportunity_state in ('won', 'lost') as is_closed,
        created_at
    from opportunities
),

unioned as (
    select * from account_records
    union all
    select * from contact_records
    union all
    select * from lead_records
    union all
    select * from opportunity_records
)

select
    *,
    -- The record's integer key (macros/guid_keys.sql), as int_record_activities_joined
    -- stores it for each link: the per-record marts group and join their activity rows on
    -- it and bring the id back from here.
    {{ guid_key('record_id') }} as record_key
from unioned
