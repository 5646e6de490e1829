"""One run, one outcome for raw: every table of a run is swapped in, or none is.

Two tables change in one run: `phonecall` validly, `systemuser` with a bad boolean. The
run must fail and leave both raw tables as the previous run left them; after the file is
fixed, the next run swaps both in. Every expected value is written in the test itself.
"""

from __future__ import annotations

from pathlib import Path

import dagster as dg
import duckdb
import pytest

from orchestration.contract import TABLES
from orchestration.defs.extract import build_extract_assets
from orchestration.defs.resources import RunSettingsResource, connect_warehouse
from orchestration.sources.landing_fingerprint import stored_fingerprints
from orchestration.sources.raw_swap import drop_staged_tables, swap_staged_tables
from orchestration.sources.state import DeltaLink, PendingLinks, read_delta_link
from tests.test_extract_files import query, row, write_csv

TWO_TABLES = build_extract_assets([TABLES["phonecall"], TABLES["systemuser"]])


@pytest.fixture
def environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[Path, Path]:
    landing = tmp_path / "landing"
    warehouse = tmp_path / "warehouse" / "test.duckdb"
    monkeypatch.setenv("RA_LANDING_DIR", str(landing))
    monkeypatch.setenv("RA_WAREHOUSE", str(warehouse))
    monkeypatch.setenv("RA_SOURCE", "files")
    monkeypatch.delenv("RA_RAW_PARQUET_DIR", raising=False)
    return landing, warehouse


def write_version(landing: Path, subject: str, fullname: str, isdisabled: str) -> None:
    write_csv(landing / "phonecall.csv", [row("phonecall", activityid="p1", subject=subject)])
    write_csv(
        landing / "systemuser.csv",
        [row("systemuser", systemuserid="u1", fullname=fullname, isdisabled=isdisabled)],
    )


def materialize() -> dg.ExecuteInProcessResult:
    return dg.materialize(
        [TWO_TABLES], resources={"run_settings": RunSettingsResource()}, raise_on_error=False
    )


def raw_state(warehouse: Path) -> dict[str, object]:
    return {
        "phonecall": query(warehouse, "select activityid, subject from raw.phonecall"),
        "systemuser": query(warehouse, "select systemuserid, fullname from raw.systemuser"),
        "tables": query(
            warehouse,
            "select table_name from information_schema.tables where table_schema = 'raw' "
            "order by 1",
        ),
    }


OLD = {
    "phonecall": [("p1", "old call")],
    "systemuser": [("u1", "Old Name")],
    "tables": [("phonecall",), ("systemuser",)],
}
NEW = {
    "phonecall": [("p1", "new call")],
    "systemuser": [("u1", "New Name")],
    "tables": [("phonecall",), ("systemuser",)],
}


def test_a_bad_table_keeps_every_table_of_the_run_old(environment: tuple[Path, Path]) -> None:
    landing, warehouse = environment
    write_version(landing, "old call", "Old Name", "false")
    assert materialize().success
    assert raw_state(warehouse) == OLD

    # phonecall changes validly, systemuser gets a value that is not a boolean.
    write_version(landing, "new call", "New Name", "maybe")
    failed = materialize()

    assert not failed.success
    (failure,) = [event for event in failed.all_events if event.is_step_failure]
    description = failure.step_failure_data.user_failure_data.description
    assert "table 'systemuser'" in description and "column 'isdisabled'" in description
    assert "value 'maybe' is not a boolean" in description
    assert "No raw table of this run was replaced" in description
    assert failed.asset_materializations_for_node("extract_raw") == []
    assert raw_state(warehouse) == OLD  # both old, and no staged table left over

    write_version(landing, "new call", "New Name", "true")
    fixed = materialize()

    assert fixed.success
    assert raw_state(warehouse) == NEW
    assert sorted(
        event.asset_key.path[-1] for event in fixed.asset_materializations_for_node("extract_raw")
    ) == ["phonecall", "systemuser"]


def test_every_bad_table_is_reported_in_one_run(environment: tuple[Path, Path]) -> None:
    landing, _ = environment
    write_csv(landing / "phonecall.csv", [row("phonecall", activityid="p1", statecode="one")])
    write_csv(landing / "systemuser.csv", [row("systemuser", isdisabled="maybe")])

    failed = materialize()

    (failure,) = [event for event in failed.all_events if event.is_step_failure]
    data = failure.step_failure_data.user_failure_data
    assert "table 'phonecall'" in data.description and "table 'systemuser'" in data.description
    assert data.metadata["tables_failed"].value == "phonecall, systemuser"


