-- Every record a link can name (int_activities_linked_to_records) with the inputs that
-- decide its links, and one fingerprint of them. Independent of the as-of instant T.
-- The links of a record depend on (KPI_SPEC section 2):
-- - whether it is a record (activities regarding it link to it),
-- - its people of interest with their sides (participant links),
-- - for an account, the contacts, opportunities and leads whose parent account it is
--   (account roll-up): a contact moving to another account changes both accounts.
-- The incremental linking model keeps, on each link, the fingerprint it was built from
-- and rebuilds the links of every record whose fingerprint differs (or is new or gone).
-- A record's own parent_account_id is listed for the linking model's roll-up join; it
-- changes the parent accounts' fingerprints, not this record's.
with records as (
    select record_type, record_id, parent_account_id
    from {{ ref('int_records_unioned') }}
),

people_of_interest as (
    select record_type, record_id, person_id, side
    from {{ ref('int_record_people_of_interest') }}
),

link_targets as (
    select record_type, record_id
    from records
    union
    select 'account' as record_type, parent_account_id as record_id
    from records
    where parent_account_id is not null
    union
    select record_type, record_id
    from people_of_interest
),

people_of_interest_sets as (
    select
        record_type,
        record_id,
        {{ set_fingerprint("side || ':' || person_id") }} as people_of_interest_hash
    from people_of_interest
    group by record_type, record_id
),

rolled_up_sets as (
    select
        parent_account_id as account_id,
        {{ set_fingerprint("record_type || ':' || record_id") }} as rolled_up_records_hash
    from records
    where record_type in ('contact', 'opportunity', 'lead')
        and parent_account_id is not null
    group by parent_account_id
),

final as (
    select
        link_targets.record_type,
        link_targets.record_id,
        records.record_id is not null as is_record,
        records.parent_account_id,
        people_of_interest_sets.people_of_interest_hash,
        rolled_up_sets.rolled_up_records_hash,
        {{ row_fingerprint([
            'records.record_id is not null',
            'people_of_interest_sets.people_of_interest_hash',
            'rolled_up_sets.rolled_up_records_hash',
        ]) }} as linking_fingerprint
    from link_targets
    left join records
        on link_targets.record_type = records.record_type
        and link_targets.record_id = records.record_id
    left join people_of_interest_sets
        on link_targets.record_type = people_of_interest_sets.record_type
        and link_targets.record_id = people_of_interest_sets.record_id
    left join rolled_up_sets
        on link_targets.record_type = 'account'
        and link_targets.record_id = rolled_up_sets.account_id
)

select * from final
