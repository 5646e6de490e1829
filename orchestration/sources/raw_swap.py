"""One run, one outcome for raw: tables are staged beside raw, then swapped in together.

The extract step loads every table of a run into `raw.<table>__next` (validated exactly as
a direct load, see `load_raw_table(..., into=...)`). Only when every table of the run
loaded does `swap_staged_tables` replace them, in one DuckDB transaction:

    begin; drop table raw.<a>; alter table raw.<a>__next rename to <a>; ...; commit

DuckDB runs DROP and ALTER TABLE ... RENAME inside a transaction and keeps uncommitted
work out of the file, so a reader, a failed table or a `kill -9` at any instant sees all
tables of the run new or all old; renames cost no copy of the rows (a move to another
schema would, as ALTER cannot change a table's schema). The Dataverse source's delta
links are stored in the same transaction, so raw and its resume points change together.

Staged tables a killed run left behind are dropped by `drop_staged_tables` when the next
extract starts; a failed extract drops its own. The landing fingerprints of the tables
swapped are stored in the same transaction (landing_fingerprint.py), so a table is
skipped as unchanged only after a load of it committed; so are its landing parts
(landing_parts.py). A table whose new landing parts alone were staged is appended instead
of replaced, in the same transaction (`insert into raw.<t> ... from raw.<t>__next`, see
raw_append.py): a failed or killed run leaves raw and the stored parts as they were.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping, Sequence

import duckdb

from orchestration.contract import TABLES
from orchestration.sources.landing_fingerprint import record_fingerprints
from orchestration.sources.landing_parts import LandingParts, record_parts
from orchestration.sources.raw_append import AppendResult, append_staged
from orchestration.sources.raw_sql import RAW_SCHEMA, quote_identifier, quote_literal
from orchestration.sources.state import PendingLinks, apply_pending_links

__all__ = ["STAGED_SUFFIX", "drop_staged_tables", "staged_name", "swap_staged_tables"]

# dbt sources name raw tables without this suffix, so a staged table is never read by dbt.
STAGED_SUFFIX = "__next"


def staged_name(table: str) -> str:
    """`raw.<table>` is staged as `raw.<table>__next`."""
    return f"{table}{STAGED_SUFFIX}"


def drop_staged_tables(
    connection: duckdb.DuckDBPyConnection, tables: Iterable[str] | None = None
) -> list[str]:
    """Drop staged tables (of `tables`, or every `raw.*__next`); return the names dropped."""
    found = [
        name
        for (name,) in connection.execute(
            "select table_name from information_schema.tables "
            f"where table_schema = {quote_literal(RAW_SCHEMA)} and ends_with(table_name, ?) "
            "order by table_name",
            [STAGED_SUFFIX],
        ).fetchall()
    ]
    if tables is not None:
        wanted = {staged_name(table) for table in tables}
        found = [name for name in found if name in wanted]
    for name in found:
        connection.execute(f"drop table if exists {RAW_SCHEMA}.{quote_identifier(name)}")
    return found


def swap_staged_tables(
    connection: duckdb.DuckDBPyConnection,
    tables: Sequence[str],
    pending_links: Iterable[PendingLinks] = (),
    fingerprints: Mapping[str, str | None] | None = None,
    parts: Mapping[str, LandingParts | None] | None = None,
    appended: Collection[str] = (),
) -> dict[str, AppendResult]:
    """Replace `raw.<table>` by `raw.<table>__next` for every table, in one transaction.

    A table in `appended` (a contract table whose new landing parts alone were staged and
    resolved against raw) is appended to instead (raw_append.append_staged); returns what
    each append did. Also stores `pending_links` in that transaction, each table's landing
    fingerprint (`fingerprints`, None to forget one; see landing_fingerprint.py) and its
    landing parts (`parts`, landing_parts.py), so a table is known unchanged, or its parts
    loaded, only once its load has committed. Raises ValueError (nothing changed)
    when a staged table is missing, and lets any DuckDB error roll the whole swap back.
    Must be called outside an open transaction on `connection`.
    """
    staged = set(
        name
        for (name,) in connection.execute(
            "select table_name from information_schema.tables where table_schema = ?",
            [RAW_SCHEMA],
        ).fetchall()
    )
    missing = [table for table in tables if staged_name(table) not in staged]
    if missing:
        raise ValueError(
            f"raw swap refused: no staged table raw.{staged_name(missing[0])} "
            "(was it dropped by another run?); raw is unchanged, run the extract again"
        )
    results: dict[str, AppendResult] = {}
    connection.execute("begin transaction")
    try:
        for table in tables:
            if table in appended:
                results[table] = append_staged(connection, TABLES[table], staged_name(table))
                continue
            connection.execute(f"drop table if exists {RAW_SCHEMA}.{quote_identifier(table)}")
            connection.execute(
                f"alter table {RAW_SCHEMA}.{quote_identifier(staged_name(table))} "
                f"rename to {quote_identifier(table)}"
            )
        for links in pending_links:
            apply_pending_links(connection, links)
        record_fingerprints(connection, fingerprints or {})
        record_parts(connection, parts or {})
        connection.execute("commit")
    except BaseException:
        try:
            connection.execute("rollback")
        except duckdb.TransactionException:
            pass  # a failed commit has already rolled back
        raise
    return results
