{#- on-run-start: make the `dataverse` sources (schema raw) readable by the engine.
    DuckDB: the extract assets load raw.<table> into the warehouse itself, nothing to do.
    Spark: each table is the Parquet folder <RA_RAW_PARQUET_DIR>/<table> that the extract
    step writes when RA_RAW_PARQUET_DIR is set (orchestration/sources/raw_parquet.py). There
    is no default: unset, the extract writes no Parquet, so the Spark target stops here with
    a message rather than read a stale folder. The table is dropped and created again on
    every run so that a new location or a new landing column is picked up; dropping an
    external table leaves its files alone. Set the var register_raw_tables to false where
    raw.<table> is maintained by someone else (say a Databricks catalog). -#}
{% macro register_raw_parquet_tables() -%}
    {{ return(adapter.dispatch('register_raw_parquet_tables', 'relationship_analytics')()) }}
{%- endmacro %}

{% macro default__register_raw_parquet_tables() -%}
{%- endmacro %}

{% macro spark__register_raw_parquet_tables() -%}
    {%- if execute and var('register_raw_tables', true) -%}
        {%- set location = env_var('RA_RAW_PARQUET_DIR', '').strip().rstrip('/') -%}
        {%- if not location -%}
            {{ exceptions.raise_compiler_error(
                "RA_RAW_PARQUET_DIR is not set. The spark target reads raw.<table> from the "
                ~ "Parquet folders RA_RAW_PARQUET_DIR/<table>/, which the extract assets write "
                ~ "only while RA_RAW_PARQUET_DIR is set: run the extract with it set, then dbt "
                ~ "with the same value (or --vars '{register_raw_tables: false}')."
            ) }}
        {%- endif -%}
        {%- set schema_name = 'raw' -%}
        {%- set tables = [] -%}
        {#- Exchange tables (source graph) exist only with RA_EXCHANGE (macros/exchange.sql). -#}
        {%- for source_node in graph.sources.values()
            if source_node.package_name == project_name and source_node.schema == schema_name
            and (source_node.source_name != 'graph' or var('exchange_source', false)) -%}
            {%- do tables.append(source_node.identifier) -%}
        {%- endfor -%}
        {%- do run_query('create database if not exists ' ~ schema_name) -%}
        {%- do raw_parquet_check_folders(location, schema_name, tables) -%}
        {%- for table in tables -%}
            {%- do run_query('drop table if exists ' ~ schema_name ~ '.' ~ table) -%}
            {%- do run_query(
                'create table ' ~ schema_name ~ '.' ~ table ~ ' using parquet location '
                ~ "'" ~ location ~ '/' ~ table ~ "'"
            ) -%}
        {%- endfor -%}
    {%- endif -%}
{%- endmacro %}

{#- Fail with the folder's name when a table has no Parquet file under <location>/<table>/:
    Spark alone would say only "Unable to infer schema for Parquet". The files are listed
    through a binaryFile table, not a view: a table on a missing location reads as empty,
    where a view fails on the path. Hidden folders (a write in progress) are not listed. -#}
{% macro raw_parquet_check_folders(location, schema_name, tables) -%}
    {%- set listing = schema_name ~ '.raw_parquet_files' -%}
    {%- do run_query('drop table if exists ' ~ listing) -%}
    {%- do run_query(
        'create table ' ~ listing ~ " using binaryFile options (recursiveFileLookup 'true') "
        ~ "location '" ~ location ~ "'"
    ) -%}
    {%- set missing = run_query(
        "select expected.folder from (select explode(array('" ~ tables | join("', '")
        ~ "')) as folder) as expected left anti join " ~ listing ~ " as files"
        ~ " on instr(files.path, concat('/', expected.folder, '/')) > 0 order by expected.folder"
    ).columns[0].values() -%}
    {%- do run_query('drop table if exists ' ~ listing) -%}
    {%- if missing | length > 0 -%}
        {%- set folders = [] -%}
        {%- for table in missing -%}
            {%- do folders.append(location ~ '/' ~ table ~ '/') -%}
        {%- endfor -%}
        {{ exceptions.raise_compiler_error(
            "RA_RAW_PARQUET_DIR=" ~ location ~ ": no Parquet file in " ~ folders | join(', ')
            ~ ". Run the extract assets with RA_RAW_PARQUET_DIR set to this folder first."
        ) }}
    {%- endif -%}
{%- endmacro %}
