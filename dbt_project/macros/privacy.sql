{#- An activity subject as a mart shows it: the subject, or null when the var
    export_subjects is false (RA_EXPORT_SUBJECTS=false; docs/privacy.md, "Minimisation"). -#}
{% macro exported_subject(column) -%}
    {%- if var('export_subjects', true) -%}
        {{ column }}
    {%- else -%}
        cast(null as {{ dbt.type_string() }})
    {%- endif -%}
{%- endmacro %}


{#- A seller's name or address as the marts show it: as landed, or, when the var
    pseudonymize_sellers is true (RA_PSEUDONYMISE_SELLERS=true; docs/privacy.md,
    "Minimisation"), 'Seller ' and the first 6 hex digits of md5(user id) for a name and
    null for an address. Stable across runs, so a manager's view can follow one seller
    without knowing who it is. -#}
{% macro seller_name(user_id, column) -%}
    {%- if var('pseudonymize_sellers', false) -%}
        concat('Seller ', upper(substring({{ dbt.hash(user_id) }}, 1, 6)))
    {%- else -%}
        cast({{ column }} as {{ dbt.type_string() }})
    {%- endif -%}
{%- endmacro %}

{% macro seller_address(column) -%}
    {%- if var('pseudonymize_sellers', false) -%}
        cast(null as {{ dbt.type_string() }})
    {%- else -%}
        cast({{ column }} as {{ dbt.type_string() }})
    {%- endif -%}
{%- endmacro %}
