-- Messages read from the team's mailboxes (one row per copy: a message in a sender's Sent
-- Items and a colleague's Inbox is two rows with one message_id).
with source as (
    select * from {{ exchange_source('graph_message') }} as graph_message
),

renamed as (
    select
        cast(source.messagekey as {{ dbt.type_string() }}) as message_key,
        {{ normalize_email_address('source.mailbox') }} as mailbox,
        cast(source.folder as {{ dbt.type_string() }}) as folder,
        cast(source.subject as {{ dbt.type_string() }}) as subject,
        -- The same forms as CRM emails (macros/identifiers.sql), so the two compare.
        {{ normalize_message_id('source.internetmessageid') }} as message_id,
        {{ conversation_index_hex('source.conversationindex') }} as conversation_index_hex,
        cast(source.sentdatetime as {{ dbt.type_timestamp() }}) as sent_at,
        cast(source.receiveddatetime as {{ dbt.type_timestamp() }}) as received_at,
        coalesce(cast(source.isdraft as boolean), false) as is_draft,
        cast(source.createddatetime as {{ dbt.type_timestamp() }}) as created_at,
        cast(source.lastmodifieddatetime as {{ dbt.type_timestamp() }}) as modified_at
    from source
)

select * from renamed
