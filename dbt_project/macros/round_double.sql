{#- Round a double to decimal_places (0 to 11), half away from zero, judged on the exact
    binary value: DuckDB's round(). Spark's round() rounds the shortest decimal rendering
    instead, so the double 15.85 (really 15.8499999...) gives 15.8 on DuckDB and 15.9 on
    Spark; published scores and sentences would then differ between the engines. -#}
{% macro round_double(expression, decimal_places) -%}
    {{ return(adapter.dispatch('round_double', 'relationship_analytics')(expression, decimal_places)) }}
{%- endmacro %}

{% macro default__round_double(expression, decimal_places) -%}
    round({{ expression }}, {{ decimal_places }})
{%- endmacro %}

{#- Spark: k = floor((|x| * 2 * 10^p + 1) / 2) is the rounded magnitude unless |x| * 2 * 10^p
    lies just below an odd integer and the double product rounded up onto it. The product's
    exact rounding error comes from Dekker's two-product (Veltkamp split at 2^27 + 1;
    2 * 10^p has at most 26 significant bits for p <= 11), so ties are decided exactly.
    Checked against DuckDB on a million values, ties included. -#}
{% macro spark__round_double(expression, decimal_places) -%}
    {%- set places = decimal_places | int -%}
    {%- if places < 0 or places > 11 -%}
        {{ exceptions.raise_compiler_error('round_double: decimal_places must be 0 to 11, not ' ~ decimal_places) }}
    {%- endif -%}
    {%- set value = 'abs(cast(' ~ expression ~ ' as double))' -%}
    {%- set scale = (2 * 10 ** places) ~ 'D' -%}
    {%- set product = '(' ~ value ~ ' * ' ~ scale ~ ')' -%}
    {%- set high = '((' ~ value ~ ' * 134217729D) - ((' ~ value ~ ' * 134217729D) - ' ~ value ~ '))' -%}
    {%- set error = '(((' ~ high ~ ' * ' ~ scale ~ ') - ' ~ product ~ ') + ((' ~ value ~ ' - ' ~ high ~ ') * ' ~ scale ~ '))' -%}
    (signum(cast({{ expression }} as double)) * (
        floor(({{ product }} + 1D) / 2D)
        - case
            when {{ product }} = floor({{ product }}) and floor({{ product }}) % 2 = 1
                and {{ error }} < 0D then 1
            else 0
        end
    ) / {{ 10 ** places }}D)
{%- endmacro %}
