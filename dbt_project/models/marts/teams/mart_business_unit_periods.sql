-- One row per business unit x reporting period (docs/kpi_definitions.md, "Team views"):
-- the measures of mart_owner_periods over the records whose owner is in the unit. An
-- activity linked to records of several of the unit's owners counts once for the unit, so
-- a unit's counts can be less than the sum of its owners'. Join business_unit_id to
-- mart_users.business_unit_id or mart_records.business_unit_id.
with team_periods as (
    select * from {{ ref('int_team_periods_aggregated') }}
    where team_type = 'business_unit'
),

final as (
    select
        team_id as business_unit_id,
        {{ team_period_columns() | indent(8) }}
    from team_periods
)

select * from final
