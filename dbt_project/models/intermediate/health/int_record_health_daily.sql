-- Relationship health score per record and day, for the last health_history_days days, or
-- team_health_change_long_days + 1 if longer (docs/kpi_definitions.md, "Relationship
-- health"). The score on day d uses only activity on or before d, so the score at T-14 days
-- is the same formula on earlier data.
--
-- score = 100 * (w_f * frequency + w_r * recency + w_c * reciprocity + w_b * breadth)
-- / (the weights of the components present), rounded (macros/health_formula.sql), where over
-- the health_window_days ending at d:
--   frequency   = min(1, weighted activities / (window days / expected interval days))
--   recency     = 0.5 ^ (days since the last activity / recency half-life)
--   reciprocity = min(1, customer-initiated share / target share), averaged with
--                 min(1, customer answers / team emails) when the team sent email.
--   breadth     = min(1, customer people of interest taking part / min(their number, target));
--                 absent for contacts (weight 0 by default: shown, not scored).
--   sentiment   = (average compound of the scored customer emails + 1) / 2; absent without one.
--
-- Bounded memory at 10M activities (docs/benchmarks.md): running totals only over the days
-- on which something changes for a record (an activity or answer enters the window, or
-- leaves it health_window_days later), each change row then spread over its score days (a
-- dense record x day grid needed more than 8 GB); integer keys for records and people.
{%- set as_of_day_number = day_number(as_of_date()) %}
{#- Days kept: the published history (mart_relationship_health_daily), or longer when the
    team marts compare with the state team_health_change_long_days ago (T-90 needs 91). #}
{%- set score_days_kept = [
    var('health_history_days'), var('team_health_change_long_days') + 1
] | max %}
{%- set first_score_day_number = '(' ~ as_of_day_number ~ ' - '
    ~ (score_days_kept - 1) ~ ')' %}
{%- set window_days = var('health_window_days') %}
{#- Components explained (score, contribution points) once per change row. #}
{%- set span_explained_components = ['frequency', 'reciprocity', 'breadth', 'sentiment'] %}
{#- Something on day e is in the window of day d when d - window_days < e <= d: it enters on
    e and leaves on e + window_days. Only score days are output, so every change up to the
    first score day folds onto it; what left the window before then never counts. #}
{%- set in_window_by_first_score_day = 'day_number > ' ~ first_score_day_number ~ ' - ' ~ window_days %}
{%- set leaves_by_as_of = 'day_number + ' ~ window_days ~ ' <= ' ~ as_of_day_number %}
with applicable_records as (
    select
        record_type,
        record_id,
        row_number() over (order by record_type, record_id) as record_key
    from {{ ref('int_records_unioned') }}
    where not is_closed
),

-- Weights as whole millionths: the window sums below add entries and subtract exits, which
-- only returns exactly to zero in integer arithmetic.
weights as (
    select
        activity_type,
        cast(round(weight * 1000000) as {{ dbt.type_bigint() }}) as weight_millionths
    from {{ ref('health_activity_weights') }}
),

-- Scores are whole numbers from 0 to 100 (a data test checks it), so each score's state is
-- looked up by equality instead of a range join on every record-day.
score_states as (
    select scores.n as health_score, bands.health_state
    from (select {{ integers_from_to(0, 100) }} as n) as scores
    inner join {{ ref('health_state_bands') }} as bands
        on scores.n between bands.min_score and bands.max_score
),

completed as (
    select
        applicable_records.record_key,
        record_activities.activity_key,
        record_activities.activity_type,
        record_activities.initiated_by,
        {{ day_number('record_activities.activity_date') }} as day_number,
        weights.weight_millionths
    from {{ ref('int_record_activities_joined') }} as record_activities
    inner join applicable_records
        on record_activities.record_type = applicable_records.record_type
        and record_activities.record_id = applicable_records.record_id
    inner join weights
        on record_activities.activity_type = weights.activity_type
    where {{ activity_status_at('record_activities.completed_from_at', 'record_activities.future_until_at') }} = 'completed'
),

-- Engagement breadth: customer people of interest of accounts, opportunities and leads (a
-- contact's only person is itself: no breadth), with integer keys per (record, person) and
-- per person.
people_of_interest as (
    select
        applicable_records.record_key,
        people.person_id,
        row_number() over (order by applicable_records.record_key, people.person_id)
            as person_key,
        dense_rank() over (order by people.person_id) as person_number
    from {{ ref('int_record_people_of_interest') }} as people
    inner join applicable_records
        on people.record_type = applicable_records.record_type
        and people.record_id = applicable_records.record_id
    where people.side = 'customer'
        and people.record_type != 'contact'
),

people_counts as (
    select record_key, count(*) as people_of_interest
    from people_of_interest
    group by record_key
),

people_numbered as (
    select distinct person_id, person_number
    from people_of_interest
),

-- The days each person of interest took part (in a qualifying role) in a completed activity
-- linked to a record, distinct on integers before the people of interest are joined: the
-- distinct is a join-order barrier, without which DuckDB built people of interest x links
-- by record (57M rows at 10M activities; docs/benchmarks.md).
customer_participations as (
    select distinct
        completed.record_key,
        people_numbered.person_number,
        completed.day_number
    from {{ ref('int_activity_parties_sided') }} as parties
    inner join people_numbered
        on parties.party_id = people_numbered.person_id
    inner join completed
        on parties.activity_key = completed.activity_key
    where parties.links_to_records
        and parties.side = 'customer'
        -- A day at least window days before the first score day counts on no score day,
        -- and the stretch it belongs to folds onto the first score day without it (its
        -- next day, if close enough to continue it, is before the first score day too).
        and completed.{{ in_window_by_first_score_day }}
),

-- One row per person key and day (participations are distinct).
participation_days as (
    select
        people_of_interest.person_key,
        people_of_interest.record_key,
        customer_participations.day_number
    from customer_participations
    inner join people_of_interest
        on customer_participations.record_key = people_of_interest.record_key
        and customer_participations.person_number = people_of_interest.person_number
),

-- A person counts on day d when they took part on some day e with d - window < e <= d: a
-- run of participation days closer than window_days apart is one stretch of presence.
participation_neighbours as (
    select
        record_key,
        day_number,
        lag(day_number) over person_days as previous_day_number,
        lead(day_number) over person_days as next_day_number
    from participation_days
    window person_days as (partition by person_key order by day_number)
),

-- Customer answers to team emails, counted on the day the answer arrived.
customer_answers as (
    select
        completed.record_key,
        {{ day_number('cast(replies.answered_at as date)') }} as day_number
    from completed
    inner join {{ ref('int_email_replies_matched') }} as replies
        on completed.activity_key = replies.original_activity_key
    where replies.answered_by = 'customer'
        -- Only answers in the window of a score day are counted (changes below).
        and {{ day_number('cast(replies.answered_at as date)') }} > {{ first_score_day_number }} - {{ window_days }}
),

-- Tone: each scored customer email's compound (stg_dataverse__email_sentiments) in whole
-- millionths, so window sums return exactly to zero, on the email's day.
customer_email_sentiments as (
    select
        completed.record_key,
        completed.day_number,
        cast(round(sentiments.compound * 1000000) as {{ dbt.type_bigint() }}) as compound_millionths
    from completed
    inner join {{ ref('stg_dataverse__email_sentiments') }} as sentiments
        on completed.activity_key = sentiments.activity_key
    where completed.activity_type = 'email'
        and completed.initiated_by = 'customer'
),

-- Activities in no score day's window count only towards the activities to date and the
-- last activity and meeting days: one row per active record sums them (most of a record's
-- history at 10M), instead of one change row each folded onto the first score day.
earlier_activities as (
    select
        record_key,
        count(case when not {{ in_window_by_first_score_day }} then 1 end) as activity_count,
        max(case when not {{ in_window_by_first_score_day }} then day_number end)
            as last_day_number,
        max(
            case
                when not {{ in_window_by_first_score_day }} and activity_type = 'meeting'
                    then day_number
            end
        ) as last_meeting_day_number
    from completed
    group by record_key
),

changes as (
    select
        record_key,
        greatest(day_number, {{ first_score_day_number }}) as day_number,
        day_number as activity_day_number,
        1 as activity_count,
        1 as entered,
        initiated_by,
        activity_type,
        weight_millionths,
        0 as customer_answers,
        0 as people_engaged,
        0 as sentiment_millionths,
        0 as sentiment_emails,
        0 as earlier_sentiment_millionths,
        0 as earlier_sentiment_emails
    from completed
    where {{ in_window_by_first_score_day }}
    union all
    -- Every active record has a row on the first score day, with its earlier activities.
    select
        record_key, {{ first_score_day_number }}, last_day_number, activity_count, 0,
        null, null, 0, 0, 0, 0, 0, 0, 0
    from earlier_activities
    union all
    select
        record_key, {{ first_score_day_number }}, last_meeting_day_number, 0, 0,
        null, 'meeting', 0, 0, 0, 0, 0, 0, 0
    from earlier_activities
    where last_meeting_day_number is not null
    union all
    select
        record_key, day_number + {{ window_days }}, null, 0, -1,
        initiated_by, activity_type, weight_millionths, 0, 0, 0, 0, 0, 0
    from completed
    where {{ in_window_by_first_score_day }} and {{ leaves_by_as_of }}
    union all
    select
        record_key, greatest(day_number, {{ first_score_day_number }}), null, 0, 0,
        null, null, 0, 1, 0, 0, 0, 0, 0
    from customer_answers
    where {{ in_window_by_first_score_day }}
    union all
    select record_key, day_number + {{ window_days }}, null, 0, 0, null, null, 0, -1, 0, 0, 0, 0, 0
    from customer_answers
    where {{ in_window_by_first_score_day }} and {{ leaves_by_as_of }}
    union all
    -- A person of interest enters at the start of a stretch of presence and leaves window
    -- days after its last day; changes before the first score day fold onto it.
    select
        record_key, greatest(day_number, {{ first_score_day_number }}), null, 0, 0,
        null, null, 0, 0, 1, 0, 0, 0, 0
    from participation_neighbours
    where previous_day_number is null or day_number - previous_day_number >= {{ window_days }}
    union all
    select
        record_key, greatest(day_number + {{ window_days }}, {{ first_score_day_number }}),
        null, 0, 0, null, null, 0, 0, -1, 0, 0, 0, 0
    from participation_neighbours
    where (next_day_number is null or next_day_number - day_number >= {{ window_days }})
        and {{ leaves_by_as_of }}
    {#- Tone: a scored customer email enters the window on its day and leaves window days
        later; for the window ending health_sentiment_compare_days earlier (the tone reason)
        the same, shifted by that many days. #}
    {%- for shift in [0, var('health_sentiment_compare_days')] %}
    {%- set sums = 'compound_millionths, 1, 0, 0' if shift == 0 else '0, 0, compound_millionths, 1' %}
    {%- set exits = '-compound_millionths, -1, 0, 0' if shift == 0 else '0, 0, -compound_millionths, -1' %}
    {%- set enters_on = '(day_number + ' ~ shift ~ ')' %}
    union all
    select
        record_key, greatest({{ enters_on }}, {{ first_score_day_number }}), null, 0, 0,
        null, null, 0, 0, 0, {{ sums }}
    from customer_email_sentiments
    where {{ enters_on }} > {{ first_score_day_number }} - {{ window_days }}
        and {{ enters_on }} <= {{ as_of_day_number }}
    union all
    select
        record_key, {{ enters_on }} + {{ window_days }}, null, 0, 0,
        null, null, 0, 0, 0, {{ exits }}
    from customer_email_sentiments
    where {{ enters_on }} > {{ first_score_day_number }} - {{ window_days }}
        and {{ enters_on }} + {{ window_days }} <= {{ as_of_day_number }}
    {%- endfor %}
),

change_days as (
    select
        record_key,
        day_number,
        max(activity_day_number) as last_activity_day_number,
        sum(activity_count) as activity_count,
        sum(entered * weight_millionths) as weighted_activities,
        sum(case when initiated_by = 'team' then entered * weight_millionths else 0 end)
            as team_initiated_weighted,
        sum(case when initiated_by = 'customer' then entered * weight_millionths else 0 end)
            as customer_initiated_weighted,
        sum(case when activity_type = 'email' and initiated_by = 'team' then entered else 0 end)
            as team_emails,
        sum(customer_answers) as customer_answers,
        -- Unweighted counts and the last meeting, for the reasons in words.
        sum(entered) as window_activities,
        sum(case when initiated_by = 'customer' then entered else 0 end)
            as customer_initiated_activities,
        sum(case when initiated_by in ('team', 'customer') then entered else 0 end)
            as initiated_activities,
        max(case when activity_type = 'meeting' then activity_day_number end)
            as last_meeting_day_number,
        sum(people_engaged) as people_engaged,
        sum(sentiment_millionths) as sentiment_millionths,
        sum(sentiment_emails) as sentiment_emails,
        sum(earlier_sentiment_millionths) as earlier_sentiment_millionths,
        sum(earlier_sentiment_emails) as earlier_sentiment_emails
    from changes
    group by record_key, day_number
),

-- Running totals over change days: everything so far for activities_to_date and the last
-- activity day; entries minus exits for the window sums. Each row holds until the next.
rolling as (
    select
        record_key,
        day_number,
        lead(day_number) over to_date_order as next_day_number,
        sum(activity_count) over to_date as activities_to_date,
        max(last_activity_day_number) over to_date as last_activity_day_number,
        sum(weighted_activities) over to_date as window_weighted_millionths,
        sum(team_initiated_weighted) over to_date as window_team_initiated,
        sum(customer_initiated_weighted) over to_date as window_customer_initiated,
        sum(team_emails) over to_date as window_team_emails,
        sum(customer_answers) over to_date as window_customer_answers,
        sum(window_activities) over to_date as window_activities,
        sum(customer_initiated_activities) over to_date as window_customer_initiated_activities,
        sum(initiated_activities) over to_date as window_initiated_activities,
        max(last_meeting_day_number) over to_date as last_meeting_day_number,
        sum(people_engaged) over to_date as window_people_engaged,
        sum(sentiment_millionths) over to_date as window_sentiment_millionths,
        sum(sentiment_emails) over to_date as window_sentiment_emails,
        sum(earlier_sentiment_millionths) over to_date as earlier_sentiment_millionths,
        sum(earlier_sentiment_emails) over to_date as earlier_sentiment_emails
    from change_days
    window
        to_date_order as (partition by record_key order by day_number),
        to_date as (
            partition by record_key
            order by day_number
            rows between unbounded preceding and current row
        )
),

-- The components that stay the same until the next change.
span_components as (
    select
        rolling.record_key,
        rolling.day_number,
        rolling.next_day_number,
        rolling.activities_to_date,
        rolling.last_activity_day_number,
        rolling.last_meeting_day_number,
        rolling.window_activities,
        rolling.window_customer_initiated_activities,
        rolling.window_initiated_activities,
        rolling.window_team_emails,
        rolling.window_customer_answers,
        {{ health_frequency('rolling.window_weighted_millionths') }} as frequency_component,
        {{ health_initiative('rolling.window_customer_initiated', 'rolling.window_team_initiated') }}
            as initiative_component,
        {{ health_answers('rolling.window_customer_answers', 'rolling.window_team_emails') }}
            as answer_component,
        rolling.window_people_engaged,
        people_counts.people_of_interest,
        {{ health_breadth('rolling.window_people_engaged', 'people_counts.people_of_interest') }}
            as breadth_component,
        {{ health_sentiment('rolling.window_sentiment_millionths', 'rolling.window_sentiment_emails') }}
            as sentiment_component,
        case
            when rolling.window_sentiment_emails > 0 then rolling.window_sentiment_millionths
                / 1000000.0 / rolling.window_sentiment_emails
        end as sentiment_average,
        case
            when rolling.earlier_sentiment_emails > 0 then rolling.earlier_sentiment_millionths
                / 1000000.0 / rolling.earlier_sentiment_emails
        end as earlier_sentiment_average
    from rolling
    left join people_counts
        on rolling.record_key = people_counts.record_key
),

-- What reads only the window sums, once per change row rather than per score day (6 times
-- fewer rows): reciprocity, the reasons but recency and meeting (points, sentences, ranks
-- among themselves), the explanation of every component but recency.
span_reasons as (
    select
        *,
        {{ health_reciprocity('initiative_component', 'answer_component') }}
            as reciprocity_component,
        {{ health_reason_candidates(health_span_reason_names()) }},
        {{ health_reason_sentences(health_span_reason_names()) }}
    from span_components
),

span_explained as (
    select
        *,
        {{ health_reason_span_ranks(health_span_reason_names()) }},
        {{ health_component_explanations(span_explained_components, 'span_reasons') }}
    from span_reasons
),

-- Each change row holds on the score days from its day to the day before the next change.
score_days as (
    select
        record_key,
        {{ integers_from_to('day_number', 'coalesce(next_day_number, ' ~ as_of_day_number ~ ' + 1) - 1') }}
            as day_number,
        activities_to_date,
        last_activity_day_number,
        last_meeting_day_number,
        frequency_component,
        reciprocity_component,
        breadth_component,
        sentiment_component,
        {%- for name in span_explained_components %}
        {{ name }}_score,
        {{ name }}_contribution_points,
        {%- endfor %}
        {%- for name in health_span_reason_names() %}
        reason_loss_{{ name }},
        reason_text_{{ name }},
        reason_span_rank_{{ name }}{% if not loop.last %},{% endif %}
        {%- endfor %}
    from span_explained
    where day_number <= {{ as_of_day_number }}
),

scored as (
    select
        *,
        day_number - last_activity_day_number as days_since_last_activity,
        day_number - last_meeting_day_number as days_since_last_meeting,
        {{ health_recency('day_number - last_activity_day_number') }} as recency_component
    from score_days
),

with_scores as (
    select
        *,
        {{ health_score(
            'activities_to_date', 'frequency_component', 'recency_component',
            'reciprocity_component', 'breadth_component', 'sentiment_component'
        ) }} as health_score
    from scored
),

-- Reasons in words: each candidate's points lost (null when it does not apply), ranked.
reason_candidates as (
    select
        *,
        {{ health_reason_candidates(health_day_reason_names()) }}
    from with_scores
),

reason_ranks as (
    select
        *,
        {{ health_reason_ranks(precomputed=health_span_reason_names()) }}
    from reason_candidates
),

reasons as (
    select
        *,
        {{ health_reasons_text(precomputed=health_span_reason_names()) }} as health_reasons
    from reason_ranks
),

final as (
    select
        applicable_records.record_type,
        applicable_records.record_id,
        cast({{ dbt.dateadd('day', 'reasons.day_number', "cast('1970-01-01' as date)") }} as date)
            as score_date,
        reasons.health_score,
        case
            when reasons.health_score is null then 'not_enough_info'
            else score_states.health_state
        end as health_state,
        cast(reasons.activities_to_date as {{ dbt.type_bigint() }}) as activities_to_date,
        cast(reasons.frequency_component as double) as frequency_component,
        cast(reasons.recency_component as double) as recency_component,
        cast(reasons.reciprocity_component as double) as reciprocity_component,
        cast(reasons.breadth_component as double) as breadth_component,
        cast(reasons.sentiment_component as double) as sentiment_component,
        {{ health_component_explanations(
            ['frequency', 'recency', 'reciprocity', 'breadth', 'sentiment'], 'reasons',
            precomputed=span_explained_components
        ) }},
        reasons.health_reasons
    from reasons
    inner join applicable_records
        on reasons.record_key = applicable_records.record_key
    left join score_states
        on reasons.health_score = score_states.health_score
)

select * from final
