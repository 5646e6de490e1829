-- Meetings read from Exchange as meeting activities, each meeting once (docs/
-- kpi_definitions.md, "Exchange Online"): the copies in every attendee's calendar are one
-- activity, keyed by iCalUId (per occurrence of a series); a meeting canceled in any copy
-- and all-day events never count; a meeting the CRM also tracks (an appointment with the
-- same subject, trimmed and case-insensitive, and the same scheduled start) is left to
-- the CRM row. The activity id is a GUID-shaped md5 of the key (macros/exchange.sql).
with events as (
    select
        *,
        coalesce(ical_uid, event_key) as meeting_identity
    from {{ ref('stg_graph__events') }}
),

tracked_in_crm as (
    select distinct
        lower(trim(subject)) as subject_key,
        scheduled_start_at
    from {{ ref('stg_dataverse__appointments') }}
    where subject is not null
        and scheduled_start_at is not null
),

users as (
    select email_address, party_id as user_id
    from {{ ref('int_email_addresses_resolved') }}
    where party_type = 'systemuser'
),

-- The organizer's copy represents the meeting, else the first copy by key.
ranked as (
    select
        events.*,
        row_number() over (
            partition by events.meeting_identity
            order by case when events.is_organizer then 0 else 1 end, events.event_key
        ) as copy_rank,
        max(case when events.is_cancelled then 1 else 0 end)
            over (partition by events.meeting_identity) as canceled_copies,
        max(events.modified_at) over (partition by events.meeting_identity) as latest_modified_at
    from events
),

counted as (
    select ranked.*
    from ranked
    left join tracked_in_crm
        on lower(trim(ranked.subject)) = tracked_in_crm.subject_key
        and ranked.starts_at = tracked_in_crm.scheduled_start_at
    where ranked.copy_rank = 1
        and ranked.canceled_copies = 0
        and not ranked.is_all_day
        and tracked_in_crm.subject_key is null
),

final as (
    select
        {{ deterministic_guid('exchange-meeting', 'counted.meeting_identity') }} as activity_id,
        counted.meeting_identity,
        counted.subject,
        users.user_id as owner_id,
        counted.starts_at,
        counted.ends_at,
        {{ timestamp_diff_seconds('counted.starts_at', 'counted.ends_at') }} / 60.0
            as duration_minutes,
        counted.created_at,
        counted.latest_modified_at as modified_at
    from counted
    left join users
        on counted.mailbox = users.email_address
)

select * from final
