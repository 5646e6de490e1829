"""Load a table's landing files (CSV, Parquet, Delta) into raw through `load_raw_table`,
and word every way a file can fail to read.

`find_landing_files` (files.py) decides which files a table landed as;
landing_staging.py writes the SQL that reads them and landing_encoding.py makes UTF-8
copies of CSVs in another encoding. This module checks each file's columns against the
contract, runs the load, and turns failures into a LandingDataError naming the table and
the landing file (never a UTF-8 copy):

- Encodings: a byte that is not valid in the declared encoding stops the load with the
  table, file and line of the first bad byte and how to fix it.
- Reader errors: any DuckDB error while reading a file (a corrupt Parquet column chunk,
  a truncated file) becomes a LandingDataError naming the table and the file.
"""

from __future__ import annotations

import codecs
import csv
import re
from collections.abc import Callable
from pathlib import Path

import duckdb

from orchestration.contract import TableContract
from orchestration.sources.files import CSV, PARQUET, LandingFiles
from orchestration.sources.landing_encoding import (
    DEFAULT_ENCODING,
    ReadPlan,
    bad_bytes_error,
    read_plan,
)
from orchestration.sources.landing_staging import (
    csv_header,
    csv_line_of_record,
    escape_glob,
    stage_landing_files,
)
from orchestration.sources.raw_load_errors import LandingDataError, first_line, where_text
from orchestration.sources.raw_loader import LoadResult, load_raw_table
from orchestration.sources.raw_sql import quote_literal

__all__ = ["landing_row_describer", "load_landing_files"]


def _file_columns(connection: duckdb.DuckDBPyConnection, path: Path, file_format: str) -> list[str]:
    if file_format == CSV:
        return csv_header(path)
    reader = f"read_parquet({quote_literal(escape_glob(str(path)))})"
    return [name.lower() for name in connection.sql(f"select * from {reader} limit 0").columns]


def _check_columns(
    connection: duckdb.DuckDBPyConnection, contract: TableContract, plan: ReadPlan
) -> None:
    """Every file has the required columns, so a missing one is reported for its file."""
    files, encoding = plan.files, plan.encoding
    for path in files.paths:
        try:
            columns = set(_file_columns(connection, plan.read_paths[path], files.format))
        except UnicodeDecodeError as error:
            line = getattr(error, "line", 1)
            raise bad_bytes_error(contract.name, path, line, encoding, error.reason) from error
        except (duckdb.Error, OSError, csv.Error, ValueError) as error:
            raise LandingDataError(
                f"raw load failed: table '{contract.name}', file '{path}': "
                f"the file could not be read: {first_line(error)}",
                table=contract.name,
                file=str(path),
            ) from error
        if files.partitioned:
            columns |= _partition_columns(path, files.delta_table)
        missing = [column for column in contract.columns if column not in columns]
        if missing:
            raise LandingDataError(
                where_text(contract.name, str(path), missing[0], None)
                + ": required column is missing"
                + (f" (also missing: {', '.join(missing[1:])})" if missing[1:] else ""),
                table=contract.name,
                file=str(path),
                column=missing[0],
            )


def _partition_columns(path: Path, root: Path | None) -> set[str]:
    folders = path.parent.relative_to(root).parts if root is not None else ()
    return {folder.split("=", 1)[0].lower() for folder in folders if "=" in folder}


def _full_scan_error(connection: duckdb.DuckDBPyConnection, sql: str) -> duckdb.Error | None:
    # hash() of the whole row makes DuckDB decode every column (count(*) alone would be
    # answered from Parquet metadata and never touch a corrupt page).
    try:
        connection.execute(f"select bit_xor(hash(t)) from ({sql}) as t").fetchall()
    except duckdb.Error as error:
        return error
    return None


