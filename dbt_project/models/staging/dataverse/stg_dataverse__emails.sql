with source as (
    select * from {{ source('dataverse', 'email') }}
),

state_labels as (
    select option_value, option_label
    from {{ ref('option_set_labels') }}
    where entity = 'email' and attribute = 'statecode'
),

status_labels as (
    select option_value, option_label
    from {{ ref('option_set_labels') }}
    where entity = 'email' and attribute = 'statuscode'
),

renamed as (
    select
        {{ normalize_guid('source.activityid') }} as activity_id,
        cast(source.subject as {{ dbt.type_string() }}) as subject,
        -- true = outgoing (sent by the team); empty = let the sender party decide.
        cast(source.directioncode as boolean) as is_outgoing,
        cast(source.senton as {{ dbt.type_timestamp() }}) as sent_at,
        state_labels.option_label as email_state,
        status_labels.option_label as email_status,
        {{ normalize_guid('source.regardingobjectid') }} as regarding_object_id,
        lower(cast(source.regardingobjecttypecode as {{ dbt.type_string() }})) as regarding_object_type,
        {{ normalize_guid('source.ownerid') }} as owner_id,
        -- Message ids without blanks and enclosing '<' '>' (macros/identifiers.sql).
        {{ normalize_message_id('source.messageid') }} as message_id,
        {{ normalize_message_id('source.inreplyto') }} as in_reply_to,
        -- The index as it came (trimmed) and as upper-case hex of its bytes, decoded from
        -- hex or base64; null when it is neither (counted by a warn-level test).
        nullif(trim(cast(source.conversationindex as {{ dbt.type_string() }})), '') as conversation_index,
        {{ conversation_index_hex('source.conversationindex') }} as conversation_index_hex,
        coalesce(cast(source.isemailfollowed as boolean), false) as is_email_followed,
        coalesce(cast(source.opencount as {{ dbt.type_int() }}), 0) as open_count,
        coalesce(cast(source.replycount as {{ dbt.type_int() }}), 0) as reply_count,
        coalesce(cast(source.linksclickedcount as {{ dbt.type_int() }}), 0) as links_clicked_count,
        coalesce(cast(source.attachmentopencount as {{ dbt.type_int() }}), 0) as attachment_open_count,
        cast(source.lastopenedtime as {{ dbt.type_timestamp() }}) as last_opened_at,
        cast(source.createdon as {{ dbt.type_timestamp() }}) as created_at,
        cast(source.modifiedon as {{ dbt.type_timestamp() }}) as modified_at
    from source
    left join state_labels
        on source.statecode = state_labels.option_value
    left join status_labels
        on source.statuscode = status_labels.option_value
)

select * from renamed
