"""Write the validated raw tables as Parquet, so a distributed engine reads the same input.

DuckDB's `raw.<table>` stays the one validated copy of the landing data; this module only
mirrors it as `<out_dir>/<table>/data.parquet`. The dbt `spark` target registers each
folder as the table `raw.<table>` (macro `register_raw_parquet_tables`), so DuckDB and
Spark build the marts from identical rows and types.

Each table is written into a temporary folder next to its final place and then renamed,
so a reader never sees a half-written file: it sees the previous folder or the new one.
Timestamps are written as DuckDB holds them, naive UTC (Parquet `isAdjustedToUTC=false`);
Spark reads them as TIMESTAMP_NTZ and the staging models cast them with the session time
zone set to UTC.
"""

from __future__ import annotations

import shutil
import uuid
from collections.abc import Iterable
from pathlib import Path

import duckdb

from orchestration import contract

__all__ = ["PARQUET_FILE_NAME", "RAW_SCHEMA", "raw_parquet_path", "write_raw_parquet"]

RAW_SCHEMA = "raw"
PARQUET_FILE_NAME = "data.parquet"


def raw_parquet_path(out_dir: Path, table: str) -> Path:
    """Where `write_raw_parquet` puts one table (the folder is the Spark table location)."""
    return Path(out_dir) / table / PARQUET_FILE_NAME


def _quote_identifier(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _quote_literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _replace_folder(new: Path, final: Path) -> None:
    """Put `new` where `final` is. Two renames on one file system; the old copy goes last.

    POSIX cannot rename a folder over a non-empty one, so the old folder is first moved
    aside. Between the two renames (microseconds) the table folder is absent, never partial.
    """
    old = final.with_name(f".{final.name}.old-{uuid.uuid4().hex}")
    if final.exists():
        final.rename(old)
    try:
        new.rename(final)
    except BaseException:
        if old.exists() and not final.exists():
            old.rename(final)
        raise
    shutil.rmtree(old, ignore_errors=True)


def write_raw_parquet(
    connection: duckdb.DuckDBPyConnection,
    out_dir: Path,
    tables: Iterable[str] = contract.TABLE_NAMES,
) -> dict[str, int]:
    """Write each `raw.<table>` to `<out_dir>/<table>/data.parquet`; return rows per table.

    All columns are written (contract columns, any extra landing columns and the
    `_source_file`/`_source_row` lineage), in table order, so the Parquet copy is the raw
    table itself. A failure leaves every table's previous Parquet folder in place.
    """
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    rows_written: dict[str, int] = {}
    for table in tables:
        final = out_dir / table
        staging = out_dir / f".{table}.tmp-{uuid.uuid4().hex}"
        staging.mkdir()
        try:
            source = f"{RAW_SCHEMA}.{_quote_identifier(table)}"
            target = _quote_literal(str(staging / PARQUET_FILE_NAME))
            written = connection.execute(
                f"copy (select * from {source}) to {target} (format parquet, compression zstd)"
            ).fetchone()
            _replace_folder(staging, final)
        except BaseException:
            shutil.rmtree(staging, ignore_errors=True)
            raise
        rows_written[table] = int(written[0]) if written else 0
    return rows_written
