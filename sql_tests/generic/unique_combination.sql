{#- A composite key: no two rows share the same values in these columns, and none of them
    is null (a row with a null key part could not be found again by its key). One group by
    checks both, so a key needs no separate not_null tests. -#}
{% test unique_combination(model, columns) %}
select
    {{ columns | join(', ') }},
    count(*) as occurrences
from {{ model }}
group by {{ columns | join(', ') }}
having
    count(*) > 1
    {%- for column in columns %}
    or {{ column }} is null
    {%- endfor %}
{% endtest %}
