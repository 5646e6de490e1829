-- One row per account, contact, lead and opportunity with every basic insight of
-- KPI_SPEC section 3, as of T. Records without activity get zeros, not missing rows.
-- Each CTE below reads its table once, with only the columns it needs: DuckDB copies a
-- CTE read more than once in full before reading it (31M activity rows at 10M activities).
-- The per-activity CTEs group, rank and join on (record_type, record_key), the integer key
-- that int_records_unioned and int_record_activities_joined store (macros/guid_keys.sql;
-- one key per record id and type, sql_tests/assert_person_keys_identify_people): grouping
-- 30M rows on the 36-character record id spilled gigabytes at 10M activities, and carrying
-- it through them cost a third more than the key alone (docs/benchmarks.md).
with records as (
    select * from {{ ref('int_records_unioned') }}
),

responses as (
    select * from {{ ref('int_record_responses_aggregated') }}
),

health_now as (
    select
        record_type,
        record_id,
        health_score,
        health_state,
        frequency_score,
        frequency_contribution_points,
        recency_score,
        recency_contribution_points,
        reciprocity_score,
        reciprocity_contribution_points,
        breadth_score,
        breadth_contribution_points,
        sentiment_score,
        sentiment_contribution_points,
        health_reasons
    from {{ ref('int_record_health_daily') }}
    where score_date = {{ as_of_date() }}
),

health_before as (
    select record_type, record_id, health_score
    from {{ ref('int_record_health_daily') }}
    where score_date = cast(
        {{ dbt.dateadd('day', -var('health_trend_days'), as_of_date()) }} as date
    )
),

-- An email counts as answered by a threaded reply when int_email_replies_matched has an
-- answer to it (matched among the emails completed at T).
answered_originals as (
    select original_activity_key from {{ ref('int_email_replies_matched') }}
),

completed as (
    select
        record_activities.record_type,
        record_activities.record_key,
        record_activities.activity_type,
        record_activities.initiated_by,
        record_activities.activity_at,
        record_activities.team_minutes,
        record_activities.customer_minutes,
        record_activities.is_email_followed,
        record_activities.open_count,
        record_activities.reply_count,
        answered_originals.original_activity_key is not null as has_threaded_answer,
        record_activities.links_clicked_count,
        record_activities.attachment_open_count
    from {{ ref('int_record_activities_joined') }} as record_activities
    left join answered_originals
        on record_activities.activity_key = answered_originals.original_activity_key
    where {{ activity_status_at('record_activities.completed_from_at', 'record_activities.future_until_at') }}
        = 'completed'
),

-- Counts, time spent, and email engagement: only emails the team sent with tracking on
-- (isemailfollowed) count towards engagement.
{%- set followed_email = "activity_type = 'email' and initiated_by = 'team' and is_email_followed" %}
activity_counts as (
    select
        record_type,
        record_key,
        {{ interaction_counts() }},
        sum(team_minutes) as time_spent_by_team_minutes,
        sum(customer_minutes) as time_spent_by_customer_minutes,
        max(case when initiated_by = 'team' then activity_at end) as last_sent_at,
        max(case when initiated_by = 'customer' then activity_at end) as last_received_at,
        max(activity_at) as last_interaction_at,
        sum(case when {{ followed_email }} then 1 else 0 end) as followed_emails,
        sum(case when {{ followed_email }} and open_count > 0 then 1 else 0 end)
            as emails_opened,
        sum(
            case when {{ followed_email }} and (reply_count > 0 or has_threaded_answer) then 1
            else 0 end
        ) as emails_replied,
        sum(case when {{ followed_email }} and links_clicked_count > 0 then 1 else 0 end)
            as emails_link_clicked,
        sum(case when {{ followed_email }} and attachment_open_count > 0 then 1 else 0 end)
            as emails_attachment_viewed
    from completed
    group by record_type, record_key
),

-- The activities at each record's latest completed instant, and its future ones, as keys:
-- their id, subject and owner are read below for these activities only, from the one row
-- per activity of int_activities_classified (what int_record_activities_joined copied
-- them from), instead of for every linked row (30M at 10M activities).
last_candidates as (
    select latest.record_type, latest.record_key, latest.activity_key
    from {{ ref('int_record_activities_joined') }} as latest
    inner join activity_counts
        on latest.record_type = activity_counts.record_type
        and latest.record_key = activity_counts.record_key
        and latest.activity_at = activity_counts.last_interaction_at
    where {{ activity_status_at('latest.completed_from_at', 'latest.future_until_at') }} = 'completed'
),

future_candidates as (
    select record_type, record_key, activity_key
    from {{ ref('int_record_activities_joined') }}
    where {{ activity_status_at() }} = 'future'
        and activity_at is not null
),

