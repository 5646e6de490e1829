with source as (
    select * from {{ source('dataverse', 'opportunity') }}
),

state_labels as (
    select option_value, option_label
    from {{ ref('option_set_labels') }}
    where entity = 'opportunity' and attribute = 'statecode'
),

renamed as (
    select
        {{ normalize_guid('source.opportunityid') }} as opportunity_id,
        cast(source.name as {{ dbt.type_string() }}) as opportunity_name,
        {{ normalize_guid('source.parentaccountid') }} as parent_account_id,
        {{ normalize_guid('source.parentcontactid') }} as parent_contact_id,
        {{ normalize_guid('source.ownerid') }} as owner_id,
        cast(source.estimatedvalue as double) as estimated_value,
        cast(source.actualvalue as double) as actual_value,
        cast(source.estimatedclosedate as date) as estimated_close_date,
        cast(source.actualclosedate as date) as actual_close_date,
        state_labels.option_label as opportunity_state,
        cast(source.createdon as {{ dbt.type_timestamp() }}) as created_at,
        cast(source.modifiedon as {{ dbt.type_timestamp() }}) as modified_at
    from source
    left join state_labels
        on source.statecode = state_labels.option_value
)

select * from renamed
