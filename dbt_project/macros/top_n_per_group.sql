{#- The n rows with the smallest order_key in each group of a relation, numbered 1..n.

    relation:    a relation or CTE name.
    group_by:    the column that forms the groups.
    value:       the column to return for each kept row.
    order_key:   a numeric column, unique and not null within a group, so the order is total
                 and both engines keep the same rows (pack several sort columns into one
                 number when needed).
    n:           how many rows per group (a positive integer).
    rank_column: the name of the 1..n number (1 = smallest order_key).

    Returns a select of group_by, value and rank_column: min(n, rows in the group) rows per
    group. DuckDB keeps n rows per group in a top-n aggregate (arg_min(value, key, n)
    returns the values in ascending key order), instead of sorting every row of the group
    as row_number() does: at 10M activities the similar-deals ranking sorts 88 million
    pairs one way and keeps 10 per open deal the other (docs/benchmarks.md). Spark numbers
    the rows with row_number(). -#}
{% macro top_n_per_group(relation, group_by, value, order_key, n, rank_column) -%}
    {{ return(adapter.dispatch('top_n_per_group', 'relationship_analytics')(
        relation, group_by, value, order_key, n, rank_column)) }}
{%- endmacro %}

{% macro default__top_n_per_group(relation, group_by, value, order_key, n, rank_column) -%}
    select
        {{ group_by }},
        unnest(top_values) as {{ value }},
        generate_subscripts(top_values, 1) as {{ rank_column }}
    from (
        select
            {{ group_by }},
            arg_min({{ value }}, {{ order_key }}, {{ n }}) as top_values
        from {{ relation }}
        group by {{ group_by }}
    ) as grouped
{%- endmacro %}

{% macro spark__top_n_per_group(relation, group_by, value, order_key, n, rank_column) -%}
    select
        {{ group_by }},
        {{ value }},
        {{ rank_column }}
    from (
        select
            {{ group_by }},
            {{ value }},
            row_number() over (partition by {{ group_by }} order by {{ order_key }}) as {{ rank_column }}
        from {{ relation }}
    ) as numbered
    where {{ rank_column }} <= {{ n }}
{%- endmacro %}
