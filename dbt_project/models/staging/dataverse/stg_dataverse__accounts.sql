with source as (
    select * from {{ source('dataverse', 'account') }}
),

state_labels as (
    select option_value, option_label
    from {{ ref('option_set_labels') }}
    where entity = 'account' and attribute = 'statecode'
),

renamed as (
    select
        {{ normalize_guid('source.accountid') }} as account_id,
        cast(source.name as {{ dbt.type_string() }}) as account_name,
        {{ normalize_guid('source.primarycontactid') }} as primary_contact_id,
        cast(source.industrycode as {{ dbt.type_int() }}) as industry_code,
        cast(source.numberofemployees as {{ dbt.type_int() }}) as number_of_employees,
        cast(source.revenue as double) as revenue,
        {{ normalize_guid('source.ownerid') }} as owner_id,
        state_labels.option_label as account_state,
        cast(source.createdon as {{ dbt.type_timestamp() }}) as created_at,
        cast(source.modifiedon as {{ dbt.type_timestamp() }}) as modified_at
    from source
    left join state_labels
        on source.statecode = state_labels.option_value
)

select * from renamed
