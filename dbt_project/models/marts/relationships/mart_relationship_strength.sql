-- Pairwise relationship strength (KPI_SPEC section 5, ours): per user x contact, over the
-- completed emails, meetings and phone calls both take part in (qualifying roles), as of T.
-- Each activity counts 0.5 ^ (age_days / half_life). Mail only counts as far as it goes
-- both ways: one-way mail is no relationship. Pairs are built per activity (an equi-join
-- of its party lists), never as all users x all contacts.
with activities as (
    select * from {{ ref('int_activities_classified') }}
),

-- The people are imported once per side, so neither import is a shared CTE that an
-- engine materializes in full (DuckDB copies every row of a CTE used twice). One row per
-- person and activity, however many qualifying roles they hold on it
-- (int_activity_people_deduplicated).
team_parties as (
    select activity_key, party_id as user_id, is_sender
    from {{ ref('int_activity_people_deduplicated') }}
    where party_type = 'systemuser'
),

contact_parties as (
    select activity_key, party_id as contact_id, is_sender
    from {{ ref('int_activity_people_deduplicated') }}
    where party_type = 'contact'
),

contacts as (
    select * from {{ ref('stg_dataverse__contacts') }}
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
        and activity_type in ('email', 'meeting', 'phone_call')
        and activity_at is not null
),

pair_activities as (
    select
        team_parties.user_id,
        contact_parties.contact_id,
        shared_activities.activity_type,
        shared_activities.activity_at,
        team_parties.is_sender as user_is_sender,
        contact_parties.is_sender as contact_is_sender,
        power(0.5, shared_activities.age_days / {{ var('who_knows_whom_half_life_days') }})
            as decayed_weight
    from shared_activities
    inner join team_parties
        on shared_activities.activity_key = team_parties.activity_key
    inner join contact_parties
        on shared_activities.activity_key = contact_parties.activity_key
),

pairs as (
    select
        user_id,
        contact_id,
        sum(
            case
                when activity_type = 'email' and user_is_sender then decayed_weight
                else 0
            end
        ) as emails_from_user,
        sum(
            case
                when activity_type = 'email' and contact_is_sender then decayed_weight
                else 0
            end
        ) as emails_from_contact,
        sum(case when activity_type = 'meeting' then decayed_weight else 0 end) as meetings,
        sum(case when activity_type = 'phone_call' then decayed_weight else 0 end) as phone_calls,
        sum(case when activity_type = 'email' then 1 else 0 end) as email_count,
        sum(case when activity_type = 'meeting' then 1 else 0 end) as meeting_count,
        sum(case when activity_type = 'phone_call' then 1 else 0 end) as phone_call_count,
        max(activity_at) as last_interaction_at
    from pair_activities
    group by user_id, contact_id
),

-- Decayed sums are rounded to 6 decimals so that a fixed T gives byte-identical marts
-- whatever order the engine adds the floats in; the later steps use the rounded values,
-- so every row can be recomputed from its own columns.
rounded as (
    select
        user_id,
        contact_id,
        {{ round_double('emails_from_user', 6) }} as emails_from_user,
        {{ round_double('emails_from_contact', 6) }} as emails_from_contact,
        {{ round_double('meetings', 6) }} as meetings,
        {{ round_double('phone_calls', 6) }} as phone_calls,
        email_count,
        meeting_count,
        phone_call_count,
        last_interaction_at
    from pairs
),

reciprocity as (
    select
        *,
        case
            when emails_from_user > 0 and emails_from_contact > 0
                then least(emails_from_user, emails_from_contact)
                / greatest(emails_from_user, emails_from_contact)
            else 0
        end as email_reciprocity
    from rounded
),

effective as (
    select
        *,
        {{ round_double(
            'meetings + phone_calls
            + (emails_from_user + emails_from_contact) * email_reciprocity',
            6
        ) }} as effective_interactions
    from reciprocity
),

scored as (
    select
        *,
        {{ round_double(
            "100 * (1 - power(0.5, effective_interactions / "
            ~ var('who_knows_whom_half_saturation') ~ "))",
            1
        ) }} as relationship_strength
    from effective
),

final as (
    select
        scored.user_id,
        scored.contact_id,
        system_users.user_name,
        contacts.contact_name,
        cast(scored.emails_from_user as double) as emails_from_user,
        cast(scored.emails_from_contact as double) as emails_from_contact,
        cast(scored.meetings as double) as meetings,
        cast(scored.phone_calls as double) as phone_calls,
        cast(scored.email_count as {{ dbt.type_bigint() }}) as email_count,
        cast(scored.meeting_count as {{ dbt.type_bigint() }}) as meeting_count,
        cast(scored.phone_call_count as {{ dbt.type_bigint() }}) as phone_call_count,
        cast(scored.email_reciprocity as double) as email_reciprocity,
        cast(scored.effective_interactions as double) as effective_interactions,
        cast(scored.relationship_strength as double) as relationship_strength,
        scored.last_interaction_at
    from scored
    inner join contacts
        on scored.contact_id = contacts.contact_id
    left join system_users
        on scored.user_id = system_users.user_id
)

select * from final
