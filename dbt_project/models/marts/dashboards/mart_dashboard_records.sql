-- The dashboards' ranking of records (orchestration/dashboards/README.md): one row per
-- account, contact, lead and opportunity with its place among the records of its type,
-- over all records (type_rank) and within its owner's business unit (unit_type_rank), so
-- a site of the top N per type is `type_rank <= N` or `business_unit_id = :unit and
-- unit_type_rank <= N`. Order within a type: open opportunities by focus rank (value at
-- risk), then every record by health score, lowest first (the relationships that need
-- attention), then the busiest, the most recent, and the id so the order repeats exactly.
-- A unit's site shows unit_focus_rank (1..n within the unit, in the global order): the
-- global rank would tell how many riskier deals other units have. The business units of
-- the last and next interaction's activity owners let a unit's site hide subjects owned
-- elsewhere. is_going_dark is int_team_record_states' flag, the one the team marts count,
-- so the owner and unit pages list exactly the records behind records_going_dark.
with kpis as (
    select
        record_type,
        record_id,
        health_score,
        activities_initiated_by_team,
        activities_initiated_by_customer,
        last_interaction_at,
        last_interaction_owner_id,
        next_interaction_owner_id
    from {{ ref('mart_relationship_kpis') }}
),

records as (
    select record_type, record_id, business_unit_id
    from {{ ref('mart_records') }}
),

users as (
    select user_id, business_unit_id
    from {{ ref('mart_users') }}
),

focus as (
    select opportunity_id, focus_rank
    from {{ ref('mart_focus_opportunities') }}
),

team_states as (
    select record_type, record_id, is_going_dark
    from {{ ref('int_team_record_states') }}
),

joined as (
    select
        kpis.record_type,
        kpis.record_id,
        records.business_unit_id,
        focus.focus_rank,
        coalesce(kpis.activities_initiated_by_team, 0)
            + coalesce(kpis.activities_initiated_by_customer, 0) as activity_count,
        kpis.health_score,
        kpis.last_interaction_at,
        last_owners.business_unit_id as last_interaction_business_unit_id,
        next_owners.business_unit_id as next_interaction_business_unit_id,
        coalesce(team_states.is_going_dark, false) as is_going_dark
    from kpis
    left join records
        on kpis.record_type = records.record_type
        and kpis.record_id = records.record_id
    left join focus
        on kpis.record_type = 'opportunity'
        and kpis.record_id = focus.opportunity_id
    left join users as last_owners
        on kpis.last_interaction_owner_id = last_owners.user_id
    left join users as next_owners
        on kpis.next_interaction_owner_id = next_owners.user_id
    left join team_states
        on kpis.record_type = team_states.record_type
        and kpis.record_id = team_states.record_id
),

{%- set rank_order %}
            focus_rank asc nulls last,
            health_score asc nulls last,
            activity_count desc,
            last_interaction_at desc nulls last,
            record_id asc
{%- endset %}

ranked as (
    select
        *,
        row_number() over (partition by record_type order by {{ rank_order }}
        ) as type_rank,
        count(*) over (partition by record_type) as type_total,
        row_number() over (
            partition by business_unit_id, record_type order by {{ rank_order }}
        ) as unit_type_rank,
        count(*) over (partition by business_unit_id, record_type) as unit_type_total,
        case
            when focus_rank is not null then row_number() over (
                partition by business_unit_id, record_type, focus_rank is null
                order by focus_rank, record_id
            )
        end as unit_focus_rank
    from joined
),

final as (
    select
        record_type,
        record_id,
        business_unit_id,
        cast(type_rank as {{ dbt.type_bigint() }}) as type_rank,
        cast(type_total as {{ dbt.type_bigint() }}) as type_total,
        cast(unit_type_rank as {{ dbt.type_bigint() }}) as unit_type_rank,
        cast(unit_type_total as {{ dbt.type_bigint() }}) as unit_type_total,
        focus_rank,
        cast(unit_focus_rank as {{ dbt.type_bigint() }}) as unit_focus_rank,
        cast(activity_count as {{ dbt.type_bigint() }}) as activity_count,
        last_interaction_business_unit_id,
        next_interaction_business_unit_id,
        is_going_dark
    from ranked
)

select * from final
