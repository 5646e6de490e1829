-- Each activity's classification (KPI_SPEC sections 2 and 3), none of it depending on the
-- as-of instant T: the two instants its status at T is read from (completed_from_at,
-- future_until_at; macros/activity_status.sql), who initiated it, time spent per side.
-- Incremental by activity version like the participants it reads
-- (macros/incremental_activities.sql): only new or changed activities are classified
-- again. The minutes come from vars (email_write_minutes, email_read_minutes): a run that
-- changes them needs a full refresh of this model and of int_record_activities_joined.
{{ config(
    materialized=activity_models_materialization(),
    unique_key='activity_id',
    incremental_strategy='delete+insert',
    on_schema_change='fail',
    post_hook="{{ delete_stale_activity_rows(['int_activities_unioned']) }}",
) }}

-- depends_on: {{ ref('int_exchange_parties_resolved') }}
with activities as (
    select *
    from {{ ref('int_activities_unioned') }} as activities
    {% if is_incremental() %}
    where {{ version_not_built(this, 'activities', 'modified_at') }}
    {%- if var('exchange_source', false) %}
    -- Exchange activities' participants are summarized again on every run (their
    -- parties are resolved by address), so they are classified again too.
        or activities.activity_id in (
            select exchange_parties.activity_id from {{ ref('int_exchange_parties_resolved') }} as exchange_parties
        )
    {%- endif %}
    {% endif %}
),

participants as (
    select * from {{ ref('int_activity_participants_summarized') }}
),

joined as (
    select
        activities.*,
        participants.sender_side,
        participants.organizer_side,
        coalesce(participants.team_participant_count, 0) as team_participant_count,
        coalesce(participants.has_customer_participant, false) as has_customer_participant
    from activities
    left join participants
        on activities.activity_key = participants.activity_key
),

-- The two instants that decide the status at any T (macros/activity_status.sql):
-- completed from completed_from_at on, future before future_until_at, else not counted.
-- They are the as-of CASE of KPI_SPEC section 2 with T taken out, branch by branch:
-- - email, not canceled: sent, received or completed counts from its time, and is future
--   before it; pending send or sending is future before its time and never completes;
-- - meeting, not canceled: completed from its end when it has a start; future before its
--   end, or before its start when it has no end;
-- - phone call: completed counts from its time and is future before it; a completed call
--   without a time is future at every T (always_future_until_at); an open call is future
--   before its scheduled start and never completes;
-- - anything canceled, or in another status: both null, never counted.
status_instants as (
    select
        *,
        case
            when activity_type = 'email' then
                case
                    when activity_state = 'canceled' then null
                    when email_status in ('completed', 'sent', 'received') then activity_at
                end
            when activity_type = 'meeting' then
                case
                    when activity_state = 'canceled' then null
                    when activity_at is not null then ends_at
                end
            when activity_type = 'phone_call' then
                case
                    when activity_state = 'completed' then activity_at
                end
        end as completed_from_at,
        case
            when activity_type = 'email' then
                case
                    when activity_state = 'canceled' then null
                    when email_status in ('completed', 'sent', 'received', 'pending_send', 'sending')
                        then activity_at
                end
            when activity_type = 'meeting' then
                case
                    when activity_state = 'canceled' then null
                    else coalesce(ends_at, activity_at)
                end
            when activity_type = 'phone_call' then
                case
                    when activity_state = 'completed' then coalesce(activity_at, {{ always_future_until_at() }})
                    when activity_state = 'open' then scheduled_start_at
                end
        end as future_until_at,
        case
            when activity_type in ('email', 'phone_call') then
                case
                    when is_outgoing then 'team'
                    when not is_outgoing then 'customer'
                    else sender_side
                end
            when activity_type = 'meeting' then coalesce(organizer_side, 'team')
        end as initiated_by
    from joined
),

time_spent as (
    select
        *,
        case
            when activity_type = 'email' then
                case when initiated_by = 'team' then {{ var('email_write_minutes') }} else 0 end
                + {{ var('email_read_minutes') }} * team_participant_count
            else coalesce(duration_minutes, 0) * team_participant_count
        end as team_minutes,
        case
            when activity_type = 'email' then
                case
                    when initiated_by = 'customer' then {{ var('email_write_minutes') }}
                    when has_customer_participant then {{ var('email_read_minutes') }}
                    else 0
                end
            when has_customer_participant then coalesce(duration_minutes, 0)
            else 0
        end as customer_minutes
    from status_instants
),

-- The columns later models (and tests/test_exchange_kpis.py) read, and the version: the
-- regarding object and the duration (inside the minutes) stay in int_activities_unioned; not
-- writing them saves about a fifth of the build at 1M activities.
final as (
    select
        activity_id,
        activity_key,
        -- Incremental bookkeeping: the activity version this row was built from.
        modified_at,
        activity_type,
        subject,
        owner_id,
        completed_from_at,
        future_until_at,
        initiated_by,
        activity_at,
        cast(activity_at as date) as activity_date,
        team_participant_count,
        has_customer_participant,
        cast(team_minutes as double) as team_minutes,
        cast(customer_minutes as double) as customer_minutes,
        message_id,
        in_reply_to,
        conversation_index_hex,
        is_email_followed,
        open_count,
        reply_count,
        links_clicked_count,
        attachment_open_count,
        {{ next_build_number(this) }} as build_number
    from time_spent
)

select * from final