candidate_details as (
    select activity_key, activity_at, activity_type, subject, activity_id, owner_id
    from {{ ref('int_activities_classified') }}
    where activity_key in (
        select activity_key from last_candidates
        union
        select activity_key from future_candidates
    )
),

-- Same instant: the smaller activity id wins (KPI_SPEC section 3). Only the activities at
-- each record's latest instant are ranked, not every completed activity.
last_interactions as (
    select
        last_candidates.record_type,
        last_candidates.record_key,
        candidate_details.activity_at,
        candidate_details.activity_type,
        candidate_details.subject,
        candidate_details.activity_id,
        candidate_details.owner_id,
        row_number() over (
            partition by last_candidates.record_type, last_candidates.record_key
            order by candidate_details.activity_id asc
        ) as recency_rank
    from last_candidates
    inner join candidate_details
        on last_candidates.activity_key = candidate_details.activity_key
),

next_interactions as (
    select
        future_candidates.record_type,
        future_candidates.record_key,
        candidate_details.activity_at,
        candidate_details.activity_type,
        candidate_details.subject,
        candidate_details.activity_id,
        candidate_details.owner_id,
        row_number() over (
            partition by future_candidates.record_type, future_candidates.record_key
            order by candidate_details.activity_at asc, candidate_details.activity_id asc
        ) as upcoming_rank
    from future_candidates
    inner join candidate_details
        on future_candidates.activity_key = candidate_details.activity_key
),

counts_filled as (
    select
        records.record_type,
        records.record_id,
        records.record_key,
        records.record_name,
        coalesce(activity_counts.emails_sent, 0) as emails_sent,
        coalesce(activity_counts.emails_received, 0) as emails_received,
        coalesce(activity_counts.meetings_sent, 0) as meetings_sent,
        coalesce(activity_counts.meetings_received, 0) as meetings_received,
        coalesce(activity_counts.phone_calls_made, 0) as phone_calls_made,
        coalesce(activity_counts.phone_calls_received, 0) as phone_calls_received,
        coalesce(activity_counts.time_spent_by_team_minutes, 0) as time_spent_by_team_minutes,
        coalesce(activity_counts.time_spent_by_customer_minutes, 0)
            as time_spent_by_customer_minutes,
        coalesce(activity_counts.followed_emails, 0) as followed_emails,
        coalesce(activity_counts.emails_opened, 0) as emails_opened,
        coalesce(activity_counts.emails_replied, 0) as emails_replied,
        coalesce(activity_counts.emails_link_clicked, 0) as emails_link_clicked,
        coalesce(activity_counts.emails_attachment_viewed, 0) as emails_attachment_viewed,
        activity_counts.last_sent_at,
        activity_counts.last_received_at,
        records.is_closed
    from records
    left join activity_counts
        on records.record_type = activity_counts.record_type
        and records.record_key = activity_counts.record_key
),

