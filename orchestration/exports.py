"""Publishing marts for BI: Parquet and CSV per mart plus a manifest, written atomically.

Readers (BI tools, dashboards) may open these files at any time, so every file is written
next to its final name and renamed into place: a reader sees the old file or the new one.
"""

from __future__ import annotations

import json
import os
from datetime import UTC, datetime
from pathlib import Path

import duckdb

MARTS_SCHEMA = "marts"


def _replace_atomically(temporary: Path, final: Path) -> None:
    os.replace(temporary, final)


def export_mart(
    connection: duckdb.DuckDBPyConnection, mart: str, marts_dir: Path
) -> dict[str, object]:
    """Write one mart as Parquet and CSV; return its manifest entry."""
    marts_dir.mkdir(parents=True, exist_ok=True)
    relation = f'{MARTS_SCHEMA}."{mart}"'
    for extension, options in (("parquet", "format parquet"), ("csv", "format csv, header")):
        final = marts_dir / f"{mart}.{extension}"
        temporary = marts_dir / f".{mart}.{extension}.tmp"
        connection.execute(f"copy (select * from {relation}) to '{temporary}' ({options})")
        _replace_atomically(temporary, final)
    columns = connection.execute(
        "select column_name, data_type from information_schema.columns "
        "where table_schema = ? and table_name = ? order by ordinal_position",
        [MARTS_SCHEMA, mart],
    ).fetchall()
    row_count = connection.execute(f"select count(*) from {relation}").fetchone()[0]
    return {
        "mart": mart,
        "files": {"parquet": f"marts/{mart}.parquet", "csv": f"marts/{mart}.csv"},
        "columns": [{"name": name, "type": data_type} for name, data_type in columns],
        "row_count": row_count,
    }


def write_manifest(export_dir: Path, entries: list[dict[str, object]], as_of: str) -> Path:
    manifest = {
        "as_of": as_of,
        "built_at": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "marts": entries,
    }
    final = export_dir / "manifest.json"
    temporary = export_dir / ".manifest.json.tmp"
    temporary.write_text(json.dumps(manifest, indent=2, default=str) + "\n")
    _replace_atomically(temporary, final)
    return final


def existing_marts(connection: duckdb.DuckDBPyConnection, marts: list[str]) -> list[str]:
    """The requested marts that the warehouse holds (the weekly mart may not exist yet)."""
    present = {
        row[0]
        for row in connection.execute(
            "select table_name from information_schema.tables where table_schema = ?",
            [MARTS_SCHEMA],
        ).fetchall()
    }
    return [mart for mart in marts if mart in present]
