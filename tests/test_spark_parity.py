"""The same dbt project on Apache Spark: every mart equals the DuckDB build, row for row.

A small generated sample goes through the Dagster extract assets (`raw/*`) and the email
sentiment step (`raw/email_sentiment`) with RA_RAW_PARQUET_DIR set, so each lands in
DuckDB's raw.<table> and as the Parquet mirror the Spark target reads, by the path a real
run takes. `dbt build` then runs twice with the
same vars: `--target duckdb` on the warehouse file, `--target spark` on a local pyspark
session whose sources are that Parquet (registered by the on-run-start hook).
Both builds run every model, data test and unit test; any failure fails here.

Marts are compared by name: same columns with the same types, same number of rows, and the
same rows once both sides are sorted by every column. Doubles may differ by 1e-9 relative
(the engines add floats in different orders); everything else, timestamps included, must
be equal, and null equals only null.

Needs the `spark` extra and Java 17, and takes minutes: `make test-spark` runs it.
"""

from __future__ import annotations

import json
import math
import os
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import dagster as dg
import duckdb
import pytest

from orchestration.contract import TABLES

# The extract module alone: the full code location would also need the dbt manifest.
from orchestration.defs.extract import extract_assets
from orchestration.defs.resources import run_settings_resource
from orchestration.defs.sentiment import email_sentiment_asset
from orchestration.generator import generate
from tests.conftest import iter_marts

pytestmark = [
    pytest.mark.spark,
    # Marts are read through Arrow, not pandas, so pyspark's pandas 3 caveat does not apply.
    pytest.mark.filterwarnings("ignore:PySpark does not yet fully support pandas:FutureWarning"),
]

REPO_ROOT = Path(__file__).resolve().parent.parent
DBT_PROJECT_DIR = REPO_ROOT / "dbt_project"
# 10,000 activities: 41 won and 40 lost deals, so the weekly similar won mart fills with
# the default vars (30 each) and its scoring is compared too. Other vars stay at their
# defaults, which the dbt unit tests expect.
SAMPLE_ACTIVITIES = 10_000
SAMPLE_SEED = 7
SAMPLE_END_DATE = "2026-06-30"
DBT_VARS = {"as_of": "2026-06-30 00:00:00"}
FLOAT_RELATIVE_TOLERANCE = 1e-9
FLOAT_ABSOLUTE_TOLERANCE = 1e-12
MARTS = sorted(path.stem for path in (DBT_PROJECT_DIR / "models" / "marts").rglob("mart_*.sql"))

# Spark's simple type names and DuckDB's for the types the mart contracts use.
SPARK_TO_DUCKDB_TYPES = {
    "string": "VARCHAR",
    "int": "INTEGER",
    "bigint": "BIGINT",
    "double": "DOUBLE",
    "boolean": "BOOLEAN",
    "date": "DATE",
    "timestamp": "TIMESTAMP",
}


@dataclass(frozen=True)
class Table:
    """One mart as read from one engine: (name, DuckDB type name) per column, and rows."""

    columns: tuple[tuple[str, str], ...]
    rows: list[tuple[Any, ...]]


@dataclass(frozen=True)
class Builds:
    duckdb_marts: dict[str, Table]
    spark_marts: dict[str, Table]


def _sort_key(row: tuple[Any, ...], float_positions: list[int]) -> tuple:
    # Exact columns first, then doubles rounded: two engines' doubles that differ in the
    # last bits still sort the same unless the exact columns tie, and marts have keys.
    def part(value: Any, rounded: bool) -> tuple:
        if value is None:
            return (0, 0)
        return (1, float(f"{value:.9g}") if rounded else value)

    exact = [part(value, False) for i, value in enumerate(row) if i not in float_positions]
    floats = [part(row[i], True) for i in float_positions]
    return (*exact, *floats)


def _values_equal(left: Any, right: Any) -> bool:
    if left is None or right is None:
        return left is None and right is None
    if isinstance(left, float) or isinstance(right, float):
        return math.isclose(
            left, right, rel_tol=FLOAT_RELATIVE_TOLERANCE, abs_tol=FLOAT_ABSOLUTE_TOLERANCE
        )
    return type(left) is type(right) and left == right


