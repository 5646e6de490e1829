"""Read a table's landing files (CSV, Parquet, Delta) into `load_raw_table`.

`find_landing_files` (orchestration.sources.files) decides which files a table landed
as; this module turns them into staged SQL and words every way a file can fail to read:

- Exact paths: DuckDB expands `*`, `?` and `[...]` in every path it is given, even in a
  list, so `part[1].csv` would read `part1.csv`. Each path is escaped (`[` -> `[[]`,
  `*` -> `[*]`, `?` -> `[?]`), which DuckDB's glob reads as the character itself.
- Encodings: landing CSVs are UTF-8 unless RA_LANDING_ENCODING names another Python codec
  (say `cp1252` for files saved by Excel on Windows). A file in another encoding is
  transcoded to a UTF-8 copy in a temporary folder, streamed in 1 MiB chunks with
  Python's incremental decoders, before DuckDB reads it; rows keep the original file
  name. A byte that is not valid in the declared encoding stops the load with the table,
  file and line of the first bad byte and how to fix it.
- Reader errors: any DuckDB error while reading a file (a corrupt Parquet column chunk,
  a truncated file) becomes a LandingDataError naming the table and the file.
"""

from __future__ import annotations

import codecs
import csv
import re
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import duckdb

from orchestration.contract import TableContract
from orchestration.sources.files import CSV, PARQUET, LandingDataError, LandingFiles
from orchestration.sources.raw_load_errors import first_line, where_text
from orchestration.sources.raw_loader import LoadResult, load_raw_table
from orchestration.sources.raw_sql import SOURCE_FILE_COLUMN, SOURCE_ROW_COLUMN, quote_literal

__all__ = [
    "DEFAULT_ENCODING",
    "csv_header",
    "csv_line_of_record",
    "escape_glob",
    "load_landing_files",
    "stage_landing_files",
    "transcode_to_utf8",
]

DEFAULT_ENCODING = "utf-8"
_CHUNK_BYTES = 1 << 20
# RFC 4180 CSV: comma, double quotes, a quote inside quotes doubled. A fixed dialect (no
# sniffing) turns a malformed row into an error that names its line, instead of DuckDB
# guessing another delimiter and every column going "missing".
_CSV_DIALECT = "delim = ',', quote = '\"', escape = '\"'"
_GLOB_CHARACTERS = re.compile(r"([\[*?])")


def escape_glob(path: str) -> str:
    """`path` as a DuckDB glob pattern that matches only itself (`a[1]*.csv` -> `a[[]1][*].csv`)."""
    return _GLOB_CHARACTERS.sub(r"[\1]", path)


def _is_utf8(encoding: str) -> bool:
    return codecs.lookup(encoding).name in ("utf-8", "utf-8-sig")


def _encoding_hint(encoding: str) -> str:
    if _is_utf8(encoding):
        return (
            "the file is not UTF-8; if it was saved on Windows (Excel), set "
            "RA_LANDING_ENCODING=cp1252 (or the file's encoding), or convert it to UTF-8"
        )
    return (
        f"the file is not {encoding} as RA_LANDING_ENCODING declares; set "
        "RA_LANDING_ENCODING to the file's encoding, or convert it to UTF-8"
    )


def _bad_bytes_error(
    table: str, path: Path, line: int, encoding: str, error: str
) -> LandingDataError:
    where = f"line {line}"
    return LandingDataError(
        where_text(table, str(path), None, where)
        + f": bytes that are not valid {encoding} ({error}); {_encoding_hint(encoding)}",
        table=table,
        file=str(path),
        row=where,
    )


def transcode_to_utf8(path: Path, encoding: str, target: Path, table: str) -> None:
    """Copy `path` from `encoding` to UTF-8 at `target`, streaming 1 MiB at a time.

    Raises LandingDataError naming the 1-based line of the first byte that is not valid
    in `encoding` (lines counted on `\\n`, as the file's reader does).
    """
    decoder = codecs.getincrementaldecoder(encoding)()
    lines_before = 0
    with open(path, "rb") as source, open(target, "w", encoding="utf-8", newline="") as out:
        while True:
            chunk = source.read(_CHUNK_BYTES)
            try:
                text = decoder.decode(chunk, final=not chunk)
            except UnicodeDecodeError as error:
                start = max(0, min(error.start, len(chunk)))
                before = chunk[:start].decode(encoding, errors="replace")
                line = lines_before + before.count("\n") + 1
                raise _bad_bytes_error(table, path, line, encoding, error.reason) from error
            out.write(text)
            lines_before += text.count("\n")
            if not chunk:
                return


