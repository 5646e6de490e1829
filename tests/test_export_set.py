"""Exports as one set: settings checked when a run starts, marts and dashboards published
together (or not at all), rows in key order, and CSV cells that spreadsheets would run as
formulas neutralised."""

from __future__ import annotations

import csv
import json
import os
import shutil
from pathlib import Path

import dagster as dg
import duckdb
import pytest

from orchestration.defs.dbt import dbt_project
from orchestration.defs.resources import (
    RunSettingsResource,
    check_run_settings,
    connect_warehouse,
)
from orchestration.publishing.bi_file import BI_DATABASE
from orchestration.publishing.export_files import export_marts, key_sort, mart_keys, order_by_key
from orchestration.publishing.export_set import CURRENT_LINK, PUBLISHED_NAMES, publish, staged_set
from orchestration.settings import parse_csv_max_rows
from tests.conftest import HANDMADE_DIR, SAMPLE_AS_OF, pipeline_environment

# --- CSV formula neutralisation and key order, on hand-made values ------------------------

PEOPLE = [  # inserted out of key order on purpose
    ("p5", "@SUM(A1)", 4, None),
    ("p4", "-3", -3, "a-b"),
    ("p3", "+x", 0, "\ttab"),
    ("p2", "=1+1", 2, "\rcr"),
    ("p1", "Ada", -3, '=HYPERLINK("http://x")'),
]


@pytest.fixture
def people_warehouse(tmp_path: Path) -> Path:
    warehouse = tmp_path / "people.duckdb"
    with duckdb.connect(str(warehouse)) as connection:
        connection.execute("create schema marts")
        connection.execute(
            "create table marts.mart_people "
            "(person_id varchar, name varchar, balance integer, note varchar)"
        )
        connection.executemany("insert into marts.mart_people values (?, ?, ?, ?)", PEOPLE)
    return warehouse


def export_people(warehouse: Path, out: Path, csv_max_rows: int | None = None) -> dict:
    """mart_people exported (key person_id) into `out`: its manifest entry."""
    with duckdb.connect(str(warehouse), read_only=True) as connection:
        entries, _, _ = export_marts(
            connection, ["mart_people"], out, {"mart_people": ("person_id",)}, csv_max_rows
        )
    return entries[0]


def test_csv_prefixes_formula_text_cells_and_keeps_numbers(people_warehouse: Path, tmp_path: Path):
    out = tmp_path / "out"
    entry = export_people(people_warehouse, out)
    assert entry["key"] == ["person_id"]
    with open(out / "marts" / "mart_people.csv", newline="") as handle:
        rows = list(csv.reader(handle))
    assert rows == [
        ["person_id", "name", "balance", "note"],
        ["p1", "Ada", "-3", '\'=HYPERLINK("http://x")'],
        ["p2", "'=1+1", "2", "'\rcr"],
        ["p3", "'+x", "0", "'\ttab"],
        ["p4", "'-3", "-3", "a-b"],  # text '-3' escaped; the integer -3 stays a number
        ["p5", "'@SUM(A1)", "4", ""],
    ]


def test_parquet_and_the_bi_file_keep_every_value_exactly_in_key_order(
    people_warehouse: Path, tmp_path: Path
):
    out = tmp_path / "out"
    export_people(people_warehouse, out)
    expected = sorted(PEOPLE)
    with duckdb.connect() as reader:
        parquet = reader.execute(f"select * from '{out / 'marts' / 'mart_people.parquet'}'")
        assert parquet.fetchall() == expected
    with duckdb.connect(str(out / BI_DATABASE), read_only=True) as bi:
        assert bi.execute("select * from marts.mart_people").fetchall() == expected


def test_the_bi_file_is_written_under_the_runs_memory_cap(tmp_path: Path):
    """The BI file is written by the warehouse connection, so the run's cap bounds it
    (DuckDB's own default is 80% of RAM: 19 GiB for the BI file at 10M activities, when it
    had a connection of its own). A cap too small for the sort (4MB for these 200,000
    rows; 8MB fails too) fails the export, naming the mart, and keeps the previous file;
    no other DuckDB database is opened."""
    warehouse = tmp_path / "numbers.duckdb"
    with duckdb.connect(str(warehouse)) as connection:
        connection.execute("create schema marts")
        connection.execute(
            "create table marts.mart_numbers as select i as n, 'row ' || i as label "
            "from range(200000) as t(i) order by hash(i)"
        )
    out = tmp_path / "out"
    keys = {"mart_numbers": ("n",)}
    with connect_warehouse(warehouse, True, "64MB") as connection:
        export_marts(connection, ["mart_numbers"], out, keys)
    previous = (out / BI_DATABASE).read_bytes()
    with connect_warehouse(warehouse, True, "4MB") as connection:
        with pytest.raises(duckdb.OutOfMemoryException, match="exporting mart mart_numbers"):
            export_marts(connection, ["mart_numbers"], out, keys)
        assert [
            row[0]
            for row in connection.execute(
                "select database_name from duckdb_databases() where not internal"
            ).fetchall()
        ] == ["numbers"]
    assert (out / BI_DATABASE).read_bytes() == previous
    assert not list(out.glob(f".{BI_DATABASE}.tmp*"))


