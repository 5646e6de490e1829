{#-
    How staging reads identifiers (docs/kpi_definitions.md, "How ids are read"). Each
    macro is a select-list expression on one raw column; every staging model uses them, so
    every join downstream compares one form.
-#}

{#- A Dataverse GUID or lookup as Dataverse compares it: case-insensitive, with or without
    braces. '{3F2504E0-4F89-11D3-9A0C-0305E82C3301} ' -> '3f2504e0-4f89-11d3-9a0c-0305e82c3301';
    blank or empty -> null. Portable: like, trim, replace and lower exist on every engine.
    Braces and blanks are removed only from a value that has one: replace and trim copy
    every string they are given, and a GUID as exported has neither, so the check (a
    substring search) costs less than the copies (31 million party rows at 10M activities
    read three GUIDs each: docs/benchmarks.md, "Session 11"). Same result for every value. -#}
{% macro normalize_guid(column) -%}
    {%- set value = 'cast(' ~ column ~ ' as ' ~ dbt.type_string() ~ ')' -%}
    {#- Built as Jinja strings: a '{' followed by '%' in the template would open a tag. -#}
    {%- set has_blank_or_brace = value ~ " like '% %' or " ~ value ~ " like '%{%' or " ~ value ~ " like '%}%'" -%}
    nullif(lower(case when {{ has_blank_or_brace }} then trim(replace(replace({{ value }}, '{', ''), '}', '')) else {{ value }} end), '')
{%- endmacro %}


{#- A mail Message-ID / In-Reply-To as compared for threading: blanks and the enclosing
    '<' '>' removed, case kept (RFC 5322 ids are case-sensitive). ' <a@b> ' -> 'a@b';
    blank, empty or '<>' -> null. -#}
{% macro normalize_message_id(column) -%}
    nullif(trim(regexp_replace(regexp_replace(trim(cast({{ column }} as {{ dbt.type_string() }})), '^<', ''), '>$', '')), '')
{%- endmacro %}


{#- A conversation index (Outlook Thread-Index) as upper-case hex of its bytes, whichever
    encoding it arrives in. After trimming blanks:
    1. an even-length run of [0-9a-fA-F] is hex (so '0A1B' is read as hex even though it is
       also valid base64: a Dataverse thread root is 22 bytes, 32 base64 characters ending
       in '==', and rarely looks like hex);
    2. else standard-alphabet base64 ([A-Za-z0-9+/]), padded with '=' to a multiple of 4
       characters or unpadded (length mod 4 of 2 or 3, or 0);
    3. else null: the value counts as absent (the warn-level test
       stg_dataverse__emails_conversation_index_decodes counts these rows).
    The patterns are checked before decoding, so no value can make a decode raise.
    'AdqzbxJAfB6aSy89Tl+gscLT5PUGFw==' -> '01DAB36F12407C1E9A4B2F3D4E5FA0B1C2D3E4F50617'. -#}
{% macro conversation_index_hex(column) -%}
    {%- set value = 'trim(cast(' ~ column ~ ' as ' ~ dbt.type_string() ~ '))' -%}
    case
        when {{ value }} = '' then null
        when {{ regex_matches(value, '^([0-9a-fA-F][0-9a-fA-F])+$') }} then upper({{ value }})
        when {{ regex_matches(value, '^[A-Za-z0-9+/]+={0,2}$') }}
            and (
                (length({{ value }}) % 4 = 0)
                or ({{ value }} not like '%=' and length({{ value }}) % 4 in (2, 3))
            )
            then {{ base64_to_hex(
                value ~ " || repeat('=', (4 - length(" ~ value ~ ") % 4) % 4)"
            ) }}
    end
{%- endmacro %}


{#- A boolean: the whole string matches the regular expression (anchor it yourself). -#}
{% macro regex_matches(expression, pattern) -%}
    {{ return(adapter.dispatch('regex_matches', 'relationship_analytics')(expression, pattern)) }}
{%- endmacro %}

{% macro default__regex_matches(expression, pattern) -%}
    regexp_matches({{ expression }}, '{{ pattern }}')
{%- endmacro %}

{% macro spark__regex_matches(expression, pattern) -%}
    ({{ expression }} rlike '{{ pattern }}')
{%- endmacro %}


{#- Upper-case hex of the bytes of a padded, already validated base64 string. -#}
{% macro base64_to_hex(expression) -%}
    {{ return(adapter.dispatch('base64_to_hex', 'relationship_analytics')(expression)) }}
{%- endmacro %}

{#- try(): a value the pattern let through but the decoder refuses becomes null, not an
    error (none is known; DuckDB accepts non-zero trailing bits, e.g. 'AB=='). -#}
{% macro default__base64_to_hex(expression) -%}
    hex(try(from_base64({{ expression }})))
{%- endmacro %}

{% macro spark__base64_to_hex(expression) -%}
    hex(unbase64({{ expression }}))
{%- endmacro %}
