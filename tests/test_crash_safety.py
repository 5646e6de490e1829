"""A build killed in the middle leaves every mart whole: the old table or the new one.

dbt-duckdb builds a table as `<name>__dbt_tmp`, renames the old one away and the new one
into place, and commits; only then does it print "OK created". DuckDB keeps uncommitted
work out of the file, so a SIGKILL at any instant must leave, for each mart, exactly the
rows of the previous build or of the interrupted one, and the next build must succeed.

The warehouse is the hand-made fixture's (built once per session by conftest); the
interrupted build recomputes it as of a later instant, so almost every mart changes.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import duckdb
import pytest

from orchestration.defs.dbt import DBT_PROJECT_DIR
from tests.conftest import iter_marts

LATER_AS_OF = "2026-07-15 00:00:00"
DBT = Path(sys.executable).with_name("dbt")
MART_LINE = re.compile(r"\b(START|OK created) sql table model marts\.(\w+)")
BUILD_TIMEOUT_SECONDS = 900


def dbt_build_command(root: Path) -> list[str]:
    """A plain `dbt build` (as the Dagster step runs it) with its own target and logs, so
    it neither reads nor overwrites the manifest the code location was loaded from."""
    return [
        str(DBT),
        "build",
        "--project-dir", str(DBT_PROJECT_DIR),
        "--profiles-dir", str(DBT_PROJECT_DIR),
        "--target-path", str(root / "target"),
        "--log-path", str(root / "logs"),
        "--exclude-resource-type", "unit_test",
        "--vars", json.dumps({"as_of": LATER_AS_OF}),
    ]  # fmt: skip


def dbt_environment(warehouse: Path) -> dict[str, str]:
    return {
        **os.environ,
        "RA_WAREHOUSE": str(warehouse),
        "PATH": f"{DBT.parent}{os.pathsep}{os.environ.get('PATH', '')}",
    }


def prepare(root: Path, source_warehouse: Path) -> Path:
    """A copy of the built warehouse and a target folder primed for partial parsing."""
    (root / "target").mkdir(parents=True)
    partial_parse = DBT_PROJECT_DIR / "target" / "partial_parse.msgpack"
    if partial_parse.exists():
        shutil.copy(partial_parse, root / "target")
    warehouse = root / "relationship_analytics.duckdb"
    shutil.copy(source_warehouse, warehouse)
    return warehouse


def run_dbt_build(root: Path, warehouse: Path) -> None:
    completed = subprocess.run(
        dbt_build_command(root),
        env=dbt_environment(warehouse),
        capture_output=True,
        text=True,
        timeout=BUILD_TIMEOUT_SECONDS,
    )
    assert completed.returncode == 0, completed.stdout[-3000:]


def run_dbt_build_and_kill(root: Path, warehouse: Path) -> tuple[set[str], set[str], str]:
    """Start a build and SIGKILL its process group as soon as a mart starts building after
    another one has finished. Returns (marts finished, marts in flight, output)."""
    process = subprocess.Popen(
        dbt_build_command(root),
        env=dbt_environment(warehouse),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    finished: set[str] = set()
    started: set[str] = set()
    lines: list[str] = []
    deadline = time.monotonic() + BUILD_TIMEOUT_SECONDS
    try:
        assert process.stdout is not None
        for line in process.stdout:
            lines.append(line)
            match = MART_LINE.search(line)
            if match and match.group(1) == "OK created":
                finished.add(match.group(2))
            elif match:
                started.add(match.group(2))
                if finished:
                    os.killpg(process.pid, signal.SIGKILL)
                    break
            if time.monotonic() > deadline:
                break
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=60)
        if process.stdout is not None:
            process.stdout.close()
    output = "".join(lines)
    assert process.returncode == -signal.SIGKILL, f"the build was not killed:\n{output[-3000:]}"
    return finished, started - finished, output


def marts_snapshot(warehouse: Path) -> dict[str, list[tuple]]:
    """Every table in schema marts, all rows in a fixed order (read-only, as BI reads)."""
    with duckdb.connect(str(warehouse), read_only=True) as connection:
        names = list(iter_marts(connection))
        return {
            name: connection.execute(f'select * from marts."{name}" order by all').fetchall()
            for name in names
        }


@pytest.fixture(scope="module")
def old_warehouse(built_handmade) -> Path:
    assert built_handmade.result.success
    return built_handmade.warehouse


def test_killed_dbt_build_leaves_every_mart_old_or_new(old_warehouse: Path, tmp_path: Path):
    old = marts_snapshot(old_warehouse)
    assert "mart_relationship_kpis" in old and len(old) >= 10

    # The complete new state: the same build, uninterrupted, on another copy.
    new_warehouse = prepare(tmp_path / "uninterrupted", old_warehouse)
    run_dbt_build(tmp_path / "uninterrupted", new_warehouse)
    new = marts_snapshot(new_warehouse)
    assert set(new) == set(old)
    changed = {mart for mart in old if old[mart] != new[mart]}
    assert "mart_relationship_kpis" in changed  # kpis_as_of moves with the as-of instant
    assert len(changed) >= len(old) // 2

    crashed_warehouse = prepare(tmp_path / "killed", old_warehouse)
    finished, in_flight, output = run_dbt_build_and_kill(tmp_path / "killed", crashed_warehouse)
    assert finished, output[-3000:]
    crashed = marts_snapshot(crashed_warehouse)

    # Leftovers of an interrupted swap may exist under dbt's temporary names; the marts
    # themselves are all there and each one is whole.
    leftovers = set(crashed) - set(old)
    assert all(name.endswith(("__dbt_tmp", "__dbt_backup")) for name in leftovers), leftovers
    for mart in old:
        assert crashed[mart] in (old[mart], new[mart]), f"{mart} is neither old nor new"
        if mart in finished:
            assert crashed[mart] == new[mart], f"{mart} reported OK but is not new"
        elif mart not in in_flight:
            assert crashed[mart] == old[mart], f"{mart} never started but changed"
    # The kill really came mid-build: some marts were still to be rebuilt.
    assert any(crashed[mart] != new[mart] for mart in changed), "the build had finished"

    # The next build heals: every mart new, no temporary tables left.
    run_dbt_build(tmp_path / "killed", crashed_warehouse)
    assert marts_snapshot(crashed_warehouse) == new
