with source as (
    select * from {{ source('dataverse', 'appointment') }}
),

state_labels as (
    select option_value, option_label
    from {{ ref('option_set_labels') }}
    where entity = 'appointment' and attribute = 'statecode'
),

renamed as (
    select
        {{ normalize_guid('source.activityid') }} as activity_id,
        cast(source.subject as {{ dbt.type_string() }}) as subject,
        cast(source.scheduledstart as {{ dbt.type_timestamp() }}) as scheduled_start_at,
        cast(source.scheduledend as {{ dbt.type_timestamp() }}) as scheduled_end_at,
        cast(source.scheduleddurationminutes as double) as scheduled_duration_minutes,
        cast(source.actualstart as {{ dbt.type_timestamp() }}) as actual_start_at,
        cast(source.actualend as {{ dbt.type_timestamp() }}) as actual_end_at,
        cast(source.actualdurationminutes as double) as actual_duration_minutes,
        state_labels.option_label as appointment_state,
        {{ normalize_guid('source.regardingobjectid') }} as regarding_object_id,
        lower(cast(source.regardingobjecttypecode as {{ dbt.type_string() }})) as regarding_object_type,
        {{ normalize_guid('source.ownerid') }} as owner_id,
        cast(source.createdon as {{ dbt.type_timestamp() }}) as created_at,
        cast(source.modifiedon as {{ dbt.type_timestamp() }}) as modified_at
    from source
    left join state_labels
        on source.statecode = state_labels.option_value
)

select * from renamed
