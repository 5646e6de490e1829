-- Most contacted / contacted by (KPI_SPEC section 3): per account, lead and opportunity,
-- the people on each side who took part, in a qualifying role, in the most linked
-- completed activities. Ties: the most recent interaction, then the smallest id.
with record_activities as (
    select record_type, record_key, activity_key, activity_type, activity_at
    from {{ ref('int_record_activities_joined') }}
    where {{ activity_status_at() }} = 'completed'
        and record_type in ('account', 'lead', 'opportunity')
),

-- One row per person and activity in a qualifying role (a person listed twice, e.g. in
-- to and cc, is one participant), so the counts below are plain counts. Records and people
-- come as integer keys (macros/guid_keys.sql): the tens of millions of participations are
-- joined, grouped and ranked on integers, and the GUIDs come back for the ranked rows only.
parties as (
    select activity_key, party_key, side, party_type
    from {{ ref('int_activity_people_deduplicated') }}
),

-- The keys back to GUIDs, from the tables that stored them (no hash computed here).
record_ids as (
    select distinct record_type, record_key, record_id
    from {{ ref('int_record_activities_joined') }}
    where record_type in ('account', 'lead', 'opportunity')
),

-- Every person who takes part in an activity, with their key (their id need not be in a
-- dimension: a party whose record is gone still counts, without a name).
party_ids as (
    select distinct party_type, party_key, party_id
    from {{ ref('int_activity_people_deduplicated') }}
),

people_names as (
    select 'systemuser' as party_type, user_id as party_id, user_name as party_name
    from {{ ref('stg_dataverse__system_users') }}
    union all
    select 'contact', contact_id, contact_name from {{ ref('stg_dataverse__contacts') }}
    union all
    select 'lead', lead_id, lead_name from {{ ref('stg_dataverse__leads') }}
    union all
    select 'account', account_id, account_name from {{ ref('stg_dataverse__accounts') }}
),

participations as (
    select
        record_activities.record_type,
        record_activities.record_key,
        parties.side,
        parties.party_key,
        parties.party_type,
        record_activities.activity_type,
        record_activities.activity_at
    from record_activities
    inner join parties
        on record_activities.activity_key = parties.activity_key
),

per_person as (
    select
        record_type,
        record_key,
        side,
        party_key,
        min(party_type) as party_type,
        count(*) as interaction_count,
        sum(case when activity_type = 'email' then 1 else 0 end) as email_count,
        sum(case when activity_type = 'meeting' then 1 else 0 end) as meeting_count,
        sum(case when activity_type = 'phone_call' then 1 else 0 end) as phone_call_count,
        max(activity_at) as last_interaction_at
    from participations
    group by record_type, record_key, side, party_key
),

-- The people who can be in a side's top N: fewer than N others rank strictly above them
-- on (count, last interaction). The id tie-break below needs their GUIDs, so it ranks
-- these few rows only, not every (record, person) pair.
tied_ranks as (
    select
        *,
        rank() over (
            partition by record_type, record_key, side
            order by interaction_count desc, last_interaction_at desc
        ) as tied_rank
    from per_person
),

candidates as (
    select
        tied_ranks.record_type,
        record_ids.record_id,
        tied_ranks.record_key,
        tied_ranks.side,
        party_ids.party_id,
        tied_ranks.party_type,
        tied_ranks.interaction_count,
        tied_ranks.email_count,
        tied_ranks.meeting_count,
        tied_ranks.phone_call_count,
        tied_ranks.last_interaction_at
    from tied_ranks
    inner join record_ids
        on tied_ranks.record_type = record_ids.record_type
        and tied_ranks.record_key = record_ids.record_key
    inner join party_ids
        on tied_ranks.party_type = party_ids.party_type
        and tied_ranks.party_key = party_ids.party_key
    where tied_ranks.tied_rank <= {{ var('top_contacts_per_side') }}
),

ranked as (
    select
        *,
        row_number() over (
            partition by record_type, record_key, side
            order by interaction_count desc, last_interaction_at desc, party_id asc
        ) as contact_rank
    from candidates
),

final as (
    select
        ranked.record_type,
        ranked.record_id,
        ranked.side,
        cast(ranked.contact_rank as {{ dbt.type_int() }}) as rank,
        ranked.party_id,
        people_names.party_name,
        cast(ranked.interaction_count as {{ dbt.type_bigint() }}) as interaction_count,
        cast(ranked.email_count as {{ dbt.type_bigint() }}) as email_count,
        cast(ranked.meeting_count as {{ dbt.type_bigint() }}) as meeting_count,
        cast(ranked.phone_call_count as {{ dbt.type_bigint() }}) as phone_call_count,
        ranked.last_interaction_at
    from ranked
    left join people_names
        on ranked.party_type = people_names.party_type
        and ranked.party_id = people_names.party_id
    where ranked.contact_rank <= {{ var('top_contacts_per_side') }}
)

select * from final