def test_a_subset_run_swaps_only_its_tables(environment: tuple[Path, Path]) -> None:
    landing, warehouse = environment
    write_version(landing, "old call", "Old Name", "false")
    assert materialize().success
    write_version(landing, "new call", "New Name", "false")

    result = dg.materialize(
        [TWO_TABLES],
        resources={"run_settings": RunSettingsResource()},
        selection=[dg.AssetKey(["raw", "systemuser"])],
    )

    assert result.success
    assert raw_state(warehouse)["phonecall"] == [("p1", "old call")]
    assert raw_state(warehouse)["systemuser"] == [("u1", "New Name")]


def test_leftovers_of_a_run_killed_before_the_swap_are_dropped_by_the_next(
    environment: tuple[Path, Path],
) -> None:
    """A kill between staging and swap leaves raw as it was plus staged tables."""
    landing, warehouse = environment
    write_version(landing, "old call", "Old Name", "false")
    assert materialize().success
    with connect_warehouse(warehouse) as connection:
        # What a run killed after staging leaves: a half-finished raw.<table>__next.
        connection.execute("create table raw.phonecall__next as select 'stale' as activityid")
    assert raw_state(warehouse)["phonecall"] == [("p1", "old call")]

    write_version(landing, "new call", "New Name", "false")
    result = materialize()

    assert result.success
    assert raw_state(warehouse) == NEW  # the stale phonecall__next is gone


# --- the swap itself --------------------------------------------------------------------


def make_tables(connection: duckdb.DuckDBPyConnection) -> None:
    connection.execute("create schema raw")
    for table, value in (("a", "old a"), ("b", "old b")):
        connection.execute(f"create table raw.{table} as select '{value}' as v")
        connection.execute(f"create table raw.{table}__next as select 'new {table}' as v")


def test_swap_replaces_every_table_and_stores_links_in_one_transaction(tmp_path: Path) -> None:
    link = DeltaLink("a", "https://org.example/api/data/v9.2", "accounts?$select=v", "next", 1)
    with duckdb.connect(str(tmp_path / "w.duckdb")) as connection:
        make_tables(connection)
        swap_staged_tables(
            connection, ["a", "b"], [PendingLinks((link,), ("a",))], {"a": "fa", "b": None}
        )
        assert connection.execute(
            "select v from raw.a union all select v from raw.b"
        ).fetchall() == [
            ("new a",),
            ("new b",),
        ]
        assert drop_staged_tables(connection) == []
        assert read_delta_link(connection, "a") == link
        assert stored_fingerprints(connection) == {"a": "fa"}  # b: loaded, not from files
        # A later load of a from another source (no fingerprint) forgets a's.
        connection.execute("create table raw.a__next as select 'newer a' as v")
        swap_staged_tables(connection, ["a"], fingerprints={"a": None})
        assert stored_fingerprints(connection) == {}


def test_a_failing_swap_changes_nothing(tmp_path: Path) -> None:
    with duckdb.connect(str(tmp_path / "w.duckdb")) as connection:
        make_tables(connection)
        connection.execute("drop table raw.b__next")
        with pytest.raises(ValueError, match=r"no staged table raw\.b__next"):
            swap_staged_tables(connection, ["a", "b"])
        # A DuckDB error half-way (raw.blocker is a view) rolls back the swap of a too.
        connection.execute("create table raw.b__next as select 'new b' as v")
        connection.execute("create view raw.blocker as select 1 as x")
        connection.execute("create table raw.blocker__next as select 2 as x")
        with pytest.raises(duckdb.CatalogException):
            swap_staged_tables(connection, ["a", "blocker"], fingerprints={"a": "fa"})
        assert connection.execute("select v from raw.a").fetchall() == [("old a",)]
        assert stored_fingerprints(connection) == {}  # a's load did not commit
        assert drop_staged_tables(connection, ["a"]) == ["a__next"]
        assert drop_staged_tables(connection) == ["b__next", "blocker__next"]
