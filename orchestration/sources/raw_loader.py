"""Load validated rows into DuckDB schema `raw`, one table per contract table.

The loader is source-agnostic. Any source (landing files today, the Dataverse Web API
later) first *stages* its rows as a DuckDB relation or a SQL query whose columns are the
table's columns (any letter case, any DuckDB types) plus two position columns:

    _source_file  varchar   where the row came from (a file path, an API page, ...)
    _source_row   bigint    1-based position of the row in that source

`load_raw_table` then replaces `raw.<table>` in one transaction, so a failed load leaves
the previous table exactly as it was and never leaves a half-built one behind. All checks
are set-based SQL, never a Python loop over rows, and the good path reads the source once:

1. create the new table and insert the rows with strict conversions (a bad value raises);
2. on the new table (DuckDB storage scans much faster than the source files): empty keys,
   repeated keys on 64-bit hashes, and only if hashes repeat the exact queries that
   name the duplicate or delete the rows a newer `modifiedon` supersedes; then delete
   the rows a landing tool flags deleted (orchestration.sources.raw_keys) and refuse to leave
   the table empty when it held rows (`_EmptyInput`);
3. commit. Only when step 1 fails does a diagnostic try_cast scan of the source find the
   first bad value of every column for the error message.

`raw.<table>` holds: the contract columns in contract order and with the contract types
(varchar, boolean, integer = INTEGER (32-bit), double, timestamp = naive TIMESTAMP in UTC,
date), then any extra columns as they came (lower-cased names, source types; ignored
downstream), then `_source_file` and `_source_row` for lineage. Both lineage columns cost
little: one value per file compresses to almost nothing and row numbers bit-pack. There is
no `_loaded_at`: a load time would make raw differ between two loads of the same input;
the load time is in the Dagster run instead.

Text compression is chosen per column. DuckDB's default for strings (dictionary + FSST)
is the costliest part of loading (nearly) unique values such as GUID keys, message ids
and subjects, where a dictionary cannot help. Before the insert the loader counts the
distinct values of each text column in the first 50,000 rows: a column more than half
distinct is stored uncompressed, the others keep the default, which packs repetitive
columns (owners, type codes, party ids) into a fraction of the space. Measured on the
generator's 10 million activities (shared 2-core machine, CPU-seconds for the whole
load): ZSTD on every text column about 140 s and 3.7 GB; this rule about 94 s and 4.5 GB;
no compression at all about 77 s and 8.5 GB; DuckDB's default alone was slower than ZSTD
(activityparty 82 s against 65 s with this rule). The guess changes only speed and size.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import duckdb

from orchestration.contract import TableContract
from orchestration.sources.raw_conversions import SQL_TYPE, ColumnExpressions, column_expressions
from orchestration.sources.raw_keys import DELETED_FLAG_COLUMNS, check_keys, drop_flagged_deleted
from orchestration.sources.raw_load_errors import (
    LandingDataError,
    default_describe_row,
    raise_bad_values,
    where_text,
)
from orchestration.sources.raw_sql import (
    POSITION_COLUMNS,
    RAW_SCHEMA,
    SOURCE_FILE_COLUMN,
    SOURCE_ROW_COLUMN,
    quote_identifier,
    quote_literal,
)

# The names sources stage rows with are re-exported: `load_raw_table` is their interface.
__all__ = [
    "DELETED_FLAG_COLUMNS",
    "RAW_SCHEMA",
    "SOURCE_FILE_COLUMN",
    "SOURCE_ROW_COLUMN",
    "ColumnExpressions",
    "LandingDataError",
    "LoadResult",
    "column_expressions",
    "load_raw_table",
    "quote_identifier",
    "quote_literal",
]

# Compression of near-unique text columns (see `_near_unique_text_columns`).
UNIQUE_TEXT_COMPRESSION = "uncompressed"
_SAMPLE_ROWS = 50_000
_NEAR_UNIQUE_SHARE = 0.5


@dataclass(frozen=True)
class LoadResult:
    """Row counts of one load, for run metadata.

    rows_loaded = rows_read - duplicates_superseded - rows_flagged_deleted.
    `previous_rows` is the row count raw.<table> had before (None: no table yet).
    """

    table: str
    rows_read: int
    rows_loaded: int
    duplicates_superseded: int
    source_files: tuple[str, ...]
    rows_flagged_deleted: int = 0
    previous_rows: int | None = None


@dataclass
class _Session:
    """Session settings the load depends on, restored afterwards."""

    connection: duckdb.DuckDBPyConnection
    saved: dict[str, str]

    @classmethod
    def enter(cls, connection: duckdb.DuckDBPyConnection) -> _Session:
        # Naive timestamp text is UTC by contract; CSV line numbers need ordered scans.
        wanted = {"TimeZone": "UTC", "preserve_insertion_order": "true"}
        saved = {}
        for name, value in wanted.items():
            (current,) = connection.execute(f"select current_setting('{name}')").fetchone()
            saved[name] = str(current).lower() if name != "TimeZone" else str(current)
            connection.execute(f"set {name} = {quote_literal(value)}")
        return cls(connection, saved)

    def restore(self) -> None:
        for name, value in self.saved.items():
            self.connection.execute(f"set {name} = {quote_literal(value)}")


def load_raw_table(
    connection: duckdb.DuckDBPyConnection,
    contract: TableContract,
    staged: str | duckdb.DuckDBPyRelation,
    *,
    describe_row: Callable[[str, int], str] | None = None,
    source_files: Sequence[str] | None = None,
    allow_empty: bool = False,
    looked_in: str | None = None,
    into: str | None = None,
    keep_deleted: bool = False,
) -> LoadResult:
    """Validate staged rows and atomically replace `raw.<table>` with them.

    `staged` is a relation on `connection` (for an Arrow table: `connection.from_arrow(t)`)
    or a SQL query, with the table's columns plus `_source_file` and `_source_row` (see
    the module docstring). `describe_row(file, row)` words a position for error messages
    ("line 17" for CSV); the default is "row <n>". `source_files` names the sources for
    errors and metadata; by default they are read from `_source_file`. `into` names the
    table of schema raw to write instead of `<table>` (the extract step builds every table
    of a run as `raw.<table>__next` and swaps them in together, see
    `orchestration.sources.raw_swap`). `keep_deleted` keeps the rows a landing tool flags
    deleted (an append needs them to delete the rows raw holds, raw_append.py); they then
    count in `rows_loaded` and `rows_flagged_deleted` is 0.

    Raises LandingDataError (nothing written) for a missing required column, a value that
    does not fit its column's type, an empty primary key, or two rows with the same key
    and the same `modifiedon` (any repeated key in tables without `modifiedon`). Rows with
    the same key and different `modifiedon` are upserted: the newest wins.

    Must be called outside an open transaction on `connection`.
    """
    describe = describe_row or default_describe_row
    # The relation's SQL names its Python sources (Arrow, pandas) by names registered on
    # this connection while `staged` lives; an inline subquery leaves no view behind.
    sql = staged if isinstance(staged, str) else staged.sql_query()
    session = _Session.enter(connection)
    try:
        return _load(
            connection,
            contract,
            f"({sql}) as staged",
            describe,
            source_files,
            _EmptyInput(allowed=allow_empty, looked_in=looked_in),
            into or contract.name,
            keep_deleted,
        )
    finally:
        session.restore()


def _load(
    connection: duckdb.DuckDBPyConnection,
    contract: TableContract,
    source: str,
    describe: Callable[[str, int], str],
    source_files: Sequence[str] | None,
    empty_input: _EmptyInput,
    into: str,
    keep_deleted: bool,
) -> LoadResult:
    table = contract.name
    relation = connection.sql(f"select * from {source}")
    by_lower: dict[str, tuple[str, duckdb.DuckDBPyType]] = {}
    for name, duck_type in zip(relation.columns, relation.types, strict=True):
        lower = name.lower()
        if lower in by_lower:
            raise LandingDataError(
                where_text(table, None, lower, None)
                + f": columns '{by_lower[lower][0]}' and '{name}' differ only in letter case",
                table=table,
                column=lower,
            )
        by_lower[lower] = (name, duck_type)
    for position_column in POSITION_COLUMNS:
        if position_column not in by_lower:
            raise ValueError(f"staged rows for '{table}' lack the {position_column} column")
    source_names = {lower: name for lower, (name, _) in by_lower.items()}
    file_sql = quote_identifier(source_names[SOURCE_FILE_COLUMN])
    row_sql = quote_identifier(source_names[SOURCE_ROW_COLUMN])

    if source_files is None:
        source_files = [
            name
            for (name,) in connection.execute(
                f"select distinct {file_sql} from {source} order by 1"
            ).fetchall()
        ]
    source_files = tuple(source_files)

    missing = [column for column in contract.columns if column not in by_lower]
    if missing:
        named = source_files[0] if len(source_files) == 1 else source_files
        raise LandingDataError(
            where_text(table, named, missing[0], None)
            + ": required column is missing"
            + (f" (also missing: {', '.join(missing[1:])})" if missing[1:] else ""),
            table=table,
            file=", ".join(source_files) or None,
            column=missing[0],
        )

    expressions = {
        column: column_expressions(
            quote_identifier(source_names[column]), by_lower[column][1].id, logical_type
        )
        for column, logical_type in contract.columns.items()
    }
    extras = [
        lower
        for lower in by_lower
        if lower not in contract.columns and lower not in POSITION_COLUMNS
    ]
    # (name, type, value) of every raw column: contract, extras as they came, lineage.
    raw_columns = [
        (column, SQL_TYPE[logical_type], expressions[column].value)
        for column, logical_type in contract.columns.items()
    ]
    for lower in extras:
        name, duck_type = by_lower[lower]
        # An all-null Arrow column has type NULL, which a table cannot hold.
        extra_type = "VARCHAR" if duck_type.id == "null" else str(duck_type)
        raw_columns.append((lower, extra_type, quote_identifier(name)))
    raw_columns += [
        (SOURCE_FILE_COLUMN, "VARCHAR", file_sql),
        (SOURCE_ROW_COLUMN, "BIGINT", row_sql),
    ]
    select_list = ", ".join(f"cast({value} as {sql_type})" for _, sql_type, value in raw_columns)

    target = f"{RAW_SCHEMA}.{quote_identifier(into)}"
    flags = [lower for lower in extras if lower in DELETED_FLAG_COLUMNS and not keep_deleted]
    build_error: duckdb.Error | None = None
    connection.execute("begin transaction")
    try:
        connection.execute(f"create schema if not exists {RAW_SCHEMA}")
        previous_rows = _row_count(connection, table)
        try:
            unique_text = _near_unique_text_columns(connection, source, raw_columns)
            definition = ", ".join(
                f"{quote_identifier(name)} {sql_type}"
                + (f" using compression {UNIQUE_TEXT_COMPRESSION}" if name in unique_text else "")
                for name, sql_type, _ in raw_columns
            )
            connection.execute(f"create or replace table {target} ({definition})")
            connection.execute(f"insert into {target} select {select_list} from {source}")
        except duckdb.Error as error:
            build_error = error
        if build_error is None:
            rows_read, superseded = check_keys(connection, contract, target, describe)
            flagged = drop_flagged_deleted(connection, target, flags)
            empty_input.check(table, rows_read - superseded - flagged, previous_rows, source_files)
            connection.execute("commit")
    except BaseException:
        _rollback(connection)
        raise
    if build_error is not None:
        _rollback(connection)
        # The strict build hit a bad value (or could not read the source): find the first
        # bad value of every column, in one try_cast scan, to say where.
        raise_bad_values(connection, contract, source, expressions, source_names, describe)
        if not isinstance(build_error, duckdb.ConversionException | duckdb.InvalidInputException):
            raise build_error  # not the data (disk full, out of memory, ...)
        raise LandingDataError(
            f"raw load failed: table '{table}': the rows could not be loaded: {build_error}",
            table=table,
        ) from build_error
    return LoadResult(
        table=table,
        rows_read=rows_read,
        rows_loaded=rows_read - superseded - flagged,
        duplicates_superseded=superseded,
        source_files=source_files,
        rows_flagged_deleted=flagged,
        previous_rows=previous_rows,
    )


def _row_count(connection: duckdb.DuckDBPyConnection, table: str) -> int | None:
    """Rows in raw.<table> before this load, or None when there is no such table."""
    exists = connection.execute(
        "select count(*) from duckdb_tables() where schema_name = ? and table_name = ?",
        [RAW_SCHEMA, table],
    ).fetchone()[0]
    if not exists:
        return None
    return connection.execute(
        f"select count(*) from {RAW_SCHEMA}.{quote_identifier(table)}"
    ).fetchone()[0]


@dataclass(frozen=True)
class _EmptyInput:
    """The rule that an extract finding nothing must not wipe good data."""

    allowed: bool
    looked_in: str | None

    def check(
        self, table: str, rows: int, previous_rows: int | None, source_files: Sequence[str]
    ) -> None:
        if rows > 0 or not previous_rows or self.allowed:
            return
        looked_in = self.looked_in or (
            ", ".join(f"'{name}'" for name in source_files) or "the source"
        )
        raise LandingDataError(
            f"raw load failed: table '{table}': no rows found in {looked_in}, but "
            f"raw.{table} holds {previous_rows} rows; the previous data is kept. If the "
            f"table is empty on purpose, set RA_ALLOW_EMPTY_TABLES={table} (or all) and "
            "run again",
            table=table,
            file=", ".join(source_files) or None,
        )


def _near_unique_text_columns(
    connection: duckdb.DuckDBPyConnection, source: str, raw_columns: list[tuple[str, str, str]]
) -> set[str]:
    """Text columns whose values (in the first rows) are mostly distinct.

    Such columns get UNIQUE_TEXT_COMPRESSION (see the module docstring); the sample is
    the first rows, so reading it costs next to nothing. Only speed and size depend on
    this guess, never the loaded values.
    """
    text = [(name, value) for name, sql_type, value in raw_columns if sql_type == "VARCHAR"]
    if not text:
        return set()
    counts = connection.execute(
        "select count(*), "
        + ", ".join(f"approx_count_distinct({value})" for _, value in text)
        + f" from (select * from {source} limit {_SAMPLE_ROWS})"
    ).fetchone()
    rows, distinct = counts[0], counts[1:]
    return {
        name
        for (name, _), values in zip(text, distinct, strict=True)
        if rows and values > _NEAR_UNIQUE_SHARE * rows
    }


def _rollback(connection: duckdb.DuckDBPyConnection) -> None:
    try:
        connection.execute("rollback")
    except duckdb.TransactionException:
        pass  # a failed commit has already rolled back
