-- Cross-model truth (KPI_SPEC section 3): the "initiated by" totals are exactly the sums of
-- the three direction counts of their side. Returns one row per record that breaks it.
with kpis as (
    select * from {{ ref('mart_relationship_kpis') }}
),

violations as (
    select
        record_type,
        record_id,
        activities_initiated_by_team,
        emails_sent + meetings_sent + phone_calls_made as team_direction_sum,
        activities_initiated_by_customer,
        emails_received + meetings_received + phone_calls_received as customer_direction_sum
    from kpis
    where activities_initiated_by_team
            <> emails_sent + meetings_sent + phone_calls_made
        or activities_initiated_by_customer
            <> emails_received + meetings_received + phone_calls_received
        or activities_initiated_by_team is null
        or activities_initiated_by_customer is null
)

select * from violations