def test_every_file_comes_from_the_bi_table_in_key_order_and_a_view_mart_too(tmp_path: Path):
    """200,000 rows stored in hash order (many row groups and vectors, so a reordering
    scan would show), and a view over them: every file lists n = 0, 1, 2, ... in order.
    The labels are text, so the CSV goes through the formula guard (csv_safe_select)."""
    warehouse = tmp_path / "numbers.duckdb"
    with duckdb.connect(str(warehouse)) as connection:
        connection.execute("create schema marts")
        connection.execute(
            "create table marts.mart_numbers as select i as n, "
            "case when i % 7 = 0 then '=' else 'row ' end || i as label, "
            "timestamp '2026-06-30 00:00:00' as kpis_as_of from range(200000) as t(i) "
            "order by hash(i)"
        )
        connection.execute(
            "create view marts.mart_even as select n, label from marts.mart_numbers where n % 2 = 0"
        )
    out = tmp_path / "out"
    with duckdb.connect(str(warehouse), read_only=True) as connection:
        (numbers, even), as_of, _ = export_marts(
            connection,
            ["mart_numbers", "mart_even"],
            out,
            {"mart_numbers": ("n",), "mart_even": ("n",)},
        )
    assert (numbers["row_count"], even["row_count"]) == (200000, 100000)
    assert (numbers["as_of"], even["as_of"]) == ("2026-06-30 00:00:00", None)
    assert as_of is None  # no mart_relationship_kpis among these

    def label(n: int) -> str:
        return f"'={n}" if n % 7 == 0 else f"row {n}"  # '=0' is a formula: escaped

    with open(out / "marts" / "mart_even.csv", newline="") as handle:
        rows = list(csv.reader(handle))
    assert rows[0] == ["n", "label"]
    assert rows[1:] == [[str(n), label(n)] for n in range(0, 200000, 2)]
    with duckdb.connect() as reader:
        parquet = reader.execute(f"select n from '{out / 'marts' / 'mart_numbers.parquet'}'")
        assert parquet.fetchall() == [(n,) for n in range(200000)]
    with duckdb.connect(str(out / BI_DATABASE), read_only=True) as bi:
        stored = bi.execute("select n from marts.mart_numbers order by rowid").fetchall()
        assert stored == [(n,) for n in range(200000)]
        types = bi.execute(
            "select column_name, data_type from duckdb_columns() "
            "where table_name = 'mart_numbers' order by column_index"
        ).fetchall()
        assert types == [("n", "BIGINT"), ("label", "VARCHAR"), ("kpis_as_of", "TIMESTAMP")]
        assert bi.execute("select mart, row_count, as_of from main.export_manifest").fetchall() == [
            ("mart_numbers", 200000, None),
            ("mart_even", 100000, None),
        ]


def test_a_repeated_key_falls_back_to_every_column_and_errors_name_the_mart(tmp_path: Path):
    """Sorting by the key alone is the same order only if the key is unique; a mart whose
    key repeats (its unique test failed) is sorted by every column, as before."""
    warehouse = tmp_path / "pairs.duckdb"
    with duckdb.connect(str(warehouse)) as connection:
        connection.execute("create schema marts")
        connection.execute(
            "create table marts.mart_pairs as select * from (values "
            "(2, 'c'), (1, 'b'), (3, 'a'), (1, 'a'), (2, 'a')) as pairs(k, v)"
        )
        connection.execute("create view marts.mart_broken as select error('no such day') as x")
    out = tmp_path / "out"
    with duckdb.connect(str(warehouse), read_only=True) as connection:
        (pairs,), _, _ = export_marts(connection, ["mart_pairs"], out, {"mart_pairs": ("k",)})
        previous = (out / BI_DATABASE).read_bytes()
        with pytest.raises(duckdb.Error, match="exporting mart mart_broken: .*no such day"):
            export_marts(connection, ["mart_pairs", "mart_broken"], out)
        with pytest.raises(ValueError, match="no table or view marts.mart_gone"):
            export_marts(connection, ["mart_gone"], out)
    assert pairs["row_count"] == 5
    with open(out / "marts" / "mart_pairs.csv", newline="") as handle:
        assert list(csv.reader(handle)) == [
            ["k", "v"],
            ["1", "a"],
            ["1", "b"],
            ["2", "a"],
            ["2", "c"],
            ["3", "a"],
        ]
    assert (out / BI_DATABASE).read_bytes() == previous
    assert not list(out.glob(f".{BI_DATABASE}.tmp*"))


