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
   the rows a landing tool flags deleted (`_drop_flagged_deleted`) and refuse to leave
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

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import duckdb

from orchestration.contract import (
    BOOLEAN,
    DATE,
    DOUBLE,
    INTEGER,
    TIMESTAMP,
    VARCHAR,
    TableContract,
)
from orchestration.sources.files import LandingDataError

__all__ = [
    "RAW_SCHEMA",
    "ColumnExpressions",
    "SOURCE_FILE_COLUMN",
    "SOURCE_ROW_COLUMN",
    "LandingDataError",
    "LoadResult",
    "DELETED_FLAG_COLUMNS",
    "column_expressions",
    "load_raw_table",
]

RAW_SCHEMA = "raw"
SOURCE_FILE_COLUMN = "_source_file"
SOURCE_ROW_COLUMN = "_source_row"
_POSITION_COLUMNS = (SOURCE_FILE_COLUMN, SOURCE_ROW_COLUMN)
# Columns with which landing tools mark a row deleted in the CRM (see `_drop_flagged_deleted`):
# Fivetran's soft delete, Synapse Link's append-only marker and its older spelling.
DELETED_FLAG_COLUMNS = ("_fivetran_deleted", "isdelete", "isdeleted")
# Compression of near-unique text columns (see `_near_unique_text_columns`).
UNIQUE_TEXT_COMPRESSION = "uncompressed"
_SAMPLE_ROWS = 50_000
_NEAR_UNIQUE_SHARE = 0.5

_SQL_TYPE = {
    VARCHAR: "VARCHAR",
    BOOLEAN: "BOOLEAN",
    INTEGER: "INTEGER",
    DOUBLE: "DOUBLE",
    TIMESTAMP: "TIMESTAMP",
    DATE: "DATE",
}
_NOT_A = {
    BOOLEAN: "is not a boolean (expected true, false, 1 or 0)",
    INTEGER: "is not an integer",
    DOUBLE: "is not a number",
    TIMESTAMP: "is not a timestamp",
    DATE: "is not a date",
}
# DuckDB type ids (DuckDBPyType.id) grouped by what they can pass straight through as.
_SMALL_INTEGER_IDS = {"tinyint", "smallint", "integer", "utinyint", "usmallint"}
_NUMERIC_IDS = _SMALL_INTEGER_IDS | {
    "bigint",
    "hugeint",
    "uinteger",
    "ubigint",
    "uhugeint",
    "decimal",
    "float",
    "double",
}
_NAIVE_TIMESTAMP_IDS = {"timestamp", "timestamp_ns", "timestamp_ms", "timestamp_s"}
_STRING_IDS = {"varchar", "null"}


def _is_zoned_timestamp(type_id: str) -> bool:
    return type_id.startswith("timestamp") and ("time zone" in type_id or "tz" in type_id)


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


@dataclass(frozen=True)
class ColumnExpressions:
    """SQL for one contract column: its typed value, and when a source value is bad.

    `value` is strict: it raises on any bad value, so the load can build the table in one
    pass and pay for `bad` (the diagnostic, one try_cast scan) only when that pass fails.
    `bad` is None when no source value can be bad (text into text, int32 into integer).
    """

    value: str
    bad: str | None


