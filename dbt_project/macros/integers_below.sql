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

{#- A select-list expression that turns each row into one row per whole number from
    first_number to last_number (both included; the caller keeps first <= last: Spark's
    sequence() counts down otherwise). Far cheaper than a range join on a numbers table. -#}
{% macro integers_from_to(first_number, last_number) -%}
    {{ return(adapter.dispatch('integers_from_to', 'relationship_analytics')(first_number, last_number)) }}
{%- endmacro %}

{% macro default__integers_from_to(first_number, last_number) -%}
    unnest(range({{ first_number }}, {{ last_number }} + 1))
{%- endmacro %}

{% macro spark__integers_from_to(first_number, last_number) -%}
    explode(sequence({{ first_number }}, {{ last_number }}))
{%- endmacro %}
