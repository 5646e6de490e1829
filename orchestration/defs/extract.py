"""Extract: one step for every contract table, source -> DuckDB `raw.<table>`, all or none.

The source is chosen at run time by RA_SOURCE: landing files (default), the Dataverse Web
API, or a Synapse Link export folder. One multi-asset holds an asset per contract table
(keys `raw/<table>`, which dbt sources point at), so lineage is per table while a run has
one outcome for raw: every selected table is loaded and validated into
`raw.<table>__next`, and only when all of them loaded are they swapped in, in one
transaction (`orchestration.sources.raw_swap`). A bad value in one table leaves every raw
table of the run as it was. Reading a source, validating and the swap live in
`orchestration.sources` (testable without Dagster). The step opens the warehouse per
table and closes it each time, in the warehouse pool, because DuckDB allows one writing
process. When RA_RAW_PARQUET_DIR is set, each swapped table is then mirrored as Parquet
there (`orchestration.sources.raw_parquet`), the input of the dbt `spark` target.

With landing files, a table whose files are unchanged since its last committed load is
not staged at all (extract_unchanged.py, sources/landing_fingerprint.py): its raw table
is kept, its asset materializes with `skipped_unchanged`, and the log says why.

No `from __future__ import annotations` here: Dagster reads the asset function's
annotations (context, resources) at definition time.
"""

from dataclasses import dataclass, field

import dagster as dg

