"""Running the daily and weekly jobs on generated data and measuring them.

Wall time per stage, the slowest dbt models, peak memory of the whole process tree (this
process and dbt), rows per mart. Landing data is generated once per size and kept in
bench/work/ (generating is not part of a refresh).
"""

from __future__ import annotations

import json
import os
import shutil
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import psutil

from bench.increment import PARTS, SNAPSHOT, write_incremental_landing
from orchestration.generator import generate
from orchestration.settings import REPO_ROOT

BENCH_DIR = REPO_ROOT / "bench" / "work"
DBT_TARGET = REPO_ROOT / "dbt_project" / "target"
END_DATE = "2026-06-30"
AS_OF = "2026-06-30T00:00:00Z"


class PeakMemory:
    """Samples the resident memory of this process and all its children."""

    def __init__(self, interval_seconds: float = 0.2) -> None:
        self.interval_seconds = interval_seconds
        self.peak_bytes = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)

    def _sample(self) -> None:
        me = psutil.Process()
        while not self._stop.is_set():
            total = 0
            for process in [me, *me.children(recursive=True)]:
                try:
                    total += process.memory_info().rss
                except psutil.Error:
                    pass
            self.peak_bytes = max(self.peak_bytes, total)
            self._stop.wait(self.interval_seconds)

    def __enter__(self) -> PeakMemory:
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        self._thread.join()


@dataclass
class RunMeasurement:
    label: str
    wall_seconds: float = 0.0
    peak_gib: float = 0.0
    stage_seconds: dict[str, float] = field(default_factory=dict)
    # Seconds per dbt model, summed over the run's dbt invocations.
    model_seconds: dict[str, float] = field(default_factory=dict)
    rows_per_mart: dict[str, int] = field(default_factory=dict)
    # Seconds dbt spent in models and in data tests, summed over nodes.
    dbt_node_seconds: dict[str, float] = field(default_factory=dict)
    # Seconds per data test, summed over the run's dbt invocations.
    test_seconds: dict[str, float] = field(default_factory=dict)


def landing_for(activities: int) -> Path:
    """Generated once per size and kept: generating is not part of a refresh."""
    landing = BENCH_DIR / f"landing_{activities}"
    if not (landing / "_SUCCESS").exists():
        shutil.rmtree(landing, ignore_errors=True)
        generate(landing, activities=activities, seed=42, end_date=END_DATE)
        (landing / "_SUCCESS").touch()
    return landing


def incremental_landing(base: Path, activities: int, shape: str = PARTS) -> Path:
    """The base landing with a day's changes (bench.increment) in `shape` (`parts`: a change
    part added to each changed table's folder; `snapshot`: changed tables rewritten
    whole), written once per size and shape."""
    suffix = "daily_changes" if shape == SNAPSHOT else f"daily_{shape}"
    landing = BENCH_DIR / f"landing_{activities}_{suffix}"
    if (landing / "_SUCCESS").exists():
        return landing
    shutil.rmtree(landing, ignore_errors=True)
    write_incremental_landing(base, landing, activities, shape)
    (landing / "_SUCCESS").touch()
    return landing


def run_jobs(label: str, landing: Path, warehouse: Path, export_dir: Path) -> RunMeasurement:
    """The daily and the weekly job, as Dagster runs them, timed per stage."""
    import dagster as dg

    from orchestration.definitions import defs

    os.environ.update(
        RA_LANDING_DIR=str(landing),
        RA_WAREHOUSE=str(warehouse),
        RA_EXPORT_DIR=str(export_dir),
        RA_AS_OF=AS_OF,
    )
    measurement = RunMeasurement(label)
    started_at = time.time()
    with PeakMemory() as memory:
        for job_name in ("daily_kpi_refresh", "weekly_similar_won_refresh"):
            instance = dg.DagsterInstance.ephemeral()
            result = defs.resolve_job_def(job_name).execute_in_process(instance=instance)
            if not result.success:
                raise RuntimeError(f"{label}: job {job_name} failed")
            for step, seconds in step_durations(instance, result.run_id).items():
                stage = stage_of(step)
                measurement.stage_seconds[stage] = (
                    measurement.stage_seconds.get(stage, 0.0) + seconds
                )
    measurement.wall_seconds = time.time() - started_at
    measurement.peak_gib = memory.peak_bytes / 2**30
    timings = dbt_node_timings(since=started_at)
    measurement.model_seconds = timings["model"]
    measurement.test_seconds = timings["test"]
    measurement.dbt_node_seconds = {kind: sum(nodes.values()) for kind, nodes in timings.items()}
    measurement.rows_per_mart = rows_per_mart(warehouse)
    return measurement


def step_durations(instance, run_id: str) -> dict[str, float]:
    return {
        stats.step_key: stats.end_time - stats.start_time
        for stats in instance.get_run_step_stats(run_id)
        if stats.start_time and stats.end_time
    }


def stage_of(step_key: str) -> str:
    if step_key.startswith(("raw__", "extract")):
        return "extract"
    if step_key == "exports":  # one step publishes marts and dashboards together
        return "exports"
    if step_key.startswith("weekly_dbt"):
        return "dbt weekly (similar won)"
    return "dbt daily build"


def dbt_node_timings(since: float) -> dict[str, dict[str, float]]:
    """Seconds per model and per data test, from the run_results.json of dbt runs since."""
    timings: dict[str, dict[str, float]] = {"model": {}, "test": {}}
    for results_file in DBT_TARGET.glob("*/run_results.json"):
        if results_file.stat().st_mtime < since:
            continue
        for result in json.loads(results_file.read_text())["results"]:
            # resource_type.package.name, and a hash suffix on tests
            kind, _package, name = result["unique_id"].split(".")[:3]
            if kind in timings:
                timings[kind][name] = timings[kind].get(name, 0.0) + result["execution_time"]
    return timings


def rows_per_mart(warehouse: Path) -> dict[str, int]:
    connection = duckdb.connect(str(warehouse), read_only=True)
    try:
        marts = [
            name
            for (name,) in connection.execute(
                "select table_name from information_schema.tables "
                "where table_schema = 'marts' order by 1"
            ).fetchall()
        ]
        return {
            mart: connection.execute(f"select count(*) from marts.{mart}").fetchone()[0]
            for mart in marts
        }
    finally:
        connection.close()
