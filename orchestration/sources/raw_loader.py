"""Load validated rows into DuckDB schema `raw`, one table per contract table.

The loader is source-agnostic. Any source (landing files today, the Dataverse Web API
later) first *stages* its rows as a DuckDB relation or a SQL query whose columns are the
table's columns (any letter case, any DuckDB types) plus two position columns:

    _source_file  varchar   where the row came from (a file path, an API page, ...)
    _source_row   bigint    1-based position of the row in that source

`load_raw_table` then validates everything in SQL (a handful of set-based queries, never
a Python loop over rows) and replaces `raw.<table>` in one transaction, so a failed load
leaves the previous table exactly as it was and never leaves a half-built one behind.

`raw.<table>` holds: the contract columns in contract order and with the contract types
(varchar, boolean, integer = INTEGER (32-bit), double, timestamp = naive TIMESTAMP in UTC,
date), then any extra columns as they came (lower-cased names, source types; ignored
downstream), then `_source_file` and `_source_row` for lineage. Both lineage columns cost
little: one value per file compresses to almost nothing and row numbers bit-pack. There is
no `_loaded_at`: a load time would make raw differ between two loads of the same input;
the load time is in the Dagster run instead.
"""

from __future__ import annotations

import csv
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

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
from orchestration.sources.files import CSV, PARQUET, LandingDataError, LandingFiles

__all__ = [
    "RAW_SCHEMA",
    "SOURCE_FILE_COLUMN",
    "SOURCE_ROW_COLUMN",
    "LandingDataError",
    "LoadResult",
    "load_landing_files",
    "load_raw_table",
    "stage_landing_files",
]

