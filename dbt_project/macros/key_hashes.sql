{#-
    One 64-bit hash of several key columns, for tests that find repeated keys by comparing
    integers before strings (sql_tests/generic/unique_combination.sql). Equal keys give
    equal hashes, so no repeated hash means no repeated key (exact, not probable); only the
    rows whose hash repeats are then compared column by column.

    DuckDB: hash(a, b, ...), a UBIGINT. Spark: xxhash64(a, b, ...), a BIGINT (Spark's hash()
    is 32 bits, whose repeats at millions of rows would send most rows to the exact pass).
-#}
{% macro key_hash(columns) -%}
    {{ return(adapter.dispatch('key_hash', 'relationship_analytics')(columns)) }}
{%- endmacro %}

{% macro default__key_hash(columns) -%}
    hash({{ columns | join(', ') }})
{%- endmacro %}

{% macro spark__key_hash(columns) -%}
    xxhash64({{ columns | join(', ') }})
{%- endmacro %}


{#- The bit for days_back (0 to 62) in a 63-bit day mask of sql_tests/generic/unique_combination
    (day_column): a positive BIGINT on both engines. -#}
{% macro day_bit(days_back) -%}
    {{ return(adapter.dispatch('day_bit', 'relationship_analytics')(days_back)) }}
{%- endmacro %}

{% macro default__day_bit(days_back) -%}
    (cast(1 as bigint) << cast({{ days_back }} as integer))
{%- endmacro %}

{% macro spark__day_bit(days_back) -%}
    shiftleft(cast(1 as bigint), cast({{ days_back }} as int))
{%- endmacro %}
