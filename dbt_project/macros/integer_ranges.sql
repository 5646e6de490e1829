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