RAW_SCHEMA = "raw"
SOURCE_FILE_COLUMN = "_source_file"
SOURCE_ROW_COLUMN = "_source_row"
_POSITION_COLUMNS = (SOURCE_FILE_COLUMN, SOURCE_ROW_COLUMN)

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
    """Row counts of one load, for run metadata."""

    table: str
    rows_read: int
    rows_loaded: int
    duplicates_superseded: int
    source_files: tuple[str, ...]


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
) -> LoadResult:
    """Validate staged rows and atomically replace `raw.<table>` with them.

    `staged` is a relation on `connection` (for an Arrow table: `connection.from_arrow(t)`)
    or a SQL query, with the table's columns plus `_source_file` and `_source_row` (see
    the module docstring). `describe_row(file, row)` words a position for error messages
    ("line 17" for CSV); the default is "row <n>". `source_files` names the sources for
    errors and metadata; by default they are read from `_source_file`.

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
        return _load(connection, contract, f"({sql}) as staged", describe, source_files)
    finally:
        session.restore()


def _load(
    connection: duckdb.DuckDBPyConnection,
    contract: TableContract,
    source: str,
    describe: Callable[[str, int], str],
    source_files: Sequence[str] | None,
) -> LoadResult:
    table = contract.name
    relation = connection.sql(f"select * from {source}")
    by_lower: dict[str, tuple[str, str]] = {}
    for name, duck_type in zip(relation.columns, relation.types, strict=True):
        lower = name.lower()
        if lower in by_lower:
            raise LandingDataError(
                _where(table, None, lower, None)
                + f": columns '{by_lower[lower][0]}' and '{name}' differ only in letter case",
                table=table,
                column=lower,
            )
        by_lower[lower] = (name, duck_type.id)
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
            quote_identifier(source_names[column]), by_lower[column][1], logical_type
        )
        for column, logical_type in contract.columns.items()
    }
    extras = [
        lower
        for lower in by_lower
        if lower not in contract.columns and lower not in _POSITION_COLUMNS
    ]
    select_list = [
        f"cast({expressions[column].value} as {_SQL_TYPE[logical_type]}) "
        f"as {quote_identifier(column)}"
        for column, logical_type in contract.columns.items()
    ]
    select_list += [
        f"{quote_identifier(source_names[lower])} as {quote_identifier(lower)}" for lower in extras
    ]
    select_list += [
        f"cast({file_sql} as VARCHAR) as {SOURCE_FILE_COLUMN}",
        f"cast({row_sql} as BIGINT) as {SOURCE_ROW_COLUMN}",
    ]

    target = f"{RAW_SCHEMA}.{quote_identifier(table)}"
    build_error: duckdb.Error | None = None
    connection.execute("begin transaction")
    try:
        connection.execute(f"create schema if not exists {RAW_SCHEMA}")
        try:
            connection.execute(
                f"create or replace table {target} as select {', '.join(select_list)} from {source}"
            )
        except duckdb.Error as error:
            build_error = error
        if build_error is None:
            rows_read, superseded = _check_keys(connection, contract, target, describe)
            connection.execute("commit")
    except BaseException:
        _rollback(connection)
        raise
    if build_error is not None:
        _rollback(connection)
        # The strict build hit a bad value (or could not read the source): find the first
        # bad value of every column, in one try_cast scan, to say where.
        _raise_bad_values(connection, contract, source, expressions, source_names, describe)
        raise LandingDataError(
            f"raw load failed: table '{table}': the rows could not be loaded: {build_error}",
            table=table,
        ) from build_error
    return LoadResult(
        table=table,
        rows_read=rows_read,
        rows_loaded=rows_read - superseded,
        duplicates_superseded=superseded,
        source_files=source_files,
    )


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
        raise LandingDataError(
            f"raw load failed: table '{table}': the source could not be read: {error}",
            table=table,
        ) from error

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


def _check_keys(
    connection: duckdb.DuckDBPyConnection,
    contract: TableContract,
    target: str,
    describe: Callable[[str, int], str],
) -> tuple[int, int]:
    """Check keys of the freshly built table; drop superseded rows; return (read, dropped).

    Runs inside the load's transaction on DuckDB's own storage, which scans much faster
    than the source files. Uniqueness is first tested on 64-bit hashes (exact when all
    hashes differ, and a fraction of the cost of distinct strings); only when hashes
    repeat do the exact, slower queries run.
    """
    table = contract.name
    key = quote_identifier(contract.primary_key)
    position = f"{{'f': {SOURCE_FILE_COLUMN}, 'r': {SOURCE_ROW_COLUMN}}}"
    dated = contract.has_modifiedon
    version_hashes = ", count(distinct hash(" + key + ", modifiedon))" if dated else ""
    rows_read, empty_key_at, key_hashes, *rest = connection.execute(
        f"select count(*), min({position}) filter (where {key} is null), "
        f"count(distinct hash({key})){version_hashes} from {target}"
    ).fetchone()
    version_hashes_count = rest[0] if dated else key_hashes

    if empty_key_at is not None:
        where = describe(empty_key_at["f"], empty_key_at["r"])
        raise LandingDataError(
            _where(table, empty_key_at["f"], contract.primary_key, where)
            + ": primary key is empty",
            table=table,
            file=empty_key_at["f"],
            column=contract.primary_key,
            row=where,
        )

    if version_hashes_count < rows_read:
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

    superseded = 0
    if dated and key_hashes < rows_read:
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


def stage_landing_files(files: LandingFiles) -> str:
    """SQL over a table's landing files with `_source_file` and `_source_row` added.

    CSV is read as text (`all_varchar`), one scan per file so `row_number() over ()`
    numbers that file's records in file order (DuckDB keeps scan order while
    `preserve_insertion_order` is on, which the loader ensures). Parquet parts are read
    in one scan with `union_by_name`, numbered by DuckDB's 0-based `file_row_number`
    plus one. `_source_row` is therefore the 1-based data record (CSV, header not
    counted) or 1-based row (Parquet) within its file.
    """
    if files.format == PARQUET:
        paths = ", ".join(quote_literal(str(path)) for path in files.paths)
        return (
            f"select * exclude (file_row_number), file_row_number + 1 as {SOURCE_ROW_COLUMN} "
            f"from read_parquet([{paths}], union_by_name = true, "
            f"filename = '{SOURCE_FILE_COLUMN}', file_row_number = true)"
        )
    if files.format == CSV:
        return "\nunion all by name\n".join(
            f"select *, {quote_literal(str(path))} as {SOURCE_FILE_COLUMN}, "
            f"row_number() over () as {SOURCE_ROW_COLUMN} "
            f"from read_csv({quote_literal(str(path))}, all_varchar = true, header = true)"
            for path in files.paths
        )
    raise ValueError(f"unknown landing format {files.format!r}")


def _file_columns(connection: duckdb.DuckDBPyConnection, path: Path, file_format: str) -> list[str]:
    if file_format == PARQUET:
        reader = f"read_parquet({quote_literal(str(path))})"
    else:
        reader = f"read_csv({quote_literal(str(path))}, all_varchar = true, header = true)"
    return [name.lower() for name in connection.sql(f"select * from {reader} limit 0").columns]


def csv_line_of_record(
    path: Path, record: int, delimiter: str = ",", quote: str = '"', escape: str | None = None
) -> int:
    """The 1-based line where data record `record` starts (header = line 1).

    Equals record + 1 unless quoted fields span lines or blank lines are skipped; only
    called for error messages, so reading the file in Python here is fine.
    """
    with open(path, newline="", encoding="utf-8-sig", errors="replace") as handle:
        reader = csv.reader(
            handle,
            delimiter=delimiter,
            quotechar=quote or '"',
            escapechar=escape if escape and escape != quote else None,
        )
        seen_header = False
        records = 0
        last_line = 0
        for fields in reader:
            start, last_line = last_line + 1, reader.line_num
            if not fields:
                continue
            if not seen_header:
                seen_header = True
                continue
            records += 1
            if records == record:
                return start
    return record + 1


def _csv_describer(connection: duckdb.DuckDBPyConnection) -> Callable[[str, int], str]:
    def describe(source_file: str, record: int) -> str:
        try:
            dialect = connection.execute(
                "select Delimiter, Quote, Escape from sniff_csv(?)", [source_file]
            ).fetchone()
            delimiter, quote, escape = (value if value != "(empty)" else "" for value in dialect)
            line = csv_line_of_record(Path(source_file), record, delimiter or ",", quote, escape)
        except (OSError, duckdb.Error, csv.Error, ValueError):
            line = record + 1
        return f"line {line}"

    return describe


def load_landing_files(
    connection: duckdb.DuckDBPyConnection, contract: TableContract, files: LandingFiles
) -> LoadResult:
    """Load one table's landing files (from `find_landing_files`) into `raw.<table>`.

    Checks every file for the required columns first, so a column missing from one part
    of a folder is reported for that file instead of loading as nulls. Positions in
    errors are CSV lines (header = line 1) or 1-based Parquet rows.
    """
    for path in files.paths:
        try:
            columns = set(_file_columns(connection, path, files.format))
        except duckdb.Error as error:
            raise LandingDataError(
                f"raw load failed: table '{contract.name}', file '{path}': "
                f"the file could not be read: {error}",
                table=contract.name,
                file=str(path),
            ) from error
        missing = [column for column in contract.columns if column not in columns]
        if missing:
            raise LandingDataError(
                _where(contract.name, str(path), missing[0], None)
                + ": required column is missing"
                + (f" (also missing: {', '.join(missing[1:])})" if missing[1:] else ""),
                table=contract.name,
                file=str(path),
                column=missing[0],
            )
    describe = _csv_describer(connection) if files.format == CSV else None
    return load_raw_table(
        connection,
        contract,
        stage_landing_files(files),
        describe_row=describe,
        source_files=[str(path) for path in files.paths],
    )
