"""An extract appends a table's new landing parts instead of reloading it, with the raw
rows a full reload gives.

`systemuser` lands as a folder of parts; `phonecall` as one file, never touched after
the first run (so it is skipped). Each test lands a first part, runs the extract, adds a
part (or changes one) and runs it again; raw is then compared with a full load of the same
parts into a fresh warehouse, and with values written in the test itself.

Part 1 holds u1 Ann, u2 Bo, u3 Cy (modifiedon January 1st). The added part holds u2 with
a newer version (Bo Updated, February 1st), u4 Di (new), u3 with an older version (Cy Old,
December 2023: raw keeps Cy) and u1 flagged deleted (IsDelete, February 1st: u1 goes).
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import dagster as dg
import duckdb
import pyarrow as pa
import pytest

from orchestration.contract import TABLES
from orchestration.sources.files import find_landing_files
from orchestration.sources.landing import load_landing_files
from orchestration.sources.landing_parts import stored_parts
from tests.test_extract_files import query, row, write_csv, write_parquet
from tests.test_raw_swap import environment, materialize  # noqa: F401 (a fixture)

JAN, FEB, DEC = "2024-01-01 00:00:00", "2024-02-01 00:00:00", "2023-12-01 00:00:00"
REPO_ROOT = Path(__file__).resolve().parents[1]


def user(systemuserid: str, fullname: str, modifiedon: str, **extra: str) -> dict[str, str]:
    return (
        row("systemuser", systemuserid=systemuserid, fullname=fullname, modifiedon=modifiedon)
        | extra
    )


PART_1 = [user("u1", "Ann", JAN), user("u2", "Bo", JAN), user("u3", "Cy", JAN)]
PART_2 = [
    user("u2", "Bo Updated", FEB, IsDelete="false"),
    user("u4", "Di", JAN, IsDelete="false"),
    user("u3", "Cy Old", DEC, IsDelete="false"),
    user("u1", "Ann", FEB, IsDelete="true"),
]
AFTER_PART_2 = [("u2", "Bo Updated"), ("u3", "Cy"), ("u4", "Di")]


def land_first(landing: Path, suffix: str = "csv") -> None:
    write_csv(landing / "phonecall.csv", [row("phonecall", activityid="p1")])
    write_part(landing / "systemuser" / f"part-1.{suffix}", PART_1)


def write_part(path: Path, rows: list[dict[str, str]]) -> Path:
    if path.suffix == ".csv":
        return write_csv(path, rows)
    columns = {name: [r[name] for r in rows] for name in rows[0]}
    if "IsDelete" in columns:  # a real boolean, as Synapse Link's Parquet holds it
        columns["IsDelete"] = [value == "true" for value in columns["IsDelete"]]
    return write_parquet(path, {name: pa.array(values) for name, values in columns.items()})


def users(warehouse: Path) -> list[tuple]:
    return query(warehouse, "select systemuserid, fullname from raw.systemuser order by 1")


def rows_by_name(connection: duckdb.DuckDBPyConnection, table: str) -> list[tuple]:
    """Every column, in name order, every row in key order: raw compared row for row."""
    columns = sorted(connection.sql(f"select * from raw.{table}").columns)
    listed = ", ".join(f'"{column}"' for column in columns)
    return [tuple(columns)] + connection.execute(
        f"select {listed} from raw.{table} order by all"
    ).fetchall()


def full_load(landing: Path, tmp_path: Path) -> list[tuple]:
    """raw.systemuser as a full load of every part gives it, in a fresh warehouse."""
    tmp_path.mkdir(parents=True, exist_ok=True)
    with duckdb.connect(str(tmp_path / "full.duckdb")) as connection:
        load_landing_files(
            connection, TABLES["systemuser"], find_landing_files(landing, "systemuser")
        )
        return rows_by_name(connection, "systemuser")


def appended_raw(warehouse: Path) -> list[tuple]:
    with duckdb.connect(str(warehouse), read_only=True) as connection:
        return rows_by_name(connection, "systemuser")


def metadata(result: dg.ExecuteInProcessResult, table: str = "systemuser") -> dict:
    (found,) = [
        event.metadata
        for event in result.asset_materializations_for_node("extract_raw")
        if event.asset_key.path[-1] == table
    ]
    return {name: getattr(value, "value", value) for name, value in found.items()}


def stored_part_names(warehouse: Path) -> list[str]:
    with duckdb.connect(str(warehouse), read_only=True) as connection:
        return [Path(part[0]).name for part in stored_parts(connection)["systemuser"].parts]


def failure_description(result: dg.ExecuteInProcessResult) -> str:
    (failure,) = [event for event in result.all_events if event.is_step_failure]
    return failure.step_failure_data.user_failure_data.description


@pytest.mark.parametrize("suffix", ["csv", "parquet"])
def test_a_new_part_is_appended_with_the_rows_of_a_full_reload(
    environment: tuple[Path, Path],  # noqa: F811
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    suffix: str,
) -> None:
    landing, warehouse = environment
    mirror = tmp_path / "raw_parquet"
    monkeypatch.setenv("RA_RAW_PARQUET_DIR", str(mirror))
    land_first(landing, suffix)
    first = materialize()
    assert first.success and "appended_parts" not in metadata(first)

    write_part(landing / "systemuser" / f"part-2.{suffix}", PART_2)
    result = materialize()

    assert result.success
    details = metadata(result)
    assert details["appended_parts"] == [str(landing / "systemuser" / f"part-2.{suffix}")]
    assert (details["rows_read"], details["rows_older_than_raw"]) == (4, 1)  # u3 Cy Old
    assert (details["rows_appended"], details["rows_replaced_by_newer"]) == (2, 1)  # u2, u4
    assert (details["rows_deleted_by_new_parts"], details["dagster/row_count"]) == (1, 3)  # u1
    assert metadata(result, "phonecall")["skipped_unchanged"] is True
    assert users(warehouse) == AFTER_PART_2
    assert appended_raw(warehouse) == full_load(landing, tmp_path)
    assert query(warehouse, "select _source_row from raw.systemuser where systemuserid = 'u2'") == [
        (1,)
    ]
    assert stored_part_names(warehouse) == [f"part-1.{suffix}", f"part-2.{suffix}"]
    # The Parquet copy for Spark is rewritten: the same rows as raw.
    copied = duckdb.sql(
        f"select systemuserid, fullname from '{mirror}/systemuser/*.parquet' order by 1"
    ).fetchall()
    assert copied == AFTER_PART_2

    # A third part without IsDelete fits too: its rows leave the column empty.
    write_part(landing / "systemuser" / f"part-3.{suffix}", [user("u5", "Ed", FEB)])
    third = materialize()

    assert metadata(third)["rows_appended"] == 1
    assert users(warehouse) == [*AFTER_PART_2, ("u5", "Ed")]
    assert appended_raw(warehouse) == full_load(landing, tmp_path / "third")


@pytest.mark.parametrize("change", ["rewritten", "removed"])
def test_an_old_part_changed_or_removed_reloads_the_whole_table(
    environment: tuple[Path, Path],  # noqa: F811
    change: str,
) -> None:
    landing, warehouse = environment
    land_first(landing)
    assert materialize().success
    write_part(landing / "systemuser" / "part-2.csv", [user("u4", "Di", JAN)])
    if change == "rewritten":  # u3 gone from part 1, and a new part
        write_part(landing / "systemuser" / "part-1.csv", PART_1[:2])
        expected = [("u1", "Ann"), ("u2", "Bo"), ("u4", "Di")]
    else:
        (landing / "systemuser" / "part-1.csv").unlink()
        expected = [("u4", "Di")]

    result = materialize()

    assert result.success
    assert "appended_parts" not in metadata(result)
    assert metadata(result)["dagster/row_count"] == len(expected)
    assert users(warehouse) == expected


def test_a_bad_new_part_changes_nothing_and_is_appended_once_fixed(
    environment: tuple[Path, Path],  # noqa: F811
) -> None:
    landing, warehouse = environment
    land_first(landing)
    assert materialize().success
    part_2 = landing / "systemuser" / "part-2.csv"
    write_part(part_2, [user("u4", "Di", JAN), user("u5", "Ed", JAN, isdisabled="maybe")])

    failed = materialize()

    assert not failed.success
    description = failure_description(failed)
    assert f"file '{part_2}'" in description and "line 3" in description
    assert "column 'isdisabled'" in description
    assert users(warehouse) == [("u1", "Ann"), ("u2", "Bo"), ("u3", "Cy")]
    assert stored_part_names(warehouse) == ["part-1.csv"]
    assert query(
        warehouse, "select count(*) from duckdb_tables() where ends_with(table_name, '__next')"
    ) == [(0,)]

    write_part(part_2, [user("u4", "Di", JAN), user("u5", "Ed", JAN, isdisabled="false")])
    fixed = materialize()

    assert fixed.success
    assert metadata(fixed)["appended_parts"] == [str(part_2)]
    assert users(warehouse) == [
        ("u1", "Ann"),
        ("u2", "Bo"),
        ("u3", "Cy"),
        ("u4", "Di"),
        ("u5", "Ed"),
    ]
    assert stored_part_names(warehouse) == ["part-1.csv", "part-2.csv"]


def test_a_new_part_repeating_an_old_key_and_modifiedon_is_bad_input(
    environment: tuple[Path, Path],  # noqa: F811
) -> None:
    landing, warehouse = environment
    land_first(landing)
    assert materialize().success
    part_2 = write_part(
        landing / "systemuser" / "part-2.csv", [user("u4", "Di", JAN), user("u2", "Bob", JAN)]
    )

    failed = materialize()

    assert not failed.success
    description = failure_description(failed)
    assert (
        "duplicate primary key 'u2' with the same modifiedon '2024-01-01 00:00:00'" in description
    )
    part_1 = landing / "systemuser" / "part-1.csv"
    assert f"files '{part_2}' and '{part_1}'" in description
    assert "line 3 (first file) and line 3 (second file)" in description
    assert users(warehouse) == [("u1", "Ann"), ("u2", "Bo"), ("u3", "Cy")]
    assert stored_part_names(warehouse) == ["part-1.csv"]


_KILLED_SWAP = """
import os, signal
import orchestration.sources.raw_swap as raw_swap
from tests.test_raw_swap import materialize

