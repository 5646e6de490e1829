"""dbt unit tests (hand-computed expectations next to the models) run in the suite.

They need the models' input relations to exist, so they run against the built sample.
"""

from __future__ import annotations

import os
import subprocess

from orchestration.defs.dbt import DBT_PROJECT_DIR


def test_every_dbt_unit_test_passes(built_sample):
    environment = {**os.environ, "RA_WAREHOUSE": str(built_sample.warehouse)}
    completed = subprocess.run(
        ["dbt", "test", "--profiles-dir", ".", "--select", "test_type:unit"],
        cwd=DBT_PROJECT_DIR,
        env=environment,
        capture_output=True,
        text=True,
    )
    assert completed.returncode == 0, completed.stdout[-4000:]
    assert "ERROR=0" in completed.stdout and "PASS=" in completed.stdout
