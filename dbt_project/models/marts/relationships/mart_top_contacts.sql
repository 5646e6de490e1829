-- Most contacted / contacted by (KPI_SPEC section 3): per account, lead and opportunity,
-- the people on each side who took part, in a qualifying role, in the most linked
-- completed activities. Ties: the most recent interaction, then the smallest id.
with record_activities as (
    select * from {{ ref('int_record_activities_joined') }}
    where {{ activity_status_at() }} = 'completed'
        and record_type in ('account', 'lead', 'opportunity')
),

-- One row per person and activity in a qualifying role (a person listed twice, e.g. in
-- to and cc, is one participant), so the counts below are plain counts.
parties as (
    select activity_key, party_id, side, party_type
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
        record_activities.record_id,
        parties.side,
        parties.party_id,
        parties.party_type,
        record_activities.activity_key,
        record_activities.activity_type,
        record_activities.activity_at
    from record_activities
    inner join parties
        on record_activities.activity_key = parties.activity_key
),

per_person as (
    select
        record_type,
        record_id,
        side,
        party_id,
        min(party_type) as party_type,
        count(*) as interaction_count,
        sum(case when activity_type = 'email' then 1 else 0 end) as email_count,
        sum(case when activity_type = 'meeting' then 1 else 0 end) as meeting_count,
        sum(case when activity_type = 'phone_call' then 1 else 0 end) as phone_call_count,
        max(activity_at) as last_interaction_at
    from participations
    group by record_type, record_id, side, party_id
),

ranked as (
    select
        *,
        row_number() over (
            partition by record_type, record_id, side
            order by interaction_count desc, last_interaction_at desc, party_id asc
        ) as contact_rank
    from per_person
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
