"""Which landing parts of a table are new since its last load, so an extract may append them.

Tools that land changes (Synapse Link incremental folders, Fivetran, a nightly job dropping
a change file into `<table>/`) add part files and leave the old ones as they were. KPI_SPEC
section 1: a folder's parts together are the table. When every part of the last committed
load is still there with the same identity (`file_identity`: real path, size, mtime,
ctime, inode) and the table's *context* is the same (format, Delta folder, CSV encoding,
privacy policy, loading code: `context_fingerprint`), raw already holds what those parts
give, and loading only the added parts (raw_append.py resolves them against raw) gives
the raw table a full reload would. Anything else (a part changed, removed or renamed, a
single file rewritten, the context changed) reloads the whole table.

Each table's context fingerprint and part identities are stored in
`extract_state.landing_parts` in the same transaction that swaps or appends the table
(raw_swap.py), next to its landing fingerprint (landing_fingerprint.py), so a failed or
killed run stores nothing and the next run appends the same parts again. A table loaded
from another source has its row removed in that transaction.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass

import duckdb

from orchestration.sources.files import LandingFiles
from orchestration.sources.landing_fingerprint import STATE_SCHEMA, file_identity

PARTS_TABLE = f"{STATE_SCHEMA}.landing_parts"


@dataclass(frozen=True)
class LandingParts:
    """One table's load as stored: its context fingerprint (SHA-256 hex) and the
    `file_identity` of each part loaded, in load order."""

    context: str
    parts: tuple[tuple[object, ...], ...]


def context_fingerprint(files: LandingFiles, context: Mapping[str, str]) -> str:
    """SHA-256 of what decides a table's raw rows besides its parts: the table, its format,
    its Delta folder and partitioning, and `context` (encoding, privacy, code)."""
    document = {
        "table": files.table,
        "format": files.format,
        "delta_table": str(files.delta_table) if files.delta_table else None,
        "partitioned": files.partitioned,
        "context": dict(sorted(context.items())),
    }
    return hashlib.sha256(json.dumps(document, sort_keys=True).encode()).hexdigest()


def landing_parts(files: LandingFiles, context: Mapping[str, str]) -> LandingParts:
    """The state to store for a load of `files`. Raises OSError when a file vanished."""
    return LandingParts(
        context_fingerprint(files, context),
        tuple(tuple(file_identity(path)) for path in files.paths),
    )


def new_parts(
    files: LandingFiles, current: LandingParts, stored: LandingParts | None
) -> LandingFiles | None:
    """The parts of `files` to append, or None when the table must be reloaded whole.

    Appendable: a stored load with the same context, every stored part still there with
    the same identity, and at least one part more. `current` is `landing_parts(files, ...)`.
    """
    if stored is None or stored.context != current.context:
        return None
    present = set(current.parts)
    if not stored.parts or any(part not in present for part in stored.parts):
        return None
    old = set(stored.parts)
    added = tuple(
        path for path, part in zip(files.paths, current.parts, strict=True) if part not in old
    )
    if not added:
        return None
    return LandingFiles(files.table, files.format, added, files.delta_table, files.partitioned)


def _parts_table_exists(connection: duckdb.DuckDBPyConnection) -> bool:
    return bool(
        connection.execute(
            "select count(*) from information_schema.tables "
            "where table_schema = ? and table_name = 'landing_parts'",
            [STATE_SCHEMA],
        ).fetchone()[0]
    )


def stored_parts(connection: duckdb.DuckDBPyConnection) -> dict[str, LandingParts]:
    """{table: its last committed load's parts} ({} before any)."""
    if not _parts_table_exists(connection):
        return {}
    return {
        table: LandingParts(context, tuple(tuple(part) for part in json.loads(parts)))
        for table, context, parts in connection.execute(
            f"select table_name, context, parts from {PARTS_TABLE}"
        ).fetchall()
    }


def record_parts(
    connection: duckdb.DuckDBPyConnection, parts: Mapping[str, LandingParts | None]
) -> None:
    """Store each table's parts (None: forget them). Runs inside the caller's transaction
    (the raw swap), so it commits or rolls back with the tables."""
    if not any(parts.values()) and not _parts_table_exists(connection):
        return
    connection.execute(f"create schema if not exists {STATE_SCHEMA}")
    connection.execute(
        f"create table if not exists {PARTS_TABLE} "
        "(table_name varchar primary key, context varchar not null, parts varchar not null)"
    )
    for table, state in parts.items():
        connection.execute(f"delete from {PARTS_TABLE} where table_name = ?", [table])
        if state is not None:
            connection.execute(
                f"insert into {PARTS_TABLE} values (?, ?, ?)",
                [table, state.context, json.dumps([list(part) for part in state.parts])],
            )
