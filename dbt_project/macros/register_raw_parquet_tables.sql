{#- on-run-start: make the `dataverse` sources (schema raw) readable by the engine.
    DuckDB: the extract assets load raw.<table> into the warehouse itself, nothing to do.
    Spark: each table is the Parquet folder <RA_RAW_PARQUET_DIR>/<table> that the extract
    step writes (orchestration/sources/raw_parquet.py). The table is dropped and created
    again on every run so that a new location or a new landing column is picked up;
    dropping an external table leaves its files alone. Set the var register_raw_tables to
    false where raw.<table> is maintained by someone else (say a Databricks catalog). -#}
{% macro register_raw_parquet_tables() -%}
    {{ return(adapter.dispatch('register_raw_parquet_tables', 'relationship_analytics')()) }}
{%- endmacro %}

{% macro default__register_raw_parquet_tables() -%}
{%- endmacro %}

{% macro spark__register_raw_parquet_tables() -%}
    {%- if execute and var('register_raw_tables', true) -%}
        {#- Default as in the extract step: raw_parquet next to the DuckDB warehouse file. -#}
        {%- set warehouse = env_var('RA_WAREHOUSE', '../warehouse/relationship_analytics.duckdb') -%}
        {%- set default_location = (modules.re.sub('[^/]*$', '', warehouse) or './') ~ 'raw_parquet' -%}
        {%- set location = env_var('RA_RAW_PARQUET_DIR', default_location).rstrip('/') -%}
        {%- set schema_name = 'raw' -%}
        {%- do run_query('create database if not exists ' ~ schema_name) -%}
        {%- for source_node in graph.sources.values()
            if source_node.package_name == project_name and source_node.schema == schema_name -%}
            {%- set table = schema_name ~ '.' ~ source_node.identifier -%}
            {%- do run_query('drop table if exists ' ~ table) -%}
            {%- do run_query(
                'create table ' ~ table ~ ' using parquet location '
                ~ "'" ~ location ~ '/' ~ source_node.identifier ~ "'"
            ) -%}
        {%- endfor -%}
    {%- endif -%}
{%- endmacro %}
