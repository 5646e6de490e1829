"""`kill -9` of `make run` at several points; the next run recovers and completes.

Each case starts the real `dagster asset materialize -m orchestration.definitions --select
'*'` (what `make run` runs) on the hand-made fixture, with a DAGSTER_HOME holding the
project's dagster.yaml (pool `duckdb` limited to 1), waits until the run reaches a point
(the extract step, a dbt model, a dbt test; the exports in a run of the export assets
alone), and kills its whole process group. Before recovery the dead run is STARTED and,
when killed inside a warehouse step, still holds the pool's only slot: any later run
would wait for it forever. After `python -m orchestration.recovery` (the first command of
`make run`) the dead run is failed and the slot free, and a last run completes with marts
and exports equal to a clean build's (the session's `built_handmade`, built as of the
same instant).
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import dagster as dg
import duckdb
import pytest
from dagster._core.events import DagsterEventType

from tests.conftest import (
    HANDMADE_DIR,
    SAMPLE_AS_OF,
    BuiltWarehouse,
    dagster_home_environment,
    iter_marts,
)

REPO_ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
MATERIALIZE = [str(BIN / "dagster"), "asset", "materialize", "-m", "orchestration.definitions"]
POOL = "duckdb"
POINT_TIMEOUT_SECONDS = 600
RUN_TIMEOUT_SECONDS = 900

_WATCHED = {
    DagsterEventType.STEP_START,
    DagsterEventType.ASSET_MATERIALIZATION,
    DagsterEventType.ASSET_CHECK_EVALUATION,
}


@dataclass(frozen=True)
class Project:
    home: Path
    warehouse: Path
    export_dir: Path
    environment: dict[str, str]


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Project:
    root = tmp_path_factory.mktemp("killed_runs")
    landing = root / "landing"
    landing.mkdir()
    for path in HANDMADE_DIR.glob("*.csv"):
        shutil.copy(path, landing / path.name)
    home, warehouse, export_dir, environment = dagster_home_environment(root, landing, SAMPLE_AS_OF)
    environment.pop("RA_RAW_PARQUET_DIR", None)
    return Project(home, warehouse, export_dir, environment)


@pytest.fixture
def instance(project: Project) -> Iterator[dg.DagsterInstance]:
    with dg.DagsterInstance.from_config(str(project.home)) as instance:
        yield instance


def start_run(project: Project, log: Path, select: str = "*") -> subprocess.Popen:
    with open(log, "wb") as output:
        return subprocess.Popen(
            [*MATERIALIZE, "--select", select],
            cwd=REPO_ROOT,
            env=project.environment,
            stdout=output,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group, killed as a whole
        )


def the_new_run(instance: dg.DagsterInstance, known: set[str], process) -> str:
    deadline = time.monotonic() + POINT_TIMEOUT_SECONDS
    while time.monotonic() < deadline:
        runs = [run.run_id for run in instance.get_runs() if run.run_id not in known]
        if runs:
            return runs[0]
        assert process.poll() is None, "the run ended before it was recorded"
        time.sleep(0.5)
    raise AssertionError("no run was recorded")


Point = Callable[[dg.EventLogRecord], bool]


@dataclass(frozen=True)
class OnDisk:
    """A point seen on disk rather than in the event log, inside step `step`."""

    step: str
    check: Callable[[], bool]


def exports_being_written(export_dir: Path) -> OnDisk:
    """The exports step has started writing its set aside (exports/.staging/<version>/)."""
    staging = export_dir / ".staging"
    return OnDisk("exports", lambda: staging.is_dir() and any(staging.iterdir()))


def step_started(prefix: str) -> Point:
    def reached(record: dg.EventLogRecord) -> bool:
        event = record.event_log_entry.dagster_event
        return event.event_type == DagsterEventType.STEP_START and (
            event.step_key or ""
        ).startswith(prefix)

    return reached


# The daily models' step (the seeds and their tests run in a step of their own first).
DBT_MODELS_STEP = "relationship_dbt_models"


def dbt_model_built(record: dg.EventLogRecord) -> bool:
    event = record.event_log_entry.dagster_event
    return (
        event.event_type == DagsterEventType.ASSET_MATERIALIZATION
        and event.step_key == DBT_MODELS_STEP
    )


def dbt_test_evaluated(record: dg.EventLogRecord) -> bool:
    event = record.event_log_entry.dagster_event
    return (
        event.event_type == DagsterEventType.ASSET_CHECK_EVALUATION
        and event.step_key == DBT_MODELS_STEP
    )


def kill_at(
    project: Project, instance: dg.DagsterInstance, reached: Point, log: Path, select: str = "*"
) -> tuple[str, str]:
    """Start a run, SIGKILL its process group once `reached`; (run id, step in progress).

    A point on disk (`OnDisk`) is polled every 20 ms instead of the event log's 200 ms: the
    exports of the small fixture take about a second, too short for the event log.
    """
    known = {run.run_id for run in instance.get_runs()}
    process = start_run(project, log, select)
    try:
        run_id = the_new_run(instance, known, process)
        deadline = time.monotonic() + POINT_TIMEOUT_SECONDS
        while time.monotonic() < deadline:
            if isinstance(reached, OnDisk):
                if reached.check():
                    os.killpg(process.pid, signal.SIGKILL)
                    process.wait()
                    return run_id, reached.step
            else:
                records = instance.get_records_for_run(run_id, of_type=_WATCHED).records
                hit = next((record for record in records if reached(record)), None)
                if hit is not None:
                    os.killpg(process.pid, signal.SIGKILL)
                    process.wait()
                    return run_id, hit.event_log_entry.dagster_event.step_key or ""
            assert process.poll() is None, f"the run ended first:\n{log.read_text()[-3000:]}"
            time.sleep(0.02 if isinstance(reached, OnDisk) else 0.2)
        raise AssertionError(f"the run never reached the point:\n{log.read_text()[-3000:]}")
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


def recover_as_make_run_does(project: Project) -> str:
    done = subprocess.run(
        [sys.executable, "-m", "orchestration.recovery"],
        cwd=REPO_ROOT,
        env=project.environment,
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    )
    return done.stdout


def claimed_slots(instance: dg.DagsterInstance) -> int:
    return instance.event_log_storage.get_concurrency_info(POOL).active_slot_count


# Kills of whole runs (`--select '*'`, as `make run`). The exports are killed in a run of
# the export assets alone, after the complete run: a whole run up to the exports would
# cost a full extract and dbt build more, and recovery does not depend on the selection.
POINTS = {
    "extract": step_started("extract_raw"),
    "dbt models": dbt_model_built,
    "dbt tests": dbt_test_evaluated,
}
EXPORTS = "group:exports"


def record_kill(
    project: Project, instance: dg.DagsterInstance, reached: Point, log: Path, select: str = "*"
) -> dict:
    """Kill a run at `reached`, then recover as `make run` does; what was seen before/after."""
    run_id, step = kill_at(project, instance, reached, log, select)
    before = {
        "status": instance.get_run_by_id(run_id).status,
        "slots": claimed_slots(instance),
        "step": step,
    }
    printed = recover_as_make_run_does(project)
    return {
        **before,
        "recovery": printed,
        "status_after": instance.get_run_by_id(run_id).status,
        "slots_after": claimed_slots(instance),
        "run_id": run_id,
    }


def run_to_the_end(project: Project, log: Path, select: str = "*") -> None:
    recover_as_make_run_does(project)
    process = start_run(project, log, select)
    try:
        code = process.wait(timeout=RUN_TIMEOUT_SECONDS)
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
    assert code == 0, log.read_text()[-3000:]


@pytest.fixture(scope="module")
def killed_runs(project: Project, tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict]:
    """Kill one run at each point in turn, recovering before the next; what each left."""
    logs = tmp_path_factory.mktemp("killed_run_logs")
    with dg.DagsterInstance.from_config(str(project.home)) as instance:
        return {
            name: record_kill(project, instance, reached, logs / f"{name}.log")
            for name, reached in POINTS.items()
        }


@pytest.fixture(scope="module")
def completed_after_kills(
    killed_runs: dict[str, dict], project: Project, tmp_path_factory: pytest.TempPathFactory
) -> Project:
    """After the kills, `make run` once more: recovery, then a whole run to the end."""
    run_to_the_end(project, tmp_path_factory.mktemp("final_run") / "final.log")
    return project


@pytest.mark.parametrize("point", list(POINTS))
def test_a_killed_run_is_failed_and_frees_its_slot(killed_runs: dict[str, dict], point: str):
    seen = killed_runs[point]
    assert seen["status"] == dg.DagsterRunStatus.STARTED  # what blocked every later run
    assert seen["slots"] == 1  # extract and dbt hold the warehouse pool's only slot
    assert f"marked failed (process gone): {seen['run_id']}" in seen["recovery"]
    assert seen["status_after"] == dg.DagsterRunStatus.FAILURE
    assert seen["slots_after"] == 0


def mart_rows(warehouse: Path) -> dict[str, list[tuple]]:
    with duckdb.connect(str(warehouse), read_only=True) as connection:
        return {
            name: sorted(connection.execute(f"select * from marts.{name}").fetchall(), key=repr)
            for name in iter_marts(connection)
        }


def export_rows(export_dir: Path) -> dict[str, list[str]]:
    """Every mart export, as its sorted lines (CSV) or sorted rows (Parquet)."""
    exported: dict[str, list[str]] = {}
    for path in sorted((export_dir / "marts").iterdir()):
        if path.suffix == ".csv":
            exported[path.name] = sorted(path.read_text(encoding="utf-8").splitlines())
        else:
            rows = duckdb.sql(f"select * from read_parquet('{path}')").fetchall()
            exported[path.name] = sorted(repr(row) for row in rows)
    return exported


def test_after_the_kills_a_run_completes_and_equals_a_clean_build(
    completed_after_kills: Project, built_handmade: BuiltWarehouse
):
    project = completed_after_kills
    assert mart_rows(project.warehouse) == mart_rows(built_handmade.warehouse)
    assert export_rows(project.export_dir) == export_rows(built_handmade.export_dir)
    with duckdb.connect(str(project.warehouse), read_only=True) as connection:
        staged = connection.execute(
            "select table_name from information_schema.tables "
            "where table_schema = 'raw' and ends_with(table_name, '__next')"
        ).fetchall()
    assert staged == []


def test_a_run_killed_during_the_exports_is_recovered_and_the_next_one_completes(
    completed_after_kills: Project, built_handmade: BuiltWarehouse, tmp_path: Path
):
    project = completed_after_kills
    with dg.DagsterInstance.from_config(str(project.home)) as instance:
        seen = record_kill(
            project,
            instance,
            exports_being_written(project.export_dir),
            tmp_path / "kill.log",
            EXPORTS,
        )
    assert seen["status"] == dg.DagsterRunStatus.STARTED
    assert f"marked failed (process gone): {seen['run_id']}" in seen["recovery"]
    assert seen["status_after"] == dg.DagsterRunStatus.FAILURE

    run_to_the_end(project, tmp_path / "exports.log", EXPORTS)

    assert export_rows(project.export_dir) == export_rows(built_handmade.export_dir)
