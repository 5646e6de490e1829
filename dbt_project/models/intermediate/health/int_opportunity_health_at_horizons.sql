-- The health score of every closed opportunity as of health_validation_horizons_days (30,
-- 60 and 90) days before its close date: the input of mart_health_validation. Same formula
-- and parameters as int_record_health_daily (macros/health_formula.sql), evaluated as if
-- the deal were still open on that day, with only activity on or before it.
--
-- One row per closed opportunity (won or lost, with an actualclosedate) and horizon, when
-- the opportunity existed on the scoring day (created on or before it): a deal created 20
-- days before it closed has no score 30 days before. Grouped per opportunity, not per day,
-- so memory follows the closed deals' activities, not a record x day grid.
{%- set window_days = var('health_window_days') %}
{%- set in_window = 'completed.day_number > scoring_points.score_day_number - ' ~ window_days %}
with opportunities as (
    select
        opportunity_id,
        opportunity_state,
        actual_close_date,
        {{ day_number('actual_close_date') }} as close_day_number,
        {{ day_number('cast(created_at as date)') }} as created_day_number
    from {{ ref('stg_dataverse__opportunities') }}
    where opportunity_state in ('won', 'lost')
        and actual_close_date is not null
),

horizons as (
    {%- for horizon in var('health_validation_horizons_days') %}
    select {{ horizon }} as horizon_days
    {%- if not loop.last %}
    union all
    {%- endif %}
    {%- endfor %}
),

-- Weights as whole millionths, as in int_record_health_daily.
weights as (
    select
        activity_type,
        cast(round(weight * 1000000) as {{ dbt.type_bigint() }}) as weight_millionths
    from {{ ref('health_activity_weights') }}
),

score_states as (
    select scores.n as health_score, bands.health_state
    from (select {{ integers_from_to(0, 100) }} as n) as scores
    inner join {{ ref('health_state_bands') }} as bands
        on scores.n between bands.min_score and bands.max_score
),

scoring_points as (
    select
        opportunities.opportunity_id,
        opportunities.opportunity_state as outcome,
        opportunities.actual_close_date,
        horizons.horizon_days,
        opportunities.close_day_number - horizons.horizon_days as score_day_number
    from opportunities
    cross join horizons
    where opportunities.created_day_number
        <= opportunities.close_day_number - horizons.horizon_days
),

completed as (
    select
        record_activities.record_id as opportunity_id,
        record_activities.activity_key,
        record_activities.activity_type,
        record_activities.initiated_by,
        {{ day_number('record_activities.activity_date') }} as day_number,
        weights.weight_millionths
    from {{ ref('int_record_activities_joined') }} as record_activities
    inner join weights
        on record_activities.activity_type = weights.activity_type
    where record_activities.record_type = 'opportunity'
        and {{ activity_status_at('record_activities.completed_from_at', 'record_activities.future_until_at') }} = 'completed'
),

-- Customer answers to team emails, on the day the answer arrived.
customer_answers as (
    select
        completed.opportunity_id,
        {{ day_number('cast(replies.answered_at as date)') }} as day_number
    from completed
    inner join {{ ref('int_email_replies_matched') }} as replies
        on completed.activity_key = replies.original_activity_key
    where replies.answered_by = 'customer'
),

-- Engagement breadth: the opportunity's customer people of interest and the days each took
-- part (in a qualifying role) in a completed activity linked to it.
people_of_interest as (
    select
        people.record_id as opportunity_id,
        people.person_id
    from {{ ref('int_record_people_of_interest') }} as people
    inner join opportunities
        on people.record_id = opportunities.opportunity_id
    where people.record_type = 'opportunity'
        and people.side = 'customer'
),

people_counts as (
    select opportunity_id, count(*) as people_of_interest
    from people_of_interest
    group by opportunity_id
),

participation_days as (
    select distinct
        people_of_interest.opportunity_id,
        people_of_interest.person_id,
        completed.day_number
    from people_of_interest
    inner join {{ ref('int_activity_parties_sided') }} as parties
        on people_of_interest.person_id = parties.party_id
    inner join completed
        on parties.activity_key = completed.activity_key
        and people_of_interest.opportunity_id = completed.opportunity_id
    where parties.links_to_records
        and parties.side = 'customer'
),

breadth_sums as (
    select
        scoring_points.opportunity_id,
        scoring_points.horizon_days,
        count(distinct participation_days.person_id) as window_people_engaged
    from scoring_points
    inner join participation_days
        on scoring_points.opportunity_id = participation_days.opportunity_id
        and participation_days.day_number <= scoring_points.score_day_number
        and participation_days.day_number > scoring_points.score_day_number - {{ window_days }}
    group by scoring_points.opportunity_id, scoring_points.horizon_days
),