final as (
    select
        counts_filled.record_type,
        counts_filled.record_id,
        counts_filled.record_name,
        cast(counts_filled.emails_sent as {{ dbt.type_bigint() }}) as emails_sent,
        cast(counts_filled.emails_received as {{ dbt.type_bigint() }}) as emails_received,
        cast(counts_filled.meetings_sent as {{ dbt.type_bigint() }}) as meetings_sent,
        cast(counts_filled.meetings_received as {{ dbt.type_bigint() }}) as meetings_received,
        cast(counts_filled.phone_calls_made as {{ dbt.type_bigint() }}) as phone_calls_made,
        cast(counts_filled.phone_calls_received as {{ dbt.type_bigint() }})
            as phone_calls_received,
        cast(
            counts_filled.emails_sent + counts_filled.meetings_sent
            + counts_filled.phone_calls_made as {{ dbt.type_bigint() }}
        ) as activities_initiated_by_team,
        cast(
            counts_filled.emails_received + counts_filled.meetings_received
            + counts_filled.phone_calls_received as {{ dbt.type_bigint() }}
        ) as activities_initiated_by_customer,
        -- Sums of doubles depend on the order DuckDB's threads add them in; rounding to
        -- 6 places keeps a fixed as-of byte-identical run after run.
        {{ round_double('cast(counts_filled.time_spent_by_team_minutes as double)', 6) }}
            as time_spent_by_team_minutes,
        {{ round_double('cast(counts_filled.time_spent_by_customer_minutes as double)', 6) }}
            as time_spent_by_customer_minutes,
        {{ safe_divide('counts_filled.emails_received', 'counts_filled.emails_sent') }}
            as email_ratio_by_them,
        {{ safe_divide('counts_filled.emails_sent', 'counts_filled.emails_received') }}
            as email_ratio_by_us,
        cast(counts_filled.followed_emails as {{ dbt.type_bigint() }}) as followed_emails,
        cast(counts_filled.emails_opened as {{ dbt.type_bigint() }}) as emails_opened,
        cast(counts_filled.emails_replied as {{ dbt.type_bigint() }}) as emails_replied,
        cast(counts_filled.emails_link_clicked as {{ dbt.type_bigint() }}) as emails_link_clicked,
        cast(counts_filled.emails_attachment_viewed as {{ dbt.type_bigint() }})
            as emails_attachment_viewed,
        {{ safe_divide('counts_filled.emails_opened', 'counts_filled.followed_emails') }}
            as emails_opened_rate,
        {{ safe_divide('counts_filled.emails_replied', 'counts_filled.followed_emails') }}
            as emails_replied_rate,
        {{ safe_divide('counts_filled.emails_link_clicked', 'counts_filled.followed_emails') }}
            as emails_link_clicked_rate,
        {{ safe_divide('counts_filled.emails_attachment_viewed', 'counts_filled.followed_emails') }}
            as emails_attachment_viewed_rate,
        last_interactions.activity_at as last_interaction_at,
        last_interactions.activity_type as last_interaction_type,
        {{ exported_subject('last_interactions.subject') }} as last_interaction_subject,
        last_interactions.activity_id as last_interaction_activity_id,
        next_interactions.activity_at as next_interaction_at,
        next_interactions.activity_type as next_interaction_type,
        {{ exported_subject('next_interactions.subject') }} as next_interaction_subject,
        next_interactions.activity_id as next_interaction_activity_id,
        responses.response_rate_by_us,
        responses.response_rate_by_them,
        responses.avg_response_time_by_us_hours,
        responses.avg_response_time_by_them_hours,
        responses.median_response_time_by_us_hours,
        responses.median_response_time_by_them_hours,
        health_now.health_score,
        case
            when counts_filled.is_closed then 'not_applicable'
            else coalesce(health_now.health_state, 'not_enough_info')
        end as health_state,
        case
            when health_now.health_score is null or health_before.health_score is null then null
            when health_now.health_score - health_before.health_score
                >= {{ var('health_trend_threshold') }} then 'improving'
            when health_now.health_score - health_before.health_score
                <= -{{ var('health_trend_threshold') }} then 'declining'
            else 'steady'
        end as health_trend,
        health_before.health_score as health_score_14d_ago,
        cast(floor(
            {{ timestamp_diff_seconds('last_interactions.activity_at', as_of_timestamp()) }} / 86400
        ) as {{ dbt.type_int() }}) as inactive_days,
        counts_filled.last_sent_at,
        counts_filled.last_received_at,
        {{ as_of_timestamp() }} as kpis_as_of,
        -- Roll-up-safe measures (added after kpis_as_of so existing columns keep their
        -- places): response_rate_by_us = responses_by_us / emails_received,
        -- avg_response_time_by_us_hours = response_time_by_us_hours_sum / responses_by_us,
        -- and the same by_them over emails_sent.
        cast(coalesce(responses.responses_by_us, 0) as {{ dbt.type_bigint() }})
            as responses_by_us,
        cast(coalesce(responses.responses_by_them, 0) as {{ dbt.type_bigint() }})
            as responses_by_them,
        cast(coalesce(responses.response_time_by_us_hours_sum, 0) as double)
            as response_time_by_us_hours_sum,
        cast(coalesce(responses.response_time_by_them_hours_sum, 0) as double)
            as response_time_by_them_hours_sum,
        -- Who owns the last and next interaction's activity: the dashboards hide its
        -- subject from a business unit other than the owner's (join mart_users).
        last_interactions.owner_id as last_interaction_owner_id,
        next_interactions.owner_id as next_interaction_owner_id,
        -- The health score explained (docs/kpi_definitions.md section 6, "Reasons"): null
        -- for closed records and records without completed linked activity.
        health_now.frequency_score,
        health_now.frequency_contribution_points,
        health_now.recency_score,
        health_now.recency_contribution_points,
        health_now.reciprocity_score,
        health_now.reciprocity_contribution_points,
        health_now.breadth_score,
        health_now.breadth_contribution_points,
        health_now.sentiment_score,
        health_now.sentiment_contribution_points,
        health_now.health_reasons
    from counts_filled
    left join last_interactions
        on counts_filled.record_type = last_interactions.record_type
        and counts_filled.record_key = last_interactions.record_key
        and last_interactions.recency_rank = 1
    left join next_interactions
        on counts_filled.record_type = next_interactions.record_type
        and counts_filled.record_key = next_interactions.record_key
        and next_interactions.upcoming_rank = 1
    left join responses
        on counts_filled.record_type = responses.record_type
        and counts_filled.record_id = responses.record_id
    left join health_now
        on counts_filled.record_type = health_now.record_type
        and counts_filled.record_id = health_now.record_id
    left join health_before
        on counts_filled.record_type = health_before.record_type
        and counts_filled.record_id = health_before.record_id
)

select * from final
