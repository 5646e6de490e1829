-- Who knows whom (KPI_SPEC section 4): for each contact and lead, the colleagues (users)
-- with the strongest connection, from completed emails and meetings (not phone calls) in
-- which both take part in a qualifying role, as of T. Each shared activity counts
-- 0.5 ^ (age_days / half_life); the sum saturates into a 0-100 strength. Pairs are built
-- per activity (an equi-join of its party lists), never as all users x all people.
with activities as (
    select * from {{ ref('int_activities_classified') }}
),

-- The people are imported once per side, so neither import is a shared CTE that an
-- engine materializes in full (DuckDB copies every row of a CTE used twice). One row per
-- person and activity in a qualifying role already (int_activity_people_deduplicated).
team_parties as (
    select activity_key, party_id as user_id
    from {{ ref('int_activity_people_deduplicated') }}
    where party_type = 'systemuser'
),

people_parties as (
    select activity_key, party_type as record_type, party_id as record_id
    from {{ ref('int_activity_people_deduplicated') }}
    where party_type in ('contact', 'lead')
),

records as (
    select * from {{ ref('int_records_unioned') }}
),

system_users as (
    select * from {{ ref('stg_dataverse__system_users') }}
),

shared_activities as (
    select
        activity_key,
        activity_type,
        activity_at,
        cast({{ timestamp_diff_seconds('activity_at', as_of_timestamp()) }} as double)
            / 86400 as age_days
    from activities
    where {{ activity_status_at() }} = 'completed'
        and activity_type in ('email', 'meeting')
        and activity_at is not null
),

pair_activities as (
    select
        people_parties.record_type,
        people_parties.record_id,
        team_parties.user_id,
        shared_activities.activity_key,
        shared_activities.activity_type,
        shared_activities.activity_at,
        power(0.5, shared_activities.age_days / {{ var('who_knows_whom_half_life_days') }})
            as decayed_weight
    from shared_activities
    inner join team_parties
        on shared_activities.activity_key = team_parties.activity_key
    inner join people_parties
        on shared_activities.activity_key = people_parties.activity_key
),

pairs as (
    select
        record_type,
        record_id,
        user_id,
        sum(decayed_weight) as decayed_interactions,
        sum(case when activity_type = 'email' then 1 else 0 end) as email_count,
        sum(case when activity_type = 'meeting' then 1 else 0 end) as meeting_count,
        max(activity_at) as last_interaction_at
    from pair_activities
    group by record_type, record_id, user_id
),

scored as (
    select
        *,
        {{ round_double(
            "100 * (1 - power(0.5, decayed_interactions / "
            ~ var('who_knows_whom_half_saturation') ~ "))",
            1
        ) }} as connection_strength
    from pairs
),

-- Ranked on the published (rounded) strength, so equal strengths tie visibly and the
-- tie-breaks decide: the most recent interaction, then the smallest user id.
ranked as (
    select
        *,
        row_number() over (
            partition by record_type, record_id
            order by connection_strength desc, last_interaction_at desc, user_id asc
        ) as colleague_rank
    from scored
),

final as (
    select
        ranked.record_type,
        ranked.record_id,
        cast(ranked.colleague_rank as {{ dbt.type_int() }}) as rank,
        ranked.user_id,
        system_users.user_name,
        cast(ranked.connection_strength as double) as connection_strength,
        cast(ranked.email_count as {{ dbt.type_bigint() }}) as email_count,
        cast(ranked.meeting_count as {{ dbt.type_bigint() }}) as meeting_count,
        ranked.last_interaction_at
    from ranked
    inner join records
        on ranked.record_type = records.record_type
        and ranked.record_id = records.record_id
    left join system_users
        on ranked.user_id = system_users.user_id
    where ranked.colleague_rank <= {{ var('who_knows_whom_colleagues_per_person') }}
)

select * from final
