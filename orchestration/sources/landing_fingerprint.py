"""Which landing tables are unchanged since their last load, so an extract may skip them.

A run of the files source used to reload every raw table from its full snapshot, even a
table whose files had not changed (at 1M activities the day's landing links the
unchanged tables to the previous day's files). A table's *fingerprint* is a SHA-256 over:

- every landing file of the table, in load order: its real path (symlinks resolved), size,
  modification time and status-change time (ns), and inode;
- what else decides raw's rows: the table's format, the CSV encoding, the privacy policy
  (who is listed or erased, the retention cut-off, the personal mail domains: privacy
  fingerprint below), the DuckDB version and the bytes of the code that loads and filters
  (orchestration/sources/*.py, orchestration/privacy/*.py, orchestration/contract.py).

Why file metadata and not a hash of the contents: hashing reads every byte (about 400 MB
for the 1M landing, several GB at 10M), which costs a good part of what loading them does,
while a `stat` costs microseconds. A file rewritten in place changes its size or its
modification time; a tool that restores the old modification time (`cp -p`, `rsync -t`,
`touch -d`) still changes the status-change time, which no user tool can set; a file
replaced by another (a rename) has another inode. A needless reload (a `chmod`, a copy of
the folder) is the only price of this caution. To force a reload, `touch` a file.

The fingerprint of every table loaded is stored in `extract_state.landing_fingerprints`
in the same transaction that swaps the table into raw (raw_swap.py), so a failed or killed
run stores nothing: its tables are loaded again next run. A table loaded from another
source (Dataverse, Synapse Link) has its stored fingerprint removed in that transaction.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Iterable, Mapping
from pathlib import Path

import duckdb

from orchestration.privacy.incremental import people_fingerprint
from orchestration.privacy.policy import PrivacyPolicy
from orchestration.sources.files import LandingFiles

STATE_SCHEMA = "extract_state"
STATE_TABLE = f"{STATE_SCHEMA}.landing_fingerprints"
_PACKAGE = Path(__file__).resolve().parents[1]
# The code whose behaviour decides raw's rows: a change to any of it reloads every table.
CODE_FOLDERS = (_PACKAGE / "sources", _PACKAGE / "privacy")
CODE_FILES = (_PACKAGE / "contract.py",)


def code_fingerprint(
    folders: Iterable[Path] = CODE_FOLDERS, files: Iterable[Path] = CODE_FILES
) -> str:
    """SHA-256 of the loading code's bytes (the `.py` files directly in `folders`, and
    `files`) and of the DuckDB version."""
    digest = hashlib.sha256(duckdb.__version__.encode())
    paths = sorted(p for folder in folders for p in folder.glob("*.py")) + sorted(files)
    for path in paths:
        digest.update(path.name.encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()


def privacy_fingerprint(policy: PrivacyPolicy) -> str:
    """The parts of a privacy policy that decide raw's rows, as one text (no person in it:
    who is listed or erased enters as a salted hash)."""
    cutoff = policy.retention_cutoff.isoformat() if policy.retention_cutoff else ""
    return "|".join([people_fingerprint(policy), cutoff, ",".join(sorted(policy.personal_domains))])


def file_identity(path: Path) -> list[object]:
    """[real path, size, mtime_ns, ctime_ns, inode] of one file (symlinks followed)."""
    real = Path(os.path.realpath(path))
    status = real.stat()
    return [str(real), status.st_size, status.st_mtime_ns, status.st_ctime_ns, status.st_ino]


def landing_fingerprint(files: LandingFiles, context: Mapping[str, str]) -> str:
    """SHA-256 of one table's landing files (`file_identity` of each, in load order) and of
    `context` (encoding, privacy and code fingerprints: whatever else decides the rows).

    Raises OSError when a file vanished since it was found (the load would fail too).
    """
    document = {
        "table": files.table,
        "format": files.format,
        "delta_table": str(files.delta_table) if files.delta_table else None,
        "files": [file_identity(path) for path in files.paths],
        "context": dict(sorted(context.items())),
    }
    return hashlib.sha256(json.dumps(document, sort_keys=True).encode()).hexdigest()


def _state_exists(connection: duckdb.DuckDBPyConnection) -> bool:
    return bool(
        connection.execute(
            "select count(*) from information_schema.tables "
            "where table_schema = ? and table_name = 'landing_fingerprints'",
            [STATE_SCHEMA],
        ).fetchone()[0]
    )


def stored_fingerprints(connection: duckdb.DuckDBPyConnection) -> dict[str, str]:
    """{table: fingerprint} of the last successful load of each table ({} before any)."""
    if not _state_exists(connection):
        return {}
    return dict(connection.execute(f"select table_name, fingerprint from {STATE_TABLE}").fetchall())


def record_fingerprints(
    connection: duckdb.DuckDBPyConnection, fingerprints: Mapping[str, str | None]
) -> None:
    """Store each table's fingerprint (None: forget it). Runs inside the caller's
    transaction (the raw swap), so it commits or rolls back with the tables."""
    if not any(fingerprints.values()) and not _state_exists(connection):
        return  # nothing to store or forget (a Dataverse warehouse never gets the table)
    connection.execute(f"create schema if not exists {STATE_SCHEMA}")
    connection.execute(
        f"create table if not exists {STATE_TABLE} "
        "(table_name varchar primary key, fingerprint varchar not null)"
    )
    for table, fingerprint in fingerprints.items():
        connection.execute(f"delete from {STATE_TABLE} where table_name = ?", [table])
        if fingerprint is not None:
            connection.execute(f"insert into {STATE_TABLE} values (?, ?)", [table, fingerprint])
