"""The benchmark's baseline: bench/baseline.sql run by DuckDB straight on the landing files.

Issue 15 asks `make bench` to time, beside the pipeline, one SQL script of our own that
computes the basic KPI columns of `mart_relationship_kpis` and the response metrics from the
landing files; the ratio of the two says what the warehouse's design costs over the plainest
query. Tests compare the script's numbers with the marts (tests/test_bench_baseline.py).
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import duckdb

from orchestration.contract import TABLES

SCRIPT = Path(__file__).with_name("baseline.sql")


@dataclass(frozen=True)
class BaselineRun:
    seconds: float
    records: int


def _reader(landing: Path, table: str) -> str:
    """The DuckDB table function reading `table` from a landing folder (file or folder)."""
    for suffix, function in ((".parquet", "read_parquet"), (".csv", "read_csv")):
        path = landing / f"{table}{suffix}"
        if path.is_file():
            return f"{function}('{path.as_posix()}')"
    folder = landing / table
    for suffix, function in ((".parquet", "read_parquet"), (".csv", "read_csv")):
        if folder.is_dir() and any(folder.rglob(f"*{suffix}")):
            return f"{function}('{folder.as_posix()}/**/*{suffix}')"
    raise FileNotFoundError(f"baseline: no {table}.parquet, {table}.csv or {table}/ in {landing}")


def run_baseline(
    connection: duckdb.DuckDBPyConnection, landing: Path, as_of: datetime
) -> BaselineRun:
    """Run the script on `connection` (left holding temp table `baseline_kpis`) and time it.

    `as_of` is the KPI instant T (naive UTC, or aware). Views over the files are created
    first and not timed: they read nothing until the script runs.
    """
    connection.execute("set TimeZone = 'UTC'")
    connection.execute("set variable as_of = cast(cast(? as timestamptz) as timestamp)", [as_of])
    for table in TABLES:
        reader = _reader(landing, table)
        connection.execute(f"create or replace temp view landing_{table} as select * from {reader}")
    started = time.perf_counter()
    connection.execute(SCRIPT.read_text())
    seconds = time.perf_counter() - started
    records = connection.execute("select count(*) from baseline_kpis").fetchall()[0][0]
    return BaselineRun(seconds=seconds, records=records)
