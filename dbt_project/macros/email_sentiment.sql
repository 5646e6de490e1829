{#- raw.email_sentiment (orchestration/sentiment) when it exists, else an empty relation of
    its columns, so every model builds where the Python step did not run (dbt run by hand on
    a warehouse extracted without it): the sentiment component is then absent. On Spark the
    table is registered from its Parquet mirror like every raw table. The source is always named, so the
    lineage (and Dagster's dependency on raw/email_sentiment) is the same either way. -#}
{% macro email_sentiment_source() -%}
    {%- set relation = source('dataverse', 'email_sentiment') -%}
    {%- set existing = none -%}
    {%- if execute -%}
        {%- set existing = adapter.get_relation(
            database=relation.database, schema=relation.schema, identifier=relation.identifier
        ) -%}
    {%- endif -%}
    {%- if existing is not none -%}
        {{ relation }}
    {%- else -%}
        (
            select
                cast(null as {{ dbt.type_string() }}) as activityid,
                cast(null as {{ dbt.type_timestamp() }}) as modifiedon,
                cast(null as {{ dbt.type_string() }}) as language,
                cast(null as double) as compound
            from (select 1 as no_row) as nothing
            where 1 = 0
        )
    {%- endif -%}
{%- endmacro %}
