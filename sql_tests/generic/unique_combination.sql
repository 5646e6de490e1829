{#- A composite key: no two rows share the same values in these columns, and none of them
    is null (a row with a null key part could not be found again by its key). One test
    checks both, so a key needs no separate unique or not_null tests (a one-column key
    too: `columns: [activity_id]`).

    Returns one row per failing key: its values and `occurrences` (rows holding it). Repeats
    are found on one 64-bit hash of the key (macros/key_hashes.sql), grouped as integers
    rather than as strings: when no hash repeats, no key does (exact, not probable); only
    rows whose hash repeats are compared by their values, so a hash collision of two
    different keys fails nothing. Null key parts are a filtered scan, which DuckDB answers
    from the column statistics when a column holds no null. -#}
{% test unique_combination(model, columns) %}
with repeated_hashes as (
    select key_hash
    from (
        select {{ key_hash(columns) }} as key_hash
        from {{ model }}
    ) as hashed
    group by key_hash
    having count(*) > 1
),

repeated_keys as (
    select
        {{ columns | join(', ') }},
        count(*) as occurrences
    from {{ model }}
    where {{ key_hash(columns) }} in (select key_hash from repeated_hashes)
        {%- for column in columns %}
        and {{ column }} is not null
        {%- endfor %}
    group by {{ columns | join(', ') }}
    having count(*) > 1
),

keys_with_null_parts as (
    select
        {{ columns | join(', ') }},
        count(*) as occurrences
    from {{ model }}
    where
        {%- for column in columns %}
        {% if not loop.first %}or {% endif %}{{ column }} is null
        {%- endfor %}
    group by {{ columns | join(', ') }}
)

select * from repeated_keys
union all
select * from keys_with_null_parts
{% endtest %}
