"""Where an incremental source resumes: one delta link per stream, kept in the warehouse.

The state lives next to the data it describes (schema `extract_state`, table
`delta_links`), so copying or restoring the warehouse file moves both together. A link
is written only after `raw.<table>` has committed. The extract step stages every table
as `raw.<table>__next` and stores the links in the very transaction that swaps the staged
tables in (`PendingLinks`, `apply_pending_links`), so raw and its links change together.
Loads outside the step (`load_raw_table` into `raw.<table>` directly) commit raw first and
store the link in a second, immediate transaction: a crash between the two leaves the
previous link, and the next run fetches a superset of changes it has already
applied. Applying a change twice is harmless (the newest row of a key wins, a deleted
key stays deleted), so the order makes the pair safe without one transaction.

A stored link is trusted only while raw still holds what that link was taken against:
the same service and query, the same row count, and only rows this source wrote. Any
other writer of `raw.<table>` (the files source, a manual load) makes the next run a
full resync instead of applying changes to rows the link never saw.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import duckdb

from orchestration.sources.raw_sql import (
    RAW_SCHEMA,
    SOURCE_FILE_COLUMN,
    quote_identifier,
    quote_literal,
)

STATE_SCHEMA = "extract_state"
DELTA_LINKS = f"{STATE_SCHEMA}.delta_links"

__all__ = [
    "DELTA_LINKS",
    "STATE_SCHEMA",
    "DeltaLink",
    "PendingLinks",
    "apply_pending_links",
    "forget_delta_links",
    "raw_matches",
    "read_delta_link",
    "save_delta_links",
]


@dataclass(frozen=True)
class DeltaLink:
    """The resume point of one stream (`stream` is a table, or `activityparty:emails`)."""

    stream: str
    service: str
    query: str
    delta_link: str
    raw_rows: int


def _table_exists(connection: duckdb.DuckDBPyConnection, schema: str, table: str) -> bool:
    (count,) = connection.execute(
        "select count(*) from information_schema.tables where table_schema = ? and table_name = ?",
        [schema, table],
    ).fetchone()
    return count > 0


def _ensure(connection: duckdb.DuckDBPyConnection) -> None:
    connection.execute(f"create schema if not exists {STATE_SCHEMA}")
    connection.execute(
        f"""
        create table if not exists {DELTA_LINKS} (
            stream varchar primary key,
            service varchar not null,
            query varchar not null,
            delta_link varchar not null,
            raw_rows bigint not null,
            updated_at timestamp not null
        )
        """
    )


def read_delta_link(connection: duckdb.DuckDBPyConnection, stream: str) -> DeltaLink | None:
    if not _table_exists(connection, STATE_SCHEMA, "delta_links"):
        return None
    row = connection.execute(
        f"select stream, service, query, delta_link, raw_rows from {DELTA_LINKS} where stream = ?",
        [stream],
    ).fetchone()
    return DeltaLink(*row) if row else None


def _write_links(connection: duckdb.DuckDBPyConnection, links: Iterable[DeltaLink]) -> None:
    for link in links:
        connection.execute(
            f"insert or replace into {DELTA_LINKS} "
            "values (?, ?, ?, ?, ?, cast(now() at time zone 'UTC' as timestamp))",
            [link.stream, link.service, link.query, link.delta_link, link.raw_rows],
        )


def save_delta_links(connection: duckdb.DuckDBPyConnection, links: Iterable[DeltaLink]) -> None:
    """Replace the links of these streams in one transaction (all of them, or none)."""
    links = list(links)
    _ensure(connection)
    connection.execute("begin transaction")
    try:
        _write_links(connection, links)
        connection.execute("commit")
    except BaseException:
        connection.execute("rollback")
        raise


@dataclass(frozen=True)
class PendingLinks:
    """Links of a load staged beside raw: stored when (and only when) raw is swapped.

    Empty `links` means the streams have no usable link after the load: forget them.
    """

    links: tuple[DeltaLink, ...]
    streams: tuple[str, ...]


def apply_pending_links(connection: duckdb.DuckDBPyConnection, pending: PendingLinks) -> None:
    """Store or forget the links inside the caller's open transaction (the raw swap's)."""
    _ensure(connection)
    if pending.links:
        _write_links(connection, pending.links)
    else:
        forget_delta_links(connection, pending.streams)


def forget_delta_links(connection: duckdb.DuckDBPyConnection, streams: Iterable[str]) -> None:
    streams = list(streams)
    if streams and _table_exists(connection, STATE_SCHEMA, "delta_links"):
        connection.execute(
            f"delete from {DELTA_LINKS} where stream in ({', '.join('?' for _ in streams)})",
            streams,
        )


def raw_matches(
    connection: duckdb.DuckDBPyConnection, table: str, link: DeltaLink, source_prefix: str
) -> bool:
    """Does `raw.<table>` still hold what `link` was taken against (see module docstring)?"""
    if not _table_exists(connection, RAW_SCHEMA, table):
        return False
    rows, foreign = connection.execute(
        f"select count(*), count(*) filter (where not starts_with({SOURCE_FILE_COLUMN}, "
        f"{quote_literal(source_prefix)})) from {RAW_SCHEMA}.{quote_identifier(table)}"
    ).fetchone()
    return rows == link.raw_rows and foreign == 0
