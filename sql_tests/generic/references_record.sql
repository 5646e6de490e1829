{#- Every non-null id in column_name is a record of the given type in the record dimension
    (mart_records): a relationships test for facts keyed by one record type's id only,
    e.g. opportunity_id. -#}
{% test references_record(model, column_name, record_type, to) %}
select child.*
from {{ model }} as child
left join {{ to }} as parent
    on parent.record_type = '{{ record_type }}'
    and parent.record_id = child.{{ column_name }}
where child.{{ column_name }} is not null
    and parent.record_id is null
{% endtest %}
