-- The user dimension: one row per Dataverse systemuser, with the name and business unit
-- every fact mart's user keys (owner_id, user_id) join to. The source carries no business
-- unit table, so a unit is known by its id only.
with users as (
    select * from {{ ref('stg_dataverse__system_users') }}
),

final as (
    select
        user_id,
        user_name,
        email_address,
        business_unit_id,
        is_disabled
    from users
)

select * from final