def killed(connection, parts):  # the swap's last step before its commit
    os.kill(os.getpid(), signal.SIGKILL)

raw_swap.record_parts = killed
materialize()
"""


def test_a_swap_killed_before_its_commit_stores_nothing_and_the_next_run_appends(
    environment: tuple[Path, Path],  # noqa: F811
    tmp_path: Path,
) -> None:
    """`kill -9` inside the swap transaction, after the rows were appended to raw.<t>:
    raw and the stored parts are as before, and the next run appends the same part."""
    landing, warehouse = environment
    land_first(landing)
    assert materialize().success
    write_part(landing / "systemuser" / "part-2.csv", PART_2)

    killed = subprocess.run(
        [sys.executable, "-c", _KILLED_SWAP],
        cwd=REPO_ROOT,
        env={**os.environ, "PYTHONPATH": str(REPO_ROOT)},
        capture_output=True,
        text=True,
        timeout=300,
    )

    assert killed.returncode == -9, killed.stderr[-2000:]
    assert users(warehouse) == [("u1", "Ann"), ("u2", "Bo"), ("u3", "Cy")]
    assert stored_part_names(warehouse) == ["part-1.csv"]

    result = materialize()

    assert result.success
    assert metadata(result)["appended_parts"] == [str(landing / "systemuser" / "part-2.csv")]
    assert users(warehouse) == AFTER_PART_2
    assert appended_raw(warehouse) == full_load(landing, tmp_path)


def test_a_new_part_whose_column_type_differs_from_raw_reloads_the_table(
    environment: tuple[Path, Path],  # noqa: F811
    tmp_path: Path,
) -> None:
    """IsDelete is a boolean in raw (part 2) and text in part 3: not appended, reloaded."""
    landing, warehouse = environment
    land_first(landing, "parquet")
    write_part(landing / "systemuser" / "part-2.parquet", PART_2)
    assert materialize().success
    write_parquet(
        landing / "systemuser" / "part-3.parquet",
        {name: pa.array([value]) for name, value in user("u5", "Ed", FEB, IsDelete="no").items()},
    )

    result = materialize()

    assert result.success
    assert "appended_parts" not in metadata(result)
    assert users(warehouse) == [*AFTER_PART_2, ("u5", "Ed")]
    assert appended_raw(warehouse) == full_load(landing, tmp_path)


def test_a_privacy_rule_across_tables_reloads_instead_of_appending(
    environment: tuple[Path, Path],  # noqa: F811
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    landing, warehouse = environment
    exclusions = landing.parent / "exclusions.csv"
    exclusions.write_text("person\nnobody@example.com\n")
    monkeypatch.setenv("RA_PRIVACY_EXCLUSIONS", str(exclusions))
    land_first(landing)
    assert materialize().success
    write_part(landing / "systemuser" / "part-2.csv", PART_2)

    result = materialize()

    assert result.success
    assert "appended_parts" not in metadata(result)
    assert users(warehouse) == AFTER_PART_2


def test_a_new_part_deleting_every_row_is_refused_unless_allowed(
    environment: tuple[Path, Path],  # noqa: F811
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    landing, warehouse = environment
    land_first(landing)
    assert materialize().success
    write_part(
        landing / "systemuser" / "part-2.csv",
        [user(key, name, FEB, IsDelete="true") for key, name in (("u1", "A"), ("u2", "B"))]
        + [user("u3", "C", FEB, IsDelete="1")],
    )

    failed = materialize()

    assert not failed.success
    assert "flag every row deleted, but raw.systemuser holds 3 rows" in failure_description(failed)
    assert users(warehouse) == [("u1", "Ann"), ("u2", "Bo"), ("u3", "Cy")]

    monkeypatch.setenv("RA_ALLOW_EMPTY_TABLES", "systemuser")
    allowed = materialize()

    assert allowed.success
    assert metadata(allowed)["rows_deleted_by_new_parts"] == 3
    assert users(warehouse) == []
