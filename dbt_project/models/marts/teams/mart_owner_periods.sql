-- One row per record owner x reporting period (docs/kpi_definitions.md, "Team views"):
-- what the owner's records saw in the period (activity by side and type, time spent,
-- response rates with their numerators, denominators and time sums) and how the owner's
-- records stand at T (health now, 14 and 90 days ago, going dark). An activity linked to
-- several of the owner's records counts once. Join owner_id to mart_users.user_id.
with team_periods as (
    select * from {{ ref('int_team_periods_aggregated') }}
    where team_type = 'owner'
),

final as (
    select
        team_id as owner_id,
        {{ team_period_columns() | indent(8) }}
    from team_periods
)

select * from final