from orchestration.contract import TABLES, TableContract
from orchestration.defs.extract_unchanged import (
    kept_rows,
    landing_fingerprints,
    must_load_all,
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
from orchestration.privacy.incremental import incremental_tables, reset_when_people_change
from orchestration.privacy.policy import PrivacyPolicy
from orchestration.privacy.raw_filter import FilterResult, apply_privacy_filter, raw_relations
from orchestration.settings import Settings
from orchestration.sources import dataverse
from orchestration.sources.files import find_landing_files
from orchestration.sources.landing import load_landing_files
from orchestration.sources.raw_load_errors import LandingDataError
from orchestration.sources.raw_loader import RAW_SCHEMA, LoadResult
from orchestration.sources.raw_parquet import raw_parquet_path, write_raw_parquet
from orchestration.sources.raw_swap import drop_staged_tables, staged_name, swap_staged_tables
from orchestration.sources.state import PendingLinks
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
    pending_links: PendingLinks | None = None  # Dataverse: resume points stored by the swap


def extract_from_files(settings: Settings, contract: TableContract, log, into: str) -> Extracted:
    files = find_landing_files(settings.landing_dir, contract.name)
    with open_warehouse(settings) as connection:
        result = load_landing_files(
            connection,
            contract,
            files,
            encoding=settings.landing_encoding,
            allow_empty=settings.allows_empty(contract.name),
            into=into,
        )
    return Extracted(result, files.format, f"{len(files.paths)} {files.format} file(s)")


def extract_from_synapse_link(
    settings: Settings, contract: TableContract, log, into: str
) -> Extracted:
    with open_warehouse(settings) as connection:
        loaded = load_synapse_link_table(
            connection,
            contract,
            settings.landing_dir,
            allow_empty=settings.allows_empty(contract.name),
            into=into,
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


def extract_from_dataverse(
    settings: Settings, contract: TableContract, log, into: str
) -> Extracted:
    with dataverse.DataverseClient.from_settings(settings, log=log) as client:
        extract = dataverse.extract_table(
            lambda: open_warehouse(settings),
            contract,
            client,
            log=log,
            allow_empty=settings.allows_empty(contract.name),
            into=into,
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
        extract.pending_links,
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


EXTRACTORS = {
    "files": extract_from_files,
    "synapse_link": extract_from_synapse_link,
    "dataverse": extract_from_dataverse,
}


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


def _failure(error: LandingDataError, others: list[LandingDataError]) -> dg.Failure:
    """Bad input does not heal on retry: fail with the operator's message(s)."""
    description = str(error)
    if others:
        description += "\n" + "\n".join(f"also: {other}" for other in others)
    description += "\nNo raw table of this run was replaced (all or none)."
    return dg.Failure(
        description=description,
        metadata={
            key: value
            for key, value in {
                "table": error.table,
                "file": error.file,
                "column": error.column,
                "row": error.row,
                "value": error.value,
                "tables_failed": ", ".join(e.table or "?" for e in [error, *others]),
            }.items()
            if value is not None
        },
        allow_retries=False,
    )


def stage_tables(settings: Settings, contracts: list[TableContract], log) -> dict[str, Extracted]:
    """Load every table into `raw.<table>__next`; raise for the bad ones, nothing swapped.

    Every table is tried, so one run reports every table with bad input. A Dataverse
    error (network, HTTP) stops at once. On any failure the staged tables are dropped.
    """
    staged: dict[str, Extracted] = {}
    bad: list[LandingDataError] = []
    try:
        for contract in contracts:
            try:
                staged[contract.name] = EXTRACTORS[settings.source](
                    settings, contract, log, staged_name(contract.name)
                )
            except LandingDataError as error:
                log.error(str(error))
                bad.append(error)
    except BaseException:
        _drop_staged(settings, [contract.name for contract in contracts])
        raise
    if bad:
        _drop_staged(settings, [contract.name for contract in contracts])
        raise _failure(bad[0], bad[1:])
    return staged


def filter_staged_tables(
    settings: Settings, policy: PrivacyPolicy, tables: list[str], log
) -> FilterResult:
    """Apply the run's privacy policy (docs/privacy.md) to its staged tables.

    Opt-outs, exclusions, the erasure register and retention act before the swap, so raw
    never holds what they remove; a failure drops the staged tables (raw unchanged). When
    the people listed or erased changed, the incremental models are dropped so dbt
    rebuilds them in full (privacy/incremental.py).
    """
    try:
        with open_warehouse(settings) as connection:
            read = raw_relations(connection, {table: staged_name(table) for table in tables})
            result = apply_privacy_filter(
                connection, policy, read, {table: read[table] for table in tables}
            )
            dropped = reset_when_people_change(connection, policy, incremental_tables())
        if dropped:
            log.info(
                "privacy: the people kept out changed, so the incremental models are built in "
                f"full this run ({', '.join(dropped)} dropped)"
            )
        return result
    except BaseException:
        _drop_staged(settings, tables)
        raise


def _drop_staged(settings: Settings, tables: list[str]) -> None:
    with open_warehouse(settings) as connection:
        drop_staged_tables(connection, tables)


def _stage(settings: Settings, contracts: list[TableContract], log) -> dict[str, Extracted]:
    """`stage_tables`, with a Dataverse error turned into a Dagster failure."""
    try:
        return stage_tables(settings, contracts, log)
    except dataverse.DataverseError as error:
        # Redacted at the source: the message holds no secret or token.
        raise dg.Failure(
            description=str(error),
            metadata={
                **({"table": error.table} if error.table else {}),
                "source": "dataverse",
                **({"http_status": error.status} if error.status else {}),
            },
            allow_retries=error.retryable,
        ) from error


def stage_changed(
    settings: Settings,
    policy: PrivacyPolicy,
    selected: list[TableContract],
    unchanged: list[str],
    log,
) -> tuple[dict[str, Extracted], list[str]]:
    """Stage the selected tables not in `unchanged`; return (staged, tables still skipped).

    When the privacy filter then reads across tables (`must_load_all`), the unchanged
    tables are staged too and none is skipped. Any failure drops every staged table.
    """
    staged = _stage(settings, [c for c in selected if c.name not in unchanged], log)
    try:
        if not unchanged or not must_load_all(settings, policy, list(staged)):
            return staged, unchanged
        log.info(
            "privacy: the filter reads across tables (someone listed or erased, retention, "
            f"or an opt-out column), so the unchanged tables are loaded too: {', '.join(unchanged)}"
        )
        staged |= _stage(settings, [c for c in selected if c.name in unchanged], log)
    except BaseException:
        _drop_staged(settings, [contract.name for contract in selected])
        raise
    return staged, []


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
        to_load = [contract for contract in selected if contract.name not in unchanged]
        staged: dict[str, Extracted] = {}
        privacy = FilterResult()
        if to_load:
            staged, unchanged = stage_changed(settings, policy, selected, unchanged, context.log)
            to_load = [contract for contract in selected if contract.name not in unchanged]
            loaded = [contract.name for contract in to_load]
            privacy = filter_staged_tables(settings, policy, loaded, context.log)
            if privacy.rows_removed or privacy.rows_pseudonymised:
                context.log.info(
                    f"privacy: rows removed {privacy.rows_removed}, "
                    f"ids pseudonymised {privacy.rows_pseudonymised}"
                )
            with open_warehouse(settings) as connection:
                swap_staged_tables(
                    connection,
                    loaded,
                    [e.pending_links for e in staged.values() if e.pending_links is not None],
                    {table: fingerprints[table] for table in loaded},
                )
            context.log.info(f"raw swapped in one transaction: {', '.join(loaded)}")
        tables = [contract.name for contract in to_load]
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


def build_extract_asset(contract: TableContract) -> dg.AssetsDefinition:
    """One table alone (its own step `raw__<table>`), for tests and partial loads."""
    return build_extract_assets([contract], name=f"raw__{contract.name}")


extract_assets: list[dg.AssetsDefinition] = [build_extract_assets(list(TABLES.values()))]

defs = dg.Definitions(
    assets=extract_assets,
    resources={"run_settings": run_settings_resource},
)