def csv_header(path: Path) -> list[str]:
    """The column names of a UTF-8 CSV file's header row, lower-cased and stripped.

    Decodes only the header's own lines, so a bad byte further down is left to the
    reader, which names its line. Raises ValueError for a missing or repeated name and
    UnicodeDecodeError (with `.line`, 1-based) for a header line that is not UTF-8.
    """
    header = next(csv.reader(_header_lines(path)), None)
    if not header:
        raise ValueError("the file is empty (no header row)")
    names = [name.strip().lower() or f"column{index}" for index, name in enumerate(header)]
    repeated = sorted({name for name in names if names.count(name) > 1})
    if repeated:
        raise ValueError(f"the header names column '{repeated[0]}' more than once")
    return names


def _header_lines(path: Path) -> Iterator[str]:
    # Line by line, so reading the header never decodes bytes past it.
    with open(path, "rb") as handle:
        for number, raw in enumerate(handle, start=1):
            try:
                yield raw.decode("utf-8-sig" if number == 1 else "utf-8")
            except UnicodeDecodeError as error:
                error.line = number  # type: ignore[attr-defined]
                raise


def csv_line_of_record(path: Path, record: int, encoding: str = DEFAULT_ENCODING) -> int:
    """The 1-based line where data record `record` starts (header = line 1).

    Equals record + 1 unless quoted fields span lines or blank lines are skipped; only
    called for error messages, so reading the file in Python here is fine.
    """
    encoding = "utf-8-sig" if _is_utf8(encoding) else encoding
    with open(path, newline="", encoding=encoding, errors="replace") as handle:
        reader = csv.reader(handle)  # the same dialect as _CSV_DIALECT
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


@dataclass(frozen=True)
class _ReadPlan:
    """Which file DuckDB reads for each landing file (a UTF-8 copy or the file itself)."""

    files: LandingFiles
    read_paths: dict[Path, Path]
    encoding: str

    def unmask(self, text: str) -> str:
        """`text` with every UTF-8 copy's path replaced by the landing file's."""
        for path, copy in self.read_paths.items():
            if copy != path:
                text = text.replace(str(copy), str(path))
        return text


def stage_landing_files(files: LandingFiles, read_paths: dict[Path, Path] | None = None) -> str:
    """SQL over a table's landing files with `_source_file` and `_source_row` added.

    CSV is read as text with the header's names, one scan per file so `row_number() over
    ()` numbers that file's records in file order (DuckDB keeps scan order while
    `preserve_insertion_order` is on, which the loader ensures). Parquet parts (and a
    Delta table's live files) are read in one scan with `union_by_name`, numbered by
    DuckDB's 0-based `file_row_number` plus one; `<column>=<value>/` folders of a
    partitioned Delta table add their columns. `_source_row` is therefore the 1-based data
    record (CSV, header not counted) or 1-based row (Parquet) within its file. Every path
    is escaped so DuckDB reads exactly that file; `read_paths` maps a CSV to the UTF-8
    copy to read instead (`_source_file` still names the landing file).
    """
    read_paths = read_paths or {}
    if files.format == PARQUET:
        paths = ", ".join(quote_literal(escape_glob(str(path))) for path in files.paths)
        hive = ", hive_partitioning = true" if files.partitioned else ""
        return (
            f"select * exclude (file_row_number), file_row_number + 1 as {SOURCE_ROW_COLUMN} "
            f"from read_parquet([{paths}], union_by_name = true, "
            f"filename = '{SOURCE_FILE_COLUMN}', file_row_number = true{hive})"
        )
    if files.format == CSV:
        scans = []
        for path in files.paths:
            read_path = read_paths.get(path, path)
            columns = ", ".join(
                f"{quote_literal(name)}: 'VARCHAR'" for name in csv_header(read_path)
            )
            scans.append(
                f"select *, {quote_literal(str(path))} as {SOURCE_FILE_COLUMN}, "
                f"row_number() over () as {SOURCE_ROW_COLUMN} "
                f"from read_csv({quote_literal(escape_glob(str(read_path)))}, "
                f"auto_detect = false, header = true, {_CSV_DIALECT}, columns = {{{columns}}})"
            )
        return "\nunion all by name\n".join(scans)
    raise ValueError(f"unknown landing format {files.format!r}")


