{#-
    The six interaction counts by type and initiator (KPI_SPEC section 3), as aggregate
    columns over rows with activity_type and initiated_by. One definition for the KPI mart
    and the daily mart, so both count alike; sql_tests recompute them independently.
-#}
{% macro interaction_counts() -%}
    {%- set counts = [
        ('email', 'team', 'emails_sent'),
        ('email', 'customer', 'emails_received'),
        ('meeting', 'team', 'meetings_sent'),
        ('meeting', 'customer', 'meetings_received'),
        ('phone_call', 'team', 'phone_calls_made'),
        ('phone_call', 'customer', 'phone_calls_received'),
    ] -%}
    {%- for activity_type, initiated_by, column in counts %}
        sum(case when activity_type = '{{ activity_type }}' and initiated_by = '{{ initiated_by }}' then 1 else 0 end)
            as {{ column }}{{ ',' if not loop.last }}
    {%- endfor %}
{%- endmacro %}
