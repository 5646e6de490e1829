{#-
    Incremental links between activities and records (docs/architecture.md, "Incremental
    runs"). A link (record, activity) is a function of the activity's version and of the
    record's linking fingerprint (int_record_linking_fingerprints): each link row keeps
    both (`activity_modified_at`, `record_fingerprint`). A run first deletes the rows
    whose activity version or record fingerprint is no longer current (this pre-hook),
    then appends every link of the activities and of the records that no longer have a
    current row (the model's incremental branch).
-#}

{#-
    Pre-hook: delete the links of changed or deleted activities and of changed or
    deleted records. With RA_EXCHANGE, Exchange activities are resolved by address on
    every run (int_activity_parties_sided), so their links are rebuilt every run too. A
    hook is rendered at run time, so it names models; the model refs them too.
-#}
{% macro delete_changed_links() -%}
    {%- if is_incremental() -%}
    delete from {{ this }} as built
    where not exists (
            select 1
            from {{ ref('int_activities_unioned') }} as current_activities
            where current_activities.activity_key = built.activity_key
                and current_activities.modified_at is not distinct from built.activity_modified_at
        )
        or not exists (
            select 1
            from {{ ref('int_record_linking_fingerprints') }} as current_records
            where current_records.record_type = built.record_type
                and current_records.record_id = built.record_id
                and current_records.linking_fingerprint = built.record_fingerprint
        )
        {%- if var('exchange_source', false) %}
        or built.activity_key in (
            select {{ activity_key('exchange_parties.activity_id') }}
            from {{ ref('int_exchange_parties_resolved') }} as exchange_parties
        )
        {%- endif %}
    {%- else -%}
    select 1 as nothing_to_delete
    {%- endif -%}
{%- endmacro %}


{#-
    Condition on a record of int_record_linking_fingerprints aliased `source_alias`: its
    current fingerprint has no row in `built` (a links table keeping `record_fingerprint`),
    so the record is new or its linking inputs changed and its links are built again.
    Used by the incremental branches of the links and of the record-activity join.
-#}
{% macro fingerprint_not_built(built, source_alias) -%}
    not exists (
        select 1
        from {{ built }} as already_built
        where already_built.record_type = {{ source_alias }}.record_type
            and already_built.record_id = {{ source_alias }}.record_id
            and already_built.record_fingerprint = {{ source_alias }}.linking_fingerprint
    )
{%- endmacro %}


{#-
    Aggregate: a 64-bit hash of the set of `expression` values in a group (text; sorted,
    so the order rows arrive in does not matter). Equal sets give equal hashes; a changed
    set gives another hash except for a 64-bit collision.
-#}
{% macro set_fingerprint(expression) -%}
    {{ return(adapter.dispatch('set_fingerprint')(expression)) }}
{%- endmacro %}

{% macro default__set_fingerprint(expression) -%}
    hash(string_agg(distinct {{ expression }}, '|' order by {{ expression }}))
{%- endmacro %}

{% macro spark__set_fingerprint(expression) -%}
    xxhash64(array_join(array_sort(collect_set({{ expression }})), '|'))
{%- endmacro %}


{#- A 64-bit hash of several columns (NULL is one value of its own). -#}
{% macro row_fingerprint(columns) -%}
    {{ return(adapter.dispatch('row_fingerprint')(columns)) }}
{%- endmacro %}

{% macro default__row_fingerprint(columns) -%}
    hash({{ columns | join(', ') }})
{%- endmacro %}

{% macro spark__row_fingerprint(columns) -%}
    xxhash64(
        {%- for column in columns %}
        coalesce(cast({{ column }} as string), '<null>'){% if not loop.last %},{% endif %}
        {%- endfor %}
    )
{%- endmacro %}
