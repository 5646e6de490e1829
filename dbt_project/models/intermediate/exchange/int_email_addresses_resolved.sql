-- Which CRM record a mail address names, for parties read from Exchange (one row per
-- address). Addresses compare trimmed and case-insensitively. An address on several
-- records resolves to a systemuser first (internalemailaddress), then a contact
-- (emailaddress1), then a lead (emailaddress1); among records of one type the smallest id.
-- contact emailaddress2/3 are not in the input contract and are not read.
with users as (
    select user_id, email_address from {{ ref('stg_dataverse__system_users') }}
),

contacts as (
    select contact_id, email_address from {{ ref('stg_dataverse__contacts') }}
),

leads as (
    select lead_id, email_address from {{ ref('stg_dataverse__leads') }}
),

candidates as (
    select
        {{ normalize_email_address('email_address') }} as email_address,
        user_id as party_id,
        'systemuser' as party_type,
        1 as type_priority
    from users
    union all
    select
        {{ normalize_email_address('email_address') }} as email_address,
        contact_id as party_id,
        'contact' as party_type,
        2 as type_priority
    from contacts
    union all
    select
        {{ normalize_email_address('email_address') }} as email_address,
        lead_id as party_id,
        'lead' as party_type,
        3 as type_priority
    from leads
),

ranked as (
    select
        email_address,
        party_id,
        party_type,
        row_number() over (
            partition by email_address order by type_priority, party_id
        ) as address_rank
    from candidates
    where email_address is not null
        and party_id is not null
),

final as (
    select email_address, party_id, party_type
    from ranked
    where address_rank = 1
)

select * from final
