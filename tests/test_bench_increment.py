"""The benchmark's incremental landing: each table in exactly one form."""

from __future__ import annotations

from pathlib import Path

import duckdb

from bench import increment
from orchestration.contract import TABLES
from orchestration.generator import generate
from orchestration.sources.files import find_landing_files
from orchestration.sources.landing import load_landing_files


def test_a_table_landed_in_parts_is_replaced_not_doubled(tmp_path, monkeypatch):
    # The 10M base lands activityparty as a folder of parts; the increment rewrites it as
    # one file, and the landing must not link the folder too (the extract refuses a table
    # in two forms). The SQL of each change is exercised by `make bench`.
    base = tmp_path / "base"
    (base / "activityparty").mkdir(parents=True)
    (base / "activityparty" / "part-0000.parquet").touch()
    for name in ("email.parquet", "systemuser.parquet", "_SUCCESS"):
        (base / name).touch()

    def rewrite_parties(connection, base, landing, shape):
        (landing / "activityparty.parquet").touch()

    def rewrite_emails(connection, base, target, table, changed, deleted):
        if table == "email":
            target.touch()

    monkeypatch.setattr(increment, "_change_activities", rewrite_emails)
    monkeypatch.setattr(increment, "_change_parties", rewrite_parties)
    monkeypatch.setattr(increment, "_change_records", lambda *_: None)
    landing = tmp_path / "landing"
    increment.write_incremental_landing(base, landing, activities=300, shape=increment.SNAPSHOT)
    assert sorted(path.name for path in landing.iterdir()) == [
        "activityparty.parquet",
        "email.parquet",
        "systemuser.parquet",
    ]
    assert not (landing / "activityparty.parquet").is_symlink()
    assert (landing / "systemuser.parquet").resolve() == (base / "systemuser.parquet").resolve()


def raw_tables(landing: Path) -> dict[str, list[tuple]]:
    """Every contract table as a full load of `landing` gives it (contract columns)."""
    tables = {}
    with duckdb.connect() as connection:
        for contract in TABLES.values():
            files = find_landing_files(landing, contract.name)
            load_landing_files(connection, contract, files)
            columns = ", ".join(contract.columns)
            tables[contract.name] = connection.execute(
                f"select {columns} from raw.{contract.name} order by all"
            ).fetchall()
    return tables


def test_the_parts_shape_lands_the_snapshot_changes_as_change_parts(tmp_path: Path) -> None:
    """Both shapes of one day's changes give raw the same rows, but for the parties of the
    deleted activities, which the parts shape leaves (activityparty has no modifiedon to
    flag a delete with); the marts drop them (int_activity_parties_sided joins activities)."""
    base = tmp_path / "base"
    generate(base, activities=3000, seed=42, end_date="2026-06-30")
    increment.write_incremental_landing(base, tmp_path / "snapshot", 3000, increment.SNAPSHOT)
    increment.write_incremental_landing(base, tmp_path / "parts", 3000, increment.PARTS)

    parts = tmp_path / "parts"
    email = sorted(path.name for path in (parts / "email").iterdir())
    assert email == ["base-email.parquet", "changes-2026-06-30.parquet"]
    assert (parts / "email" / "base-email.parquet").resolve() == (base / "email.parquet")
    assert (parts / "account.parquet").is_symlink()  # unchanged tables as they were
    # 3000 activities: 5 updated, 5 added and 1 deleted (flagged) per activity table.
    flags = duckdb.sql(
        f"select IsDelete, count(*) from '{parts}/email/changes-2026-06-30.parquet' "
        "group by all order by all"
    ).fetchall()
    assert flags == [(False, 10), (True, 1)]

    snapshot, appended = raw_tables(tmp_path / "snapshot"), raw_tables(parts)
    assert {t for t in TABLES if snapshot[t] != appended[t]} == {"activityparty"}
    assert duckdb.sql(f"select count(*) from '{base}/email.parquet'").fetchall() == [(1800,)]
    assert len(snapshot["email"]) == 1800 + 5 - 1  # 5 added, 1 deleted
    orphans = set(appended["activityparty"]) - set(snapshot["activityparty"])
    assert set(snapshot["activityparty"]) <= set(appended["activityparty"])
    deleted = {
        row[0]
        for table in increment.ACTIVITY_TABLES
        for row in duckdb.sql(
            f"select activityid from '{parts}/{table}/changes-2026-06-30.parquet' where IsDelete"
        ).fetchall()
    }
    assert len(deleted) == 3
    assert {party[1] for party in orphans} == deleted
