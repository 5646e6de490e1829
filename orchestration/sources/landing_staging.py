"""The SQL that reads one table's landing files, CSV or Parquet (a Delta table's live
files are Parquet), with `_source_file` and `_source_row` for lineage and errors.

- Exact paths: DuckDB expands `*`, `?` and `[...]` in every path it is given, even in a
  list, so `part[1].csv` would read `part1.csv`. Each path is escaped (`[` -> `[[]`,
  `*` -> `[*]`, `?` -> `[?]`), which DuckDB's glob reads as the character itself.
- CSV: a fixed RFC 4180 dialect and the header's own column names, read as text; the
  typing and validation is the loader's (raw_loader.py). `csv_line_of_record` turns the
  record number of `_source_row` back into the file's line for error messages.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterator
from pathlib import Path

from orchestration.sources.files import CSV, PARQUET, LandingFiles
from orchestration.sources.landing_encoding import DEFAULT_ENCODING, is_utf8
from orchestration.sources.raw_sql import SOURCE_FILE_COLUMN, SOURCE_ROW_COLUMN, quote_literal

__all__ = ["csv_header", "csv_line_of_record", "escape_glob", "stage_landing_files"]

# RFC 4180 CSV: comma, double quotes, a quote inside quotes doubled. A fixed dialect (no
# sniffing) turns a malformed row into an error that names its line, instead of DuckDB
# guessing another delimiter and every column going "missing".
_CSV_DIALECT = "delim = ',', quote = '\"', escape = '\"'"
_GLOB_CHARACTERS = re.compile(r"([\[*?])")


def escape_glob(path: str) -> str:
    """`path` as a DuckDB glob pattern that matches only itself (`a[1]*.csv` -> `a[[]1][*].csv`)."""
    return _GLOB_CHARACTERS.sub(r"[\1]", path)


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
    encoding = "utf-8-sig" if is_utf8(encoding) else encoding
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
