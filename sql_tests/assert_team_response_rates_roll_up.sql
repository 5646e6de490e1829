-- Cross-model truth (KPI_SPEC section 4, issue 16): team-level response rates and average
-- response times rolled up from the marts' numerators and denominators (sum of answered /
-- sum of received, sum of hours / sum of answers) equal the same figures computed directly
-- from the activities and their matched replies, per owner and per business unit. An email
-- counts once for every record it is linked to, as in the per-record rates. Returns one row
-- per group (grain owner or business_unit) whose figures differ.
{{ config(meta={'dagster': {'ref': {'name': 'mart_relationship_kpis'}}}) }}
with kpis as (
    select * from {{ ref('mart_relationship_kpis') }}
),

mart_records as (
    select record_type, record_id, owner_id, business_unit_id
    from {{ ref('mart_records') }}
),

record_emails as (
    select record_type, record_key, activity_key, initiated_by
    from {{ ref('int_record_activities_joined') }}
    where {{ activity_status_at() }} = 'completed'
        and activity_type = 'email'
        and initiated_by in ('team', 'customer')
),

answers as (
    select original_activity_key, response_time_seconds
    from {{ ref('int_email_replies_matched') }}
),

records as (
    select record_type, record_key, owner_id
    from {{ ref('int_records_unioned') }}
),

users as (
    select user_id, business_unit_id
    from {{ ref('stg_dataverse__system_users') }}
),

-- From the marts: sums of the per-record parts.
mart_groups as (
    {%- for grain, column in [('owner', 'owner_id'), ('business_unit', 'business_unit_id')] %}
    select
        '{{ grain }}' as grain,
        mart_records.{{ column }} as group_id,
        sum(kpis.emails_received) as customer_emails,
        sum(kpis.responses_by_us) as answered_by_us,
        sum(kpis.response_time_by_us_hours_sum) as hours_by_us,
        sum(kpis.emails_sent) as team_emails,
        sum(kpis.responses_by_them) as answered_by_them,
        sum(kpis.response_time_by_them_hours_sum) as hours_by_them
    from kpis
    inner join mart_records
        on kpis.record_type = mart_records.record_type
        and kpis.record_id = mart_records.record_id
    group by mart_records.{{ column }}
    {%- if not loop.last %}
    union all
    {%- endif %}
    {%- endfor %}
),

-- Directly from the activities: every linked email with its answer, if any (on the
-- integer keys: one per activity, assert_activity_keys_identify_activities; one per
-- record and type, assert_person_keys_identify_people).
emails_answered as (
    select
        record_emails.record_type,
        record_emails.record_key,
        record_emails.initiated_by,
        answers.original_activity_key is not null as is_answered,
        answers.response_time_seconds
    from record_emails
    left join answers
        on record_emails.activity_key = answers.original_activity_key
),

-- Summed per record first, so that the join to the records and their owners below reads a
-- row per record rather than one per linked email (at 10M activities 0.7M instead of
-- about 19M). The same sums: counts are integers, and the seconds are doubles whose
-- order of adding was never fixed (parallel sums), far inside the 0.0001 h tolerance.
record_totals as (
    select
        record_type,
        record_key,
        sum(case when initiated_by = 'customer' then 1 else 0 end) as customer_emails,
        sum(case when initiated_by = 'customer' and is_answered then 1 else 0 end)
            as answered_by_us,
        sum(case when initiated_by = 'customer' then response_time_seconds end)
            as seconds_by_us,
        sum(case when initiated_by = 'team' then 1 else 0 end) as team_emails,
        sum(case when initiated_by = 'team' and is_answered then 1 else 0 end)
            as answered_by_them,
        sum(case when initiated_by = 'team' then response_time_seconds end)
            as seconds_by_them
    from emails_answered
    group by record_type, record_key
),

-- Then per owner (an owner has one unit), so the two grains below add up a few hundred
-- owner rows instead of reading every record twice.
owner_totals as (
    select
        records.owner_id,
        users.business_unit_id,
        sum(record_totals.customer_emails) as customer_emails,
        sum(record_totals.answered_by_us) as answered_by_us,
        sum(record_totals.seconds_by_us) as seconds_by_us,
        sum(record_totals.team_emails) as team_emails,
        sum(record_totals.answered_by_them) as answered_by_them,
        sum(record_totals.seconds_by_them) as seconds_by_them
    from record_totals
    inner join records
        on record_totals.record_type = records.record_type
        and record_totals.record_key = records.record_key
    left join users
        on records.owner_id = users.user_id
    group by records.owner_id, users.business_unit_id
),

direct_groups as (
    {%- for grain, column in [('owner', 'owner_id'), ('business_unit', 'business_unit_id')] %}
    select
        '{{ grain }}' as grain,
        {{ column }} as group_id,
        sum(customer_emails) as customer_emails,
        sum(answered_by_us) as answered_by_us,
        sum(seconds_by_us) / 3600.0 as hours_by_us,
        sum(team_emails) as team_emails,
        sum(answered_by_them) as answered_by_them,
        sum(seconds_by_them) / 3600.0 as hours_by_them
    from owner_totals
    group by {{ column }}
    {%- if not loop.last %}
    union all
    {%- endif %}
    {%- endfor %}
),

compared as (
    select
        coalesce(mart_groups.grain, direct_groups.grain) as grain,
        coalesce(mart_groups.group_id, direct_groups.group_id) as group_id,
        {{ safe_divide('mart_groups.answered_by_us', 'mart_groups.customer_emails') }}
            as mart_response_rate_by_us,
        {{ safe_divide('direct_groups.answered_by_us', 'direct_groups.customer_emails') }}
            as direct_response_rate_by_us,
        {{ safe_divide('mart_groups.answered_by_them', 'mart_groups.team_emails') }}
            as mart_response_rate_by_them,
        {{ safe_divide('direct_groups.answered_by_them', 'direct_groups.team_emails') }}
            as direct_response_rate_by_them,
        {{ safe_divide('mart_groups.hours_by_us', 'mart_groups.answered_by_us') }}
            as mart_avg_response_time_by_us_hours,
        {{ safe_divide('direct_groups.hours_by_us', 'direct_groups.answered_by_us') }}
            as direct_avg_response_time_by_us_hours,
        {{ safe_divide('mart_groups.hours_by_them', 'mart_groups.answered_by_them') }}
            as mart_avg_response_time_by_them_hours,
        {{ safe_divide('direct_groups.hours_by_them', 'direct_groups.answered_by_them') }}
            as direct_avg_response_time_by_them_hours
    from mart_groups
    full outer join direct_groups
        on mart_groups.grain = direct_groups.grain
        and mart_groups.group_id is not distinct from direct_groups.group_id
),

-- Rates are exact ratios of counts; the hour sums are rounded to 6 places per record in
-- the mart, so averages may differ by a few millionths of an hour.
violations as (
    select *
    from compared
    where coalesce(mart_response_rate_by_us, -1) <> coalesce(direct_response_rate_by_us, -1)
        or coalesce(mart_response_rate_by_them, -1)
            <> coalesce(direct_response_rate_by_them, -1)
        or abs(
            coalesce(mart_avg_response_time_by_us_hours, -1)
            - coalesce(direct_avg_response_time_by_us_hours, -1)
        ) > 0.0001
        or abs(
            coalesce(mart_avg_response_time_by_them_hours, -1)
            - coalesce(direct_avg_response_time_by_them_hours, -1)
        ) > 0.0001
)

select * from violations
