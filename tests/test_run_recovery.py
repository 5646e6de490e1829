"""Run recovery: a run whose process is gone is failed and its pool slot freed; live runs
are left alone. These tests build the instance state by hand (no process is killed); the
kill -9 of a real `dagster asset materialize` is in tests/test_killed_runs.py.
"""

from __future__ import annotations

import os
import subprocess
import time
from pathlib import Path

import dagster as dg
import psutil
import pytest
from dagster._core.events import DagsterEvent, DagsterEventType
from dagster._core.utils import make_new_run_id

from orchestration.defs.recovery import dead_run_recovery_sensor
from orchestration.recovery import RunProcess, is_dead, process_alive, recover, run_processes

POOL = "duckdb"


@pytest.fixture
def instance(tmp_path: Path):
    with dg.DagsterInstance.local_temp(str(tmp_path)) as instance:
        instance.event_log_storage.set_concurrency_slots(POOL, 1)
        yield instance


def started_run(instance: dg.DagsterInstance, pids: list[int], claim: bool = True) -> str:
    """A STARTED run whose processes logged RUN_START / STEP_START with `pids`."""
    run = instance.add_run(dg.DagsterRun(job_name="__ASSET_JOB", run_id=make_new_run_id()))
    for index, pid in enumerate(pids):
        event_type = DagsterEventType.RUN_START if index == 0 else DagsterEventType.STEP_START
        instance.report_dagster_event(
            DagsterEvent(
                event_type_value=event_type.value,
                job_name=run.job_name,
                step_key=None if index == 0 else "extract_raw",
                pid=pid,
            ),
            run_id=run.run_id,
        )
    if claim:
        claim = instance.event_log_storage.claim_concurrency_slot(POOL, run.run_id, "extract_raw")
        assert claim.is_claimed
    return run.run_id


def status(instance: dg.DagsterInstance, run_id: str) -> dg.DagsterRunStatus:
    return instance.get_run_by_id(run_id).status


def claimed_slots(instance: dg.DagsterInstance) -> int:
    return instance.event_log_storage.get_concurrency_info(POOL).active_slot_count


def gone_pid() -> int:
    """The pid of a process that has exited (and been reaped)."""
    process = subprocess.Popen(["true"])
    process.wait()
    return process.pid


# --- is the process gone? -----------------------------------------------------------------


def test_this_process_is_alive_when_seen_after_it_started() -> None:
    assert process_alive(RunProcess(os.getpid(), time.time()))


def test_a_pid_reused_by_a_newer_process_is_not_the_run() -> None:
    started = psutil.Process(os.getpid()).create_time()
    # The run's event was logged an hour before this process started: the pid was reused.
    assert not process_alive(RunProcess(os.getpid(), started - 3600))


def test_an_exited_process_is_gone() -> None:
    assert not process_alive(RunProcess(gone_pid(), time.time()))


def test_a_run_is_dead_only_when_every_known_process_is_gone() -> None:
    alive = {1: False, 2: True}.__getitem__
    assert is_dead([RunProcess(1, 0.0)], lambda p: alive(p.pid))
    assert not is_dead([RunProcess(1, 0.0), RunProcess(2, 0.0)], lambda p: alive(p.pid))
    assert not is_dead([], lambda p: False)  # nothing known: not called dead on this test


# --- recovery on an instance -------------------------------------------------------------


def test_run_processes_come_from_the_run_s_own_events(instance: dg.DagsterInstance) -> None:
    run_id = started_run(instance, [111, 222], claim=False)
    assert [process.pid for process in run_processes(instance, run_id)] == [111, 222]


def test_a_dead_run_is_failed_and_its_slot_freed(instance: dg.DagsterInstance) -> None:
    dead = started_run(instance, [gone_pid()])
    assert claimed_slots(instance) == 1

    result = recover(instance)

    assert result.failed_runs == (dead,)
    assert result.freed_runs == (dead,)
    assert status(instance, dead) == dg.DagsterRunStatus.FAILURE
    assert claimed_slots(instance) == 0
    (failure,) = instance.get_records_for_run(dead, of_type=DagsterEventType.RUN_FAILURE).records
    assert "process(es)" in failure.event_log_entry.dagster_event.message
    # A second pass finds nothing to do.
    assert recover(instance).summary() == "no dead run and no slot held by a finished run"


def test_a_live_run_keeps_running_and_keeps_its_slot(instance: dg.DagsterInstance) -> None:
    live = started_run(instance, [os.getpid()])

    result = recover(instance)

    assert result.failed_runs == () and result.freed_runs == ()
    assert status(instance, live) == dg.DagsterRunStatus.STARTED
    assert claimed_slots(instance) == 1


def test_a_run_with_one_live_step_process_is_alive(instance: dg.DagsterInstance) -> None:
    # The orchestrating process is gone but a step worker still runs: leave it alone.
    run_id = started_run(instance, [gone_pid(), os.getpid()])
    assert recover(instance).failed_runs == ()
    assert status(instance, run_id) == dg.DagsterRunStatus.STARTED


def test_slots_of_a_finished_run_are_freed(instance: dg.DagsterInstance) -> None:
    run_id = started_run(instance, [os.getpid()])
    # Marked failed by hand (the UI's "terminate" of a dead run): its slot stays claimed.
    instance.report_run_failed(instance.get_run_by_id(run_id))
    assert claimed_slots(instance) == 1

    assert recover(instance).freed_runs == (run_id,)
    assert claimed_slots(instance) == 0


def test_a_run_stuck_starting_without_a_process_fails_after_the_timeout(
    instance: dg.DagsterInstance,
) -> None:
    run = instance.add_run(
        dg.DagsterRun(
            job_name="__ASSET_JOB",
            run_id=make_new_run_id(),
            status=dg.DagsterRunStatus.STARTING,
        )
    )
    assert recover(instance).failed_runs == ()  # just created: give it time
    later = time.time() + 181
    assert recover(instance, now=later).failed_runs == (run.run_id,)


def test_the_daemon_s_sensor_recovers_a_dead_run(instance: dg.DagsterInstance) -> None:
    dead = started_run(instance, [gone_pid()])
    live = started_run(instance, [os.getpid()], claim=False)

    result = dead_run_recovery_sensor(dg.build_sensor_context(instance=instance))

    assert isinstance(result, dg.SkipReason)  # it never requests a run
    assert result.skip_message == (
        f"marked failed (process gone): {dead}; pool slots freed of: {dead}"
    )
    assert status(instance, dead) == dg.DagsterRunStatus.FAILURE
    assert status(instance, live) == dg.DagsterRunStatus.STARTED
    assert claimed_slots(instance) == 0