def table_differences(left: Table, right: Table, limit: int = 5) -> list[str]:
    """What differs between two reads of one mart (empty when they are equal)."""
    if left.columns != right.columns:
        return [f"columns differ: {left.columns} != {right.columns}"]
    if len(left.rows) != len(right.rows):
        return [f"row counts differ: {len(left.rows)} != {len(right.rows)}"]
    names = [name for name, _ in left.columns]
    float_positions = [i for i, (_, kind) in enumerate(left.columns) if kind == "DOUBLE"]
    left_rows = sorted(left.rows, key=lambda row: _sort_key(row, float_positions))
    right_rows = sorted(right.rows, key=lambda row: _sort_key(row, float_positions))
    found = []
    for number, (left_row, right_row) in enumerate(zip(left_rows, right_rows, strict=True)):
        for name, left_value, right_value in zip(names, left_row, right_row, strict=True):
            if not _values_equal(left_value, right_value):
                found.append(f"sorted row {number}, {name}: {left_value!r} != {right_value!r}")
                if len(found) >= limit:
                    return found
    return found


def _run_dbt(target: str, environment: dict[str, str], work_dir: Path) -> None:
    dbt = Path(sys.executable).with_name("dbt")
    command = [
        str(dbt), "build", "--target", target,
        "--project-dir", str(DBT_PROJECT_DIR), "--profiles-dir", str(DBT_PROJECT_DIR),
        "--vars", json.dumps(DBT_VARS),
        "--target-path", str(work_dir / f"dbt_target_{target}"),
        "--log-path", str(work_dir / f"dbt_logs_{target}"),
    ]  # fmt: skip
    completed = subprocess.run(
        command,
        cwd=DBT_PROJECT_DIR,
        env={**os.environ, **environment},
        capture_output=True,
        text=True,
        check=False,
    )
    assert completed.returncode == 0, (
        f"dbt build --target {target} failed:\n{completed.stdout[-8000:]}\n"
        f"{completed.stderr[-4000:]}"
    )


def _read_duckdb_marts(path: Path) -> dict[str, Table]:
    connection = duckdb.connect(str(path), read_only=True)
    try:
        names = list(iter_marts(connection))
        marts = {}
        for name in names:
            result = connection.execute(f"select * from marts.{name}")
            columns = tuple((column[0], str(column[1])) for column in result.description)
            marts[name] = Table(columns, result.fetchall())
        return marts
    finally:
        connection.close()


def spark_session_parameters(environment: dict[str, str]) -> dict[str, str]:
    """The `spark` target's session settings, rendered from profiles.yml as dbt does."""
    import jinja2
    import yaml

    text = (DBT_PROJECT_DIR / "profiles.yml").read_text()
    rendered = jinja2.Template(text).render(
        env_var=lambda name, default=None: environment.get(name, default),
        # No --vars here: dbt's `var` falls back to its default, as in a hand-run dbt.
        var=lambda name, default=None: default,
    )
    output = yaml.safe_load(rendered)["relationship_analytics"]["outputs"]["spark"]
    return {str(key): str(value) for key, value in output["server_side_parameters"].items()}


def _spark_value(value: Any) -> Any:
    # Arrow gives Spark timestamps in the session time zone (UTC); DuckDB's are naive UTC.
    if isinstance(value, datetime) and value.tzinfo is not None:
        return value.astimezone(UTC).replace(tzinfo=None)
    return value


def _read_spark_marts(parameters: dict[str, str]) -> dict[str, Table]:
    from pyspark.sql import SparkSession

    builder = SparkSession.builder.enableHiveSupport()
    for key, value in {**parameters, "spark.sql.ansi.enabled": "false"}.items():
        builder = builder.config(key, value)
    spark = builder.getOrCreate()
    try:
        names = sorted(row.tableName for row in spark.sql("show tables in marts").collect())
        marts = {}
        for name in names:
            frame = spark.table(f"marts.{name}")
            columns = tuple(
                (field.name, SPARK_TO_DUCKDB_TYPES.get(field.dataType.simpleString(), "?"))
                for field in frame.schema.fields
            )
            arrow = frame.toArrow()
            rows = [
                tuple(_spark_value(value) for value in row.values()) for row in arrow.to_pylist()
            ]
            marts[name] = Table(columns, rows)
        return marts
    finally:
        spark.stop()


