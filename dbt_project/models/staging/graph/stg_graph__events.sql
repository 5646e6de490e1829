-- Meetings read from the team's calendars (one row per calendar copy; an occurrence of a
-- series is its own row with its own iCalUId). Times are UTC.
with source as (
    select * from {{ exchange_source('graph_event') }} as graph_event
),

renamed as (
    select
        cast(source.eventkey as {{ dbt.type_string() }}) as event_key,
        {{ normalize_email_address('source.mailbox') }} as mailbox,
        nullif(trim(cast(source.icaluid as {{ dbt.type_string() }})), '') as ical_uid,
        cast(source.subject as {{ dbt.type_string() }}) as subject,
        cast(source.startdatetime as {{ dbt.type_timestamp() }}) as starts_at,
        cast(source.enddatetime as {{ dbt.type_timestamp() }}) as ends_at,
        coalesce(cast(source.isallday as boolean), false) as is_all_day,
        coalesce(cast(source.iscancelled as boolean), false) as is_cancelled,
        coalesce(cast(source.isorganizer as boolean), false) as is_organizer,
        cast(source.createddatetime as {{ dbt.type_timestamp() }}) as created_at,
        cast(source.lastmodifieddatetime as {{ dbt.type_timestamp() }}) as modified_at
    from source
)

select * from renamed
