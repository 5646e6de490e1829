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
        {{ normalize_guid('source.connectionid') }} as connection_id,
        {{ normalize_guid('source.record1id') }} as record1_id,
        lower(cast(source.record1objecttypecode as {{ dbt.type_string() }})) as record1_type,
        {{ normalize_guid('source.record2id') }} as record2_id,
        lower(cast(source.record2objecttypecode as {{ dbt.type_string() }})) as record2_type,
        {{ normalize_guid('source.record2roleid') }} as record2_role_id,
        state_labels.option_label as connection_state,
        cast(source.modifiedon as {{ dbt.type_timestamp() }}) as modified_at
    from source
    left join state_labels
        on source.statecode = state_labels.option_value
)

select * from renamed
