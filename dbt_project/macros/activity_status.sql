{#-
    An activity's status at the as-of instant T (KPI_SPEC section 2), from the two
    instants int_activities_classified keeps for it, which do not depend on T:
    - completed_from_at: from this instant on the activity counts as completed (null:
      never);
    - future_until_at: before this instant it is future (null: never).
    status(T) = 'completed' when completed_from_at <= T, else 'future' when
    T < future_until_at, else 'not_counted'. Every model that counts or lists activities
    at T classifies (and filters) with this macro, so they all agree with each other and
    with the CASE in int_activities_classified that derives the two instants.
-#}
{% macro activity_status_at(completed_from_at='completed_from_at', future_until_at='future_until_at') -%}
    case
        when {{ completed_from_at }} <= {{ as_of_timestamp() }} then 'completed'
        when {{ as_of_timestamp() }} < {{ future_until_at }} then 'future'
        else 'not_counted'
    end
{%- endmacro %}


{#-
    future_until_at of an activity that is future at every T: a completed phone call
    without a time (staging: actualstart, else actualend, else modifiedon, and modifiedon
    may be null). The last microsecond Spark's timestamps hold, so every T the pipeline
    can be given (to the second) is before it.
-#}
{% macro always_future_until_at() -%}
    cast('9999-12-31 23:59:59.999999' as {{ dbt.type_timestamp() }})
{%- endmacro %}
