"""The code location tried as a data engineer tries it: a real Dagster instance.

`dagster-webserver` and `dagster-daemon` run as subprocesses on a free localhost port, with
a temporary DAGSTER_HOME holding a copy of .dagster/dagster.yaml (run queue of one, pool
limit one) and RA_* pointing at a small generated sample. Everything goes through the
webserver's GraphQL API, as the UI does: the asset graph, switching the schedules and the
sensor off, launching the daily job twice at once. Both runs must succeed one after the
other (queued, never fighting over DuckDB's file lock), and the second, with the same
RA_AS_OF, must leave every mart exactly as the first left it.

The webserver starts first and the daemon only after the sensor and schedules are off:
the landing sensor would otherwise start a third run on its first tick.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from threading import Barrier

import duckdb
import pytest
import requests

from orchestration.generator import generate
from orchestration.settings import REPO_ROOT
from tests.conftest import dagster_home_environment, iter_marts

AS_OF = "2026-06-30T00:00:00Z"
BIN = Path(sys.executable).parent
# What `make dev` loads (Makefile, target dev).
CODE_LOCATION_ARGS = ["-m", "orchestration.definitions"]
START_TIMEOUT_SECONDS = 600
RUNS_TIMEOUT_SECONDS = 3600
TERMINAL = {"SUCCESS", "FAILURE", "CANCELED"}


@dataclass
class Instance:
    url: str
    root: Path
    environment: dict[str, str]
    warehouse: Path
    export_dir: Path
    processes: dict[str, subprocess.Popen]

    def graphql(self, query: str, **variables) -> dict:
        response = requests.post(
            f"{self.url}/graphql", json={"query": query, "variables": variables}, timeout=120
        )
        response.raise_for_status()
        body = response.json()
        assert "errors" not in body, body["errors"]
        return body["data"]

    def start(self, name: str, command: list[str]) -> None:
        log = (self.root / f"{name}.log").open("w")
        self.processes[name] = subprocess.Popen(
            command,
            cwd=REPO_ROOT,
            env=self.environment,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group: code servers and run workers
        )

    def logs(self) -> str:
        return "\n".join(
            f"--- {path.name} (tail)\n{path.read_text(errors='replace')[-4000:]}"
            for path in sorted(self.root.glob("*.log"))
        )


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def stop(process: subprocess.Popen) -> None:
    """SIGTERM the process group, then SIGKILL whatever is left of it."""
    for sig, grace in ((signal.SIGTERM, 30), (signal.SIGKILL, 30)):
        try:
            os.killpg(process.pid, sig)
        except ProcessLookupError:
            return
        try:
            process.wait(timeout=grace)
        except subprocess.TimeoutExpired:
            continue
    # The leader may be gone while children of its group linger.
    try:
        os.killpg(process.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass


REPOSITORIES = """
{ repositoriesOrError { __typename
    ... on RepositoryConnection { nodes { name location { name } jobs { name }
        sensors { id name sensorState { status } }
        schedules { id name cronSchedule scheduleState { status } } } }
    ... on PythonError { message } } }
