-- The record dimension: one row per account, contact, lead and opportunity, with its
-- owner, the owner's business unit and its parent account, so any fact mart keyed by
-- (record_type, record_id) can be sliced by seller, unit or account from the marts alone.
with records as (
    select * from {{ ref('int_records_unioned') }}
),

users as (
    select user_id, user_name, business_unit_id
    from {{ ref('stg_dataverse__system_users') }}
),

opportunities as (
    select
        opportunity_id,
        estimated_value,
        actual_value,
        estimated_close_date,
        actual_close_date
    from {{ ref('stg_dataverse__opportunities') }}
),

parent_accounts as (
    select record_id as account_id, record_name as account_name
    from records
    where record_type = 'account'
),

final as (
    select
        records.record_type,
        records.record_id,
        records.record_name,
        records.record_state,
        records.is_closed,
        records.owner_id,
        owners.user_name as owner_name,
        owners.business_unit_id,
        records.parent_account_id,
        parent_accounts.account_name as parent_account_name,
        records.created_at,
        -- Only opportunities carry close dates and values (KPI_SPEC section 1).
        opportunities.estimated_close_date,
        opportunities.actual_close_date,
        opportunities.estimated_value,
        opportunities.actual_value
    from records
    left join users as owners
        on records.owner_id = owners.user_id
    left join parent_accounts
        on records.parent_account_id = parent_accounts.account_id
    left join opportunities
        on records.record_type = 'opportunity'
        and records.record_id = opportunities.opportunity_id
)

select * from final
