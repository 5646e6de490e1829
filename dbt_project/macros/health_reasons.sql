{#- Relationship health explained (docs/kpi_definitions.md section 6, "Reasons"): each
    component as 0-100 with its weighted contribution in score points, and the top reasons
    in words. Reasons are ranked by the score points they cost; a reason costing fewer than
    health_reason_min_points is left out, at most health_reasons_max are kept. Everything is
    scalar SQL per row (no arrays, no string aggregation), so it builds the same on Spark.

    The macros read these columns of the row: activities_to_date, window_activities,
    window_customer_initiated_activities, window_initiated_activities, window_team_emails,
    window_customer_answers, window_people_engaged, people_of_interest,
    days_since_last_activity, days_since_last_meeting, frequency_component,
    recency_component, reciprocity_component, initiative_component, answer_component,
    breadth_component, sentiment_component, sentiment_average, earlier_sentiment_average. -#}

{#- Candidates in tie-break order: on equal points the earlier one ranks first. -#}
{% macro _health_reason_names() -%}
    {{ return(['not_enough_info', 'recency', 'frequency', 'answers', 'initiative', 'breadth', 'tone', 'meeting']) }}
{%- endmacro %}

{#- A sentiment band as a number to compare: positive 2, neutral 1, negative 0, null. -#}
{% macro _health_band_rank(average) -%}
    case {{ health_sentiment_band(average) }}
        when 'positive' then 2 when 'neutral' then 1 when 'negative' then 0
    end
{%- endmacro %}

{#- Candidates whose cost and sentence read only the window sums, which hold from one change
    of the record to the next (int_record_health_daily computes them once per change, not
    once per score day; the tone compares two window averages, both change rows), and those
    that read the days since the last activity or meeting. -#}
{% macro health_span_reason_names() -%}
    {{ return(['not_enough_info', 'frequency', 'answers', 'initiative', 'breadth', 'tone']) }}
{%- endmacro %}

{% macro health_day_reason_names() -%}
    {{ return(['recency', 'meeting']) }}
{%- endmacro %}

{#- The points a candidate costs, null when it does not apply. With no activity in the
    window, frequency and initiative give no reason of their own (the recency reason, over
    health_window_days, explains the score). not_enough_info outranks everything; "no
    meeting" costs no points of its own (a meeting counts in frequency like any activity),
    so it comes after the costed reasons. -#}
{% macro _health_reason_loss(name) -%}
    {%- set min_points = var('health_reason_min_points') -%}
    {%- set total = health_weight_total('breadth_component', 'sentiment_component') -%}
    {%- set losses = {
        'recency': '100 * ' ~ var('health_weight_recency') ~ ' * (1 - recency_component) / ' ~ total,
        'frequency': '100 * ' ~ var('health_weight_frequency') ~ ' * (1 - frequency_component) / ' ~ total,
        'answers': '100 * ' ~ var('health_weight_reciprocity') ~ ' * (1 - answer_component) / 2 / ' ~ total,
        'initiative': '100 * ' ~ var('health_weight_reciprocity')
            ~ ' * (1 - initiative_component)'
            ~ ' * (case when answer_component is null then 1.0 else 0.5 end) / ' ~ total,
        'breadth': '100 * ' ~ var('health_weight_breadth') ~ ' * (1 - breadth_component) / ' ~ total,
    } -%}
    {%- if name == 'not_enough_info' -%}
    case
        when activities_to_date < {{ var('health_min_activities') }} then 1000.0
    end
    {%- elif name == 'tone' -%}
    {#- The tone fell: the window's average compound is in a lower band than the window
        ending health_sentiment_compare_days earlier (both need scored customer emails).
        No points of its own, like "no meeting"; off with the sentiment weight. #}
    case
        {%- if var('health_weight_sentiment') | float != 0 %}
        when {{ _health_band_rank('sentiment_average') }} < {{ _health_band_rank('earlier_sentiment_average') }}
            then 0.0
        {%- else %}
        when 1 = 0 then 0.0
        {%- endif %}
    end
    {%- elif name == 'meeting' -%}
    case
        when activities_to_date >= 1 and (
            days_since_last_meeting is null
            or days_since_last_meeting >= {{ var('health_reason_no_meeting_days') }}
        ) then 0.0
    end
    {%- else -%}
    case
        {%- if name in ('frequency', 'initiative') %}
        {#- Nothing in the window: "no activity in N days" (recency) says it all. #}
        when window_activities = 0 then null
        {%- endif %}
        when {{ losses[name] }} >= {{ min_points }} then {{ losses[name] }}
    end
    {%- endif -%}
{%- endmacro %}

{#- One column per candidate named, reason_loss_<name>: the points it costs, null when it
    does not apply (default: every candidate). -#}
{% macro health_reason_candidates(names=none) -%}
    {%- for name in (names if names is not none else _health_reason_names()) %}
    {{ _health_reason_loss(name) }} as reason_loss_{{ name }}
    {%- if not loop.last %},{% endif %}
    {%- endfor %}
{%- endmacro %}

{#- One column per candidate named, reason_text_<name>: its sentence where it applies (reads
    reason_loss_<name>), for health_reasons_text(precomputed=names). -#}
{% macro health_reason_sentences(names) -%}
    {%- for name in names %}
    case when reason_loss_{{ name }} is not null then {{ _health_reason_text(name) }} end
        as reason_text_{{ name }}
    {%- if not loop.last %},{% endif %}
    {%- endfor %}
{%- endmacro %}

{% macro _health_as_text(expression) -%}
    cast({{ expression }} as {{ dbt.type_string() }})
{%- endmacro %}

{% macro _health_plural(count_expression, singular, plural) -%}
    case when {{ count_expression }} = 1 then '{{ singular }}' else '{{ plural }}' end
{%- endmacro %}

{#- The sentence for one candidate. -#}
{% macro _health_reason_text(name) -%}
    {%- set window = "' in " ~ var('health_window_days') ~ " days'" -%}
    {%- if name == 'not_enough_info' -%}
        {{ dbt.concat([
            "'only '", _health_as_text('activities_to_date'), "' completed '",
            _health_plural('activities_to_date', 'activity', 'activities'),
            "' so far (" ~ var('health_min_activities') ~ " needed for a score)'",
        ]) }}
    {%- elif name == 'recency' -%}
        case
            when days_since_last_activity is null then 'no activity yet'
            else {{ dbt.concat([
                "'no activity in '", _health_as_text('days_since_last_activity'), "' '",
                _health_plural('days_since_last_activity', 'day', 'days'),
            ]) }}
        end
    {%- elif name == 'frequency' -%}
        {%- set expected = (var('health_window_days') / var('health_expected_interval_days')) | round | int -%}
        {{ dbt.concat([
            _health_as_text('window_activities'), "' '",
            _health_plural('window_activities', 'activity', 'activities'), window,
            "', " ~ expected ~ " expected (one every " ~ var('health_expected_interval_days') ~ " days)'",
        ]) }}
    {%- elif name == 'answers' -%}
        {{ dbt.concat([
            "'customer answered '", _health_as_text('window_customer_answers'), "' of '",
            _health_as_text('window_team_emails'), "' '",
            _health_plural('window_team_emails', 'email', 'emails'), window,
        ]) }}
    {%- elif name == 'initiative' -%}
        {{ dbt.concat([
            "'customer started '", _health_as_text('window_customer_initiated_activities'),
            "' of '", _health_as_text('window_initiated_activities'), "' '",
            _health_plural('window_initiated_activities', 'activity', 'activities'), window,
        ]) }}
    {%- elif name == 'breadth' -%}
        {{ dbt.concat([
            _health_as_text('window_people_engaged'), "' of '",
            _health_as_text('people_of_interest'), "' customer '",
            _health_plural('people_of_interest', 'person', 'people'),
            "' of interest took part'", window,
        ]) }}
    {%- elif name == 'tone' -%}
        {{ dbt.concat([
            "'tone of customer emails fell from '", health_sentiment_band('earlier_sentiment_average'),
            "' to '", health_sentiment_band('sentiment_average'),
        ]) }}
    {%- elif name == 'meeting' -%}
        case
            when days_since_last_meeting is null then 'no meeting yet'
            else {{ dbt.concat([
                "'no meeting in '", _health_as_text('days_since_last_meeting'), "' days'",
            ]) }}
        end
    {%- endif -%}
{%- endmacro %}

{#- 1 when candidate other ranks before candidate name (more points, or as many and earlier
    in the tie-break order), else 0 (also when either does not apply). -#}
{% macro _health_reason_beats(other, name) -%}
    {%- set names = _health_reason_names() -%}
    case
        when reason_loss_{{ other }} > reason_loss_{{ name }}
        {%- if names.index(other) < names.index(name) %}
            or reason_loss_{{ other }} = reason_loss_{{ name }}
        {%- endif %} then 1
        else 0
    end
{%- endmacro %}

{#- 1-based rank of a candidate among those that apply (null when it does not apply): base
    plus one for each candidate in others that ranks before it. -#}
{% macro _health_reason_rank(name, others, base='1') -%}
    case
        when reason_loss_{{ name }} is null then null
        else {{ base }}
        {%- for other in others if other != name %}
            + {{ _health_reason_beats(other, name) }}
        {%- endfor %}
    end
{%- endmacro %}

{#- One column per candidate named, reason_span_rank_<name>: its rank among the named
    candidates only. int_record_health_daily computes it once per change row for the
    candidates that read only window sums; health_reason_ranks(precomputed=names) then adds
    the day candidates that rank before each. The sum splits exactly: a rank counts the
    candidates before it, the span ones once per change row, the day ones once per day. -#}
{% macro health_reason_span_ranks(names) -%}
    {%- for name in names %}
    {{ _health_reason_rank(name, names) }} as reason_span_rank_{{ name }}
    {%- if not loop.last %},{% endif %}
    {%- endfor %}
{%- endmacro %}

{#- One column per candidate, reason_rank_<name>: its rank among those that apply. Computed
    once per row in its own step: inlined in each position's CASE it cost three times as
    much at 45M history rows. Candidates in precomputed start from reason_span_rank_<name>
    (health_reason_span_ranks) and compare with the other candidates only. -#}
{% macro health_reason_ranks(precomputed=[]) -%}
    {%- set names = _health_reason_names() -%}
    {%- set others = names | reject('in', precomputed) | list -%}
    {%- for name in names %}
    {%- if name in precomputed %}
    {{ _health_reason_rank(name, others, 'reason_span_rank_' ~ name) }} as reason_rank_{{ name }}
    {%- else %}
    {{ _health_reason_rank(name, names) }} as reason_rank_{{ name }}
    {%- endif %}
    {%- if not loop.last %},{% endif %}
    {%- endfor %}
{%- endmacro %}

{#- The top reasons joined by '; ', or null when none applies (reads reason_rank_<name>).
    Sentences of the candidates in precomputed are read from reason_text_<name>
    (health_reason_sentences), the others are written here. -#}
{% macro health_reasons_text(precomputed=[]) -%}
    {%- set names = _health_reason_names() -%}
    {%- set parts = [] -%}
    {%- for k in range(1, var('health_reasons_max') + 1) -%}
        {%- set reason -%}
            case
            {%- for name in names %}
                when reason_rank_{{ name }} = {{ k }} then
                {%- if name in precomputed %} reason_text_{{ name }}
                {%- else %} {{ _health_reason_text(name) }}
                {%- endif %}
            {%- endfor %}
            end
        {%- endset -%}
        {%- do parts.append(reason if k == 1 else 'coalesce(' ~ dbt.concat(["'; '", reason]) ~ ", '')") -%}
    {%- endfor -%}
    {{ dbt.concat(parts) }}
{%- endmacro %}

{#- The explanation of the named components of a health row (alias: the relation holding
    <name>_component, breadth_component and sentiment_component): each component as 0-100
    (one decimal) and its contribution in score points (two decimals; the contributions add
    up to the score before rounding), as <name>_score and <name>_contribution_points, the
    weight var being health_weight_<name>. Breadth is null where it is absent (contacts,
    records without customer people of interest), sentiment where no scored customer email
    is in the window. Components in precomputed are read from alias (int_record_health_daily
    writes all but recency once per change row). -#}
{% macro health_component_explanations(components, alias, precomputed=[]) -%}
    {%- for name in components %}
    {%- if name in precomputed %}
    {{ alias }}.{{ name }}_score,
    {{ alias }}.{{ name }}_contribution_points
    {%- else %}
    cast({{ round_double('100 * ' ~ alias ~ '.' ~ name ~ '_component', 1) }} as double)
        as {{ name }}_score,
    cast({{ round_double(health_contribution(
        alias ~ '.' ~ name ~ '_component', 'health_weight_' ~ name, alias ~ '.breadth_component',
        alias ~ '.sentiment_component'
    ), 2) }} as double) as {{ name }}_contribution_points
    {%- endif %}
    {%- if not loop.last %},{% endif %}
    {%- endfor %}
{%- endmacro %}
