-- Each record's linked activities with their as-of classification: the one input of the
-- per-record KPIs, so every mart counts the same activities the same way.
with links as (
    select * from {{ ref('int_activities_linked_to_records') }}
),

activities as (
    select * from {{ ref('int_activities_classified') }}
    where activity_status in ('completed', 'future')
),

answered_originals as (
    select original_activity_key from {{ ref('int_email_replies_matched') }}
),

joined as (
    select
        links.record_type,
        links.record_id,
        links.link_reason,
        activities.activity_id,
        activities.activity_key,
        activities.activity_type,
        activities.activity_status,
        activities.initiated_by,
        activities.subject,
        activities.owner_id,
        activities.activity_at,
        activities.activity_date,
        activities.team_minutes,
        activities.customer_minutes,
        activities.is_email_followed,
        activities.open_count,
        activities.reply_count,
        activities.links_clicked_count,
        activities.attachment_open_count,
        answered_originals.original_activity_key is not null as has_threaded_answer
    from links
    inner join activities
        on links.activity_key = activities.activity_key
    left join answered_originals
        on activities.activity_key = answered_originals.original_activity_key
)

select * from joined
