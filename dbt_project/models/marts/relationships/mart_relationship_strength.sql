-- Pairwise relationship strength (KPI_SPEC section 5, ours): per user x contact, over the
-- completed emails, meetings and phone calls both take part in (qualifying roles), as of T.
-- Each activity counts 0.5 ^ (age_days / half_life). Mail only counts as far as it goes
-- both ways: one-way mail is no relationship. The pairs come per activity from
-- int_activity_person_pairs (T-independent, kept incrementally).
with activity_pairs as (
    select * from {{ ref('int_activity_person_pairs') }}
),

-- The keys back to GUIDs: every user and contact who takes part in an activity, from the
-- table that stored the keys (a user need not be in stg_dataverse__system_users: one who
-- is gone keeps their pairs, without a name).
people_ids as (
    select distinct party_type, party_key, party_id
    from {{ ref('int_activity_people_deduplicated') }}
    where party_type in ('systemuser', 'contact')
),

contacts as (
    select * from {{ ref('stg_dataverse__contacts') }}
),

system_users as (
    select * from {{ ref('stg_dataverse__system_users') }}
),

-- The user x contact pairs of the activities completed at T (the 'completed' branch of
-- activity_status_at(): completed_from_at <= T; int_activity_person_pairs keeps only
-- activities with a time), each weighted by its age at T. People come as integer keys
-- (macros/guid_keys.sql): the pairs are grouped on integers and the GUIDs come back for
-- the summed pairs only.
pair_activities as (
    select
        user_key,
        person_key as contact_key,
        activity_type,
        activity_at,
        user_is_sender,
        person_is_sender as contact_is_sender,
        {{ pair_decayed_weight('activity_at') }} as decayed_weight
    from activity_pairs
    where person_type = 'contact'
        and activity_type in ('email', 'meeting', 'phone_call')
        and completed_from_at <= {{ as_of_timestamp() }}
),

pairs as (
    select
        user_key,
        contact_key,
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
    group by user_key, contact_key
),

-- Decayed sums are rounded to 6 decimals so that a fixed T gives byte-identical marts
-- whatever order the engine adds the floats in; the later steps use the rounded values,
-- so every row can be recomputed from its own columns.
rounded as (
    select
        user_key,
        contact_key,
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
        user_ids.party_id as user_id,
        contact_ids.party_id as contact_id,
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
    inner join people_ids as contact_ids
        on contact_ids.party_type = 'contact'
        and scored.contact_key = contact_ids.party_key
    inner join contacts
        on contact_ids.party_id = contacts.contact_id
    inner join people_ids as user_ids
        on user_ids.party_type = 'systemuser'
        and scored.user_key = user_ids.party_key
    left join system_users
        on user_ids.party_id = system_users.user_id
)

select * from final