def test_the_key_check_sees_repeats_spread_over_many_row_groups(tmp_path: Path):
    """200,000 rows, every key twice, stored in hash order: the check finds the repeats
    across row groups and threads, so the mart is ordered by the key, then the value."""
    warehouse = tmp_path / "twice.duckdb"
    with duckdb.connect(str(warehouse)) as connection:
        connection.execute("create schema marts")
        connection.execute(
            "create table marts.mart_twice as select i // 2 as k, md5(i::varchar) as v "
            "from range(200000) as t(i) order by hash(i)"
        )
        connection.execute("create table marts.mart_once as select * from marts.mart_twice")
        connection.execute("attach ':memory:' as scratch")
        connection.execute("create schema scratch.marts")
        used = {
            mart: key_sort(connection, f"marts.{mart}", f"scratch.marts.{mart}", ["k", "v"], key)
            for mart, key in (("mart_twice", ["k"]), ("mart_once", ["k", "v"]))
        }
        stored = connection.execute("select k, v from scratch.marts.mart_twice").fetchall()
        expected = connection.execute("select k, v from marts.mart_twice order by k, v").fetchall()
    assert used == {"mart_twice": 'order by "k", "v"', "mart_once": 'order by "k", "v"'}
    assert len(stored) == 200000 and stored == expected


def test_a_mart_over_the_csv_bound_gets_parquet_only_and_the_manifest_says_why(
    people_warehouse: Path, tmp_path: Path
):
    """RA_EXPORT_CSV_MAX_ROWS: mart_people has 5 rows; a bound of 4 skips its CSV."""
    out = tmp_path / "out"
    marts = out / "marts"
    at_bound = export_people(people_warehouse, out, csv_max_rows=5)
    assert at_bound["files"] == {
        "parquet": "marts/mart_people.parquet",
        "csv": "marts/mart_people.csv",
    }
    assert "csv_skipped" not in at_bound
    assert (marts / "mart_people.csv").exists()
    over = export_people(people_warehouse, out, csv_max_rows=4)
    assert over["files"] == {"parquet": "marts/mart_people.parquet"}
    assert over["csv_skipped"] == "rows > bound (5 > RA_EXPORT_CSV_MAX_ROWS=4)"
    assert over["row_count"] == 5
    # The CSV written by the export before is gone, not left stale beside the new Parquet.
    assert sorted(path.name for path in marts.iterdir()) == ["mart_people.parquet"]
    with duckdb.connect() as reader:
        parquet = reader.execute(f"select count(*) from '{marts / 'mart_people.parquet'}'")
        assert parquet.fetchone()[0] == 5


def test_the_csv_bound_is_a_checked_setting():
    assert parse_csv_max_rows(None) == 1_000_000
    assert parse_csv_max_rows(" 1_000 ") == 1000
    assert parse_csv_max_rows("2,500") == 2500
    assert parse_csv_max_rows("0") == 0  # no CSV at all
    for bad in ("-1", "ten", "1e6"):
        with pytest.raises(ValueError, match=f"RA_EXPORT_CSV_MAX_ROWS='{bad}' is not a whole"):
            parse_csv_max_rows(bad)
    environ = {"RA_EXPORT_CSV_MAX_ROWS": "250"}
    assert check_run_settings(environ=environ).export_csv_max_rows == 250
    resource = RunSettingsResource(export_csv_max_rows=-3)
    with pytest.raises(ValueError, match="RA_EXPORT_CSV_MAX_ROWS='-3'"):
        check_run_settings(environ=resource.environment({}))


def test_order_is_the_key_then_every_other_column():
    assert order_by_key(["a", "b", "c"], ["b"]) == 'order by "b", "a", "c"'
    assert order_by_key(["a", "b"], []) == 'order by "a", "b"'
    with pytest.raises(ValueError, match="rank"):
        order_by_key(["record_id"], ["record_id", "rank"])


