"""Staging the raw tables of one extract: each source's loader into `raw.<table>__next`,
the privacy filter on what was staged, and the all-or-none clean-up on failure.

extract.py swaps the staged tables into raw in one transaction and reports them to
Dagster; this module only stages (testable through the extract asset). A table with only
new landing parts has just those staged, resolved against raw, for the swap to append
(orchestration/sources/raw_append.py). Bad input fails
with every bad table's error (table, file, column, row); a Dataverse error stops at once.
"""

from collections.abc import Mapping
from dataclasses import dataclass, field

import dagster as dg

from orchestration.contract import TableContract
from orchestration.defs.extract_unchanged import must_load_all
from orchestration.defs.resources import open_warehouse
from orchestration.privacy.incremental import incremental_tables, reset_when_people_change
from orchestration.privacy.policy import PrivacyPolicy
from orchestration.privacy.raw_filter import FilterResult, apply_privacy_filter, raw_relations
from orchestration.settings import Settings
from orchestration.sources import dataverse
from orchestration.sources.files import LandingFiles, find_landing_files
from orchestration.sources.landing import landing_row_describer, load_landing_files
from orchestration.sources.raw_append import (
    columns_misfit,
    resolve_against_raw,
    rows_after_append,
)
from orchestration.sources.raw_load_errors import LandingDataError
from orchestration.sources.raw_loader import LoadResult
from orchestration.sources.raw_swap import drop_staged_tables, staged_name
from orchestration.sources.state import PendingLinks
from orchestration.sources.synapse_link import load_synapse_link_table


@dataclass(frozen=True)
class Extracted:
    """One table's load, in the words of its source, for the log and run metadata."""

    result: LoadResult
    source_format: str
    read_from: str
    metadata: dict[str, object] = field(default_factory=dict)
    pending_links: PendingLinks | None = None  # Dataverse: resume points stored by the swap
    appended: bool = False  # only new landing parts staged, to append to raw (raw_append.py)


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


def extract_appended_files(
    settings: Settings, contract: TableContract, log, into: str, files: LandingFiles
) -> Extracted | None:
    """Stage a table's new landing parts alone (`files`), resolved against raw, to be
    appended by the swap (raw_append.py); None (nothing staged) when they do not fit raw's
    columns, so the table is loaded whole. Bad input raises as in a full load, naming the
    new part's file and row."""
    with open_warehouse(settings) as connection:
        result = load_landing_files(
            connection,
            contract,
            files,
            encoding=settings.landing_encoding,
            allow_empty=True,  # an empty change file changes nothing
            into=into,
            keep_deleted=True,
        )
        misfit = columns_misfit(connection, contract.name, into)
        if misfit is not None:
            drop_staged_tables(connection, [contract.name])
            log.info(f"raw.{contract.name}: new parts not appended ({misfit}); loaded whole")
            return None
        try:
            older = resolve_against_raw(
                connection,
                contract,
                into,
                landing_row_describer(files.format, settings.landing_encoding),
            )
            before, after = rows_after_append(connection, contract, into)
            if before and not after and not settings.allows_empty(contract.name):
                raise LandingDataError(
                    f"raw load failed: table '{contract.name}': the new parts "
                    f"({', '.join(repr(str(path)) for path in files.paths)}) flag every row "
                    f"deleted, but raw.{contract.name} holds {before} rows; the previous data "
                    f"is kept. If the table is empty on purpose, set "
                    f"RA_ALLOW_EMPTY_TABLES={contract.name} (or all) and run again",
                    table=contract.name,
                    file=", ".join(str(path) for path in files.paths),
                )
        except LandingDataError:
            drop_staged_tables(connection, [contract.name])
            raise
    return Extracted(
        result,
        files.format,
        f"{len(files.paths)} new {files.format} part(s)",
        {
            "appended_parts": [str(path) for path in files.paths],
            "rows_older_than_raw": older,
        },
        appended=True,
    )


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


EXTRACTORS = {
    "files": extract_from_files,
    "synapse_link": extract_from_synapse_link,
    "dataverse": extract_from_dataverse,
}


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


def stage_tables(
    settings: Settings,
    contracts: list[TableContract],
    log,
    appends: Mapping[str, LandingFiles] | None = None,
) -> dict[str, Extracted]:
    """Load every table into `raw.<table>__next`; raise for the bad ones, nothing swapped.

    A table in `appends` has only its new landing parts staged (`extract_appended_files`),
    or is loaded whole when they do not fit raw. Every table is tried, so one run reports
    every table with bad input. A Dataverse error (network, HTTP) stops at once. On any
    failure the staged tables are dropped.
    """
    appends = appends or {}
    staged: dict[str, Extracted] = {}
    bad: list[LandingDataError] = []
    try:
        for contract in contracts:
            into = staged_name(contract.name)
            try:
                extracted = None
                if contract.name in appends:
                    extracted = extract_appended_files(
                        settings, contract, log, into, appends[contract.name]
                    )
                staged[contract.name] = extracted or EXTRACTORS[settings.source](
                    settings, contract, log, into
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


def _stage(
    settings: Settings,
    contracts: list[TableContract],
    log,
    appends: Mapping[str, LandingFiles] | None = None,
) -> dict[str, Extracted]:
    """`stage_tables`, with a Dataverse error turned into a Dagster failure."""
    try:
        return stage_tables(settings, contracts, log, appends)
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
    appends: Mapping[str, LandingFiles] | None = None,
) -> tuple[dict[str, Extracted], list[str]]:
    """Stage the selected tables not in `unchanged` (those in `appends`: their new parts
    alone); return (staged, tables still skipped).

    When the privacy filter then reads across tables (`must_load_all`), the unchanged
    tables are staged too, the appended ones are staged whole, and none is skipped. Any
    failure drops every staged table.
    """
    staged = _stage(settings, [c for c in selected if c.name not in unchanged], log, appends)
    try:
        appended = [table for table, extracted in staged.items() if extracted.appended]
        if not (unchanged or appended) or not must_load_all(settings, policy, list(staged)):
            return staged, unchanged
        log.info(
            "privacy: the filter reads across tables (someone listed or erased, retention, "
            "or an opt-out column), so the tables unchanged or with new parts only are loaded "
            f"whole: {', '.join([*unchanged, *appended])}"
        )
        _drop_staged(settings, appended)
        reload = {*unchanged, *appended}
        staged |= _stage(settings, [c for c in selected if c.name in reload], log)
    except BaseException:
        _drop_staged(settings, [contract.name for contract in selected])
        raise
    return staged, []
