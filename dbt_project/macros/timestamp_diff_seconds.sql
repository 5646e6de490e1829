{#- Exact seconds between two timestamps. dbt.datediff counts unit boundaries, which would
    turn 10:00:30 -> 10:30:00 into 30 minutes; durations and response times need exact. -#}
{% macro timestamp_diff_seconds(start_timestamp, end_timestamp) -%}
    {{ return(adapter.dispatch('timestamp_diff_seconds', 'relationship_analytics')(start_timestamp, end_timestamp)) }}
{%- endmacro %}

{% macro default__timestamp_diff_seconds(start_timestamp, end_timestamp) -%}
    (epoch({{ end_timestamp }}) - epoch({{ start_timestamp }}))
{%- endmacro %}

{#- A double, like DuckDB's epoch(): Spark would otherwise divide the bigint by a literal
    such as 3600.0 in decimal arithmetic, rounding every result to 6 decimal places. -#}
{% macro spark__timestamp_diff_seconds(start_timestamp, end_timestamp) -%}
    (cast(unix_micros({{ end_timestamp }}) - unix_micros({{ start_timestamp }}) as double) / 1000000)
{%- endmacro %}
