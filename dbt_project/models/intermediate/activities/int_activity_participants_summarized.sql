-- Per activity: the side of its sender and organizer, and who takes part for time spent.
with parties as (
    select * from {{ ref('int_activity_parties_sided') }}
),

summarized as (
    select
        activity_id,
        case
            when max(case when participation_role = 'sender' and side = 'team' then 1 else 0 end) = 1
                then 'team'
            when max(case when participation_role = 'sender' and side = 'customer' then 1 else 0 end) = 1
                then 'customer'
        end as sender_side,
        case
            when max(case when participation_role = 'organizer' and side = 'team' then 1 else 0 end) = 1
                then 'team'
            when max(case when participation_role = 'organizer' and side = 'customer' then 1 else 0 end) = 1
                then 'customer'
        end as organizer_side,
        count(distinct case when counts_for_time_spent and side = 'team' then party_id end)
            as team_participant_count,
        max(case when counts_for_time_spent and side = 'customer' then 1 else 0 end) = 1
            as has_customer_participant
    from parties
    group by activity_id
)

select * from summarized
