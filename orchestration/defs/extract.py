"""Extract: one asset per contract table, source -> DuckDB `raw.<table>`.

The source is chosen at run time by RA_SOURCE: landing files (default), the Dataverse Web
API, or a Synapse Link for Dataverse export folder. The assets are thin: reading a
source, validating and the atomic swap live in `orchestration.sources` (testable without
Dagster). Each asset opens the warehouse for its own step only and closes it before
returning, and every asset shares the warehouse pool, because DuckDB allows one writing
process. When RA_RAW_PARQUET_DIR is set, each asset then mirrors its loaded table as
Parquet there (`orchestration.sources.raw_parquet`), the input of the dbt `spark` target.

No `from __future__ import annotations` here: Dagster reads the asset function's
annotations (context, resources) at definition time.
"""

from dataclasses import dataclass, field

import dagster as dg

from orchestration.contract import TABLES, TableContract
from orchestration.defs.resources import (
    WAREHOUSE_POOL,
    RunSettingsResource,
    connect_warehouse,
    run_settings_resource,
)
from orchestration.settings import Settings
from orchestration.sources import dataverse
from orchestration.sources.files import LandingDataError, find_landing_files
from orchestration.sources.landing import load_landing_files
from orchestration.sources.raw_loader import RAW_SCHEMA, LoadResult
from orchestration.sources.raw_parquet import raw_parquet_path, write_raw_parquet
from orchestration.sources.synapse_link import load_synapse_link_table

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


@dataclass(frozen=True)
class Extracted:
    """One table's load, in the words of its source, for the log and run metadata."""

    result: LoadResult
    source_format: str
    read_from: str
    metadata: dict[str, object] = field(default_factory=dict)


def extract_from_files(settings: Settings, contract: TableContract, log) -> Extracted:
    files = find_landing_files(settings.landing_dir, contract.name)
    with connect_warehouse(settings.warehouse) as connection:
        result = load_landing_files(
            connection,
            contract,
            files,
            encoding=settings.landing_encoding,
            allow_empty=settings.allows_empty(contract.name),
        )
    return Extracted(result, files.format, f"{len(files.paths)} {files.format} file(s)")


def extract_from_synapse_link(settings: Settings, contract: TableContract, log) -> Extracted:
    with connect_warehouse(settings.warehouse) as connection:
        loaded = load_synapse_link_table(
            connection,
            contract,
            settings.landing_dir,
            allow_empty=settings.allows_empty(contract.name),
        )
    return Extracted(
        loaded.load,
        "synapse_link",
        f"{len(loaded.files)} Synapse Link partition(s)",
        {
            "records_read": loaded.records,
            "versions_superseded": loaded.versions_superseded,
            "rows_deleted": loaded.rows_deleted,
            "records_with_extra_fields": loaded.records_with_extra_fields,
        },
    )


def extract_from_dataverse(settings: Settings, contract: TableContract, log) -> Extracted:
    with dataverse.DataverseClient.from_settings(settings, log=log) as client:
        extract = dataverse.extract_table(
            lambda: connect_warehouse(settings.warehouse),
            contract,
            client,
            log=log,
            allow_empty=settings.allows_empty(contract.name),
        )
    details = {
        "extract_mode": extract.mode,
        "rows_changed": extract.rows_changed,
        "rows_deleted": extract.rows_deleted,
        "activities_rechecked": extract.activities_rechecked,
        "pages": extract.pages,
        "requests": extract.requests,
    }
    return Extracted(
        extract.load,
        "dataverse",
        f"a Dataverse {extract.mode} read ({extract.requests} request(s))",
        {name: value for name, value in details.items() if value is not None},
    )


def mirror_raw_parquet(settings: Settings, table: str, log) -> dict[str, object]:
    """Write `raw.<table>` as Parquet when RA_RAW_PARQUET_DIR is set; metadata for the run."""
    if settings.raw_parquet_dir is None:
        return {}
    # Read-only: the load has committed and closed its connection; this only copies it out.
    with connect_warehouse(settings.warehouse, read_only=True) as connection:
        rows = write_raw_parquet(connection, settings.raw_parquet_dir, [table])[table]
    path = raw_parquet_path(settings.raw_parquet_dir, table)
    log.info(f"raw.{table}: {rows} rows written as Parquet to {path}")
    return {"raw_parquet_path": dg.MetadataValue.path(str(path)), "raw_parquet_rows": rows}


EXTRACTORS = {
    "files": extract_from_files,
    "synapse_link": extract_from_synapse_link,
    "dataverse": extract_from_dataverse,
}


def build_extract_asset(contract: TableContract) -> dg.AssetsDefinition:
    """The extract asset of one contract table."""

    @dg.asset(
        key=raw_asset_key(contract.name),
        group_name="extract",
        pool=WAREHOUSE_POOL,
        kinds={"duckdb"},
        description=(
            f"`{contract.name}` from the source RA_SOURCE names (landing CSV or Parquet, the "
            f"Dataverse Web API, or a Synapse Link export) validated against the input "
            f"contract and loaded into `raw.{contract.name}`; newest `modifiedon` wins on "
            f"repeated `{contract.primary_key}`."
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
            extracted = EXTRACTORS[settings.source](settings, contract, context.log)
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
        except dataverse.DataverseError as error:
            # Redacted at the source: the message holds no secret or token.
            raise dg.Failure(
                description=str(error),
                metadata={
                    "table": contract.name,
                    "source": "dataverse",
                    **({"http_status": error.status} if error.status else {}),
                },
                allow_retries=error.retryable,
            ) from error
        result = extracted.result
        context.log.info(
            f"raw.{contract.name}: {result.rows_loaded} rows from {extracted.read_from}, "
            f"{result.duplicates_superseded} superseded"
        )
        if result.rows_loaded == 0:
            context.log.warning(
                f"raw.{contract.name} is empty: "
                + (
                    "a first load may be empty"
                    if result.previous_rows is None
                    else f"it held {result.previous_rows} rows before this run"
                )
            )
        mirrored = mirror_raw_parquet(settings, contract.name, context.log)
        return dg.MaterializeResult(
            metadata={
                "dagster/row_count": result.rows_loaded,
                "rows_read": result.rows_read,
                "duplicates_superseded": result.duplicates_superseded,
                "rows_flagged_deleted": result.rows_flagged_deleted,
                "source_format": extracted.source_format,
                "source_files": dg.MetadataValue.json(list(result.source_files)),
                **extracted.metadata,
                **mirrored,
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
