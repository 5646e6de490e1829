{#- The relationship health formula (docs/kpi_definitions.md section 6), one place for the
    daily health history (int_record_health_daily) and the validation against outcomes
    (int_opportunity_health_at_horizons): both must score with the same formula and the
    same parameters, or the validation would prove something about another score.
    Inputs are SQL expressions over window sums; components are 0-1 doubles. -#}

{#- min(1, weighted activities in the window / activities expected in the window), from the
    weighted sum in whole millionths. -#}
{% macro health_frequency(weighted_millionths) -%}
    least(
        1.0,
        {{ weighted_millionths }} / 1000000.0
        / ({{ var('health_window_days') }} / {{ var('health_expected_interval_days') }})
    )
{%- endmacro %}

{#- 0.5 ^ (days since the last activity / half-life); 0 without any activity yet. -#}
{% macro health_recency(days_since_last_activity) -%}
    case
        when {{ days_since_last_activity }} is null then 0.0
        else power(0.5, ({{ days_since_last_activity }}) / {{ var('health_recency_half_life_days') }})
    end
{%- endmacro %}

{#- min(1, customer-initiated share / target share); 0 when nothing was initiated. -#}
{% macro health_initiative(customer_initiated, team_initiated) -%}
    case
        when {{ team_initiated }} + {{ customer_initiated }} > 0 then least(
            1.0,
            cast({{ customer_initiated }} as double)
            / ({{ team_initiated }} + {{ customer_initiated }})
            / {{ var('health_target_customer_share') }}
        )
        else 0.0
    end
{%- endmacro %}

{#- min(1, customer answers / team emails); null when the team sent no email. -#}
{% macro health_answers(customer_answers, team_emails) -%}
    case
        when {{ team_emails }} > 0
            then least(1.0, cast({{ customer_answers }} as double) / {{ team_emails }})
    end
{%- endmacro %}

{% macro health_reciprocity(initiative, answers) -%}
    case
        when {{ answers }} is null then {{ initiative }}
        else ({{ initiative }} + {{ answers }}) / 2
    end
{%- endmacro %}

{#- min(1, customer people of interest who took part in the window / the people expected):
    expected = min(people of interest, health_breadth_target_people). Null (absent) without
    customer people of interest: contacts (their only person is themselves) and records
    with none. -#}
{% macro health_breadth(people_engaged, people_of_interest) -%}
    case
        when {{ people_of_interest }} > 0 then least(
            1.0,
            cast({{ people_engaged }} as double)
            / least({{ people_of_interest }}, {{ var('health_breadth_target_people') }})
        )
    end
{%- endmacro %}

{#- Tone of customer emails: the average VADER compound (-1..1) of the scored customer
    emails in the window, mapped to 0-1 as (average + 1) / 2 (so 0-100 is (compound + 1) x 50).
    Null (absent) without a scored customer email in the window. Input: the sum of the
    compounds in whole millionths and the number of scored emails. -#}
{% macro health_sentiment(compound_millionths, scored_emails) -%}
    case
        when {{ scored_emails }} > 0
            then ({{ compound_millionths }} / 1000000.0 / {{ scored_emails }} + 1) / 2
    end
{%- endmacro %}

{#- The band of an average compound, VADER's usual thresholds (vars): 'positive' at
    health_sentiment_positive (0.05) or more, 'negative' at health_sentiment_negative (-0.05)
    or less, else 'neutral'; null when the average is null. -#}
{% macro health_sentiment_band(average) -%}
    case
        when {{ average }} >= {{ var('health_sentiment_positive') }} then 'positive'
        when {{ average }} <= {{ var('health_sentiment_negative') }} then 'negative'
        when {{ average }} is not null then 'neutral'
    end
{%- endmacro %}

{#- The weight an optional component adds when it is present (not null) and its weight is
    not 0; empty when the weight is 0. -#}
{% macro _health_optional_weight(component, weight_var) -%}
    {%- if var(weight_var) | float != 0 -%}
        + case when {{ component }} is null then 0 else {{ var(weight_var) }} end
    {%- endif -%}
{%- endmacro %}

{#- The weights of the components present on a row: frequency, recency and reciprocity
    always, breadth and sentiment when not null and their weight is not 0. The score divides
    by it, so an absent component's weight is spread over the others (never a fake neutral
    value). With breadth and sentiment at weight 0 it is the constant 0.35 + 0.35 + 0.30. -#}
{% macro health_weight_total(breadth, sentiment='null') -%}
    {%- set base = var('health_weight_frequency') + var('health_weight_recency')
        + var('health_weight_reciprocity') -%}
    {%- set optional = _health_optional_weight(breadth, 'health_weight_breadth')
        ~ _health_optional_weight(sentiment, 'health_weight_sentiment') -%}
    {%- if optional | trim == '' -%}
        {{ base }}
    {%- else -%}
        ({{ base }} {{ optional }})
    {%- endif -%}
{%- endmacro %}

{#- A component's weighted contribution in score points: 100 x weight x component / the
    weights present. The contributions add up to the score before rounding. -#}
{% macro health_contribution(component, weight_var, breadth, sentiment='null') -%}
    100 * {{ var(weight_var) }} * {{ component }} / {{ health_weight_total(breadth, sentiment) }}
{%- endmacro %}

{#- The 0-100 integer score, or null below health_min_activities completed activities.
    Rounded from 100 x (sum of weight x component) / weights present, the form the scores
    were first published with (divided by 1.0 under the defaults): adding the contributions
    one by one can differ in the last bit and flip a .5. -#}
{% macro health_score(activities_to_date, frequency, recency, reciprocity, breadth, sentiment='null') -%}
    {%- set optional_terms = [] -%}
    {%- for component, weight_var in [(breadth, 'health_weight_breadth'), (sentiment, 'health_weight_sentiment')] -%}
        {%- if var(weight_var) | float != 0 -%}
            {%- do optional_terms.append(' + ' ~ var(weight_var) ~ ' * coalesce(' ~ component ~ ', 0.0)') -%}
        {%- endif -%}
    {%- endfor -%}
    case
        when {{ activities_to_date }} >= {{ var('health_min_activities') }} then cast({{ round_double(
            "100 * ("
            ~ var('health_weight_frequency') ~ " * " ~ frequency ~ " + "
            ~ var('health_weight_recency') ~ " * " ~ recency ~ " + "
            ~ var('health_weight_reciprocity') ~ " * " ~ reciprocity
            ~ optional_terms | join('') ~ ") / " ~ health_weight_total(breadth, sentiment),
            0
        ) }} as {{ dbt.type_int() }})
    end
{%- endmacro %}
