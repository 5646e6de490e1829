"""Extract: one step for every contract table, source -> DuckDB `raw.<table>`, all or none.

The source is chosen at run time by RA_SOURCE: landing files (default), the Dataverse Web
API, or a Synapse Link export folder. One multi-asset holds an asset per contract table
(keys `raw/<table>`, which dbt sources point at), so lineage is per table while a run has
one outcome for raw: every selected table is loaded and validated into
`raw.<table>__next`, and only when all of them loaded are they swapped in, in one
transaction (`orchestration.sources.raw_swap`). A bad value in one table leaves every raw
table of the run as it was. Reading a source, validating and the swap live in
`orchestration.sources` (testable without Dagster); staging a run's tables, with the
privacy filter and the all-or-none clean-up, in extract_staging.py. The step opens the warehouse per
table and closes it each time, in the warehouse pool, because DuckDB allows one writing
process. When RA_RAW_PARQUET_DIR is set, each swapped table is then mirrored as Parquet
there (`orchestration.sources.raw_parquet`), the input of the dbt `spark` target.

With landing files, a table whose files are unchanged since its last committed load is
not staged at all (extract_unchanged.py, sources/landing_fingerprint.py): its raw table
is kept, its asset materializes with `skipped_unchanged`, and the log says why. A table
whose last load's parts are all still there as they were, with new parts added (a change
file in its folder), has only the new parts staged and appended to raw in the swap
(sources/landing_parts.py, sources/raw_append.py); its asset reports `appended_parts`.

No `from __future__ import annotations` here: Dagster reads the asset function's
annotations (context, resources) at definition time.
"""

import dagster as dg

from orchestration.contract import TABLES, TableContract
from orchestration.defs.extract_staging import (
    Extracted,
    filter_staged_tables,
    stage_changed,
)
from orchestration.defs.extract_unchanged import (
    appendable_parts,
    current_parts,
    kept_rows,
    landing_fingerprints,
    run_privacy_policy,
    unchanged_tables,
    unmirrored,
)
from orchestration.defs.resources import (
    WAREHOUSE_POOL,
    RunSettingsResource,
    open_warehouse,
    run_settings_resource,
)
from orchestration.privacy.raw_filter import FilterResult
from orchestration.settings import Settings
from orchestration.sources.raw_append import AppendResult
from orchestration.sources.raw_loader import RAW_SCHEMA
from orchestration.sources.raw_parquet import raw_parquet_path, write_raw_parquet
from orchestration.sources.raw_swap import drop_staged_tables, swap_staged_tables

_COLUMN_TYPES = {
    "varchar": "VARCHAR",
    "boolean": "BOOLEAN",
    "integer": "INTEGER",
    "double": "DOUBLE",
    "timestamp": "TIMESTAMP (UTC)",
    "date": "DATE",
}


def raw_asset_key(table: str) -> dg.AssetKey:
    """The key dbt sources point at (`meta: {dagster: {asset_key: ["raw", table]}}`)."""
    return dg.AssetKey([RAW_SCHEMA, table])


def _column_schema(contract: TableContract) -> dg.TableSchema:
    return dg.TableSchema(
        columns=[
            dg.TableColumn(name, _COLUMN_TYPES[kind]) for name, kind in contract.columns.items()
        ]
        + [
            dg.TableColumn(
                "_source_file",
                "VARCHAR",
                description="landing file, Synapse Link partition or Dataverse entity set",
            ),
            dg.TableColumn(
                "_source_row",
                "BIGINT",
                description="1-based CSV record or Parquet row, or position in the API feed",
            ),
        ]
    )


def mirror_raw_parquet(settings: Settings, tables: list[str], log) -> dict[str, dict]:
    """Write `raw.<table>` as Parquet when RA_RAW_PARQUET_DIR is set; metadata per table."""
    if settings.raw_parquet_dir is None:
        return {}
    # Read-only: the swap has committed and closed its connection; this only copies out.
    with open_warehouse(settings, read_only=True) as connection:
        rows = write_raw_parquet(connection, settings.raw_parquet_dir, tables)
    mirrored = {}
    for table in tables:
        path = raw_parquet_path(settings.raw_parquet_dir, table)
        log.info(f"raw.{table}: {rows[table]} rows written as Parquet to {path}")
        mirrored[table] = {
            "raw_parquet_path": dg.MetadataValue.path(str(path)),
            "raw_parquet_rows": rows[table],
        }
    return mirrored


def raw_asset_spec(contract: TableContract) -> dg.AssetSpec:
    """The asset of one contract table (the dbt source `raw.<table>` depends on it)."""
    return dg.AssetSpec(
        key=raw_asset_key(contract.name),
        group_name="extract",
        kinds={"duckdb"},
        description=(
            f"`{contract.name}` from the source RA_SOURCE names (landing CSV or Parquet, the "
            f"Dataverse Web API, or a Synapse Link export) validated against the input "
            f"contract and loaded into `raw.{contract.name}`; newest `modifiedon` wins on "
            f"repeated `{contract.primary_key}`. Swapped in together with the run's other "
            f"raw tables, or not at all."
        ),
        metadata={
            "dagster/column_schema": _column_schema(contract),
            "dagster/table_name": f"{RAW_SCHEMA}.{contract.name}",
            "primary_key": contract.primary_key,
        },
    )