def _file_columns(connection: duckdb.DuckDBPyConnection, path: Path, file_format: str) -> list[str]:
    if file_format == CSV:
        return csv_header(path)
    reader = f"read_parquet({quote_literal(escape_glob(str(path)))})"
    return [name.lower() for name in connection.sql(f"select * from {reader} limit 0").columns]


def _check_columns(
    connection: duckdb.DuckDBPyConnection, contract: TableContract, plan: _ReadPlan
) -> None:
    """Every file has the required columns, so a missing one is reported for its file."""
    files, encoding = plan.files, plan.encoding
    for path in files.paths:
        try:
            columns = set(_file_columns(connection, plan.read_paths[path], files.format))
        except UnicodeDecodeError as error:
            line = getattr(error, "line", 1)
            raise _bad_bytes_error(contract.name, path, line, encoding, error.reason) from error
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


@contextmanager
def _read_plan(files: LandingFiles, encoding: str) -> Iterator[_ReadPlan]:
    """UTF-8 copies of CSVs in another encoding, removed when the load is done."""
    if files.format != CSV or _is_utf8(encoding):
        yield _ReadPlan(files, {path: path for path in files.paths}, encoding)
        return
    folder = Path(tempfile.mkdtemp(prefix="ra-landing-utf8-"))
    try:
        read_paths = {}
        for index, path in enumerate(files.paths):
            copy = folder / f"{index}.csv"
            transcode_to_utf8(path, encoding, copy, files.table)
            read_paths[path] = copy
        yield _ReadPlan(files, read_paths, encoding)
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def _full_scan_error(connection: duckdb.DuckDBPyConnection, sql: str) -> duckdb.Error | None:
    # hash() of the whole row makes DuckDB decode every column (count(*) alone would be
    # answered from Parquet metadata and never touch a corrupt page).
    try:
        connection.execute(f"select bit_xor(hash(t)) from ({sql}) as t").fetchall()
    except duckdb.Error as error:
        return error
    return None


def _unreadable_file(
    connection: duckdb.DuckDBPyConnection, plan: _ReadPlan, table: str
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
            return _bad_bytes_error(
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
) -> LoadResult:
    """Load one table's landing files (from `find_landing_files`) into `raw.<table>`.

    `encoding` is the CSV files' encoding (any Python codec name; RA_LANDING_ENCODING);
    `allow_empty` lets the load empty a table that holds rows (RA_ALLOW_EMPTY_TABLES,
    see `load_raw_table`); `into` as for `load_raw_table` (the raw table to build instead
    of `<table>`). Checks every file for the required columns first, so a column
    missing from one part of a folder is reported for that file instead of loading as
    nulls. Positions in errors are CSV lines (header = line 1) or 1-based Parquet rows.
    Raises LandingDataError naming the table and file for bad bytes, unreadable files and
    every contract violation; raw is then as it was.
    """
    codecs.lookup(encoding)  # LookupError for an unknown codec, before any file is read
    table = contract.name
    with _read_plan(files, encoding) as plan:
        _check_columns(connection, contract, plan)

        def describe(source_file: str, record: int) -> str:
            try:
                line = csv_line_of_record(Path(source_file), record, encoding)
            except (OSError, csv.Error, LookupError):
                line = record + 1
            return f"line {line}"

        try:
            return load_raw_table(
                connection,
                contract,
                stage_landing_files(files, plan.read_paths),
                describe_row=describe if files.format == CSV else None,
                source_files=[str(path) for path in files.paths],
                allow_empty=allow_empty,
                looked_in=_looked_in(files),
                into=into,
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


def _in_landing_terms(error: LandingDataError, plan: _ReadPlan) -> LandingDataError:
    """`error` naming the landing file rather than its UTF-8 copy, with the encoding hint
    when DuckDB found bytes that are not UTF-8."""
    file = plan.unmask(error.file or "")
    if "Invalid unicode" in str(error):
        line = re.search(r"line (\d+)", error.row or "")
        return _bad_bytes_error(
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
