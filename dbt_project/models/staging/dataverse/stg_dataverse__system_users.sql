with source as (
    select * from {{ source('dataverse', 'systemuser') }}
),

renamed as (
    select
        {{ normalize_guid('systemuserid') }} as user_id,
        cast(fullname as {{ dbt.type_string() }}) as user_name,
        cast(internalemailaddress as {{ dbt.type_string() }}) as email_address,
        {{ normalize_guid('businessunitid') }} as business_unit_id,
        coalesce(cast(isdisabled as boolean), false) as is_disabled,
        cast(modifiedon as {{ dbt.type_timestamp() }}) as modified_at
    from source
)

select * from renamed
