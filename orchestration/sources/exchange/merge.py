"""The SQL that merges one run's spooled Graph reads into the raw Exchange tables.

Per stream (one folder of one mailbox) a run either follows its delta link (an
incremental round: changed and `@removed` entries only) or reads the folder in full
(first run, expired link, new window). The new `raw.<table>` holds:

- rows of streams read incrementally that the round left untouched (neither changed nor
  removed), copied from raw;
- every row the run read (the latest entry of a key that came twice), unless the same
  stream removed it later in its feed;

and nothing of streams read in full before this run or no longer read (a mailbox
dropped from the list). Child rows (recipients, attendees) follow their message or
event: the kept parent's children from raw, the read parent's children from the spool.
Shapes: spooled Parquet as orchestration.sources.dataverse.spool writes it (columns as
text, `_source_file` = stream name, `_source_row` = position in the stream's feed; a
child carries its parent's position).
"""

from __future__ import annotations

from collections.abc import Sequence

import duckdb

from orchestration.sources.raw_sql import (
    RAW_SCHEMA,
    SOURCE_FILE_COLUMN,
    SOURCE_ROW_COLUMN,
    quote_identifier,
    quote_literal,
)

__all__ = ["merge_sql"]


def _parquet(paths: Sequence[str]) -> str:
    return f"read_parquet([{', '.join(quote_literal(path) for path in paths)}])"


def _exists(connection: duckdb.DuckDBPyConnection, table: str) -> bool:
    (count,) = connection.execute(
        "select count(*) from information_schema.tables where table_schema = ? and table_name = ?",
        [RAW_SCHEMA, table],
    ).fetchone()
    return count > 0


def _as_text(columns: Sequence[str], alias: str) -> str:
    return ", ".join(
        f"cast({alias}.{quote_identifier(column)} as varchar) as {quote_identifier(column)}"
        for column in columns
    )


def merge_sql(
    connection: duckdb.DuckDBPyConnection,
    parent: tuple[str, str, Sequence[str]],
    child: tuple[str, str, str, Sequence[str]],
    spools: dict[str, tuple[list[str], list[str]]],
    incremental_streams: Sequence[str],
) -> tuple[str, str, list[str]]:
    """Staged SQL for the parent and the child table, and the temp tables they read.

    `parent` = (table, key, columns); `child` = (table, key, parent key column, columns);
    `spools[table]` = (row files, removed-key files). Drop the temp tables after loading.
    """
    table, key, columns = parent
    child_table, child_key, parent_column, child_columns = child
    rows_files, key_files = spools[table]
    key_id = quote_identifier(key)
    changes = (
        f"select * from {_parquet(rows_files)} qualify row_number() over "
        f"(partition by {key_id} order by {SOURCE_ROW_COLUMN} desc) = 1"
    )
    removals = (
        f"select key, max({SOURCE_ROW_COLUMN}) as removed_at from {_parquet(key_files)} "
        "group by key"
    )
    kept_parents = f"_exchange_kept_{table}"
    kept_children = f"_exchange_kept_{child_table}"
    streams = ", ".join(quote_literal(stream) for stream in incremental_streams) or "null"
    if _exists(connection, table) and incremental_streams:
        connection.execute(
            f"""
            create or replace temp table {kept_parents} as
            with changes as ({changes}), removals as ({removals})
            select {_as_text(columns, "old")}, old.{SOURCE_FILE_COLUMN}, old.{SOURCE_ROW_COLUMN}
            from {RAW_SCHEMA}.{quote_identifier(table)} as old
            where old.{SOURCE_FILE_COLUMN} in ({streams})
                and not exists (select 1 from changes where changes.{key_id} = old.{key_id})
                and not exists (select 1 from removals where removals.key = old.{key_id})
            """
        )
    else:
        empty = ", ".join(f"cast(null as varchar) as {quote_identifier(c)}" for c in columns)
        connection.execute(
            f"create or replace temp table {kept_parents} as select {empty}, "
            f"cast(null as varchar) as {SOURCE_FILE_COLUMN}, "
            f"cast(null as bigint) as {SOURCE_ROW_COLUMN} limit 0"
        )
    parent_id = quote_identifier(parent_column)
    if _exists(connection, child_table) and incremental_streams:
        connection.execute(
            f"""
            create or replace temp table {kept_children} as
            select {_as_text(child_columns, "old")}, old.{SOURCE_FILE_COLUMN},
                old.{SOURCE_ROW_COLUMN}
            from {RAW_SCHEMA}.{quote_identifier(child_table)} as old
            where exists (
                select 1 from {kept_parents} as kept where kept.{key_id} = old.{parent_id}
            )
            """
        )
    else:
        empty = ", ".join(f"cast(null as varchar) as {quote_identifier(c)}" for c in child_columns)
        connection.execute(
            f"create or replace temp table {kept_children} as select {empty}, "
            f"cast(null as varchar) as {SOURCE_FILE_COLUMN}, "
            f"cast(null as bigint) as {SOURCE_ROW_COLUMN} limit 0"
        )
    read_parents = f"""
        with changes as ({changes}), removals as ({removals})
        select changes.* from changes
        left join removals on changes.{key_id} = removals.key
        where removals.key is null or changes.{SOURCE_ROW_COLUMN} > removals.removed_at
    """
    parent_sql = f"""
        select * from {kept_parents}
        union all by name
        select * from ({read_parents}) order by {SOURCE_FILE_COLUMN}, {SOURCE_ROW_COLUMN}
    """
    child_rows, _ = spools[child_table]
    child_sql = f"""
        select * from {kept_children}
        union all by name
        select children.* from {_parquet(child_rows)} as children
        inner join ({read_parents}) as parents
            on children.{parent_id} = parents.{key_id}
            and children.{SOURCE_ROW_COLUMN} = parents.{SOURCE_ROW_COLUMN}
    """
    return parent_sql, child_sql, [kept_parents, kept_children]
