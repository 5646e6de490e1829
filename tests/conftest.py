"""Shared fixtures: warehouses built by the real pipeline into temporary folders.

Environment variables are the pipeline's only configuration, so each build sets RA_* for
its duration and restores them after; resources read them when a run starts.
"""

from __future__ import annotations

import os
import shutil
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import dagster as dg
import pytest

from orchestration.dbt_cli import environment_for_call
from orchestration.generator import generate

SAMPLE_AS_OF = "2026-06-30T00:00:00Z"
SAMPLE_END_DATE = "2026-06-30"
SAMPLE_ACTIVITIES = 50_000
HANDMADE_DIR = Path(__file__).parent / "fixtures" / "handmade"


@dataclass(frozen=True)
class BuiltWarehouse:
    landing_dir: Path
    warehouse: Path
    export_dir: Path
    as_of: str
    result: dg.ExecuteInProcessResult


def pipeline_environment(
    landing_dir: Path,
    warehouse: Path,
    export_dir: Path,
    as_of: str,
    extra_env: dict[str, str] | None = None,
):
    """Set RA_* (plus `extra_env`, e.g. RA_SOURCE) for the block; restore them after."""
    return environment_for_call(
        {
            "RA_LANDING_DIR": str(landing_dir),
            "RA_WAREHOUSE": str(warehouse),
            "RA_EXPORT_DIR": str(export_dir),
            "RA_AS_OF": as_of,
            **(extra_env or {}),
        }
    )


def materialize_everything(
    landing_dir: Path,
    root: Path,
    as_of: str,
    raise_on_error: bool = True,
    extra_env: dict[str, str] | None = None,
) -> BuiltWarehouse:
    """Run every asset of the code location in-process, as `make run` does."""
    from orchestration.definitions import defs

    warehouse = root / "warehouse" / "relationship_analytics.duckdb"
    export_dir = root / "exports"
    with pipeline_environment(landing_dir, warehouse, export_dir, as_of, extra_env):
        job = defs.resolve_implicit_global_asset_job_def()
        result = job.execute_in_process(
            instance=dg.DagsterInstance.ephemeral(), raise_on_error=raise_on_error
        )
    return BuiltWarehouse(landing_dir, warehouse, export_dir, as_of, result)


@pytest.fixture(scope="session")
def sample_landing_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    landing = tmp_path_factory.mktemp("landing")
    generate(landing, activities=SAMPLE_ACTIVITIES, seed=42, end_date=SAMPLE_END_DATE)
    return landing


@pytest.fixture(scope="session")
def built_sample(
    sample_landing_dir: Path, tmp_path_factory: pytest.TempPathFactory
) -> BuiltWarehouse:
    """The generated sample, built end to end (extract, dbt build with tests, exports)."""
    return materialize_everything(
        sample_landing_dir, tmp_path_factory.mktemp("sample_build"), SAMPLE_AS_OF
    )


@pytest.fixture(scope="session")
def built_warehouse(built_sample: BuiltWarehouse) -> Path:
    """Path of the fully built sample warehouse (open it read-only)."""
    return built_sample.warehouse


@pytest.fixture(scope="session")
def built_handmade(tmp_path_factory: pytest.TempPathFactory) -> BuiltWarehouse:
    """The hand-written fixture (a few rows per table), built end to end."""
    landing = tmp_path_factory.mktemp("handmade_landing")
    for path in HANDMADE_DIR.glob("*.csv"):
        shutil.copy(path, landing / path.name)
    return materialize_everything(landing, tmp_path_factory.mktemp("handmade_build"), SAMPLE_AS_OF)


@pytest.fixture
def read_only_connection():
    """Open a warehouse read-only and always close it (DuckDB allows one writer)."""
    import duckdb

    opened: list[duckdb.DuckDBPyConnection] = []

    def connect(path: Path) -> duckdb.DuckDBPyConnection:
        connection = duckdb.connect(str(path), read_only=True)
        opened.append(connection)
        return connection

    yield connect
    for connection in opened:
        connection.close()


def iter_marts(connection) -> Iterator[str]:
    for (name,) in connection.execute(
        "select table_name from information_schema.tables where table_schema = 'marts' "
        "order by table_name"
    ).fetchall():
        yield name


def record_links(connection) -> dict[tuple[str, str], set[str]]:
    """{(record_type, record_id): {activity_id, ...}} from int_activities_linked_to_records
    (which keeps the activity's integer key only: the id comes from int_activities_unioned)."""
    links: dict[tuple[str, str], set[str]] = {}
    for record_type, record_id, activity_id in connection.execute(
        "select links.record_type, links.record_id, activities.activity_id "
        "from intermediate.int_activities_linked_to_records as links "
        "inner join intermediate.int_activities_unioned as activities "
        "on links.activity_key = activities.activity_key"
    ).fetchall():
        links.setdefault((record_type, record_id), set()).add(activity_id)
    return links


def dagster_home_environment(
    root: Path, landing: Path, as_of: str
) -> tuple[Path, Path, Path, dict[str, str]]:
    """A DAGSTER_HOME under `root` with the project's dagster.yaml, and the environment a
    `dagster` subprocess runs the pipeline with: (home, warehouse, export_dir, environment)."""
    repo_root = Path(__file__).resolve().parents[1]
    home = root / "dagster_home"
    home.mkdir()
    shutil.copy(repo_root / ".dagster" / "dagster.yaml", home / "dagster.yaml")
    warehouse = root / "warehouse" / "relationship_analytics.duckdb"
    export_dir = root / "exports"
    environment = {
        **os.environ,
        "DAGSTER_HOME": str(home),
        "RA_LANDING_DIR": str(landing),
        "RA_WAREHOUSE": str(warehouse),
        "RA_EXPORT_DIR": str(export_dir),
        "RA_AS_OF": as_of,
        "RA_SOURCE": "files",
        "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}",
        "PYTHONPATH": os.pathsep.join(filter(None, [str(repo_root), os.environ.get("PYTHONPATH")])),
    }
    return home, warehouse, export_dir, environment
