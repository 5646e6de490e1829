"""The benchmark's incremental landing: each table in exactly one form."""

from __future__ import annotations

from bench import increment


def test_a_table_landed_in_parts_is_replaced_not_doubled(tmp_path, monkeypatch):
    # The 10M base lands activityparty as a folder of parts; the increment rewrites it as
    # one file, and the landing must not link the folder too (the extract refuses a table
    # in two forms). The SQL of each change is exercised by `make bench`.
    base = tmp_path / "base"
    (base / "activityparty").mkdir(parents=True)
    (base / "activityparty" / "part-0000.parquet").touch()
    for name in ("email.parquet", "systemuser.parquet", "_SUCCESS"):
        (base / name).touch()

    def rewrite_parties(connection, base, landing):
        (landing / "activityparty.parquet").touch()

    def rewrite_emails(connection, base, landing, table, changed, deleted):
        if table == "email":
            (landing / "email.parquet").touch()

    monkeypatch.setattr(increment, "_change_activities", rewrite_emails)
    monkeypatch.setattr(increment, "_change_parties", rewrite_parties)
    monkeypatch.setattr(increment, "_change_records", lambda *_: None)
    landing = tmp_path / "landing"
    increment.write_incremental_landing(base, landing, activities=300)
    assert sorted(path.name for path in landing.iterdir()) == [
        "activityparty.parquet",
        "email.parquet",
        "systemuser.parquet",
    ]
    assert not (landing / "activityparty.parquet").is_symlink()
    assert (landing / "systemuser.parquet").resolve() == (base / "systemuser.parquet").resolve()
