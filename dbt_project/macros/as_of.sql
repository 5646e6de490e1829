{#- The as-of instant T of KPI_SPEC section 2, as a timestamp literal ('YYYY-MM-DD HH:MM:SS',
    UTC). Dagster passes it in the environment (RA_DBT_AS_OF), not as --vars: changing a
    var forces dbt to re-parse the whole project, an env var only the models that use it.
    `--vars '{as_of: ...}'` still wins for hand-run builds. A fixed T gives byte-identical
    marts; with neither, the current time (to the second). -#}
{% macro as_of_timestamp() -%}
    {%- set as_of = var('as_of') or env_var('RA_DBT_AS_OF', '') -%}
    {%- if as_of -%}
        cast('{{ as_of }}' as {{ dbt.type_timestamp() }})
    {%- else -%}
        cast(date_trunc('second', {{ dbt.current_timestamp() }}) as {{ dbt.type_timestamp() }})
    {%- endif -%}
{%- endmacro %}

{% macro as_of_date() -%}
    cast({{ as_of_timestamp() }} as date)
{%- endmacro %}
