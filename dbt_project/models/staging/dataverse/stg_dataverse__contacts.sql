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
        cast(source.contactid as {{ dbt.type_string() }}) as contact_id,
        cast(source.fullname as {{ dbt.type_string() }}) as contact_name,
        cast(source.emailaddress1 as {{ dbt.type_string() }}) as email_address,
        -- parentcustomerid may name an account or a contact; only accounts roll up.
        cast(source.parentcustomerid as {{ dbt.type_string() }}) as parent_customer_id,
        cast(source.jobtitle as {{ dbt.type_string() }}) as job_title,
        cast(source.ownerid as {{ dbt.type_string() }}) as owner_id,
        state_labels.option_label as contact_state,
        cast(source.createdon as {{ dbt.type_timestamp() }}) as created_at,
        cast(source.modifiedon as {{ dbt.type_timestamp() }}) as modified_at
    from source
    left join state_labels
        on source.statecode = state_labels.option_value
)

select * from renamed
