"""write_raw_parquet: the Parquet copy of raw.<table> that the Spark target reads."""

from __future__ import annotations

from datetime import date, datetime

import duckdb
import pytest

from orchestration.sources.raw_parquet import raw_parquet_path, write_raw_parquet


@pytest.fixture
def connection():
    connection = duckdb.connect()
    connection.execute("create schema raw")
    connection.execute(
        "create table raw.opportunity as select * from (values "
        "('o1', 1500.5::double, date '2026-07-01', timestamp '2026-06-01 10:00:00', true, 1), "
        "('o2', null, null, timestamp '2026-06-02 23:59:59.123456', false, 2)"
        ") as t(opportunityid, estimatedvalue, estimatedclosedate, modifiedon, flag, _source_row)"
    )
    connection.execute("create table raw.systemuser as select 'u1' as systemuserid")
    yield connection
    connection.close()


def test_writes_every_column_and_row_with_types(connection, tmp_path):
    written = write_raw_parquet(connection, tmp_path, ["opportunity", "systemuser"])

    assert written == {"opportunity": 2, "systemuser": 1}
    path = raw_parquet_path(tmp_path, "opportunity")
    assert path == tmp_path / "opportunity" / "data.parquet"
    copy = duckdb.sql(f"select * from read_parquet('{path}') order by opportunityid")
    assert copy.columns == [
        "opportunityid", "estimatedvalue", "estimatedclosedate", "modifiedon", "flag",
        "_source_row",
    ]  # fmt: skip
    assert [str(kind) for kind in copy.types] == [
        "VARCHAR", "DOUBLE", "DATE", "TIMESTAMP", "BOOLEAN", "INTEGER",
    ]  # fmt: skip
    assert copy.fetchall() == [
        ("o1", 1500.5, date(2026, 7, 1), datetime(2026, 6, 1, 10), True, 1),
        ("o2", None, None, datetime(2026, 6, 2, 23, 59, 59, 123456), False, 2),
    ]


def test_rewrite_replaces_the_folder_and_leaves_no_temporary_files(connection, tmp_path):
    write_raw_parquet(connection, tmp_path, ["opportunity"])
    connection.execute("delete from raw.opportunity where opportunityid = 'o2'")

    assert write_raw_parquet(connection, tmp_path, ["opportunity"]) == {"opportunity": 1}
    assert sorted(path.name for path in tmp_path.iterdir()) == ["opportunity"]
    assert [path.name for path in (tmp_path / "opportunity").iterdir()] == ["data.parquet"]
    path = raw_parquet_path(tmp_path, "opportunity")
    assert duckdb.sql(f"select count(*) from read_parquet('{path}')").fetchall() == [(1,)]


def test_a_failed_write_keeps_the_previous_copy(connection, tmp_path):
    write_raw_parquet(connection, tmp_path, ["opportunity"])

    with pytest.raises(duckdb.CatalogException):
        write_raw_parquet(connection, tmp_path, ["opportunity", "no_such_table"])

    assert sorted(path.name for path in tmp_path.iterdir()) == ["opportunity"]
    path = raw_parquet_path(tmp_path, "opportunity")
    assert duckdb.sql(f"select count(*) from read_parquet('{path}')").fetchall() == [(2,)]
