"""relationship_marts.duckdb: every mart in one DuckDB file that BI tools open read-only.

Rows never pass through Python: the new file ATTACHes the warehouse read-only and copies
each mart with `create table ... as select` inside DuckDB, then adds the marts' dbt
descriptions as comments (orchestration.publishing.data_dictionary).
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from pathlib import Path

import duckdb

from orchestration.publishing.data_dictionary import MartDescription, comment_statements
from orchestration.publishing.export_files import (
    MARTS_SCHEMA,
    _identifier,
    _sql_string,
    mart_columns,
    order_by_key,
)

BI_DATABASE = "relationship_marts.duckdb"
BI_STORAGE_VERSION = "v1.0.0"


def write_bi_database(
    warehouse: Path,
    export_dir: Path,
    marts: list[str],
    as_of: str | None = None,
    keys: Mapping[str, Sequence[str]] | None = None,
    descriptions: Mapping[str, MartDescription] | None = None,
) -> Path:
    """Copy every mart into one DuckDB file for BI tools, then rename it into place.

    A separate file rather than the warehouse itself: BI tools hold their file open, and a
    reader of the warehouse would block the next run's writer. Tables keep the warehouse's
    names (marts.<mart>), so a query works against either file; rows are stored in the
    order of `keys` ({mart: key columns}), as in the Parquet and CSV files. Each table and
    column gets its dbt description (`descriptions`, see data_dictionary) as a DuckDB
    comment, shown by `duckdb_tables()`, `duckdb_columns()` and BI tools' schema browsers.

    Rows never pass through Python: the new file ATTACHes the warehouse read-only and
    copies each mart with `create table ... as select` inside DuckDB.
    """
    keys = keys or {}
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
            str(temporary), config={"storage_compatibility_version": BI_STORAGE_VERSION}
        )
        try:
            connection.execute(f"attach {_sql_string(str(warehouse))} as warehouse (read_only)")
            connection.execute(f"create schema {MARTS_SCHEMA}")
            for mart in marts:
                names = [name for name, _ in mart_columns(connection, mart, "warehouse")]
                order = order_by_key(names, keys.get(mart, ()))
                connection.execute(
                    f"create table {MARTS_SCHEMA}.{_identifier(mart)} as "
                    f"select * from warehouse.{MARTS_SCHEMA}.{_identifier(mart)} {order}"
                )
                if mart in descriptions:
                    for statement in comment_statements(descriptions[mart], names):
                        connection.execute(statement)
            connection.execute(
                "create table main.export_manifest (mart varchar, row_count bigint, "
                "as_of timestamp, built_at timestamp)"
            )
            for mart in marts:
                connection.execute(
                    f"insert into main.export_manifest select ?, count(*), "
                    f'cast(? as timestamp), ? from {MARTS_SCHEMA}."{mart}"',
                    [mart, as_of, built_at],
                )
            connection.execute("detach warehouse")
            connection.execute("checkpoint")
        finally:
            connection.close()
        os.replace(temporary, final)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise
    return final