def test_mart_keys_come_from_the_unique_tests_in_dbt():
    keys = mart_keys(json.loads(dbt_project.manifest_path.read_text()))
    assert keys["mart_relationship_kpis"] == ("record_type", "record_id")
    assert keys["mart_relationship_health_daily"] == ("record_type", "record_id", "score_date")
    # Two unique tests of one size: the first by test name wins, every run the same.
    assert keys["mart_top_contacts"] == ("record_type", "record_id", "side", "party_id")
    assert keys["mart_focus_opportunities"] == ("focus_rank",)
    # No unique test: ordered by every column instead.
    assert "mart_similar_won_opportunities_status" not in keys


# --- publishing a set -------------------------------------------------------------------


def stage(export_dir: Path, version: str, text: str) -> Path:
    """A tiny set whose every file holds `text`."""
    with staged_set(export_dir, version) as staging:
        (staging / "marts").mkdir()
        (staging / "marts" / "mart_a.csv").write_text(text)
        (staging / "manifest.json").write_text(text)
        (staging / BI_DATABASE).write_text(text)
        (staging / "dashboards").mkdir()
        (staging / "dashboards" / "index.html").write_text(text)
    return staging


def published_text(export_dir: Path) -> set[str]:
    """What a reader of the documented paths sees: one value if the set is consistent."""
    paths = ["marts/mart_a.csv", "manifest.json", BI_DATABASE, "dashboards/index.html"]
    return {(export_dir / path).read_text() for path in paths}


def test_publishing_swaps_the_set_and_keeps_only_the_previous(tmp_path: Path):
    publish(tmp_path, stage(tmp_path, "v1", "one"))
    assert published_text(tmp_path) == {"one"}
    assert all((tmp_path / name).is_symlink() for name in (CURRENT_LINK, *PUBLISHED_NAMES))
    publish(tmp_path, stage(tmp_path, "v2", "two"))
    assert published_text(tmp_path) == {"two"}
    assert sorted(p.name for p in (tmp_path / ".versions").iterdir()) == ["v1", "v2"]
    publish(tmp_path, stage(tmp_path, "v3", "three"))
    assert published_text(tmp_path) == {"three"}
    assert sorted(p.name for p in (tmp_path / ".versions").iterdir()) == ["v2", "v3"]
    assert os.readlink(tmp_path / CURRENT_LINK) == ".versions/v3"
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(
        [".versions", CURRENT_LINK, *PUBLISHED_NAMES]
    )


def test_the_first_publication_replaces_exports_of_the_old_layout(tmp_path: Path):
    (tmp_path / "marts").mkdir()
    (tmp_path / "marts" / "mart_a.csv").write_text("old")
    (tmp_path / "dashboards").mkdir()
    (tmp_path / "manifest.json").write_text("old")
    publish(tmp_path, stage(tmp_path, "v1", "new"))
    assert published_text(tmp_path) == {"new"}
    assert not [p for p in tmp_path.iterdir() if "retired" in p.name]


def test_leftovers_of_a_killed_run_do_not_show_and_are_removed_next_time(tmp_path: Path):
    publish(tmp_path, stage(tmp_path, "v1", "one"))
    # A run killed while staging, one killed after moving its set but before the swap,
    # and one killed between creating the new link and renaming it.
    dead = tmp_path / ".staging" / "dead-run" / "marts"
    dead.mkdir(parents=True)
    (dead / "mart_a.csv").write_text("half")
    (tmp_path / ".versions" / "orphan").mkdir()
    os.symlink(".versions/orphan", tmp_path / ".current.link-deadbeef")
    (tmp_path / ".dashboards.tmp-0badf00d").mkdir()  # the exports of earlier versions
    (tmp_path / ".manifest.json.tmp").write_text("half")
    assert published_text(tmp_path) == {"one"}
    publish(tmp_path, stage(tmp_path, "v2", "two"))
    assert published_text(tmp_path) == {"two"}
    assert sorted(p.name for p in (tmp_path / ".versions").iterdir()) == ["v1", "v2"]
    assert not (tmp_path / ".staging").exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(
        [".versions", CURRENT_LINK, *PUBLISHED_NAMES]
    )


