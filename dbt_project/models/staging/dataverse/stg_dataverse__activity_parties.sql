with source as (
    select * from {{ source('dataverse', 'activityparty') }}
),

participation_labels as (
    select option_value, option_label
    from {{ ref('option_set_labels') }}
    where entity = 'activityparty' and attribute = 'participationtypemask'
),

renamed as (
    select
        {{ normalize_guid('source.activitypartyid') }} as activity_party_id,
        {{ normalize_guid('source.activityid') }} as activity_id,
        -- An empty partyid is an address that matched no record (customer side, KPI_SPEC 1).
        {{ normalize_guid('source.partyid') }} as party_id,
        lower(cast(source.partyobjecttypecode as {{ dbt.type_string() }})) as party_type,
        cast(source.participationtypemask as {{ dbt.type_int() }}) as participation_type_mask,
        participation_labels.option_label as participation_role,
        cast(source.addressused as {{ dbt.type_string() }}) as address_used
    from source
    left join participation_labels
        on source.participationtypemask = participation_labels.option_value
)

select * from renamed