def quote_identifier(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def quote_literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _fail(what: str) -> str:
    # error() is not folded at plan time, so it only fires for a row that reaches it.
    return f"error({quote_literal(what)})"


def column_expressions(
    column_sql: str, source_type_id: str, logical_type: str
) -> ColumnExpressions:
    """Typed value and bad-value predicate for one column, by source and contract type.

    Strings follow the landing rules: empty (or blank) is null; booleans are
    true/false/1/0 in any case; integers must be whole numbers in 32-bit range;
    timestamps with `Z` or an offset are converted to UTC, those without are taken as UTC
    (the session time zone is UTC during a load); dates take `YYYY-MM-DD` or the date part
    of a timestamp as written. Already-typed values (Parquet, Arrow) pass through with a
    cast, checked only where the cast can lose information.
    """
    sql_type = _SQL_TYPE[logical_type]
    source_type_id = source_type_id.lower()
    c = column_sql
    fail = _fail(f"value of {column_sql} {_NOT_A.get(logical_type, '')}")

    if source_type_id not in _STRING_IDS:
        if logical_type == VARCHAR:
            return ColumnExpressions(f"cast({c} as VARCHAR)", None)
        if logical_type == BOOLEAN:
            if source_type_id == "boolean":
                return ColumnExpressions(c, None)
            if source_type_id in _NUMERIC_IDS:
                return ColumnExpressions(
                    f"(case when {c} is null then null when {c} = 1 then true "
                    f"when {c} = 0 then false else {fail} end)",
                    f"({c} is not null and {c} not in (0, 1))",
                )
        if logical_type == INTEGER:
            if source_type_id in _SMALL_INTEGER_IDS:
                return ColumnExpressions(f"cast({c} as INTEGER)", None)
            if source_type_id in _NUMERIC_IDS:
                whole = f"try_cast({c} as INTEGER) = {c}"
                return ColumnExpressions(
                    f"(case when {c} is null then null when {whole} "
                    f"then try_cast({c} as INTEGER) else {fail} end)",
                    f"({c} is not null and not coalesce({whole}, false))",
                )
        if logical_type == DOUBLE and source_type_id in _NUMERIC_IDS:
            return ColumnExpressions(f"cast({c} as DOUBLE)", None)
        if logical_type in (TIMESTAMP, DATE):
            if source_type_id in _NAIVE_TIMESTAMP_IDS or source_type_id == "date":
                return ColumnExpressions(f"cast({c} as {sql_type})", None)
            if _is_zoned_timestamp(source_type_id):
                return ColumnExpressions(f"cast(timezone('UTC', {c}) as {sql_type})", None)
        # Anything else (say a timestamp held as text in Parquet) is judged as text.
        c = f"cast({c} as VARCHAR)"

    if logical_type == VARCHAR:
        return ColumnExpressions(f"nullif({c}, '')", None)

    text = f"nullif(trim({c}), '')"
    if logical_type == BOOLEAN:
        folded = f"lower(trim({c}))"
        return ColumnExpressions(
            f"(case when {text} is null then null when {folded} in ('true', '1') then true "
            f"when {folded} in ('false', '0') then false else {fail} end)",
            f"({text} is not null and {folded} not in ('true', '1', 'false', '0'))",
        )
    if logical_type == INTEGER:
        # DuckDB rounds '1.5' to 2 when casting to INTEGER: compare with the double value.
        whole = f"try_cast({text} as INTEGER) = try_cast({text} as DOUBLE)"
        return ColumnExpressions(
            f"(case when {text} is null then null when {whole} "
            f"then try_cast({text} as INTEGER) else {fail} end)",
            f"({text} is not null and not coalesce({whole}, false))",
        )
    if logical_type == TIMESTAMP:
        return ColumnExpressions(
            f"timezone('UTC', cast({text} as TIMESTAMPTZ))",
            f"({text} is not null and try_cast({text} as TIMESTAMPTZ) is null)",
        )
    return ColumnExpressions(
        f"cast({text} as {sql_type})",
        f"({text} is not null and try_cast({text} as {sql_type}) is null)",
    )


def _default_describe_row(source_file: str, row: int) -> str:
    return f"row {row}"


def _where(
    table: str, file: str | Sequence[str] | None, column: str | None, position: str | None
) -> str:
    parts = [f"table '{table}'"]
    if isinstance(file, str):
        parts.append(f"file '{file}'")
    elif file:
        parts.append("files " + " and ".join(f"'{name}'" for name in file))
    if column is not None:
        parts.append(f"column '{column}'")
    if position is not None:
        parts.append(position)
    return "raw load failed: " + ", ".join(parts)


def _show(value: object) -> str:
    text = str(value)
    return text if len(text) <= 200 else text[:200] + "..."


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
) -> LoadResult:
    """Validate staged rows and atomically replace `raw.<table>` with them.

    `staged` is a relation on `connection` (for an Arrow table: `connection.from_arrow(t)`)
    or a SQL query, with the table's columns plus `_source_file` and `_source_row` (see
    the module docstring). `describe_row(file, row)` words a position for error messages
    ("line 17" for CSV); the default is "row <n>". `source_files` names the sources for
    errors and metadata; by default they are read from `_source_file`. `into` names the
    table of schema raw to write instead of `<table>` (the extract step builds every table
    of a run as `raw.<table>__next` and swaps them in together, see
    `orchestration.sources.raw_swap`).

    Raises LandingDataError (nothing written) for a missing required column, a value that
    does not fit its column's type, an empty primary key, or two rows with the same key
    and the same `modifiedon` (any repeated key in tables without `modifiedon`). Rows with
    the same key and different `modifiedon` are upserted: the newest wins.

    Must be called outside an open transaction on `connection`.
    """
    describe = describe_row or _default_describe_row
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
) -> LoadResult:
    table = contract.name
    relation = connection.sql(f"select * from {source}")
    by_lower: dict[str, tuple[str, duckdb.DuckDBPyType]] = {}
    for name, duck_type in zip(relation.columns, relation.types, strict=True):
        lower = name.lower()
        if lower in by_lower:
            raise LandingDataError(
                _where(table, None, lower, None)
                + f": columns '{by_lower[lower][0]}' and '{name}' differ only in letter case",
                table=table,
                column=lower,
            )
        by_lower[lower] = (name, duck_type)
    for position_column in _POSITION_COLUMNS:
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
            _where(table, named, missing[0], None)
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
        if lower not in contract.columns and lower not in _POSITION_COLUMNS
    ]
    # (name, type, value) of every raw column: contract, extras as they came, lineage.
    raw_columns = [
        (column, _SQL_TYPE[logical_type], expressions[column].value)
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
    flags = [lower for lower in extras if lower in DELETED_FLAG_COLUMNS]
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
            rows_read, superseded = _check_keys(connection, contract, target, describe)
            flagged = _drop_flagged_deleted(connection, target, flags)
            empty_input.check(table, rows_read - superseded - flagged, previous_rows, source_files)
            connection.execute("commit")
    except BaseException:
        _rollback(connection)
        raise
    if build_error is not None:
        _rollback(connection)
        # The strict build hit a bad value (or could not read the source): find the first
        # bad value of every column, in one try_cast scan, to say where.
        _raise_bad_values(connection, contract, source, expressions, source_names, describe)
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


def _drop_flagged_deleted(
    connection: duckdb.DuckDBPyConnection, target: str, flags: Sequence[str]
) -> int:
    """Delete rows flagged deleted by the landing tool; return how many.

    Fivetran keeps a row deleted in the CRM with `_fivetran_deleted = true`; Synapse Link
    append-only tables mark one with `IsDelete` (KPI_SPEC section 1: such a row does not
    exist). Runs after `_check_keys`, so the flag of a key's newest version decides. A flag
    counts when true, 1 or 'true' (any case, blanks ignored), whatever its source type.
    """
    if not flags:
        return 0
    flagged = " or ".join(
        f"coalesce(lower(trim(cast({quote_identifier(flag)} as VARCHAR))) in ('true', '1'), false)"
        for flag in flags
    )
    (deleted,) = connection.execute(f"delete from {target} where {flagged}").fetchone()
    return deleted


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


def _raise_bad_values(
    connection: duckdb.DuckDBPyConnection,
    contract: TableContract,
    source: str,
    expressions: dict[str, ColumnExpressions],
    source_names: dict[str, str],
    describe: Callable[[str, int], str],
) -> None:
    """One scan: the first bad value of every typed column; raise for the earliest."""
    table = contract.name
    file_sql = quote_identifier(source_names[SOURCE_FILE_COLUMN])
    row_sql = quote_identifier(source_names[SOURCE_ROW_COLUMN])
    checked = [column for column, parts in expressions.items() if parts.bad is not None]
    if not checked:
        return
    aggregates = [
        f"min({{'f': {file_sql}, 'r': {row_sql}, "
        f"'v': cast({quote_identifier(source_names[column])} as VARCHAR)}}) "
        f"filter (where {expressions[column].bad})"
        for column in checked
    ]
    try:
        first_bad = connection.execute(f"select {', '.join(aggregates)} from {source}").fetchone()
    except duckdb.Error as error:
        raise _read_error(table, error) from error

    problems: list[tuple[tuple[str, int], LandingDataError]] = []
    for column, hit in zip(checked, first_bad, strict=True):
        if hit is None:
            continue
        where = describe(hit["f"], hit["r"])
        value = _show(hit["v"])
        problems.append(
            (
                (hit["f"], hit["r"]),
                LandingDataError(
                    _where(table, hit["f"], column, where)
                    + f": value '{value}' {_NOT_A[contract.columns[column]]}",
                    table=table,
                    file=hit["f"],
                    column=column,
                    row=where,
                    value=value,
                ),
            )
        )
    if problems:
        problems.sort(key=lambda item: item[0])
        first = problems[0][1]
        if len(problems) > 1:
            others = "\n".join(f"  also: {error}" for _, error in problems[1:])
            first.args = (f"{first}\n{others}",)
        raise first


def _first_line(error: BaseException) -> str:
    return str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__


def _read_error(table: str, error: duckdb.Error) -> LandingDataError:
    """Word DuckDB's reader error; a CSV error keeps its file, line and reason."""
    text = str(error)
    line = re.search(r"CSV Error on Line: (\d+)", text)
    file = re.search(r"^\s*file = (.+)$", text, re.MULTILINE)
    if line and file:
        details = [part.strip() for part in text.split("Possible fixes:")[0].splitlines()]
        reason = [part for part in details if part][-1]
        where = f"line {line.group(1)}"
        return LandingDataError(
            _where(table, file.group(1).strip(), None, where) + f": {reason}",
            table=table,
            file=file.group(1).strip(),
            row=where,
        )
    return LandingDataError(
        f"raw load failed: table '{table}': the source could not be read: {_first_line(error)}",
        table=table,
    )


def _check_keys(
    connection: duckdb.DuckDBPyConnection,
    contract: TableContract,
    target: str,
    describe: Callable[[str, int], str],
) -> tuple[int, int]:
    """Check keys of the freshly built table; drop superseded rows; return (read, dropped).

    Runs inside the load's transaction on DuckDB's own storage, which scans much faster
    than the source files. Uniqueness is first tested on 64-bit key hashes: when no two
    are equal no key repeats (exact, not probable), and sorting the hashes to compare
    neighbours costs about half of counting distinct hashes and a fraction of grouping
    the strings. Only when hashes repeat do the exact, slower queries run.
    """
    table = contract.name
    key = quote_identifier(contract.primary_key)
    position = f"{{'f': {SOURCE_FILE_COLUMN}, 'r': {SOURCE_ROW_COLUMN}}}"
    rows_read, empty_keys, repeated_hashes = connection.execute(
        f"""
        select
            count(*),
            count(*) filter (where key_hash is null),
            count(*) filter (where key_hash = previous_hash)
        from (
            select key_hash, lag(key_hash) over (order by key_hash) as previous_hash
            from (
                select case when {key} is not null then hash({key}) end as key_hash
                from {target}
            )
        )
        """
    ).fetchone()
    if empty_keys:
        (empty_key_at,) = connection.execute(
            f"select min({position}) from {target} where {key} is null"
        ).fetchone()
        where = describe(empty_key_at["f"], empty_key_at["r"])
        raise LandingDataError(
            _where(table, empty_key_at["f"], contract.primary_key, where)
            + ": primary key is empty",
            table=table,
            file=empty_key_at["f"],
            column=contract.primary_key,
            row=where,
        )
    if repeated_hashes == 0:
        return rows_read, 0

    # Some key may repeat (or two keys share a hash): a tie is a repeated key with the
    # same modifiedon, or any repeated key when the table has no modifiedon.
    dated = contract.has_modifiedon
    version = "modifiedon" if dated else "null"
    tie = connection.execute(
        f"""
        select {key}, {version}, min({position}) as first_at, max({position})
        from {target}
        group by {key}, {version}
        having count(*) > 1
        order by first_at
        limit 1
        """
    ).fetchone()
    if tie is not None:
        _raise_duplicate(contract, describe, *tie)

    if not dated:
        return rows_read, 0  # the hashes collided; no key repeats
    # Newest modifiedon wins; null modifiedon counts as oldest (ties were refused).
    (superseded,) = connection.execute(
        f"""
        delete from {target}
        using (
            select {key} as key_value, max(modifiedon) as newest
            from {target}
            group by {key}
            having count(*) > 1
        ) as repeated
        where {target}.{key} = repeated.key_value
            and {target}.modifiedon is distinct from repeated.newest
        """
    ).fetchone()
    return rows_read, superseded


def _raise_duplicate(
    contract: TableContract,
    describe: Callable[[str, int], str],
    key_value: object,
    modifiedon: object,
    first_at: dict,
    last_at: dict,
) -> None:
    table = contract.name
    first_where = describe(first_at["f"], first_at["r"])
    last_where = describe(last_at["f"], last_at["r"])
    if first_at["f"] == last_at["f"]:
        files: str | tuple[str, str] = first_at["f"]
        where = f"{first_where} and {last_where}"
    else:
        files = (first_at["f"], last_at["f"])
        where = f"{first_where} (first file) and {last_where} (second file)"
    if contract.has_modifiedon:
        same = f" with the same modifiedon '{modifiedon}'"
    else:
        same = " (the table has no modifiedon, so every key must be unique)"
    raise LandingDataError(
        _where(table, files, contract.primary_key, where)
        + f": duplicate primary key '{_show(key_value)}'{same}",
        table=table,
        file=first_at["f"],
        column=contract.primary_key,
        row=where,
        value=str(key_value),
    )
