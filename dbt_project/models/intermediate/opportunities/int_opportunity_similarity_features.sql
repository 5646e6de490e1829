-- What makes two deals comparable: account industry and size, estimated value (log scale),
-- the owner's business unit and the number of stakeholders.
with opportunities as (
    select * from {{ ref('stg_dataverse__opportunities') }}
),

accounts as (
    select * from {{ ref('stg_dataverse__accounts') }}
),

users as (
    select * from {{ ref('stg_dataverse__system_users') }}
),

stakeholders as (
    select record_id as opportunity_id, count(*) as stakeholder_count
    from {{ ref('int_record_people_of_interest') }}
    where record_type = 'opportunity'
        and side = 'customer'
    group by record_id
),

features as (
    select
        opportunities.opportunity_id,
        opportunities.opportunity_name,
        opportunities.opportunity_state,
        opportunities.created_at,
        opportunities.estimated_value,
        opportunities.actual_value,
        opportunities.actual_close_date,
        accounts.industry_code,
        log10(greatest(coalesce(opportunities.estimated_value, 1), 1)) as log_estimated_value,
        cast(floor(log10(greatest(coalesce(opportunities.estimated_value, 1), 1)))
            as {{ dbt.type_int() }}) as value_bucket,
        log10(1 + coalesce(accounts.number_of_employees, 0)) as log_account_size,
        users.business_unit_id,
        coalesce(stakeholders.stakeholder_count, 0) as stakeholder_count
    from opportunities
    left join accounts
        on opportunities.parent_account_id = accounts.account_id
    left join users
        on opportunities.owner_id = users.user_id
    left join stakeholders
        on opportunities.opportunity_id = stakeholders.opportunity_id
)

select * from features