def test_a_failure_while_staging_leaves_the_published_set(tmp_path: Path):
    publish(tmp_path, stage(tmp_path, "v1", "one"))
    with pytest.raises(RuntimeError, match="disk full"):
        with staged_set(tmp_path, "v2") as staging:
            (staging / "marts").mkdir()
            (staging / "marts" / "mart_a.csv").write_text("half")
            raise RuntimeError("disk full")
    assert published_text(tmp_path) == {"one"}
    assert not (tmp_path / ".staging").exists()


# --- the Dagster step: settings checked first, the set published whole or not at all ----


def tree_bytes(folder: Path) -> dict[str, bytes | str]:
    """Every file (by content) and symlink (by target) under `folder`, hidden ones too."""
    state: dict[str, bytes | str] = {}
    for root, directories, files in os.walk(folder):
        for name in directories + files:
            path = Path(root) / name
            relative = path.relative_to(folder).as_posix()
            if path.is_symlink():
                state[relative] = f"-> {os.readlink(path)}"
            elif path.is_file():
                state[relative] = path.read_bytes()
    return state


def materialize_exports(warehouse: Path, export_dir: Path, **env: str) -> dg.ExecuteInProcessResult:
    from orchestration.defs.exports import exports as exports_step

    with pipeline_environment(export_dir, warehouse, export_dir, SAMPLE_AS_OF, env):
        return dg.materialize(
            [exports_step],
            resources={"run_settings": RunSettingsResource()},
            instance=dg.DagsterInstance.ephemeral(),
            raise_on_error=False,
        )


def failure_messages(result: dg.ExecuteInProcessResult) -> str:
    return "\n".join(
        event.event_specific_data.error.to_string()
        for event in result.all_events
        if event.is_failure and getattr(event.event_specific_data, "error", None)
    )


@pytest.fixture
def published(built_handmade, tmp_path: Path) -> Path:
    """A first, good set of exports of the hand-made build (with a per-unit site)."""
    export_dir = tmp_path / "exports"
    result = materialize_exports(
        built_handmade.warehouse,
        export_dir,
        RA_DASHBOARD_BUSINESS_UNITS="all",
        RA_DASHBOARD_TOP_N="3",
    )
    assert result.success, failure_messages(result)
    return export_dir


def test_an_unknown_business_unit_leaves_the_previous_exports_byte_for_byte(
    built_handmade, published: Path
):
    before = tree_bytes(published)
    assert (published / "dashboards" / "business_units").is_dir()
    result = materialize_exports(
        built_handmade.warehouse, published, RA_DASHBOARD_BUSINESS_UNITS="no-such-unit"
    )
    assert not result.success
    assert "RA_DASHBOARD_BUSINESS_UNITS names no-such-unit" in failure_messages(result)
    assert tree_bytes(published) == before


def test_a_failure_after_the_marts_are_written_publishes_nothing(
    built_handmade, published: Path, monkeypatch: pytest.MonkeyPatch
):
    before = tree_bytes(published)

    def explode(*args: object, **kwargs: object) -> Path:
        raise OSError("disk full")

    monkeypatch.setattr("orchestration.defs.exports.write_manifest", explode)
    result = materialize_exports(built_handmade.warehouse, published)
    assert not result.success
    assert "disk full" in failure_messages(result)
    assert tree_bytes(published) == before
    assert not (published / ".staging").exists()


def test_a_new_run_replaces_marts_and_dashboards_together(built_handmade, published: Path):
    first = os.path.realpath(published / CURRENT_LINK)
    result = materialize_exports(built_handmade.warehouse, published, RA_DASHBOARD_TOP_N="1")
    assert result.success, failure_messages(result)
    current = Path(os.path.realpath(published / CURRENT_LINK))
    assert str(current) != first
    for name in PUBLISHED_NAMES:  # every documented path is a link into the new set
        assert Path(os.path.realpath(published / name)) == current / name
    site = json.loads((published / "dashboards" / "manifest.json").read_text())
    assert site["top_n"] == 1 and len(site["sites"]) == 1
    # The per-unit sites of the first set are not mixed into the second.
    assert not (published / "dashboards" / "business_units").exists()


