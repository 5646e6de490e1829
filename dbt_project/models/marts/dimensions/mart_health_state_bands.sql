-- The health state bands in force (seed health_state_bands), published so consumers draw
-- and label health scores with the same bands the marts were computed with.
with bands as (
    select * from {{ ref('health_state_bands') }}
),

final as (
    select
        cast(health_state as {{ dbt.type_string() }}) as health_state,
        cast(min_score as {{ dbt.type_int() }}) as min_score,
        cast(max_score as {{ dbt.type_int() }}) as max_score
    from bands
)

select * from final
