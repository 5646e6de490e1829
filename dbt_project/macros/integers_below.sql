{#- A one-column relation (n) holding 0 .. upper_bound - 1: a portable generate_series for
    small, parameter-sized ranges such as the days of a history window. -#}
{% macro integers_below(upper_bound) -%}
    {%- for n in range(upper_bound | int) %}
    select {{ n }} as n{% if not loop.last %} union all{% endif %}
    {%- endfor %}
{%- endmacro %}

{#- Whole days from 1970-01-01 to a date: an integer key for day-range window frames. -#}
{% macro day_number(date_expression) -%}
    {{ dbt.datediff("cast('1970-01-01' as date)", date_expression, 'day') }}
{%- endmacro %}
