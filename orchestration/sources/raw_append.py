"""Append a table's new landing parts to raw: the rows a full reload would give.

An extract that finds only new parts of a table (landing_parts.py) loads them alone into
`raw.<table>__next`, validated exactly as a full load, with the rows a landing tool flags
deleted kept (`load_raw_table(..., keep_deleted=True)`). raw holds one row per key, the
newest version of the old parts, flagged rows already gone. A full reload of old and new
parts keeps, per key, the newest version of all of them unless that one is flagged
deleted (raw_keys.py); so, with the new parts' own versions already resolved:

1. `resolve_against_raw` (staging): a new row with the key and the `modifiedon` of a raw
   row is bad input, as two such rows in one load are (any repeated key in a table
   without `modifiedon`); a new row older than raw's version of its key is dropped.
2. `append_staged` (inside the swap transaction, raw_swap.py): raw's rows whose key has a
   new version are deleted, the new rows flagged deleted are dropped, the rest inserted
   (`insert ... by name`; a column the new parts add is added to raw, at its end, empty
   for the old rows as a full reload leaves it), and the staged table dropped.

What raw no longer holds cannot be compared: a new row repeating, with the same
`modifiedon`, a version that an old part's newer version superseded or that was flagged
deleted is taken as it comes (a full reload refuses the first and drops the second when
the flagged version is newer). Landing tools write versions in time order, so neither
happens with them; to be strict anyway, `touch` an old part to force a full reload.

`columns_misfit` says when the new rows cannot go into raw as they are (a column of
another type); the extract then reloads the table whole.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import duckdb

from orchestration.contract import TableContract
from orchestration.sources.raw_keys import (
    DELETED_FLAG_COLUMNS,
    drop_flagged_deleted,
    flagged_predicate,
)
from orchestration.sources.raw_load_errors import default_describe_row, raise_duplicate
from orchestration.sources.raw_sql import (
    RAW_SCHEMA,
    SOURCE_FILE_COLUMN,
    SOURCE_ROW_COLUMN,
    normalized_sql,
    quote_identifier,
)

__all__ = [
    "AppendResult",
    "append_staged",
    "columns_misfit",
    "resolve_against_raw",
    "rows_after_append",
]


@dataclass(frozen=True)
class AppendResult:
    """What one append did to raw.<table>: rows inserted, raw rows replaced by a newer
    version, raw rows removed because a new version is flagged deleted, rows after."""

    rows_appended: int
    rows_replaced: int
    rows_deleted: int
    rows_after: int


def _relation(table: str) -> str:
    return f"{RAW_SCHEMA}.{quote_identifier(table)}"


def _columns(connection: duckdb.DuckDBPyConnection, table: str) -> dict[str, str]:
    """{column: DuckDB type} of raw.<table>, in table order."""
    return dict(
        connection.execute(
            "select column_name, data_type from information_schema.columns "
            "where table_schema = ? and table_name = ? order by ordinal_position",
            [RAW_SCHEMA, table],
        ).fetchall()
    )


def columns_misfit(connection: duckdb.DuckDBPyConnection, table: str, staged: str) -> str | None:
    """Why raw.<staged> cannot be appended to raw.<table> (a column both have, with
    another type in each), or None when it can. Columns only one of them has fit: the
    new rows leave raw's empty, a new column is added to raw."""
    old, new = _columns(connection, table), _columns(connection, staged)
    for column, new_type in new.items():
        if column in old and old[column] != new_type:
            return f"column '{column}' is {new_type} in the new parts but {old[column]} in raw"
    return None


# Raw's version of each new row's key, noted on the staged row by `resolve_against_raw`
# (one scan of raw with ids normalized) so the swap matches raw by its exact spelling.
RAW_KEY, RAW_MODIFIEDON, RAW_POSITION = "_raw_key", "_raw_modifiedon", "_raw_position"
_NOTES = (RAW_KEY, RAW_MODIFIEDON, RAW_POSITION)


