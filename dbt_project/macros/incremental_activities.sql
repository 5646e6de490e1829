{#-
    Incremental activity models (docs/architecture.md, "Incremental runs").

    The activity models that do not depend on the as-of instant (one activity's row, its
    parties, its participant summary) keep what earlier runs built and recompute only the
    activities whose version changed: a row is rebuilt when the pair (activity_id,
    modifiedon) is not already in the table, so new, updated and late-arriving activities
    of any age are picked up (an unlimited look-back at the cost of one key scan). Rows of
    activities that are gone from raw, or whose version moved on, are deleted afterwards.

    Spark keeps plain Parquet tables, which dbt-spark cannot delete from: there these
    models are tables rebuilt in full, with the same rows.
-#}

{% macro activity_models_materialization() -%}
    {{ return('table' if target.type == 'spark' else 'incremental') }}
{%- endmacro %}


{#-
    A condition on `source_alias`: its (activity id or key, version, also_equal...) is not
    in `built` (pass `this`; unit tests replace `this` in the model's context only, not in
    a macro's). key_column: activity_id, or activity_key where `built` keeps only the key.
-#}
{% macro version_not_built(
    built, source_alias, version_column, built_version_column=none, also_equal=[],
    key_column='activity_id'
) -%}
    not exists (
        select 1
        from {{ built }} as already_built
        where already_built.{{ key_column }} = {{ source_alias }}.{{ key_column }}
            and already_built.{{ built_version_column or version_column }}
                is not distinct from {{ source_alias }}.{{ version_column }}
            {%- for column in also_equal %}
            and already_built.{{ column }} = {{ source_alias }}.{{ column }}
            {%- endfor %}
    )
{%- endmacro %}


{#-
    Post-hook: delete rows whose activity version is not current in `models` (each has
    activity_id and modified_at, and activity_key when key_column names it). Catches
    deleted activities and rows an update did not rewrite (a party dropped from a changed
    activity). A hook is rendered at run time, so it names models rather than taking SQL;
    the model refs them too (its dependencies). key_column: activity_id, or activity_key
    (an integer compare instead of a GUID's) where the built table keeps the key.
-#}
{% macro delete_stale_activity_rows(models, built_version_column='modified_at', key_column='activity_id') -%}
    {%- if is_incremental() -%}
    delete from {{ this }} as built
    where not exists (
        select 1
        from (
            {%- for model in models %}
            select {{ key_column }}, modified_at from {{ ref(model) }}
            {%- if not loop.last %} union all{% endif %}
            {%- endfor %}
        ) as current_versions
        where current_versions.{{ key_column }} = built.{{ key_column }}
            and current_versions.modified_at is not distinct from built.{{ built_version_column }}
    )
    {%- else -%}
    select 1 as nothing_to_delete
    {%- endif -%}
{%- endmacro %}


{#-
    The number of the build that writes a row of a kept table: 1 when the table is built in
    full, one more than the table's largest for each incremental run (pass `this`, as for
    version_not_built). Data tests read it to check the keys the latest build wrote against
    the whole table instead of every key again (sql_tests/generic/unique_combination.sql,
    build_number_column). A counter rather than dbt's run_started_at: it cannot go back
    when a clock does.
-#}
{% macro next_build_number(built) -%}
    {%- if is_incremental() -%}
    cast((select coalesce(max(build_number), 0) + 1 from {{ built }}) as {{ dbt.type_bigint() }})
    {%- else -%}
    cast(1 as {{ dbt.type_bigint() }})
    {%- endif -%}
{%- endmacro %}
