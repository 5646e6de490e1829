with source as (
    select * from {{ source('dataverse', 'lead') }}
),

state_labels as (
    select option_value, option_label
    from {{ ref('option_set_labels') }}
    where entity = 'lead' and attribute = 'statecode'
),

renamed as (
    select
        {{ normalize_guid('source.leadid') }} as lead_id,
        cast(source.fullname as {{ dbt.type_string() }}) as lead_name,
        cast(source.companyname as {{ dbt.type_string() }}) as company_name,
        cast(source.emailaddress1 as {{ dbt.type_string() }}) as email_address,
        {{ normalize_guid('source.parentaccountid') }} as parent_account_id,
        {{ normalize_guid('source.parentcontactid') }} as parent_contact_id,
        {{ normalize_guid('source.ownerid') }} as owner_id,
        state_labels.option_label as lead_state,
        cast(source.createdon as {{ dbt.type_timestamp() }}) as created_at,
        cast(source.modifiedon as {{ dbt.type_timestamp() }}) as modified_at
    from source
    left join state_labels
        on source.statecode = state_labels.option_value
)

select * from renamed
