{#- Every row's composite key exists in the parent model (a multi-column relationships test). -#}
{% test relationships_on(model, to, columns) %}
select child.*
from {{ model }} as child
left join {{ to }} as parent
    on {% for column in columns %}child.{{ column }} = parent.{{ column }}{% if not loop.last %} and {% endif %}{% endfor %}
where parent.{{ columns[0] }} is null
{% endtest %}
