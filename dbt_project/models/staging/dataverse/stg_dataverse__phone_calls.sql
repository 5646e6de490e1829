with source as (
    select * from {{ source('dataverse', 'phonecall') }}
),

state_labels as (
    select option_value, option_label
    from {{ ref('option_set_labels') }}
    where entity = 'phonecall' and attribute = 'statecode'
),

renamed as (
    select
        {{ normalize_guid('source.activityid') }} as activity_id,
        cast(source.subject as {{ dbt.type_string() }}) as subject,
        -- true = call made by the team, false = call received from the customer.
        cast(source.directioncode as boolean) as is_outgoing,
        cast(source.scheduledstart as {{ dbt.type_timestamp() }}) as scheduled_start_at,
        cast(source.actualstart as {{ dbt.type_timestamp() }}) as actual_start_at,
        cast(source.actualend as {{ dbt.type_timestamp() }}) as actual_end_at,
        cast(source.actualdurationminutes as double) as actual_duration_minutes,
        state_labels.option_label as phone_call_state,
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
