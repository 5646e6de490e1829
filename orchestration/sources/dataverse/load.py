"""Loading a spooled read into raw, storing its delta links, and what an extract reports.

The warehouse is opened only to read the stored delta link and, at the end, to load
(`connect()` is called twice, briefly). The delta link is stored only after raw committed
(orchestration.sources.state); in the extract step (`into=raw.<table>__next`) it is
returned instead and stored by the swap that puts the run's staged tables in place, in
the same transaction (orchestration.sources.raw_swap).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass

import duckdb

from orchestration.contract import TableContract
from orchestration.sources.dataverse.client import DataverseClient
from orchestration.sources.dataverse.merge import latest_changes
from orchestration.sources.dataverse.redaction import Redactor
from orchestration.sources.dataverse.schema import EntitySpec
from orchestration.sources.dataverse.spool import Read, Spool
from orchestration.sources.raw_load_errors import LandingDataError
from orchestration.sources.raw_loader import LoadResult, load_raw_table
from orchestration.sources.state import (
    DeltaLink,
    PendingLinks,
    forget_delta_links,
    raw_matches,
    save_delta_links,
)

SOURCE_PREFIX = "dataverse:"

MODE_FULL = "full"
MODE_INCREMENTAL = "incremental"
MODE_EXPIRED = "full (delta link expired)"
MODE_UNTRACKED = "full (change tracking not enabled)"

Connect = Callable[[], AbstractContextManager[duckdb.DuckDBPyConnection]]


@dataclass(frozen=True)
class DataverseExtract:
    """What one extract did, for run metadata."""

    load: LoadResult
    mode: str
    rows_changed: int  # rows read: every row in a full read, changed rows in a delta round
    rows_deleted: int | None  # deleted entries applied (None for activityparty)
    pages: int
    requests: int  # HTTP requests sent, retries included
    activities_rechecked: int | None = None  # activityparty: activities whose parties were re-read
    pending_links: PendingLinks | None = None  # staged loads: links to store with the swap


def describer(source: str, page_starts: list[int]) -> Callable[[str, int], str]:
    """Word a spooled row's position for error messages: "record 12 of the response (page 1)".

    `page_starts` holds the 1-based position of each page's first entry; rows that came
    from raw (kept by a delta round) keep the loader's "row <n>".
    """

    def describe(source_file: str, row: int) -> str:
        if source_file != source or not page_starts:
            return f"row {row}"
        page = sum(1 for start in page_starts if start <= row)
        return f"record {row} of the response (page {page})"

    return describe


def usable_link(
    connection: duckdb.DuckDBPyConnection,
    link: DeltaLink | None,
    client: DataverseClient,
    query: str,
    table: str,
) -> bool:
    """True when a stored delta link may be followed: same organisation, same query, and
    raw still holds what the link's round left (orchestration.sources.state.raw_matches);
    otherwise the table is read in full."""
    return (
        link is not None
        and link.service == client.service_root
        and link.query == query
        and raw_matches(connection, table, link, SOURCE_PREFIX)
    )


def load_spool(
    connect: Connect,
    contract: TableContract,
    spool: Spool,
    spec: EntitySpec,
    stage: Callable[..., tuple[str, str]] | None,
    source: str,
    read: Read,
    links: Callable[[int], list[DeltaLink]],
    streams: Sequence[str],
    redact: Redactor,
    allow_empty: bool = False,
    into: str | None = None,
) -> tuple[LoadResult, PendingLinks | None]:
    """Load the spooled rows (merged into raw by `stage`, or alone), then store the links.

    Only a full read that returns nothing counts as empty input (see load_raw_table): a
    delta round keeps raw's rows, and one that deletes them all is the CRM's own word.
    A bad value is quoted in the LandingDataError's message and `value`: both pass
    through `redact`, since the value is whatever the server sent.
    With `into` (a staged `raw.<into>`), the links are returned instead, for the swap.
    """
    with connect() as connection:
        kept = None
        try:
            if stage is None:
                staged = latest_changes(spool, spec.primary_key)
            else:
                staged, kept = stage(connection, spool, spec)
            result = load_raw_table(
                connection,
                contract,
                staged,
                describe_row=describer(source, read.page_starts),
                source_files=[source],
                allow_empty=allow_empty or stage is not None,
                looked_in=f"a full read of {source}",
                into=into,
            )
        except LandingDataError as error:
            error.args = tuple(redact(str(arg)) for arg in error.args)
            error.value = None if error.value is None else redact(error.value)
            # A chained database error would quote the value unredacted.
            error.__cause__ = error.__context__ = None
            error.__suppress_context__ = True
            raise
        finally:
            if kept is not None:
                connection.execute(f"drop table if exists {kept}")
        new_links = links(result.rows_loaded)  # they record the row count raw now has
        if into is not None:
            return result, PendingLinks(tuple(new_links), tuple(streams))
        if new_links:
            save_delta_links(connection, new_links)
        else:
            forget_delta_links(connection, streams)
    return result, None