def resolve_against_raw(
    connection: duckdb.DuckDBPyConnection,
    contract: TableContract,
    staged: str,
    describe: Callable[[str, int], str] | None = None,
) -> int:
    """Check the staged new rows' keys against raw.<table>; drop the ones raw has newer.

    Notes on each staged row raw's version of its key (`_NOTES`: raw's spelling of the
    key, its modifiedon and position; null when raw lacks the key), for `append_staged`.
    Returns how many new rows were dropped as older than raw's version. Raises
    LandingDataError naming the new part's file and row, and raw's, for a key repeated
    with the same `modifiedon` (any repeated key when the table has none).
    """
    describe = describe or default_describe_row
    raw, new = _relation(contract.name), _relation(staged)
    key = quote_identifier(contract.primary_key)
    dated = contract.has_modifiedon
    position = f"{{'f': {SOURCE_FILE_COLUMN}, 'r': {SOURCE_ROW_COLUMN}}}"
    connection.execute(
        f"alter table {new} add column {RAW_KEY} varchar; "
        f"alter table {new} add column {RAW_MODIFIEDON} timestamp; "
        f"alter table {new} add column {RAW_POSITION} struct(f varchar, r bigint)"
    )
    connection.execute(
        f"""
        update {new} set
            {RAW_KEY} = o.{key},
            {RAW_MODIFIEDON} = {"o.modifiedon" if dated else "null"},
            {RAW_POSITION} = {{'f': o.{SOURCE_FILE_COLUMN}, 'r': o.{SOURCE_ROW_COLUMN}}}
        from {raw} as o
        where {normalized_sql(f"{new}.{key}")} = {normalized_sql(f"o.{key}")}
        """
    )
    same_version = f" and modifiedon is not distinct from {RAW_MODIFIEDON}" if dated else ""
    tie = connection.execute(
        f"""
        select {key}, {"modifiedon" if dated else "null"}, {position} as new_at,
            {RAW_POSITION}, {RAW_KEY}
        from {new}
        where {RAW_KEY} is not null{same_version}
        order by new_at
        limit 1
        """
    ).fetchone()
    if tie is not None:
        key_value, modifiedon, new_at, raw_at, raw_spelling = tie
        raise_duplicate(contract, describe, key_value, modifiedon, new_at, raw_at, raw_spelling)
    if not dated:
        return 0
    # Null modifiedon counts as oldest, as in a full load (raw_keys.check_keys).
    (dropped,) = connection.execute(
        f"""
        delete from {new}
        where {RAW_KEY} is not null and (
            modifiedon < {RAW_MODIFIEDON}
            or (modifiedon is null and {RAW_MODIFIEDON} is not null)
        )
        """
    ).fetchone()
    return dropped


def rows_after_append(
    connection: duckdb.DuckDBPyConnection, contract: TableContract, staged: str
) -> tuple[int, int]:
    """(rows raw.<table> holds now, rows it will hold once raw.<staged> is appended), for
    the rule that a load must not empty a table that holds rows (raw_loader._EmptyInput)."""
    raw, new = _relation(contract.name), _relation(staged)
    flags = [column for column in _columns(connection, staged) if column in DELETED_FLAG_COLUMNS]
    (before,) = connection.execute(f"select count(*) from {raw}").fetchone()
    replaced, kept_new = connection.execute(
        f"""
        select count(*) filter (where {RAW_KEY} is not null),
            count(*) filter (where not ({flagged_predicate(flags)}))
        from {new}
        """
    ).fetchone()
    return before, before - replaced + kept_new


def append_staged(
    connection: duckdb.DuckDBPyConnection, contract: TableContract, staged: str
) -> AppendResult:
    """Merge raw.<staged> (resolved by `resolve_against_raw`) into raw.<table>, drop it.

    Runs inside the caller's transaction (the raw swap): every statement commits or rolls
    back with the run's other tables. Raw's rows are matched by the exact key spelling
    noted at staging, so raw is scanned once, without normalizing its ids.
    """
    raw, new = _relation(contract.name), _relation(staged)
    old_columns = _columns(connection, contract.name)
    new_columns = {
        column: duck_type
        for column, duck_type in _columns(connection, staged).items()
        if column not in _NOTES
    }
    for column, duck_type in new_columns.items():
        if column not in old_columns:
            connection.execute(
                f"alter table {raw} add column {quote_identifier(column)} {duck_type}"
            )
    flags = [column for column in new_columns if column in DELETED_FLAG_COLUMNS]
    flagged = flagged_predicate(flags)
    replaced, deleted = connection.execute(
        f"""
        select count(*) filter (where not ({flagged})), count(*) filter (where {flagged})
        from {new}
        where {RAW_KEY} is not null
        """
    ).fetchone()
    key = quote_identifier(contract.primary_key)
    connection.execute(
        f"delete from {raw} where {key} in "
        f"(select {RAW_KEY} from {new} where {RAW_KEY} is not null)"
    )
    drop_flagged_deleted(connection, new, flags)
    notes = ", ".join(_NOTES)
    (appended,) = connection.execute(
        f"insert into {raw} by name select * exclude ({notes}) from {new}"
    ).fetchone()
    connection.execute(f"drop table {new}")
    (rows_after,) = connection.execute(f"select count(*) from {raw}").fetchone()
    return AppendResult(appended, replaced, deleted, rows_after)
