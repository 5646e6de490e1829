{#-
    The integer key of an activity (docs/architecture.md, "Activity keys"): a 64-bit hash
    of the normalized activity id (macros/identifiers.sql), computed where the id is first
    read (int_activities_unioned for activities, int_activity_parties_sided for their
    parties, stg_dataverse__email_sentiments for sentiments), so the same id gives the same
    key in every model and every run without a lookup. The joins, group-bys and anti-joins
    of the activity chain compare these keys instead of 36-character GUIDs; the GUID stays a
    column where a mart outputs it or where the spec breaks ties by the smaller activity id.

    DuckDB: hash(), an unsigned 64-bit integer (UBIGINT; no cast, so nothing can
    overflow). Spark: xxhash64(), a signed 64-bit integer (BIGINT). The two engines give
    different keys for one id: keys never leave an engine's warehouse and never reach a
    mart. A collision (two ids, one key: about n^2 / 2^65 for n ids, 3e-6 at 10 million)
    fails sql_tests/assert_activity_keys_identify_activities, naming the key, rather than
    merge two activities. The hash of a given engine version is stable across runs; the
    same check stops a run after an engine upgrade that changed it, until a full refresh.
-#}
{% macro activity_key(column) -%}
    {{ return(adapter.dispatch('activity_key', 'relationship_analytics')(column)) }}
{%- endmacro %}

{% macro default__activity_key(column) -%}
    hash({{ column }})
{%- endmacro %}

{% macro spark__activity_key(column) -%}
    xxhash64({{ column }})
{%- endmacro %}
