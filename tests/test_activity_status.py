"""activity_status_at() (dbt_project/macros/activity_status.sql): an activity's status at T.

KPI_SPEC section 2 classifies each activity as of T; int_activities_classified keeps two
instants instead (completed_from_at, future_until_at) and every reader classifies with
the macro: completed when completed_from_at <= T, else future when T < future_until_at,
else not counted. Each case below is one branch or boundary, at T = 2026-06-30 00:00:00;
the instants each kind of activity gets are the classification model's unit tests
(_activities__unit_tests.yml, classified_*_instants).
"""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

from orchestration.defs.dbt import DBT_PROJECT_DIR, dbt_executable

AS_OF = "2026-06-30 00:00:00"

# (case, completed_from_at, future_until_at, status at AS_OF)
CASES = [
    ("completed a second before T", "2026-06-29 23:59:59", "2026-06-29 23:59:59", "completed"),
    ("completed exactly at T", "2026-06-30 00:00:00", "2026-06-30 00:00:00", "completed"),
    ("completes a second after T: future", "2026-06-30 00:00:01", "2026-06-30 00:00:01", "future"),
    ("never completes, future a second after T", None, "2026-06-30 00:00:01", "future"),
    ("future ends exactly at T", None, "2026-06-30 00:00:00", "not_counted"),
    ("future ended before T", None, "2026-06-01 09:00:00", "not_counted"),
    ("never completed nor future", None, None, "not_counted"),
    ("always future (completed call without a time)", None, "9999-12-31 23:59:59.999999", "future"),
    (
        "completed wins over a later future_until_at",
        "2026-06-30 00:00:00",
        "2026-07-01 00:00:00",
        "completed",
    ),
    ("completes after T, no future instant", "2026-06-30 00:00:01", None, "not_counted"),
]


def _timestamp(value: str | None) -> str:
    return "cast(null as timestamp)" if value is None else f"cast('{value}' as timestamp)"


def _statuses_from_dbt(tmp_path: Path) -> dict[str, str]:
    """Runs the macro on CASES through `dbt show --inline` (an empty DuckDB file as the target)."""
    rows = ",\n".join(
        f"({index}, {_timestamp(completed)}, {_timestamp(future)})"
        for index, (_, completed, future, _) in enumerate(CASES)
    )
    inline = (
        "select case_index, {{ activity_status_at('completed_from_at', 'future_until_at') }}"
        " as activity_status"
        f" from (values {rows}) as cases(case_index, completed_from_at, future_until_at)"
    )
    completed = subprocess.run(
        [
            dbt_executable(), "show", "--profiles-dir", ".",
            "--target-path", str(tmp_path / "target"), "--inline", inline,
            "--vars", json.dumps({"as_of": AS_OF}),
            "--output", "json", "--limit", "100", "--log-format", "json",
        ],
        cwd=DBT_PROJECT_DIR,
        env={**os.environ, "RA_WAREHOUSE": str(tmp_path / "empty.duckdb")},
        capture_output=True,
        text=True,
    )  # fmt: skip
    assert completed.returncode == 0, completed.stdout[-4000:]
    previews = [
        json.loads(event["data"]["preview"])
        for event in map(json.loads, completed.stdout.splitlines())
        if event["info"]["name"] == "ShowNode"
    ]
    assert len(previews) == 1, completed.stdout[-4000:]
    return {CASES[row["case_index"]][0]: row["activity_status"] for row in previews[0]}


def test_status_at_every_branch_and_boundary(tmp_path: Path):
    statuses = _statuses_from_dbt(tmp_path)
    assert statuses == {case: status for case, _, _, status in CASES}
