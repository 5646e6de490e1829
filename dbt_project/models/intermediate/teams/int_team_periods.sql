-- The reporting periods of the team marts, relative to the as-of date (docs/
-- kpi_definitions.md, "Team views"): whole UTC days, half-open [period_start, period_end).
-- Periods that run to T end at the midnight after T's date; only activity completed by T
-- counts, so nothing later on that day falls in them.
with bounds as (
    select
        cast({{ dbt.dateadd('day', 1, as_of_date()) }} as date) as day_after_as_of,
        cast({{ dbt.date_trunc('quarter', as_of_date()) }} as date) as quarter_start,
        cast({{ dbt.date_trunc('year', as_of_date()) }} as date) as year_start
),

periods as (
    select
        'last_7_days' as period,
        {{ dbt.dateadd('day', -7, 'day_after_as_of') }} as period_start,
        day_after_as_of as period_end
    from bounds
    union all
    select
        'last_30_days', {{ dbt.dateadd('day', -30, 'day_after_as_of') }}, day_after_as_of
    from bounds
    union all
    select
        'last_90_days', {{ dbt.dateadd('day', -90, 'day_after_as_of') }}, day_after_as_of
    from bounds
    union all
    select 'quarter_to_date', quarter_start, day_after_as_of
    from bounds
    union all
    select
        'last_quarter', {{ dbt.dateadd('month', -3, 'quarter_start') }}, quarter_start
    from bounds
    union all
    select 'year_to_date', year_start, day_after_as_of
    from bounds
),

final as (
    select
        cast(period as {{ dbt.type_string() }}) as period,
        cast(period_start as {{ dbt.type_timestamp() }}) as period_start,
        cast(period_end as {{ dbt.type_timestamp() }}) as period_end
    from periods
)

select * from final
