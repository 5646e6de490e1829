-- The first answer to each email (KPI_SPEC section 4, "Replies").
-- Only emails completed as of T take part: a draft, failed or canceled copy is never a
-- parent nor an answer, and never owns a message id or an index. B's parent is the email
-- whose messageid equals B.inreplyto; when none has it, the email whose conversation index
-- is the longest proper prefix of B's, compared as bytes (staging turns base64 and hex into
-- upper-case hex, two characters a byte, so every index length here is even and a byte
-- prefix is a hex prefix of that length). Prefixes are looked up by equality, one probe
-- per index length that occurs in the data (a thread's depth), so there is no all-pairs
-- comparison. B answers A when the other side initiated it and it came later; only the
-- first answer counts.
with emails as (
    select
        activity_id,
        activity_key,
        initiated_by,
        activity_at,
        message_id,
        in_reply_to,
        conversation_index_hex
    from {{ ref('int_activities_classified') }}
    where activity_type = 'email'
        and {{ activity_status_at() }} = 'completed'
),

-- When several emails carry the same messageid or index, the smallest activity id wins.
message_id_owners as (
    select message_id, min(activity_id) as activity_id
    from emails
    where message_id is not null
    group by message_id
),

conversation_index_owners as (
    select conversation_index_hex, min(activity_id) as activity_id
    from emails
    where conversation_index_hex is not null
    group by conversation_index_hex
),

parents_by_message_id as (
    select
        emails.activity_id as reply_activity_id,
        message_id_owners.activity_id as parent_activity_id,
        'in_reply_to' as parent_match_method
    from emails
    inner join message_id_owners
        on emails.in_reply_to = message_id_owners.message_id
    where message_id_owners.activity_id <> emails.activity_id
),

emails_without_message_parent as (
    select emails.activity_id, emails.conversation_index_hex
    from emails
    left join message_id_owners
        on emails.in_reply_to = message_id_owners.message_id
    where message_id_owners.message_id is null
        and emails.conversation_index_hex is not null
),

conversation_index_lengths as (
    select distinct length(conversation_index_hex) as index_length
    from emails
    where conversation_index_hex is not null
),

prefix_probes as (
    select
        emails_without_message_parent.activity_id as reply_activity_id,
        conversation_index_lengths.index_length,
        substring(
            emails_without_message_parent.conversation_index_hex, 1,
            conversation_index_lengths.index_length
        ) as index_prefix
    from emails_without_message_parent
    inner join conversation_index_lengths
        on conversation_index_lengths.index_length
            < length(emails_without_message_parent.conversation_index_hex)
),

prefix_parents_ranked as (
    select
        prefix_probes.reply_activity_id,
        conversation_index_owners.activity_id as parent_activity_id,
        row_number() over (
            partition by prefix_probes.reply_activity_id
            order by prefix_probes.index_length desc
        ) as prefix_rank
    from prefix_probes
    inner join conversation_index_owners
        on prefix_probes.index_prefix = conversation_index_owners.conversation_index_hex
),

parents_by_conversation_index as (
    select
        reply_activity_id,
        parent_activity_id,
        'conversation_index' as parent_match_method
    from prefix_parents_ranked
    where prefix_rank = 1
),

parents as (
    select * from parents_by_message_id
    union all
    select * from parents_by_conversation_index
),

answers as (
    select
        parents.parent_activity_id as original_activity_id,
        originals.activity_key as original_activity_key,
        originals.initiated_by as original_initiated_by,
        originals.activity_at as original_at,
        parents.reply_activity_id as answer_activity_id,
        replies.initiated_by as answered_by,
        replies.activity_at as answered_at,
        parents.parent_match_method,
        {{ timestamp_diff_seconds('originals.activity_at', 'replies.activity_at') }}
            as response_time_seconds
    from parents
    inner join emails as originals
        on parents.parent_activity_id = originals.activity_id
    inner join emails as replies
        on parents.reply_activity_id = replies.activity_id
    where originals.initiated_by in ('team', 'customer')
        and replies.initiated_by in ('team', 'customer')
        and originals.initiated_by <> replies.initiated_by
        and replies.activity_at > originals.activity_at
),

answers_ranked as (
    select
        *,
        row_number() over (
            partition by original_activity_id
            order by answered_at, answer_activity_id
        ) as answer_rank
    from answers
),

final as (
    select
        original_activity_id,
        -- The original's integer key, which the as-of models join on.
        original_activity_key,
        original_initiated_by,
        original_at,
        answer_activity_id,
        answered_by,
        answered_at,
        parent_match_method,
        cast(response_time_seconds / 3600.0 as double) as response_time_hours,
        -- Whole seconds for whole-second times: sums of these are exact in any order.
        cast(response_time_seconds as double) as response_time_seconds
    from answers_ranked
    where answer_rank = 1
)

select * from final
