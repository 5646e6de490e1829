"""relationship_marts.duckdb: every mart in one DuckDB file that BI tools open read-only.

Rows never pass through Python, and the warehouse is not read again: the new file copies
each mart from the Parquet file the same export has just written (already in key order,
with the warehouse's column types), then adds the marts' dbt descriptions as comments
(orchestration.publishing.data_dictionary).
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from pathlib import Path

import duckdb

from orchestration.publishing.data_dictionary import MartDescription, comment_statements
from orchestration.publishing.export_files import MARTS_SCHEMA, _identifier, _sql_string
from orchestration.settings import DEFAULT_DUCKDB_MEMORY_LIMIT

BI_DATABASE = "relationship_marts.duckdb"
BI_STORAGE_VERSION = "v1.0.0"


def write_bi_database(
    export_dir: Path,
    entries: Sequence[Mapping[str, object]],
    as_of: str | None = None,
    descriptions: Mapping[str, MartDescription] | None = None,
    memory_limit: str = DEFAULT_DUCKDB_MEMORY_LIMIT,
) -> Path:
    """Copy every exported mart into one DuckDB file for BI tools, then rename it into place.

    `entries` are `export_mart`'s manifest entries: each names the mart, its Parquet file
    (relative to `export_dir`), its columns with their DuckDB types and its row count.
    A separate file rather than the warehouse itself: BI tools hold their file open, and a
    reader of the warehouse would block the next run's writer. Tables keep the warehouse's
    names (marts.<mart>) and column types (each column is cast to the type the entry
    records), rows are stored in the Parquet file's order, which is the mart's key order,
    as in the CSV files. Each table and column gets its dbt description (`descriptions`,
    see data_dictionary) as a DuckDB comment, shown by `duckdb_tables()`,
    `duckdb_columns()` and BI tools' schema browsers. `main.export_manifest` lists every
    mart's row count, as-of instant and the time the file was built.

    The copy runs under `memory_limit` (the run's DuckDB cap; DuckDB's own default is 80%
    of RAM) and keeps the file's row order without sorting: DuckDB preserves the order of
    a single-table SELECT into CREATE TABLE AS (duckdb.org/docs, "Order Preservation";
    tests/test_export_set.py checks it on 200,000 rows). Sorting by the file's row number
    instead held the 45M health-history rows in memory at 10M activities (19 GiB, 74 s;
    without the sort and capped: 1.8 GiB, 30 s).

    Raises duckdb.Error (the previous file left as it was) when a Parquet file is missing
    or unreadable.
    """
    descriptions = descriptions or {}
    export_dir.mkdir(parents=True, exist_ok=True)
    final = export_dir / BI_DATABASE
    temporary = export_dir / f".{BI_DATABASE}.tmp"
    for leftover in (temporary, temporary.with_name(temporary.name + ".wal")):
        leftover.unlink(missing_ok=True)
    built_at = datetime.now(UTC).replace(tzinfo=None, microsecond=0)
    try:
        # BI tools bundle their own, often older, DuckDB: write a file any DuckDB >= 1.0 reads.
        connection = duckdb.connect(
            str(temporary),
            config={
                "storage_compatibility_version": BI_STORAGE_VERSION,
                "memory_limit": memory_limit,
            },
        )
        try:
            connection.execute(f"create schema {MARTS_SCHEMA}")
            for entry in entries:
                mart = str(entry["mart"])
                columns = [(str(c["name"]), str(c["type"])) for c in entry["columns"]]
                casts = ", ".join(
                    f"cast({_identifier(name)} as {data_type}) as {_identifier(name)}"
                    for name, data_type in columns
                )
                parquet = export_dir / str(entry["files"]["parquet"])
                connection.execute(
                    f"create table {MARTS_SCHEMA}.{_identifier(mart)} as "
                    f"select {casts} from read_parquet({_sql_string(str(parquet))})"
                )
                if mart in descriptions:
                    names = [name for name, _ in columns]
                    for statement in comment_statements(descriptions[mart], names):
                        connection.execute(statement)
            connection.execute(
                "create table main.export_manifest (mart varchar, row_count bigint, "
                "as_of timestamp, built_at timestamp)"
            )
            connection.executemany(
                "insert into main.export_manifest values (?, ?, cast(? as timestamp), ?)",
                [[entry["mart"], entry["row_count"], as_of, built_at] for entry in entries],
            )
            connection.execute("checkpoint")
        finally:
            connection.close()
        os.replace(temporary, final)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise
    return final
