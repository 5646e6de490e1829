with source as (
    select * from {{ source('dataverse', 'contact') }}
),

state_labels as (
    select option_value, option_label
    from {{ ref('option_set_labels') }}
    where entity = 'contact' and attribute = 'statecode'
),

renamed as (
    select
        {{ normalize_guid('source.contactid') }} as contact_id,
        cast(source.fullname as {{ dbt.type_string() }}) as contact_name,
        cast(source.emailaddress1 as {{ dbt.type_string() }}) as email_address,
        -- parentcustomerid may name an account or a contact; only accounts roll up.
        {{ normalize_guid('source.parentcustomerid') }} as parent_customer_id,
        cast(source.jobtitle as {{ dbt.type_string() }}) as job_title,
        {{ normalize_guid('source.ownerid') }} as owner_id,
        state_labels.option_label as contact_state,
        cast(source.createdon as {{ dbt.type_timestamp() }}) as created_at,
        cast(source.modifiedon as {{ dbt.type_timestamp() }}) as modified_at
    from source
    left join state_labels
        on source.statecode = state_labels.option_value
)

select * from renamed
