with source as (
    select * from {{ source('dataverse', 'connectionrole') }}
),

category_labels as (
    select option_value, option_label
    from {{ ref('option_set_labels') }}
    where entity = 'connectionrole' and attribute = 'category'
),

renamed as (
    select
        {{ normalize_guid('source.connectionroleid') }} as connection_role_id,
        cast(source.name as {{ dbt.type_string() }}) as connection_role_name,
        category_labels.option_label as connection_role_category
    from source
    left join category_labels
        on source.category = category_labels.option_value
)

select * from renamed
