{#-
    The integer key of a person's or a record's id (docs/architecture.md, "Activity
    keys"): a 64-bit hash of the normalized GUID, computed where the T-independent models
    store the id (int_activity_people_deduplicated: party_key; int_record_activities_joined:
    record_key). The person marts (top contacts, who knows whom, relationship strength)
    join, group and rank their tens of millions of (activity, person) rows on these keys and
    bring the GUIDs back only for the rows they publish, from the (key, id) pairs those
    tables store (the marts never hash): at 10M activities a group-by on GUIDs spilled
    gigabytes and took most of mart_top_contacts (docs/benchmarks.md).

    The same hash as activity_key() (DuckDB hash(), UBIGINT; Spark xxhash64(), BIGINT), so
    the same properties: one id gives one key in every run without a lookup; a collision
    (about n^2 / 2^65 for n ids) or an engine upgrade that changed the hash (old and new
    rows with different keys for one id) fails sql_tests/assert_person_keys_identify_people,
    naming the key, rather than merge two people or split one.
-#}
{% macro guid_key(column) -%}
    {{ return(adapter.dispatch('guid_key', 'relationship_analytics')(column)) }}
{%- endmacro %}

{% macro default__guid_key(column) -%}
    hash({{ column }})
{%- endmacro %}

{% macro spark__guid_key(column) -%}
    xxhash64({{ column }})
{%- endmacro %}