def _extract(landing: Path, environment: dict[str, str]) -> None:
    """Materialize every extract asset and the sentiment step, as `make run` does first;
    each mirror must be whole."""
    with pytest.MonkeyPatch.context() as patch:
        for name, value in {**environment, "RA_LANDING_DIR": str(landing)}.items():
            patch.setenv(name, value)
        patch.setenv("RA_SOURCE", "files")
        result = dg.materialize(
            [*extract_assets, email_sentiment_asset],
            resources={"run_settings": run_settings_resource},
        )
    assert result.success
    materializations = {
        event.asset_key.path[-1]: event
        for node in ("extract_raw", "raw__email_sentiment")
        for event in result.asset_materializations_for_node(node)
    }
    for table in [*TABLES, "email_sentiment"]:
        metadata = materializations[table].metadata
        assert metadata["raw_parquet_rows"].value == metadata["dagster/row_count"].value
        assert Path(metadata["raw_parquet_path"].value).is_file()


@pytest.fixture(scope="module")
def builds(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Builds]:
    root = tmp_path_factory.mktemp("spark_parity")
    landing = root / "landing"
    generate(landing, activities=SAMPLE_ACTIVITIES, seed=SAMPLE_SEED, end_date=SAMPLE_END_DATE)

    warehouse_dir = root / "warehouse"
    warehouse_dir.mkdir()
    warehouse = warehouse_dir / "relationship_analytics.duckdb"
    environment = {
        "RA_WAREHOUSE": str(warehouse),
        "RA_RAW_PARQUET_DIR": str(warehouse_dir / "raw_parquet"),
        "RA_SPARK_WAREHOUSE_DIR": str(warehouse_dir / "spark"),
    }
    _extract(landing, environment)

    _run_dbt("duckdb", environment, root)
    _run_dbt("spark", environment, root)
    yield Builds(
        duckdb_marts=_read_duckdb_marts(warehouse),
        spark_marts=_read_spark_marts(spark_session_parameters({**os.environ, **environment})),
    )


def test_both_engines_build_the_same_marts(builds: Builds):
    assert sorted(builds.duckdb_marts) == MARTS
    assert sorted(builds.spark_marts) == MARTS


@pytest.mark.parametrize("mart", MARTS)
def test_mart_is_equal_on_spark_and_duckdb(builds: Builds, mart: str):
    duckdb_mart = builds.duckdb_marts[mart]
    # An empty mart would make the comparison vacuous: the sample fills every one.
    assert duckdb_mart.rows, f"{mart} is empty on DuckDB"
    assert table_differences(duckdb_mart, builds.spark_marts[mart]) == []


def test_the_sentiment_component_is_compared_present_not_absent(builds: Builds):
    # Both engines read the same raw.email_sentiment: the comparison covers real scores.
    mart = builds.duckdb_marts["mart_relationship_health_daily"]
    position = [name for name, _ in mart.columns].index("sentiment_score")
    assert any(row[position] is not None for row in mart.rows)


def test_table_differences_tolerates_float_noise_only():
    columns = (("record_id", "VARCHAR"), ("score", "DOUBLE"), ("n", "BIGINT"))
    left = Table(columns, [("b", 0.1 + 0.2, 2), ("a", None, 1)])
    assert table_differences(left, Table(columns, [("a", None, 1), ("b", 0.3, 2)])) == []
    assert table_differences(left, Table(columns, [("a", 0.0, 1), ("b", 0.3, 2)])) == [
        "sorted row 0, score: None != 0.0"
    ]
    assert table_differences(left, Table(columns, [("a", None, 1), ("b", 0.3001, 2)])) == [
        "sorted row 1, score: 0.30000000000000004 != 0.3001"
    ]
