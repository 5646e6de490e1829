-- Organizer and attendees of each calendar copy, with their response.
with source as (
    select * from {{ exchange_source('graph_event_attendee') }} as graph_event_attendee
),

renamed as (
    select
        cast(source.attendeekey as {{ dbt.type_string() }}) as attendee_key,
        cast(source.eventkey as {{ dbt.type_string() }}) as event_key,
        -- organizer, required, optional, resource
        lower(cast(source.attendeetype as {{ dbt.type_string() }})) as attendee_type,
        {{ normalize_email_address('source.address') }} as email_address,
        -- status.response: none, organizer, tentativelyAccepted, accepted, declined, ...
        lower(cast(source.response as {{ dbt.type_string() }})) as response
    from source
)

select * from renamed
