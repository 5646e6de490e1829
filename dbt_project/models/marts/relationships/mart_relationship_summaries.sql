-- Short sentences per record (KPI_SPEC section 4, "Summaries").
-- basic: who initiated more meetings, emails and calls; how fast each side answers.
-- vs_similar_won (open opportunities): the team's initiated activity compared with what
-- its similar won deals had in their first N days, N being the open deal's age.
-- depends_on: {{ ref('int_record_activities_joined') }}
{# The similar-won mart is refreshed weekly, outside the daily build: until its first
    weekly run it does not exist, and the daily summaries then carry only basic rows. #}
{% set similar_won = ref('mart_similar_won_opportunities') -%}
{%- set similar_won_exists = execute and adapter.get_relation(
    database=similar_won.database, schema=similar_won.schema, identifier=similar_won.identifier
) is not none %}

with kpis as (
    select * from {{ ref('mart_relationship_kpis') }}
),

opportunities as (
    select * from {{ ref('stg_dataverse__opportunities') }}
),

initiative_counts as (
    select record_type, record_id, 'meetings' as topic, 'meeting' as noun_singular,
        meetings_sent as by_team, meetings_received as by_customer
    from kpis
    union all
    select record_type, record_id, 'emails', 'email', emails_sent, emails_received
    from kpis
    union all
    select record_type, record_id, 'phone_calls', 'phone call', phone_calls_made,
        phone_calls_received
    from kpis
),

initiative_sentences as (
    select
        record_type,
        record_id,
        'basic' as summary_kind,
        topic,
        case
            when by_team > by_customer then {{ dbt.concat([
                "'You initiated '", "cast(by_team - by_customer as " ~ dbt.type_string() ~ ")",
                "' more '", "noun_singular",
                "case when by_team - by_customer = 1 then '' else 's' end",
                "' than the customer.'"]) }}
            when by_team < by_customer then {{ dbt.concat([
                "'The customer initiated '", "cast(by_customer - by_team as " ~ dbt.type_string() ~ ")",
                "' more '", "noun_singular",
                "case when by_customer - by_team = 1 then '' else 's' end",
                "' than you.'"]) }}
            else {{ dbt.concat([
                "'You and the customer initiated the same number of '", "noun_singular",
                "'s ('", "cast(by_team as " ~ dbt.type_string() ~ ")", "' each).'"]) }}
        end as sentence
    from initiative_counts
    where by_team + by_customer > 0
),

response_sentences as (
    select
        record_type,
        record_id,
        'basic' as summary_kind,
        'response_time_by_us' as topic,
        {{ dbt.concat([
            "'Your team answers customer emails in '",
            "cast(" ~ round_double('avg_response_time_by_us_hours', 1) ~ " as " ~ dbt.type_string() ~ ")",
            "' hours on average and answered '",
            "cast(cast(" ~ round_double('100 * response_rate_by_us', 0) ~ " as " ~ dbt.type_int() ~ ") as " ~ dbt.type_string() ~ ")",
            "'% of them.'"]) }} as sentence
    from kpis
    where avg_response_time_by_us_hours is not null
    union all
    select
        record_type,
        record_id,
        'basic' as summary_kind,
        'response_time_by_them' as topic,
        {{ dbt.concat([
            "'The customer answers your emails in '",
            "cast(" ~ round_double('avg_response_time_by_them_hours', 1) ~ " as " ~ dbt.type_string() ~ ")",
            "' hours on average and answered '",
            "cast(cast(" ~ round_double('100 * response_rate_by_them', 0) ~ " as " ~ dbt.type_int() ~ ") as " ~ dbt.type_string() ~ ")",
            "'% of your emails.'"]) }} as sentence
    from kpis
    where avg_response_time_by_them_hours is not null
),

{% if similar_won_exists %}
open_deal_ages as (
    select
        opportunities.opportunity_id,
        cast(floor(
            {{ timestamp_diff_seconds('opportunities.created_at', as_of_timestamp()) }} / 86400
        ) as {{ dbt.type_int() }}) as age_days
    from opportunities
    where opportunities.opportunity_state = 'open'
),

similar_pairs as (
    select
        similar_won.opportunity_id,
        similar_won.similar_opportunity_id,
        open_deal_ages.age_days,
        won.created_at as won_created_at
    from {{ similar_won }} as similar_won
    inner join open_deal_ages
        on similar_won.opportunity_id = open_deal_ages.opportunity_id
    inner join opportunities as won
        on similar_won.similar_opportunity_id = won.opportunity_id
),

won_activity_at_same_age as (
    select
        similar_pairs.opportunity_id,
        similar_pairs.similar_opportunity_id,
        sum(case when record_activities.activity_type = 'meeting' then 1 else 0 end) as meetings,
        sum(case when record_activities.activity_type = 'email' then 1 else 0 end) as emails,
        sum(case when record_activities.activity_type = 'phone_call' then 1 else 0 end)
            as phone_calls
    from similar_pairs
    left join {{ ref('int_record_activities_joined') }} as record_activities
        on record_activities.record_type = 'opportunity'
        and similar_pairs.similar_opportunity_id = record_activities.record_id
        and {{ activity_status_at('record_activities.completed_from_at', 'record_activities.future_until_at') }} = 'completed'
        and record_activities.initiated_by = 'team'
        and record_activities.activity_at < {{ dbt.dateadd(
            'day', 'similar_pairs.age_days', 'similar_pairs.won_created_at') }}
    group by similar_pairs.opportunity_id, similar_pairs.similar_opportunity_id
),

similar_averages as (
    select
        opportunity_id,
        avg(meetings) as meetings,
        avg(emails) as emails,
        avg(phone_calls) as phone_calls
    from won_activity_at_same_age
    group by opportunity_id
),

comparisons as (
    select similar_averages.opportunity_id, 'meetings' as topic, 'meeting' as noun_singular,
        kpis.meetings_sent - similar_averages.meetings as difference
    from similar_averages
    inner join kpis
        on kpis.record_type = 'opportunity' and kpis.record_id = similar_averages.opportunity_id
    union all
    select similar_averages.opportunity_id, 'emails', 'email',
        kpis.emails_sent - similar_averages.emails
    from similar_averages
    inner join kpis
        on kpis.record_type = 'opportunity' and kpis.record_id = similar_averages.opportunity_id
    union all
    select similar_averages.opportunity_id, 'phone_calls', 'phone call',
        kpis.phone_calls_made - similar_averages.phone_calls
    from similar_averages
    inner join kpis
        on kpis.record_type = 'opportunity' and kpis.record_id = similar_averages.opportunity_id
),

rounded_comparisons as (
    select
        opportunity_id,
        topic,
        noun_singular,
        cast({{ round_double('difference', 0) }} as {{ dbt.type_int() }}) as difference
    from comparisons
),

similar_sentences as (
    select
        'opportunity' as record_type,
        opportunity_id as record_id,
        'vs_similar_won' as summary_kind,
        topic,
        case
            when difference > 0 then {{ dbt.concat([
                "'You initiated '", "cast(difference as " ~ dbt.type_string() ~ ")",
                "' more '", "noun_singular", "case when difference = 1 then '' else 's' end",
                "' than similar won opportunities had at the same age.'"]) }}
            when difference < 0 then {{ dbt.concat([
                "'You initiated '", "cast(-difference as " ~ dbt.type_string() ~ ")",
                "' fewer '", "noun_singular", "case when difference = -1 then '' else 's' end",
                "' than similar won opportunities had at the same age.'"]) }}
            else {{ dbt.concat([
                "'You initiated as many '", "noun_singular",
                "'s as similar won opportunities had at the same age.'"]) }}
        end as sentence
    from rounded_comparisons
),
{% else %}
similar_sentences as (
    select
        record_type,
        record_id,
        'vs_similar_won' as summary_kind,
        topic,
        sentence
    from response_sentences
    where 1 = 0
),
{% endif %}

final as (
    select record_type, record_id, summary_kind, topic, sentence from initiative_sentences
    union all
    select record_type, record_id, summary_kind, topic, sentence from response_sentences
    union all
    select record_type, record_id, summary_kind, topic, sentence from similar_sentences
)

select * from final