activity_sums as (
    select
        scoring_points.opportunity_id,
        scoring_points.horizon_days,
        count(completed.activity_key) as activities_to_date,
        max(completed.day_number) as last_activity_day_number,
        sum(case when {{ in_window }} then completed.weight_millionths else 0 end)
            as window_weighted_millionths,
        sum(
            case
                when {{ in_window }} and completed.initiated_by = 'team'
                    then completed.weight_millionths
                else 0
            end
        ) as window_team_initiated,
        sum(
            case
                when {{ in_window }} and completed.initiated_by = 'customer'
                    then completed.weight_millionths
                else 0
            end
        ) as window_customer_initiated,
        sum(
            case
                when {{ in_window }} and completed.activity_type = 'email'
                    and completed.initiated_by = 'team' then 1
                else 0
            end
        ) as window_team_emails
    from scoring_points
    left join completed
        on scoring_points.opportunity_id = completed.opportunity_id
        and scoring_points.score_day_number >= completed.day_number
    group by scoring_points.opportunity_id, scoring_points.horizon_days
),

answer_sums as (
    select
        scoring_points.opportunity_id,
        scoring_points.horizon_days,
        count(*) as window_customer_answers
    from scoring_points
    inner join customer_answers
        on scoring_points.opportunity_id = customer_answers.opportunity_id
        and customer_answers.day_number <= scoring_points.score_day_number
        and customer_answers.day_number > scoring_points.score_day_number - {{ window_days }}
    group by scoring_points.opportunity_id, scoring_points.horizon_days
),

-- Tone: the scored customer emails in the window (sum of compounds and their number).
sentiment_sums as (
    select
        scoring_points.opportunity_id,
        scoring_points.horizon_days,
        sum(cast(round(sentiments.compound * 1000000) as {{ dbt.type_bigint() }}))
            as window_sentiment_millionths,
        count(*) as window_sentiment_emails
    from scoring_points
    inner join completed
        on scoring_points.opportunity_id = completed.opportunity_id
        and completed.day_number <= scoring_points.score_day_number
        and {{ in_window }}
    inner join {{ ref('stg_dataverse__email_sentiments') }} as sentiments
        on completed.activity_key = sentiments.activity_key
    where completed.activity_type = 'email'
        and completed.initiated_by = 'customer'
    group by scoring_points.opportunity_id, scoring_points.horizon_days
),

components as (
    select
        scoring_points.opportunity_id,
        scoring_points.outcome,
        scoring_points.actual_close_date,
        scoring_points.horizon_days,
        scoring_points.score_day_number,
        activity_sums.activities_to_date,
        {{ health_frequency('activity_sums.window_weighted_millionths') }} as frequency_component,
        {{ health_recency(
            'scoring_points.score_day_number - activity_sums.last_activity_day_number'
        ) }} as recency_component,
        {{ health_reciprocity(
            health_initiative('activity_sums.window_customer_initiated', 'activity_sums.window_team_initiated'),
            health_answers('coalesce(answer_sums.window_customer_answers, 0)', 'activity_sums.window_team_emails')
        ) }} as reciprocity_component,
        {{ health_breadth(
            'coalesce(breadth_sums.window_people_engaged, 0)', 'people_counts.people_of_interest'
        ) }} as breadth_component,
        {{ health_sentiment(
            'sentiment_sums.window_sentiment_millionths', 'sentiment_sums.window_sentiment_emails'
        ) }} as sentiment_component
    from scoring_points
    inner join activity_sums
        on scoring_points.opportunity_id = activity_sums.opportunity_id
        and scoring_points.horizon_days = activity_sums.horizon_days
    left join answer_sums
        on scoring_points.opportunity_id = answer_sums.opportunity_id
        and scoring_points.horizon_days = answer_sums.horizon_days
    left join breadth_sums
        on scoring_points.opportunity_id = breadth_sums.opportunity_id
        and scoring_points.horizon_days = breadth_sums.horizon_days
    left join people_counts
        on scoring_points.opportunity_id = people_counts.opportunity_id
    left join sentiment_sums
        on scoring_points.opportunity_id = sentiment_sums.opportunity_id
        and scoring_points.horizon_days = sentiment_sums.horizon_days
),

scored as (
    select
        *,
        {{ health_score(
            'activities_to_date', 'frequency_component', 'recency_component',
            'reciprocity_component', 'breadth_component', 'sentiment_component'
        ) }} as health_score
    from components
),

final as (
    select
        scored.opportunity_id,
        cast(scored.horizon_days as {{ dbt.type_int() }}) as horizon_days,
        cast({{ dbt.dateadd('day', 'scored.score_day_number', "cast('1970-01-01' as date)") }} as date)
            as score_date,
        scored.actual_close_date,
        scored.outcome,
        scored.health_score,
        case
            when scored.health_score is null then 'not_enough_info'
            else score_states.health_state
        end as health_state,
        cast(scored.activities_to_date as {{ dbt.type_bigint() }}) as activities_to_date,
        cast(scored.frequency_component as double) as frequency_component,
        cast(scored.recency_component as double) as recency_component,
        cast(scored.reciprocity_component as double) as reciprocity_component,
        cast(scored.breadth_component as double) as breadth_component,
        cast(scored.sentiment_component as double) as sentiment_component
    from scored
    left join score_states
        on scored.health_score = score_states.health_score
)

select * from final
