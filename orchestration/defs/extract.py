"""Extract: one asset per contract table, landing files -> DuckDB `raw.<table>`.

The assets are thin: finding files, validating and the atomic swap live in
`orchestration.sources` (testable without Dagster and reused by the Dataverse source).
Each asset opens the warehouse for its own step only and closes it before returning, and
every asset shares the warehouse pool, because DuckDB allows one writing process.

No `from __future__ import annotations` here: Dagster reads the asset function's
annotations (context, resources) at definition time.
"""

import dagster as dg

from orchestration.contract import TABLES, TableContract
from orchestration.defs.resources import (
    WAREHOUSE_POOL,
    RunSettingsResource,
    connect_warehouse,
    run_settings_resource,
)
from orchestration.sources.files import LandingDataError, find_landing_files
from orchestration.sources.raw_loader import RAW_SCHEMA, load_landing_files

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
            dg.TableColumn("_source_file", "VARCHAR", description="landing file of the row"),
            dg.TableColumn(
                "_source_row", "BIGINT", description="1-based CSV record or Parquet row"
            ),
        ]
    )


def build_extract_asset(contract: TableContract) -> dg.AssetsDefinition:
    """The extract asset of one contract table."""

    @dg.asset(
        key=raw_asset_key(contract.name),
        group_name="extract",
        pool=WAREHOUSE_POOL,
        kinds={"duckdb"},
        description=(
            f"Landing `{contract.name}` (CSV or Parquet, file or folder) validated against "
            f"the input contract and loaded into `raw.{contract.name}`; newest "
            f"`modifiedon` wins on repeated `{contract.primary_key}`."
        ),
        metadata={
            "dagster/column_schema": _column_schema(contract),
            "dagster/table_name": f"{RAW_SCHEMA}.{contract.name}",
            "primary_key": contract.primary_key,
        },
    )
    def extract_table(
        context: dg.AssetExecutionContext, run_settings: RunSettingsResource
    ) -> dg.MaterializeResult:
        settings = run_settings.settings()
        try:
            files = find_landing_files(settings.landing_dir, contract.name)
            with connect_warehouse(settings.warehouse) as connection:
                result = load_landing_files(connection, contract, files)
        except LandingDataError as error:
            # Bad input does not heal on retry: fail the step with the operator's message.
            raise dg.Failure(
                description=str(error),
                metadata={
                    key: value
                    for key, value in {
                        "table": error.table,
                        "file": error.file,
                        "column": error.column,
                        "row": error.row,
                        "value": error.value,
                    }.items()
                    if value is not None
                },
                allow_retries=False,
            ) from error
        context.log.info(
            f"raw.{contract.name}: {result.rows_loaded} rows from {len(files.paths)} "
            f"{files.format} file(s), {result.duplicates_superseded} superseded"
        )
        return dg.MaterializeResult(
            metadata={
                "dagster/row_count": result.rows_loaded,
                "rows_read": result.rows_read,
                "duplicates_superseded": result.duplicates_superseded,
                "source_format": files.format,
                "source_files": dg.MetadataValue.json(list(result.source_files)),
            }
        )

    return extract_table


extract_assets: list[dg.AssetsDefinition] = [
    build_extract_asset(contract) for contract in TABLES.values()
]

defs = dg.Definitions(
    assets=extract_assets,
    resources={"run_settings": run_settings_resource},
)
