{#- A composite key: no two rows share the same values in these columns, and none of them
    is null (a row with a null key part could not be found again by its key). One test
    checks both, so a key needs no separate unique or not_null tests (a one-column key
    too: `columns: [activity_id]`).

    Returns one row per failing key: its values and `occurrences` (rows holding it). Repeats
    are found on one 64-bit hash of the key (macros/key_hashes.sql), grouped as integers
    rather than as strings: when no hash repeats, no key does (exact, not probable); only
    rows whose hash repeats are compared by their values, so a hash collision of two
    different keys fails nothing. Null key parts are a filtered scan, which DuckDB answers
    from the column statistics when a column holds no null.

    day_column (optional, one of `columns`, a date): the model holds one row per day for
    each value of the other key columns (a daily series, e.g. score_date of
    mart_relationship_health_daily: 46M rows at 10M activities). The first pass then groups
    by the hash of the other columns only (one group per series, not per row: at 10M a
    hash table of 0.5M groups instead of 46M) and sets one bit per day in two 63-bit masks
    (macros/key_hashes.sql, day_bit), counting days back from the model's last day. A group
    whose rows are more than its distinct days set (a day repeated, a null day, or a day
    more than 125 days before the last one) goes to the exact pass; a repeated key puts
    its two rows in one group on one day, so it always does (exact, as above). The failing
    rows are the same as without day_column.

    build_number_column (optional; not with day_column): the model is a kept table whose
    rows carry the number of the build that wrote them (macros/incremental_activities.sql,
    next_build_number). Only keys the latest build wrote are then counted, over the whole
    table: a key no build rewrote was checked when it was written, and deleting rows
    repeats none. At 10M activities that is a scan and a probe of 30M hashes against the
    day's keys (about 1 s) instead of a group-by of all of them (5 to 7 s). A table that is
    one build (a full refresh) is counted whole, as without the argument.
-#}
{% test unique_combination(model, columns, day_column=none, build_number_column=none) %}
{%- if day_column is not none %}
{%- set series_columns = columns | reject('equalto', day_column) | list %}
{%- if series_columns | length == columns | length or not series_columns %}
    {{ exceptions.raise_compiler_error(
        "unique_combination on " ~ model ~ ": day_column '" ~ day_column ~ "' must be one of "
        ~ "columns " ~ columns ~ ", next to at least one other column"
    ) }}
{%- endif %}
{%- set group_hash = key_hash(series_columns) %}
{%- endif %}
{%- if build_number_column is not none and day_column is not none %}
    {{ exceptions.raise_compiler_error(
        "unique_combination on " ~ model ~ ": build_number_column and day_column do not combine"
    ) }}
{%- endif %}
with
{%- if day_column is none %}
{%- if build_number_column is not none %}
builds as (
    select
        min({{ build_number_column }}) as first_build_number,
        max({{ build_number_column }}) as latest_build_number
    from {{ model }}
),

-- The keys the latest build wrote; none when the table is one build (all rows count).
latest_build_hashes as (
    select {{ key_hash(columns) }} as key_hash
    from {{ model }} as kept
    inner join builds
        on kept.{{ build_number_column }} = builds.latest_build_number
    where builds.first_build_number < builds.latest_build_number
),
{%- endif %}

repeated_hashes as (
    select key_hash
    from (
        select {{ key_hash(columns) }} as key_hash
        from {{ model }}
    ) as hashed
    {%- if build_number_column is not none %}
    where (select first_build_number = latest_build_number from builds)
        or key_hash in (select latest_build_hashes.key_hash from latest_build_hashes)
    {%- endif %}
    group by key_hash
    having count(*) > 1
),
{%- else %}
last_day as (
    select max({{ day_column }}) as last_day
    from {{ model }}
),

days_back as (
    select
        {{ group_hash }} as key_hash,
        {{ dbt.datediff(day_column, 'last_day.last_day', 'day') }} as days_back
    from {{ model }}
    cross join last_day
),

-- A group whose rows outnumber its set bits holds a repeated, null or far day.
repeated_hashes as (
    select key_hash
    from days_back
    group by key_hash
    having count(*) <> cast(bit_count(bit_or(
            case when days_back between 0 and 62 then {{ day_bit('days_back') }} else 0 end
        )) as integer)
        + cast(bit_count(bit_or(
            case when days_back between 63 and 125 then {{ day_bit('days_back - 63') }} else 0 end
        )) as integer)
),
{%- endif %}

repeated_keys as (
    select
        {{ columns | join(', ') }},
        count(*) as occurrences
    from {{ model }}
    where {{ group_hash if day_column is not none else key_hash(columns) }} in (select key_hash from repeated_hashes)
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
