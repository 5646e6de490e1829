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
