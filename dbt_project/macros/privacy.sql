{#- An activity subject as a mart shows it: the subject, or null when the var
    export_subjects is false (RA_EXPORT_SUBJECTS=false; docs/privacy.md, "Minimisation"). -#}
{% macro exported_subject(column) -%}
    {%- if var('export_subjects', true) -%}
        {{ column }}
    {%- else -%}
        cast(null as {{ dbt.type_string() }})
    {%- endif -%}
{%- endmacro %}
