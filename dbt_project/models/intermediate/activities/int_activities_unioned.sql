-- One row per activity (email, meeting, phone call) in one shape, with the times and
-- durations of KPI_SPEC section 2/3 that do not depend on the as-of instant: the CRM's
-- activities and, with RA_EXCHANGE, mail and meetings read from Exchange that the CRM
-- does not track (int_exchange_*_deduplicated; no regarding record, no engagement counts).
-- Incremental: only new or changed activities are rebuilt (macros/incremental_activities.sql).
{{ config(
    materialized=activity_models_materialization(),
    unique_key='activity_id',
    incremental_strategy='delete+insert',
    on_schema_change='fail',
    post_hook="{{ delete_stale_activity_rows(
        ['stg_dataverse__emails', 'stg_dataverse__appointments', 'stg_dataverse__phone_calls',
         'int_exchange_emails_deduplicated', 'int_exchange_meetings_deduplicated']
    ) }}",
) }}

with emails as (
    select * from {{ ref('stg_dataverse__emails') }}
),

appointments as (
    select * from {{ ref('stg_dataverse__appointments') }}
),

phone_calls as (
    select * from {{ ref('stg_dataverse__phone_calls') }}
),

exchange_emails as (
    select * from {{ ref('int_exchange_emails_deduplicated') }}
),

exchange_meetings as (
    select * from {{ ref('int_exchange_meetings_deduplicated') }}
),

email_activities as (
    select
        activity_id,
        'email' as activity_type,
        subject,
        owner_id,
        regarding_object_id,
        regarding_object_type,
        email_state as activity_state,
        email_status,
        is_outgoing,
        -- An email's time is senton, else modifiedon.
        coalesce(sent_at, modified_at) as activity_at,
        coalesce(sent_at, modified_at) as ends_at,
        cast(null as {{ dbt.type_timestamp() }}) as scheduled_start_at,
        cast(null as double) as duration_minutes,
        message_id,
        in_reply_to,
        conversation_index_hex,
        is_email_followed,
        open_count,
        reply_count,
        links_clicked_count,
        attachment_open_count,
        created_at,
        modified_at
    from emails
),

meeting_activities as (
    select
        activity_id,
        'meeting' as activity_type,
        subject,
        owner_id,
        regarding_object_id,
        regarding_object_type,
        appointment_state as activity_state,
        cast(null as {{ dbt.type_string() }}) as email_status,
        cast(null as boolean) as is_outgoing,
        -- A meeting's time is its start; it is over when its end has passed.
        coalesce(actual_start_at, scheduled_start_at) as activity_at,
        coalesce(actual_end_at, scheduled_end_at) as ends_at,
        scheduled_start_at,
        coalesce(
            actual_duration_minutes,
            scheduled_duration_minutes,
            {{ timestamp_diff_seconds(
                'coalesce(actual_start_at, scheduled_start_at)',
                'coalesce(actual_end_at, scheduled_end_at)'
            ) }} / 60.0
        ) as duration_minutes,
        cast(null as {{ dbt.type_string() }}) as message_id,
        cast(null as {{ dbt.type_string() }}) as in_reply_to,
        cast(null as {{ dbt.type_string() }}) as conversation_index_hex,
        false as is_email_followed,
        0 as open_count,
        0 as reply_count,
        0 as links_clicked_count,
        0 as attachment_open_count,
        created_at,
        modified_at
    from appointments
),

phone_call_activities as (
    select
        activity_id,
        'phone_call' as activity_type,
        subject,
        owner_id,
        regarding_object_id,
        regarding_object_type,
        phone_call_state as activity_state,
        cast(null as {{ dbt.type_string() }}) as email_status,
        is_outgoing,
        -- A held call's time is actualstart, else actualend, else modifiedon; an open
        -- call's time is when it is scheduled.
        case
            when phone_call_state = 'open' and scheduled_start_at is not null
                then scheduled_start_at
            else coalesce(actual_start_at, actual_end_at, modified_at)
        end as activity_at,
        coalesce(actual_end_at, actual_start_at, modified_at) as ends_at,
        scheduled_start_at,
        coalesce(
            actual_duration_minutes,
            {{ timestamp_diff_seconds('actual_start_at', 'actual_end_at') }} / 60.0
        ) as duration_minutes,
        cast(null as {{ dbt.type_string() }}) as message_id,
        cast(null as {{ dbt.type_string() }}) as in_reply_to,
        cast(null as {{ dbt.type_string() }}) as conversation_index_hex,
        false as is_email_followed,
        0 as open_count,
        0 as reply_count,
        0 as links_clicked_count,
        0 as attachment_open_count,
        created_at,
        modified_at
    from phone_calls
),

-- Exchange mail: sent or received, the sender's side decides the direction.
exchange_email_activities as (
    select
        activity_id,
        'email' as activity_type,
        subject,
        owner_id,
        cast(null as {{ dbt.type_string() }}) as regarding_object_id,
        cast(null as {{ dbt.type_string() }}) as regarding_object_type,
        'completed' as activity_state,
        'completed' as email_status,
        cast(null as boolean) as is_outgoing,
        sent_at as activity_at,
        sent_at as ends_at,
        cast(null as {{ dbt.type_timestamp() }}) as scheduled_start_at,
        cast(null as double) as duration_minutes,
        message_id,
        cast(null as {{ dbt.type_string() }}) as in_reply_to,
        conversation_index_hex,
        false as is_email_followed,
        0 as open_count,
        0 as reply_count,
        0 as links_clicked_count,
        0 as attachment_open_count,
        created_at,
        modified_at
    from exchange_emails
),

exchange_meeting_activities as (
    select
        activity_id,
        'meeting' as activity_type,
        subject,
        owner_id,
        cast(null as {{ dbt.type_string() }}) as regarding_object_id,
        cast(null as {{ dbt.type_string() }}) as regarding_object_type,
        'scheduled' as activity_state,
        cast(null as {{ dbt.type_string() }}) as email_status,
        cast(null as boolean) as is_outgoing,
        starts_at as activity_at,
        ends_at,
        starts_at as scheduled_start_at,
        duration_minutes,
        cast(null as {{ dbt.type_string() }}) as message_id,
        cast(null as {{ dbt.type_string() }}) as in_reply_to,
        cast(null as {{ dbt.type_string() }}) as conversation_index_hex,
        false as is_email_followed,
        0 as open_count,
        0 as reply_count,
        0 as links_clicked_count,
        0 as attachment_open_count,
        created_at,
        modified_at
    from exchange_meetings
),

unioned as (
    select * from email_activities
    union all
    select * from meeting_activities
    union all
    select * from phone_call_activities
    union all
    select * from exchange_email_activities
    union all
    select * from exchange_meeting_activities
)

select
    -- The integer key the activity chain joins on (macros/activity_keys.sql).
    {{ activity_key('activity_id') }} as activity_key,
    *,
    {{ next_build_number(this) }} as build_number
from unioned
{% if is_incremental() %}
-- Every row of an id with a new version, so an id landing twice (an email and a call
-- with one activityid) is inserted twice and the unique test still stops the run.
where activity_id in (
    select activity_id
    from unioned as candidates
    where {{ version_not_built(this, 'candidates', 'modified_at', also_equal=['activity_type']) }}
)
{% endif %}