def _unreadable_file(
    connection: duckdb.DuckDBPyConnection, plan: ReadPlan, table: str
) -> LandingDataError | None:
    """Read each file alone; the first one DuckDB cannot read, as a LandingDataError."""
    for path in plan.files.paths:
        single = LandingFiles(
            plan.files.table,
            plan.files.format,
            (path,),
            plan.files.delta_table,
            plan.files.partitioned,
        )
        error = _full_scan_error(connection, stage_landing_files(single, plan.read_paths))
        if error is None:
            continue
        reason = plan.unmask(first_line(error))
        line = re.search(r"CSV Error on Line: (\d+)", str(error))
        where = f"line {line.group(1)}" if line else None
        if "Invalid unicode" in str(error):
            return bad_bytes_error(
                table,
                path,
                int(line.group(1)) if line else 1,
                plan.encoding,
                "invalid byte sequence",
            )
        hint = (
            "the file is damaged or not a complete Parquet file; export it again"
            if plan.files.format == PARQUET
            else "check the file's quoting and line endings, or export it again"
        )
        return LandingDataError(
            where_text(table, str(path), None, where)
            + f": the file could not be read: {reason}; {hint}",
            table=table,
            file=str(path),
            row=where,
        )
    return None


def load_landing_files(
    connection: duckdb.DuckDBPyConnection,
    contract: TableContract,
    files: LandingFiles,
    *,
    encoding: str = DEFAULT_ENCODING,
    allow_empty: bool = False,
    into: str | None = None,
    keep_deleted: bool = False,
) -> LoadResult:
    """Load one table's landing files (from `find_landing_files`) into `raw.<table>`.

    `encoding` is the CSV files' encoding (any Python codec name; RA_LANDING_ENCODING);
    `allow_empty` lets the load empty a table that holds rows (RA_ALLOW_EMPTY_TABLES,
    see `load_raw_table`); `into` as for `load_raw_table` (the raw table to build instead
    of `<table>`); `keep_deleted` as for `load_raw_table` (an append). Checks every file
    for the required columns first, so a column missing from one part of a folder is
    reported for that file instead of loading as nulls. Positions in errors are CSV lines
    (header = line 1) or 1-based Parquet rows.
    Raises LandingDataError naming the table and file for bad bytes, unreadable files and
    every contract violation; raw is then as it was.
    """
    codecs.lookup(encoding)  # LookupError for an unknown codec, before any file is read
    table = contract.name
    with read_plan(files, encoding) as plan:
        _check_columns(connection, contract, plan)

        try:
            return load_raw_table(
                connection,
                contract,
                stage_landing_files(files, plan.read_paths),
                describe_row=landing_row_describer(files.format, encoding),
                source_files=[str(path) for path in files.paths],
                allow_empty=allow_empty,
                looked_in=_looked_in(files),
                into=into,
                keep_deleted=keep_deleted,
            )
        except LandingDataError as error:
            if error.file is not None:
                raise _in_landing_terms(error, plan) from error
            culprit = _unreadable_file(connection, plan, table)
            if culprit is None:
                raise
            raise culprit from error
        except duckdb.Error as error:
            culprit = _unreadable_file(connection, plan, table)
            if culprit is None:
                raise
            raise culprit from error


def landing_row_describer(
    file_format: str, encoding: str = DEFAULT_ENCODING
) -> Callable[[str, int], str] | None:
    """How errors word a row position of a landing file: for CSV the file's line (header =
    line 1, a quoted newline counted), for Parquet None (`load_raw_table`'s "row <n>")."""
    if file_format != CSV:
        return None

    def describe(source_file: str, record: int) -> str:
        try:
            line = csv_line_of_record(Path(source_file), record, encoding)
        except (OSError, csv.Error, LookupError):
            line = record + 1
        return f"line {line}"

    return describe


def _in_landing_terms(error: LandingDataError, plan: ReadPlan) -> LandingDataError:
    """`error` naming the landing file rather than its UTF-8 copy, with the encoding hint
    when DuckDB found bytes that are not UTF-8."""
    file = plan.unmask(error.file or "")
    if "Invalid unicode" in str(error):
        line = re.search(r"line (\d+)", error.row or "")
        return bad_bytes_error(
            error.table,
            Path(file),
            int(line.group(1)) if line else 1,
            plan.encoding,
            "invalid byte sequence",
        )
    unmasked = LandingDataError(
        plan.unmask(str(error)),
        table=error.table,
        file=file,
        column=error.column,
        row=error.row,
        value=error.value,
    )
    return unmasked


def _looked_in(files: LandingFiles) -> str:
    if files.delta_table is not None:
        return f"the Delta table '{files.delta_table}'"
    if len(files.paths) == 1:
        return f"the file '{files.paths[0]}'"
    return f"the folder '{files.paths[0].parent}' ({len(files.paths)} files)"
