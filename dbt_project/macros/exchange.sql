{#-
    Exchange Online input (orchestration/sources/exchange). Its raw tables exist only where
    the extract ran with RA_EXCHANGE=graph, which passes the var `exchange_source: true`.
    Without it the graph staging models read an empty relation of the same columns and
    types, so every model builds (on DuckDB and on Spark) with no Exchange rows.
-#}

{#- The columns of each raw Exchange table (orchestration/sources/exchange/contract.py). -#}
{% macro exchange_columns(table_name) -%}
    {%- set text = dbt.type_string() -%}
    {%- set moment = dbt.type_timestamp() -%}
    {%- set flag = dbt.type_boolean() -%}
    {%- set columns = {
        'graph_message': [
            ('messagekey', text), ('mailbox', text), ('folder', text), ('id', text),
            ('internetmessageid', text), ('conversationid', text), ('conversationindex', text),
            ('subject', text), ('sentdatetime', moment), ('receiveddatetime', moment),
            ('isdraft', flag), ('createddatetime', moment), ('lastmodifieddatetime', moment),
        ],
        'graph_message_recipient': [
            ('recipientkey', text), ('messagekey', text), ('recipienttype', text), ('address', text),
        ],
        'graph_event': [
            ('eventkey', text), ('mailbox', text), ('folder', text), ('id', text), ('icaluid', text),
            ('subject', text), ('startdatetime', moment), ('enddatetime', moment),
            ('isallday', flag), ('iscancelled', flag), ('isorganizer', flag), ('type', text),
            ('createddatetime', moment), ('lastmodifieddatetime', moment),
        ],
        'graph_event_attendee': [
            ('attendeekey', text), ('eventkey', text), ('attendeetype', text), ('address', text),
            ('response', text),
        ],
    } -%}
    {{ return(columns[table_name]) }}
{%- endmacro %}


{#- `source('graph', table_name)` with RA_EXCHANGE, else an empty relation of its columns.
    The source is always named, so the lineage (and Dagster's dependency on the extract
    asset raw/<table>) is the same either way. -#}
{% macro exchange_source(table_name) -%}
    {%- set relation = source('graph', table_name) -%}
    {%- if var('exchange_source', false) -%}
        {{ relation }}
    {%- else -%}
        (
            select
            {%- for column, column_type in exchange_columns(table_name) %}
                cast(null as {{ column_type }}) as {{ column }}{{ ',' if not loop.last }}
            {%- endfor %}
            from (select 1 as no_row) as nothing
            where 1 = 0
        )
    {%- endif -%}
{%- endmacro %}


{#- A GUID-shaped id (8-4-4-4-12 lower-case hex) from the md5 of `namespace:expression`,
    so activities read from Exchange get ids shaped like Dataverse's and the same message
    or meeting always gets the same id. -#}
{% macro deterministic_guid(namespace, expression) -%}
    {%- set digest = dbt.hash("'" ~ namespace ~ ":' || " ~ expression) -%}
    lower(
        substring({{ digest }}, 1, 8) || '-' || substring({{ digest }}, 9, 4) || '-'
        || substring({{ digest }}, 13, 4) || '-' || substring({{ digest }}, 17, 4) || '-'
        || substring({{ digest }}, 21, 12)
    )
{%- endmacro %}


{#- A mail address as compared for matching: trimmed, lower-case; blank -> null. -#}
{% macro normalize_email_address(column) -%}
    nullif(lower(trim(cast({{ column }} as {{ dbt.type_string() }}))), '')
{%- endmacro %}


{#- The domain of a (normalized) mail address: 'una@ourco.example' -> 'ourco.example'. -#}
{% macro email_domain(expression) -%}
    substring({{ expression }}, {{ dbt.position("'@'", expression) }} + 1)
{%- endmacro %}
