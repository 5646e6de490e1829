-- Cross-model truth (KPI_SPEC section 3): every account, contact, lead and opportunity of
-- int_records_unioned has exactly one row in mart_relationship_kpis (records without
-- activity included), and the mart has no row for a record that does not exist.
-- Returns one row per record with a row count other than 1.
-- In Dagster an asset check of mart_relationship_kpis (blocking, as every error-severity test): a test
-- of several models needs meta.dagster.ref to name the model it checks.
{{ config(meta={'dagster': {'ref': {'name': 'mart_relationship_kpis'}}}) }}

with records as (
    select record_type, record_id from {{ ref('int_records_unioned') }}
),

kpi_rows as (
    select record_type, record_id, count(*) as kpi_row_count
    from {{ ref('mart_relationship_kpis') }}
    group by record_type, record_id
),

compared as (
    select
        coalesce(records.record_type, kpi_rows.record_type) as record_type,
        coalesce(records.record_id, kpi_rows.record_id) as record_id,
        records.record_id is not null as is_known_record,
        coalesce(kpi_rows.kpi_row_count, 0) as kpi_row_count
    from records
    full outer join kpi_rows
        on records.record_type = kpi_rows.record_type
        and records.record_id = kpi_rows.record_id
)

select *
from compared
where not is_known_record
    or kpi_row_count <> 1
