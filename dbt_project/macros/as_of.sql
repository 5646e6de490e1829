{#- The as-of instant T of KPI_SPEC section 2, as a timestamp literal ('YYYY-MM-DD HH:MM:SS',
    UTC). Read from, in this order:
    1. the var `as_of` (`--vars '{as_of: "2026-06-30 00:00:00"}'`, unit-test overrides);
    2. the environment variable RA_DBT_AS_OF, which Dagster sets for each dbt subprocess
       (orchestration/defs/dbt.py dbt_environment), as a hand-run build may;
    3. neither: the current time, to the second.
    A fixed T gives byte-identical marts.
    RA_DBT_AS_OF is read only when dbt executes (`execute`), never while it parses: dbt then
    keeps no record of it, so a new T every run re-parses nothing (a changed var re-parses
    the whole project). Nothing at parse time needs T: it only shapes the SQL executed. -#}
{% macro as_of_timestamp() -%}
    {%- set as_of = var('as_of') -%}
    {%- set source = "var as_of" -%}
    {%- if not as_of and execute -%}
        {%- set as_of = env_var('RA_DBT_AS_OF', '') -%}
        {%- set source = "RA_DBT_AS_OF" -%}
    {%- endif -%}
    {%- if as_of -%}
        {%- if not modules.re.fullmatch('[0-9]{4}-[0-9]{2}-[0-9]{2}( [0-9]{2}:[0-9]{2}:[0-9]{2})?', as_of | string) -%}
            {{ exceptions.raise_compiler_error(
                source ~ "='" ~ as_of ~ "' is not a UTC instant 'YYYY-MM-DD HH:MM:SS' (or a date "
                ~ "'YYYY-MM-DD'); give e.g. 2026-06-30 00:00:00, or leave it unset for the current time"
            ) }}
        {%- endif -%}
        cast('{{ as_of }}' as {{ dbt.type_timestamp() }})
    {%- else -%}
        cast(date_trunc('second', {{ dbt.current_timestamp() }}) as {{ dbt.type_timestamp() }})
    {%- endif -%}
{%- endmacro %}

{% macro as_of_date() -%}
    cast({{ as_of_timestamp() }} as date)
{%- endmacro %}
