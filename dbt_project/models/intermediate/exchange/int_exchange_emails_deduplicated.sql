-- Mail read from Exchange as email activities, each message once (docs/kpi_definitions.md,
-- "Exchange Online"): drafts never count; a message the CRM also tracks (same message id)
-- is left to the CRM row, which carries the regarding record and engagement counts; the
-- copies of one message in several mailboxes (the sender's Sent Items, colleagues'
-- Inboxes) are one activity, keyed by its message id (the copy's own key when it has
-- none). The activity id is a GUID-shaped md5 of that key (macros/exchange.sql).
with messages as (
    select * from {{ ref('stg_graph__messages') }}
    where not is_draft
),

tracked_in_crm as (
    select distinct message_id
    from {{ ref('stg_dataverse__emails') }}
    where message_id is not null
),

users as (
    select email_address, party_id as user_id
    from {{ ref('int_email_addresses_resolved') }}
    where party_type = 'systemuser'
),

untracked as (
    select
        messages.*,
        coalesce(messages.message_id, messages.message_key) as message_identity
    from messages
    left join tracked_in_crm
        on messages.message_id = tracked_in_crm.message_id
    where tracked_in_crm.message_id is null
),

-- The sender's copy (Sent Items) represents the message, else the first copy by key.
ranked as (
    select
        untracked.*,
        row_number() over (
            partition by untracked.message_identity
            order by case when untracked.folder = 'sentitems' then 0 else 1 end, untracked.message_key
        ) as copy_rank,
        max(untracked.modified_at) over (partition by untracked.message_identity) as latest_modified_at,
        min(coalesce(untracked.sent_at, untracked.received_at))
            over (partition by untracked.message_identity) as first_sent_at,
        count(*) over (partition by untracked.message_identity) as mailbox_copies
    from untracked
),

final as (
    select
        {{ deterministic_guid('exchange-message', 'ranked.message_identity') }} as activity_id,
        ranked.message_identity,
        ranked.subject,
        -- The mailbox's user owns the activity (Exchange has no owner of its own).
        users.user_id as owner_id,
        ranked.message_id,
        ranked.conversation_index_hex,
        ranked.first_sent_at as sent_at,
        ranked.mailbox_copies,
        ranked.created_at,
        ranked.latest_modified_at as modified_at
    from ranked
    left join users
        on ranked.mailbox = users.email_address
    where ranked.copy_rank = 1
)

select * from final
