-- Who knows whom (KPI_SPEC section 4): for each contact and lead, the colleagues (users)
-- with the strongest connection, from completed emails and meetings (not phone calls) in
-- which both take part in a qualifying role, as of T. Each shared activity counts
-- 0.5 ^ (age_days / half_life); the sum saturates into a 0-100 strength. The pairs come
-- per activity from int_activity_person_pairs (T-independent, kept incrementally).
with activity_pairs as (
    select * from {{ ref('int_activity_person_pairs') }}
),

-- The keys back to GUIDs: every user, contact and lead who takes part in an activity,
-- from the table that stored the keys (a user need not be in stg_dataverse__system_users:
-- one who is gone keeps their rows, without a name).
people_ids as (
    select distinct party_type, party_key, party_id
    from {{ ref('int_activity_people_deduplicated') }}
    where party_type in ('systemuser', 'contact', 'lead')
),

records as (
    select * from {{ ref('int_records_unioned') }}
),

system_users as (
    select * from {{ ref('stg_dataverse__system_users') }}
),

-- The user x person pairs of the emails and meetings completed at T (the 'completed'
-- branch of activity_status_at(): completed_from_at <= T; int_activity_person_pairs keeps
-- only activities with a time), each weighted by its age at T. People come as integer
-- keys (macros/guid_keys.sql): the pairs are grouped and ranked on integers and the GUIDs
-- come back for the ranked rows only.
pair_activities as (
    select
        person_type as record_type,
        person_key as record_key,
        user_key,
        activity_type,
        activity_at,
        {{ pair_decayed_weight('activity_at') }} as decayed_weight
    from activity_pairs
    where activity_type in ('email', 'meeting')
        and completed_from_at <= {{ as_of_timestamp() }}
),

pairs as (
    select
        record_type,
        record_key,
        user_key,
        sum(decayed_weight) as decayed_interactions,
        sum(case when activity_type = 'email' then 1 else 0 end) as email_count,
        sum(case when activity_type = 'meeting' then 1 else 0 end) as meeting_count,
        max(activity_at) as last_interaction_at
    from pair_activities
    group by record_type, record_key, user_key
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

-- The colleagues who can be in a person's top N: fewer than N others rank strictly above
-- them on (strength, last interaction). The id tie-break below needs their GUIDs, so it
-- ranks these few rows only, not every pair.
tied_ranks as (
    select
        *,
        rank() over (
            partition by record_type, record_key
            order by connection_strength desc, last_interaction_at desc
        ) as tied_rank
    from scored
),

candidates as (
    select
        tied_ranks.record_type,
        records.record_id,
        tied_ranks.record_key,
        user_ids.party_id as user_id,
        tied_ranks.connection_strength,
        tied_ranks.email_count,
        tied_ranks.meeting_count,
        tied_ranks.last_interaction_at
    from tied_ranks
    inner join people_ids as record_ids
        on tied_ranks.record_type = record_ids.party_type
        and tied_ranks.record_key = record_ids.party_key
    inner join records
        on record_ids.party_type = records.record_type
        and record_ids.party_id = records.record_id
    inner join people_ids as user_ids
        on user_ids.party_type = 'systemuser'
        and tied_ranks.user_key = user_ids.party_key
    where tied_ranks.tied_rank <= {{ var('who_knows_whom_colleagues_per_person') }}
),

-- Ranked on the published (rounded) strength, so equal strengths tie visibly and the
-- tie-breaks decide: the most recent interaction, then the smallest user id.
ranked as (
    select
        *,
        row_number() over (
            partition by record_type, record_key
            order by connection_strength desc, last_interaction_at desc, user_id asc
        ) as colleague_rank
    from candidates
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
    left join system_users
        on ranked.user_id = system_users.user_id
    where ranked.colleague_rank <= {{ var('who_knows_whom_colleagues_per_person') }}
)

select * from final
