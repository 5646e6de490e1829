"""Recover from runs whose process died: mark them failed and free their pool slots.

A `kill -9` (or an out-of-memory kill, a reboot) of the process executing a run leaves
the run STARTED in Dagster's run storage and any `duckdb` pool slot its step held claimed:
with a pool limit of 1, every later run then waits "blocked by limit for pool duckdb"
forever. Dagster's daemon only frees the slots of runs that *ended*
(`run_monitoring.free_slots_after_run_end_seconds`), and its run monitoring cannot check
the health of runs started by the default run launcher or by `dagster asset materialize`.

This module adds the missing test, "is the run's process gone", from Dagster's own
records. Every process that executes part of a run logs events that carry its pid: the
orchestrating process logs RUN_START, each step worker logs STEP_WORKER_STARTED and
STEP_START. A run is dead when at least one such process is known and none of them is
still alive, where "alive" means a process with that pid exists, is not a zombie, and
started no later than the event that named it (a newer process with the same pid is pid
reuse, not the run). A run that never logged a process (killed while starting) is dead
once it has been STARTING or NOT_STARTED for longer than START_TIMEOUT_SECONDS.

Dead runs are reported failed (`DagsterInstance.report_run_failed`, which the UI shows
with the reason), then the slots of every finished run are freed
(`event_log_storage.free_concurrency_slots_for_run`). A live run is never touched: a
concurrent run still blocks, as the pool intends. The test only sees processes on this
machine, which is where `make run` and `make dev` execute runs.

Callers: `make run` (`python -m orchestration.recovery` before materializing) and the
`dead_run_recovery_sensor` that the daemon of `make dev` evaluates every 30 seconds.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass

import dagster as dg
import psutil
from dagster._core.events import DagsterEventType

__all__ = [
    "START_TIMEOUT_SECONDS",
    "Recovery",
    "RunProcess",
    "is_dead",
    "process_alive",
    "recover",
    "run_processes",
]

# A process start time and an event time come from different clocks (jiffies since boot
# and time.time()): allow this much skew before calling a pid reused.
CLOCK_SKEW_SECONDS = 2.0
# A run that logged no process yet is left alone this long (Dagster's own default).
START_TIMEOUT_SECONDS = 180
# Events written by the processes that execute a run, never by the daemon or webserver.
_PROCESS_EVENTS = {
    DagsterEventType.RUN_START,
    DagsterEventType.STEP_WORKER_STARTED,
    DagsterEventType.STEP_START,
}
_STARTING = {dg.DagsterRunStatus.STARTING, dg.DagsterRunStatus.NOT_STARTED}

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class RunProcess:
    """A process that executed part of a run: its pid and when it was first seen (epoch s)."""

    pid: int
    seen_at: float


@dataclass(frozen=True)
class Recovery:
    """What one recovery pass did: runs marked failed, runs whose pool slots were freed."""

    failed_runs: tuple[str, ...]
    freed_runs: tuple[str, ...]

    def summary(self) -> str:
        if not self.failed_runs and not self.freed_runs:
            return "no dead run and no slot held by a finished run"
        parts = []
        if self.failed_runs:
            parts.append(f"marked failed (process gone): {', '.join(self.failed_runs)}")
        if self.freed_runs:
            parts.append(f"pool slots freed of: {', '.join(self.freed_runs)}")
        return "; ".join(parts)


def process_alive(process: RunProcess) -> bool:
    """Is `process.pid` the same, still running process that logged the event?"""
    try:
        found = psutil.Process(process.pid)
        if found.status() == psutil.STATUS_ZOMBIE:
            return False
        return found.create_time() <= process.seen_at + CLOCK_SKEW_SECONDS
    except (psutil.NoSuchProcess, psutil.ZombieProcess):
        return False
    except psutil.AccessDenied:
        return True  # it exists and belongs to someone else: do not call it dead


def is_dead(
    processes: Iterable[RunProcess],
    alive: Callable[[RunProcess], bool] = process_alive,
) -> bool:
    """True when some process of the run is known and none of them is alive."""
    processes = list(processes)
    return bool(processes) and not any(alive(process) for process in processes)


def run_processes(instance: dg.DagsterInstance, run_id: str) -> list[RunProcess]:
    """The processes that logged RUN_START, STEP_WORKER_STARTED or STEP_START for a run."""
    first_seen: dict[int, float] = {}
    cursor = None
    while True:
        page = instance.get_records_for_run(run_id, cursor=cursor, of_type=_PROCESS_EVENTS)
        for record in page.records:
            entry = record.event_log_entry
            event = entry.dagster_event
            if event is None or event.pid is None:
                continue
            first_seen[event.pid] = min(first_seen.get(event.pid, entry.timestamp), entry.timestamp)
        if not page.has_more:
            break
        cursor = page.cursor
    return [RunProcess(pid, seen_at) for pid, seen_at in sorted(first_seen.items())]


def _dead_reason(
    instance: dg.DagsterInstance,
    record: dg.RunRecord,
    now: float,
    alive: Callable[[RunProcess], bool],
) -> str | None:
    run = record.dagster_run
    processes = run_processes(instance, run.run_id)
    if processes:
        if is_dead(processes, alive):
            pids = ", ".join(str(process.pid) for process in processes)
            return f"its process(es) ({pids}) are gone: killed or crashed"
        return None
    if (
        run.status in _STARTING
        and now - record.create_timestamp.timestamp() > START_TIMEOUT_SECONDS
    ):
        return f"it logged no process within {START_TIMEOUT_SECONDS} s of being created"
    return None


def recover(
    instance: dg.DagsterInstance,
    *,
    alive: Callable[[RunProcess], bool] = process_alive,
    now: float | None = None,
) -> Recovery:
    """Mark every dead run failed, then free the pool slots of every finished run.

    `alive` and `now` exist for tests. Safe to call at any time and from several
    processes: a live run is left alone, and failing or freeing twice changes nothing.
    """
    now = time.time() if now is None else now
    in_progress = instance.get_run_records(
        filters=dg.RunsFilter(statuses=[dg.DagsterRunStatus.STARTED, *_STARTING])
    )
    failed = []
    for record in in_progress:
        reason = _dead_reason(instance, record, now, alive)
        if reason is None:
            continue
        message = (
            f"Marked failed by orchestration.recovery: {reason}. Its pool slots are freed so "
            "later runs can start; raw and the marts keep the last committed state."
        )
        instance.report_run_failed(record.dagster_run, message)
        logger.warning(f"run {record.dagster_run.run_id}: {message}")
        failed.append(record.dagster_run.run_id)

    storage = instance.event_log_storage
    freed: list[str] = []
    if storage.supports_global_concurrency_limits:
        holders = set(storage.get_concurrency_run_ids())
        if holders:
            live = {
                record.dagster_run.run_id
                for record in instance.get_run_records(
                    filters=dg.RunsFilter(run_ids=sorted(holders))
                )
                if not record.dagster_run.is_finished
            }
            for run_id in sorted(holders - live):  # finished, or deleted from run storage
                storage.free_concurrency_slots_for_run(run_id)
                freed.append(run_id)
    return Recovery(tuple(failed), tuple(freed))


def main() -> None:
    """`python -m orchestration.recovery`: one pass on the instance of DAGSTER_HOME."""
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    with dg.DagsterInstance.get() as instance:
        result = recover(instance)
    print(f"run recovery: {result.summary()}")


if __name__ == "__main__":
    main()