@pytest.mark.parametrize(
    ("env", "run_config", "named"),
    [
        ({"RA_DASHBOARD_TOP_N": "0"}, None, "RA_DASHBOARD_TOP_N"),
        ({"RA_DASHBOARD_TOP_N": "ten"}, None, "RA_DASHBOARD_TOP_N"),
        ({"RA_DUCKDB_MEMORY_LIMIT": "lots"}, None, "RA_DUCKDB_MEMORY_LIMIT"),
        ({"RA_SOURCE": "ftp"}, None, "RA_SOURCE"),
        ({}, {"ops": {"exports": {"config": {"top_n": 0}}}}, "run config top_n"),
    ],
)
def test_a_bad_setting_fails_the_run_before_any_step_writes(
    tmp_path: Path, env: dict[str, str], run_config: dict | None, named: str
):
    from orchestration.definitions import defs

    landing = tmp_path / "landing"
    shutil.copytree(HANDMADE_DIR, landing)
    warehouse = tmp_path / "warehouse" / "relationship_analytics.duckdb"
    export_dir = tmp_path / "exports"
    with pipeline_environment(landing, warehouse, export_dir, SAMPLE_AS_OF, env):
        result = defs.resolve_job_def("daily_kpi_refresh").execute_in_process(
            run_config=run_config or {},
            instance=dg.DagsterInstance.ephemeral(),
            raise_on_error=False,
        )
    assert not result.success
    assert named in failure_messages(result)
    assert result.get_asset_materialization_events() == []
    assert not warehouse.exists() and not export_dir.exists()


def test_check_run_settings_reads_the_exports_run_config_before_the_environment():
    environ = {"RA_DASHBOARD_TOP_N": "0"}
    with pytest.raises(ValueError, match="RA_DASHBOARD_TOP_N"):
        check_run_settings(None, environ)
    # A valid value in the run config wins over the bad variable, as in the step itself.
    check_run_settings({"ops": {"exports": {"config": {"top_n": 5}}}}, environ)


# --- the exports wait for the writers' pool instead of meeting a writer's lock ------------

WRITER = (
    "import duckdb, sys\n"
    "connection = duckdb.connect(sys.argv[1])\n"  # read-write: DuckDB locks the file
    "print('locked', flush=True)\n"
    "sys.stdin.read()\n"
)


def test_the_exports_wait_for_another_runs_writer_instead_of_failing_on_the_lock(
    built_handmade, tmp_path: Path
):
    """The issue's case: another run's extract or dbt step holds the `duckdb` pool slot and
    the warehouse open for writing. The exports wait for the slot (a reader in another
    process would fail with "Could not set lock on file"), then publish once it is free."""
    import subprocess
    import sys
    import threading
    import time

    from orchestration.defs.exports import exports as exports_step
    from orchestration.defs.resources import WAREHOUSE_POOL

    warehouse = tmp_path / "warehouse.duckdb"
    shutil.copyfile(built_handmade.warehouse, warehouse)
    export_dir = tmp_path / "exports"
    home = tmp_path / "dagster_home"
    home.mkdir()
    (home / "dagster.yaml").write_text("concurrency:\n  pools:\n    default_limit: 1\n")
    instance = dg.DagsterInstance.from_config(str(home))
    storage = instance.event_log_storage
    storage.initialize_concurrency_limit_to_default(WAREHOUSE_POOL)
    assert storage.claim_concurrency_slot(WAREHOUSE_POOL, "other-run", "raw__email").is_claimed
    writer = subprocess.Popen(
        [sys.executable, "-c", WRITER, str(warehouse)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    results: list[dg.ExecuteInProcessResult] = []
    try:
        assert writer.stdout.readline().strip() == "locked"
        with pipeline_environment(export_dir, warehouse, export_dir, SAMPLE_AS_OF):
            thread = threading.Thread(
                target=lambda: results.append(
                    dg.materialize(
                        [exports_step],
                        resources={"run_settings": RunSettingsResource()},
                        instance=instance,
                        raise_on_error=False,
                    )
                )
            )
            thread.start()
            # Wait (a bounded poll, not a timing assertion) until the step queues for the slot.
            deadline = time.monotonic() + 120
            while storage.get_concurrency_info(WAREHOUSE_POOL).pending_step_count == 0:
                assert thread.is_alive() and time.monotonic() < deadline, [
                    failure_messages(result) for result in results
                ]
                time.sleep(0.2)
            assert not (export_dir / CURRENT_LINK).exists()  # nothing read, nothing written
            writer.stdin.close()  # the other run's step ends: lock and slot are released
            writer.wait(timeout=60)
            storage.free_concurrency_slots_for_run("other-run")
            thread.join(timeout=600)
    finally:
        if writer.poll() is None:
            writer.kill()
        instance.dispose()
    assert results and results[0].success, failure_messages(results[0]) if results else ""
    assert (export_dir / "dashboards" / "index.html").exists()
    assert (export_dir / "marts" / "mart_relationship_kpis.parquet").exists()
