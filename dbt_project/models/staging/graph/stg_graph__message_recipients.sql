-- Sender and recipients of each message copy.
with source as (
    select * from {{ exchange_source('graph_message_recipient') }} as graph_message_recipient
),

renamed as (
    select
        cast(source.recipientkey as {{ dbt.type_string() }}) as recipient_key,
        cast(source.messagekey as {{ dbt.type_string() }}) as message_key,
        -- from, to, cc, bcc
        lower(cast(source.recipienttype as {{ dbt.type_string() }})) as recipient_type,
        {{ normalize_email_address('source.address') }} as email_address
    from source
)

select * from renamed