def build_extract_assets(
    contracts: list[TableContract], name: str = "extract_raw"
) -> dg.AssetsDefinition:
    """One step that extracts `contracts` (any subset of them) with one outcome for raw."""

    @dg.multi_asset(
        name=name,
        specs=[raw_asset_spec(contract) for contract in contracts],
        can_subset=True,
        pool=WAREHOUSE_POOL,
    )
    def extract_raw(context: dg.AssetExecutionContext, run_settings: RunSettingsResource):
        settings = run_settings.settings()
        selected = [
            contract
            for contract in contracts
            if raw_asset_key(contract.name) in context.selected_asset_keys
        ]
        with open_warehouse(settings) as connection:
            leftovers = drop_staged_tables(connection)
        if leftovers:
            context.log.warning(
                f"dropped staged tables an interrupted run left behind: {', '.join(leftovers)}"
            )
        policy = run_privacy_policy(settings)
        fingerprints = landing_fingerprints(settings, policy, selected)
        unchanged = unchanged_tables(settings, fingerprints)
        parts = current_parts(settings, policy, selected)
        appends = appendable_parts(settings, policy, parts, unchanged)
        staged: dict[str, Extracted] = {}
        appended: dict[str, AppendResult] = {}
        privacy = FilterResult()
        if len(unchanged) < len(selected):
            staged, unchanged = stage_changed(
                settings, policy, selected, unchanged, context.log, appends
            )
        # What was staged is what loads (in contract order); the rest kept their raw tables.
        tables = [contract.name for contract in selected if contract.name in staged]
        if tables:
            privacy = filter_staged_tables(settings, policy, tables, context.log)
            if privacy.rows_removed or privacy.rows_pseudonymised:
                context.log.info(
                    f"privacy: rows removed {privacy.rows_removed}, "
                    f"ids pseudonymised {privacy.rows_pseudonymised}"
                )
            with open_warehouse(settings) as connection:
                appended = swap_staged_tables(
                    connection,
                    tables,
                    [e.pending_links for e in staged.values() if e.pending_links is not None],
                    {table: fingerprints[table] for table in tables},
                    {table: found[1] if (found := parts[table]) else None for table in tables},
                    [table for table in tables if staged[table].appended],
                )
            context.log.info(f"raw swapped in one transaction: {', '.join(tables)}")
        kept = kept_rows(settings, unchanged)
        for table in unchanged:
            context.log.info(
                f"raw.{table}: landing files unchanged since its last load (same paths, "
                f"sizes, modification and change times; same privacy policy and loading "
                f"code), not reloaded; its {kept[table]} rows are kept"
            )
        mirrored = mirror_raw_parquet(
            settings, tables + unmirrored(settings, unchanged), context.log
        )
        for table in tables:
            extracted = staged[table]
            result = extracted.result
            if table in appended:
                done = appended[table]
                context.log.info(
                    f"raw.{table}: {extracted.read_from} appended ({result.rows_read} rows read: "
                    f"{done.rows_appended} added, {done.rows_replaced} older versions replaced, "
                    f"{done.rows_deleted} deleted); {done.rows_after} rows now"
                )
                yield _appended_result(table, extracted, appended[table], privacy, mirrored)
                continue
            context.log.info(
                f"raw.{table}: {result.rows_loaded} rows from {extracted.read_from}, "
                f"{result.duplicates_superseded} superseded"
            )
            if result.rows_loaded == 0:
                context.log.warning(
                    f"raw.{table} is empty: "
                    + (
                        "a first load may be empty"
                        if result.previous_rows is None
                        else f"it held {result.previous_rows} rows before this run"
                    )
                )
            yield dg.MaterializeResult(
                asset_key=raw_asset_key(table),
                metadata={
                    "dagster/row_count": result.rows_loaded,
                    "rows_read": result.rows_read,
                    "duplicates_superseded": result.duplicates_superseded,
                    "rows_flagged_deleted": result.rows_flagged_deleted,
                    "rows_removed_for_privacy": privacy.rows_removed_from(table),
                    "source_format": extracted.source_format,
                    "source_files": dg.MetadataValue.json(list(result.source_files)),
                    **extracted.metadata,
                    **mirrored.get(table, {}),
                },
            )
        for table in unchanged:
            yield dg.MaterializeResult(
                asset_key=raw_asset_key(table),
                metadata={
                    "dagster/row_count": kept[table],
                    "skipped_unchanged": True,
                    "source_format": settings.source,
                    **mirrored.get(table, {}),
                },
            )

    return extract_raw


def _appended_result(
    table: str,
    extracted: Extracted,
    append: AppendResult,
    privacy: FilterResult,
    mirrored: dict[str, dict],
) -> dg.MaterializeResult:
    """What an appended table reports: raw's rows after, and what its new parts did."""
    return dg.MaterializeResult(
        asset_key=raw_asset_key(table),
        metadata={
            "dagster/row_count": append.rows_after,
            "rows_read": extracted.result.rows_read,
            "rows_appended": append.rows_appended,
            "rows_replaced_by_newer": append.rows_replaced,
            "rows_deleted_by_new_parts": append.rows_deleted,
            "duplicates_superseded": extracted.result.duplicates_superseded,
            "rows_removed_for_privacy": privacy.rows_removed_from(table),
            "source_format": extracted.source_format,
            "source_files": dg.MetadataValue.json(list(extracted.result.source_files)),
            **{
                name: dg.MetadataValue.json(value) if isinstance(value, list) else value
                for name, value in extracted.metadata.items()
            },
            **mirrored.get(table, {}),
        },
    )


def build_extract_asset(contract: TableContract) -> dg.AssetsDefinition:
    """One table alone (its own step `raw__<table>`), for tests and partial loads."""
    return build_extract_assets([contract], name=f"raw__{contract.name}")


extract_assets: list[dg.AssetsDefinition] = [build_extract_assets(list(TABLES.values()))]

defs = dg.Definitions(
    assets=extract_assets,
    resources={"run_settings": run_settings_resource},
)
