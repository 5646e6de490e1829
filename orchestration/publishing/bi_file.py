"""relationship_marts.duckdb: every mart in one DuckDB file that BI tools open read-only.

The file is written by the warehouse connection itself: the exports step ATTACHes a new
file read-write beside its read-only warehouse (DuckDB allows it: `(read_write)` overrides
the access mode an attached database would otherwise inherit), sorts each mart once into
its table there, and writes the mart's Parquet and CSV files from that table
(orchestration.publishing.export_files.export_mart). Rows never pass through Python, the
warehouse is read once per mart, and everything runs under the connection's memory cap
(the run's RA_DUCKDB_MEMORY_LIMIT; DuckDB's own default is 80% of RAM).
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import duckdb

from orchestration.publishing.data_dictionary import (
    MARTS_SCHEMA,
    MartDescription,
    _identifier,
    _sql_string,
    comment_statements,
)

BI_DATABASE = "relationship_marts.duckdb"
# BI tools bundle their own, often older, DuckDB: write a file any DuckDB >= 1.0 reads.
BI_STORAGE_VERSION = "v1.0.0"
# The name the staging file is attached under in the warehouse connection.
BI_CATALOG = "bi_file"


@dataclass
class BiDatabase:
    """The BI file being written, attached to `connection` as `catalog`.

    `temporary` is the hidden file beside `final` that `finish` renames into place.
    """

    connection: duckdb.DuckDBPyConnection
    temporary: Path
    final: Path
    catalog: str = BI_CATALOG

    def table(self, mart: str) -> str:
        """The qualified name of a mart's table: <catalog>.marts.<mart>."""
        return f"{_identifier(self.catalog)}.{MARTS_SCHEMA}.{_identifier(mart)}"

    def describe(self, description: MartDescription, columns: Sequence[str]) -> None:
        """The mart's and its columns' dbt descriptions as comments on its table."""
        for statement in comment_statements(description, columns, catalog=self.catalog):
            self.connection.execute(statement)

    def finish(self, entries: Sequence[Mapping[str, object]], as_of: str | None) -> Path:
        """Add main.export_manifest, write the file whole, detach it and rename it into place.

        `entries` are export_mart's manifest entries (mart, row_count); export_manifest
        lists every mart's row count, the run's as-of instant and the time the file was
        built. Returns the final path.
        """
        built_at = datetime.now(UTC).replace(tzinfo=None, microsecond=0)
        manifest = f"{_identifier(self.catalog)}.main.export_manifest"
        self.connection.execute(
            f"create table {manifest} (mart varchar, row_count bigint, "
            "as_of timestamp, built_at timestamp)"
        )
        self.connection.executemany(
            f"insert into {manifest} values (?, ?, cast(? as timestamp), ?)",
            [[entry["mart"], entry["row_count"], as_of, built_at] for entry in entries],
        )
        self.connection.execute(f"checkpoint {_identifier(self.catalog)}")
        self.connection.execute(f"detach {_identifier(self.catalog)}")
        os.replace(self.temporary, self.final)
        return self.final


def _leftovers(temporary: Path) -> tuple[Path, Path]:
    return temporary, temporary.with_name(temporary.name + ".wal")


@contextmanager
def attached_bi_database(
    connection: duckdb.DuckDBPyConnection, export_dir: Path
) -> Iterator[BiDatabase]:
    """Attach a new BI file (hidden, in `export_dir`) to the warehouse connection.

    The block fills it (export_mart) and ends with `BiDatabase.finish`. If the block
    fails, or ends without `finish`, the file is detached and removed: the previous BI
    file, if any, stays as it was. Tables get the warehouse's names (marts.<mart>) and
    column types (create table as select keeps them). The file uses storage version
    v1.0.0 (BI_STORAGE_VERSION) whatever the warehouse's DuckDB writes by default.

    Raises duckdb.Error when the file cannot be attached or written (disk full, memory
    cap), after removing it.
    """
    export_dir.mkdir(parents=True, exist_ok=True)
    final = export_dir / BI_DATABASE
    temporary = export_dir / f".{BI_DATABASE}.tmp"
    for leftover in _leftovers(temporary):
        leftover.unlink(missing_ok=True)
    database = BiDatabase(connection, temporary, final)
    catalog = _identifier(database.catalog)
    try:
        try:
            connection.execute(
                f"attach {_sql_string(str(temporary))} as {catalog} "
                f"(read_write, storage_version {_sql_string(BI_STORAGE_VERSION)})"
            )
            connection.execute(f"create schema {catalog}.{MARTS_SCHEMA}")
        except duckdb.Error as error:
            raise type(error)(f"creating {final}: {error}") from error
        yield database
    except BaseException:
        _discard(database)
        raise
    if temporary.exists():  # the block ended without `finish`: nothing to publish
        _discard(database)


def _discard(database: BiDatabase) -> None:
    """Detach the unfinished file (if still attached) and remove it and its WAL."""
    with suppress(duckdb.Error):
        database.connection.execute(f"detach database if exists {_identifier(database.catalog)}")
    for leftover in _leftovers(database.temporary):
        leftover.unlink(missing_ok=True)
