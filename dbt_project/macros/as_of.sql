{#- The as-of instant T of KPI_SPEC section 2, as a timestamp literal ('YYYY-MM-DD HH:MM:SS',
    UTC). Dagster passes it as `--vars '{"as_of": ...}'` (orchestration/defs/dbt.py
    dbt_vars), as a hand-run build may. A fixed T gives byte-identical marts; without one,
    the current time (to the second). -#}
{% macro as_of_timestamp() -%}
    {%- set as_of = var('as_of') -%}
    {%- if as_of -%}
        cast('{{ as_of }}' as {{ dbt.type_timestamp() }})
    {%- else -%}
        cast(date_trunc('second', {{ dbt.current_timestamp() }}) as {{ dbt.type_timestamp() }})
    {%- endif -%}
{%- endmacro %}

{% macro as_of_date() -%}
    cast({{ as_of_timestamp() }} as date)
{%- endmacro %}
