with source as (
    select * from {{ source('dataverse', 'systemuser') }}
),

renamed as (
    select
        {{ normalize_guid('systemuserid') }} as user_id,
        {{ seller_name(normalize_guid('systemuserid'), 'fullname') }} as user_name,
        {{ seller_address('internalemailaddress') }} as email_address,
        {{ normalize_guid('businessunitid') }} as business_unit_id,
        coalesce(cast(isdisabled as boolean), false) as is_disabled,
        cast(modifiedon as {{ dbt.type_timestamp() }}) as modified_at
    from source
)

select * from renamed
