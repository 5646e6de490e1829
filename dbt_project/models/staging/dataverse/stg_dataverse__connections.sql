with source as (
    select * from {{ source('dataverse', 'connection') }}
),

state_labels as (
    select option_value, option_label
    from {{ ref('option_set_labels') }}
    where entity = 'connection' and attribute = 'statecode'
),

renamed as (
    select
        cast(source.connectionid as {{ dbt.type_string() }}) as connection_id,
        cast(source.record1id as {{ dbt.type_string() }}) as record1_id,
        lower(cast(source.record1objecttypecode as {{ dbt.type_string() }})) as record1_type,
        cast(source.record2id as {{ dbt.type_string() }}) as record2_id,
        lower(cast(source.record2objecttypecode as {{ dbt.type_string() }})) as record2_type,
        cast(source.record2roleid as {{ dbt.type_string() }}) as record2_role_id,
        state_labels.option_label as connection_state,
        cast(source.modifiedon as {{ dbt.type_timestamp() }}) as modified_at
    from source
    left join state_labels
        on source.statecode = state_labels.option_value
)

select * from renamed