"""


def wait_for_code_location(instance: Instance) -> dict:
    deadline = time.monotonic() + START_TIMEOUT_SECONDS
    while time.monotonic() < deadline:
        for name, process in instance.processes.items():
            assert process.poll() is None, f"{name} exited\n{instance.logs()}"
        try:
            data = instance.graphql(REPOSITORIES)["repositoriesOrError"]
            if data["__typename"] == "RepositoryConnection" and data["nodes"]:
                return data["nodes"][0]
        except requests.RequestException:
            pass
        time.sleep(2)
    pytest.fail(f"the webserver did not serve the code location\n{instance.logs()}")


@pytest.fixture(scope="module")
def instance(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Instance]:
    root = tmp_path_factory.mktemp("dagster_instance")
    landing = root / "landing"
    generate(landing, activities=3000, seed=5, end_date="2026-06-30")
    home, warehouse, export_dir, environment = dagster_home_environment(root, landing, AS_OF)
    port = free_port()
    server = Instance(f"http://127.0.0.1:{port}", root, environment, warehouse, export_dir, {})
    try:
        server.start(
            "webserver",
            [
                str(BIN / "dagster-webserver"),
                *CODE_LOCATION_ARGS,
                "-h",
                "127.0.0.1",
                "-p",
                str(port),
            ],
        )
        wait_for_code_location(server)
        yield server
    finally:
        for process in server.processes.values():
            stop(process)


@pytest.fixture(scope="module")
def repository(instance: Instance) -> dict:
    return wait_for_code_location(instance)


@pytest.fixture(scope="module")
def instigators_stopped(instance: Instance, repository: dict) -> dict[str, str]:
    """Switch the sensor and the schedules off (as in the UI's toggles); their statuses."""
    for sensor in repository["sensors"]:
        result = instance.graphql(
            "mutation($id: String!) { stopSensor(id: $id) { __typename "
            "... on StopSensorMutationResult { instigationState { status } } "
            "... on PythonError { message } } }",
            id=sensor["id"],
        )["stopSensor"]
        assert result["__typename"] == "StopSensorMutationResult", result
    for schedule in repository["schedules"]:
        result = instance.graphql(
            "mutation($id: String!) { stopRunningSchedule(id: $id) { __typename "
            "... on ScheduleStateResult { scheduleState { status } } "
            "... on PythonError { message } } }",
            id=schedule["id"],
        )["stopRunningSchedule"]
        assert result["__typename"] == "ScheduleStateResult", result
    after = instance.graphql(REPOSITORIES)["repositoriesOrError"]["nodes"][0]
    return {
        **{sensor["name"]: sensor["sensorState"]["status"] for sensor in after["sensors"]},
        **{s["name"]: s["scheduleState"]["status"] for s in after["schedules"]},
    }


@pytest.fixture(scope="module")
def daemon(instance: Instance, instigators_stopped: dict[str, str]) -> Instance:
    instance.start("daemon", [str(BIN / "dagster-daemon"), "run", *CODE_LOCATION_ARGS])
    return instance


# --- reading the instance --------------------------------------------------------------


def test_asset_graph_shows_lineage_jobs_and_freshness(instance: Instance):
    nodes = instance.graphql(
        "{ assetNodes { assetKey { path } dependencyKeys { path } jobNames "
        "internalFreshnessPolicy { __typename "
        "... on TimeWindowFreshnessPolicy { failWindowSeconds } } } }"
    )["assetNodes"]
    by_key = {"/".join(node["assetKey"]["path"]): node for node in nodes}
    upstream = {
        key: {"/".join(dep["path"]) for dep in node["dependencyKeys"]}
        for key, node in by_key.items()
    }
    # One lineage graph from the landing files to what stakeholders read.
    chain = [
        "raw/email",
        "staging/stg_dataverse__emails",
        "intermediate/int_activities_unioned",
        "intermediate/int_activities_classified",
        "intermediate/int_record_activities_joined",
        "marts/mart_relationship_kpis",
        "exports/dashboards",
    ]
    for source, target in zip(chain, chain[1:], strict=False):
        assert source in upstream[target], f"{source} -> {target} missing"
    # The mart files and BI file come from every mart; the dashboards from the marts they
    # read (the dbt exposures), not from the files.
    assert "marts/mart_relationship_kpis" in upstream["exports/marts"]
    assert "exports/marts" not in upstream["exports/dashboards"]

    daily, weekly = 86_400, 7 * 86_400
    marts = {key: node for key, node in by_key.items() if key.startswith("marts/")}
    for key, node in marts.items():
        policy = node["internalFreshnessPolicy"]
        expected = weekly if "similar_won" in key else daily
        assert policy == {"__typename": "TimeWindowFreshnessPolicy", "failWindowSeconds": expected}
    assert by_key["raw/email"]["internalFreshnessPolicy"] is None

    assert "daily_kpi_refresh" in by_key["marts/mart_relationship_kpis"]["jobNames"]
    similar_won_jobs = by_key["marts/mart_similar_won_opportunities"]["jobNames"]
    assert "weekly_similar_won_refresh" in similar_won_jobs
    assert "daily_kpi_refresh" not in similar_won_jobs


def test_instance_queues_runs_one_at_a_time(instance: Instance):
    config = instance.graphql(
        "{ instance { runQueueConfig { maxConcurrentRuns } poolConfig { defaultPoolLimit } } }"
    )["instance"]
    assert config == {
        "runQueueConfig": {"maxConcurrentRuns": 1},
        "poolConfig": {"defaultPoolLimit": 1},
    }


def test_schedules_and_sensor_are_on_by_default_and_can_be_switched_off(
    repository: dict, instigators_stopped: dict[str, str]
):
    assert {job["name"] for job in repository["jobs"]} >= {
        "daily_kpi_refresh",
        "weekly_similar_won_refresh",
    }
    assert {
        s["name"]: (s["cronSchedule"], s["scheduleState"]["status"])
        for s in repository["schedules"]
    } == {
        "daily_kpi_refresh_schedule": ("0 5 * * *", "RUNNING"),
        "weekly_similar_won_refresh_schedule": ("0 3 * * 1", "RUNNING"),
    }
    assert {s["name"]: s["sensorState"]["status"] for s in repository["sensors"]} == {
        "landing_files_sensor": "RUNNING",
        "dead_run_recovery_sensor": "RUNNING",
    }
    assert set(instigators_stopped.values()) == {"STOPPED"}


# --- running it ------------------------------------------------------------------------

LAUNCH = """
mutation($params: ExecutionParams!) { launchRun(executionParams: $params) { __typename
    ... on LaunchRunSuccess { run { runId status } }
    ... on RunConfigValidationInvalid { errors { message } }
    ... on PythonError { message } } }
"""

RUNS = """
query($ids: [String!]) { runsOrError(filter: {runIds: $ids}) {
    ... on Runs { results { runId status startTime endTime } } } }
"""


def daily_run_config() -> dict:
    """Steps in the run's own process: with the one-writer pool they run one by one
    anyway, and a subprocess per step costs ~10 s of start-up on a busy 2-core machine."""
    from orchestration.definitions import defs

    executor = defs.resolve_job_def("daily_kpi_refresh").executor_def.name
    if executor == "multi_or_in_process_executor":
        return {"execution": {"config": {"in_process": {}}}}
    return {}


def mart_tables(warehouse: Path) -> dict[str, list[tuple]]:
    """Every mart's rows in a fixed order, the column names first."""
    with duckdb.connect(str(warehouse), read_only=True) as connection:
        names = list(iter_marts(connection))
        tables = {}
        for name in names:
            relation = connection.sql(f'select * from marts."{name}" order by all')
            tables[name] = [tuple(relation.columns), *relation.fetchall()]
        return tables


def differences(before: dict[str, list[tuple]], after: dict[str, list[tuple]]) -> list[str]:
    """Which marts and columns changed, and by how much (for the failure message)."""
    found = []
    for mart in sorted(set(before) | set(after)):
        old, new = before.get(mart), after.get(mart)
        if old == new:
            continue
        if old is None or new is None or len(old) != len(new) or old[0] != new[0]:
            found.append(f"{mart}: shape or columns differ")
            continue
        for index, column in enumerate(old[0]):
            pairs = [(a[index], b[index]) for a, b in zip(old[1:], new[1:], strict=True)]
            changed = [(a, b) for a, b in pairs if a != b]
            if changed:
                found.append(f"{mart}.{column}: {len(changed)} rows, e.g. {changed[0]}")
    return found


@dataclass
class TwoRuns:
    runs: list[dict]
    first_bi_copy: Path
    first_copied_mtime: float
    bi_file: Path


@pytest.fixture(scope="module")
def two_runs(daemon: Instance, repository: dict) -> TwoRuns:
    """Launch the daily job twice at the same instant and wait for both to finish."""
    instance = daemon
    params = {
        "selector": {
            "repositoryLocationName": repository["location"]["name"],
            "repositoryName": repository["name"],
            "jobName": "daily_kpi_refresh",
        },
        "runConfigData": daily_run_config(),
    }
    barrier = Barrier(2)

    def launch(_: int) -> str:
        barrier.wait()
        result = instance.graphql(LAUNCH, params=params)["launchRun"]
        assert result["__typename"] == "LaunchRunSuccess", result
        return result["run"]["runId"]

    with ThreadPoolExecutor(max_workers=2) as pool:
        run_ids = list(pool.map(launch, range(2)))

    # Poll until both are done; when the first succeeds, keep the BI file it exported.
    bi_file = instance.export_dir / "relationship_marts.duckdb"
    first_bi_copy = instance.root / "first_run_relationship_marts.duckdb"
    first_copied_mtime = 0.0
    deadline = time.monotonic() + RUNS_TIMEOUT_SECONDS
    while True:
        runs = instance.graphql(RUNS, ids=run_ids)["runsOrError"]["results"]
        statuses = [run["status"] for run in runs]
        if statuses.count("SUCCESS") == 1 and not first_bi_copy.exists():
            first_copied_mtime = bi_file.stat().st_mtime
            shutil.copy(bi_file, first_bi_copy)
        if all(status in TERMINAL for status in statuses):
            break
        assert time.monotonic() < deadline, f"runs not done: {runs}\n{instance.logs()}"
        assert instance.processes["daemon"].poll() is None, instance.logs()
        time.sleep(2)
    assert statuses == ["SUCCESS", "SUCCESS"], f"{runs}\n{instance.logs()}"
    return TwoRuns(runs, first_bi_copy, first_copied_mtime, bi_file)


def test_two_daily_runs_launched_together_queue_and_both_succeed(two_runs: TwoRuns):
    assert [run["status"] for run in two_runs.runs] == ["SUCCESS", "SUCCESS"]
    first, second = sorted(two_runs.runs, key=lambda run: run["startTime"])
    assert second["startTime"] >= first["endTime"], f"the runs overlapped: {two_runs.runs}"


def test_the_second_identical_run_changes_no_mart(daemon: Instance, two_runs: TwoRuns):
    """Same landing files, same RA_AS_OF: every mart holds exactly the same rows."""
    first = min(two_runs.runs, key=lambda run: run["startTime"])
    assert two_runs.first_bi_copy.exists(), "the first run's export was not captured"
    # The copy is the first run's export: taken after it, replaced by the second run.
    assert two_runs.first_copied_mtime <= first["endTime"] < two_runs.bi_file.stat().st_mtime
    after_first = mart_tables(two_runs.first_bi_copy)
    assert "mart_relationship_kpis" in after_first and len(after_first) >= 9
    after_second = mart_tables(daemon.warehouse)
    assert not differences(after_first, after_second), differences(after_first, after_second)
    assert mart_tables(two_runs.bi_file) == after_second
