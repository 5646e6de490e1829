{#- The weight of one shared activity in who knows whom and relationship strength
    (docs/kpi_definitions.md sections 10-12; KPI_SPEC section 4, "weighted by recency"):
    0.5 ^ (age_days / who_knows_whom_half_life_days), where age_days is the time from
    `activity_at` to T in days (seconds / 86400, so an activity at T weighs 1 and one a
    half-life old 0.5). A double; the two marts sum it per pair. -#}
{% macro pair_decayed_weight(activity_at) -%}
    power(
        0.5,
        cast({{ timestamp_diff_seconds(activity_at, as_of_timestamp()) }} as double)
        / 86400 / {{ var('who_knows_whom_half_life_days') }}
    )
{%- endmacro %}
