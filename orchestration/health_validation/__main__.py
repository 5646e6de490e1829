"""Rebuild the health validation models (with optional overrides) and write the report."""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
from pathlib import Path

from orchestration.defs.dbt import DBT_PROJECT_DIR
from orchestration.health_validation.report import load_rows, render_report
from orchestration.settings import DEFAULT_WAREHOUSE, REPO_ROOT

MODELS = ["int_opportunity_health_at_horizons", "mart_health_validation"]
DEFAULT_REPORT = REPO_ROOT / "docs" / "health_validation.md"


def dbt_executable() -> str:
    """The venv's dbt when this Python runs from one (PATH may not name it), else `dbt`."""
    local_dbt = Path(sys.executable).parent / "dbt"
    return str(local_dbt) if local_dbt.exists() else "dbt"


def dbt_arguments(overrides: str | None) -> list[str]:
    """`dbt build` of the two validation models and their data tests; overrides is a YAML/JSON
    mapping of vars. Unit tests are left out: their hand-computed values hold for the
    defaults, not for the parameters being compared (`make test` runs them)."""
    arguments = [
        dbt_executable(),
        "build",
        "--profiles-dir",
        ".",
        "--exclude-resource-type",
        "unit_test",
        "--select",
        *MODELS,
    ]
    if overrides:
        arguments += ["--vars", overrides]
    return arguments


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m orchestration.health_validation", description=__doc__
    )
    parser.add_argument(
        "--vars",
        default="",
        help="dbt vars to evaluate instead of the defaults, e.g. "
        "'{health_weight_recency: 0.5, health_weight_frequency: 0.2}'",
    )
    parser.add_argument("--out", type=Path, default=DEFAULT_REPORT, help="report path")
    parser.add_argument(
        "--warehouse",
        type=Path,
        default=Path(os.environ.get("RA_WAREHOUSE") or DEFAULT_WAREHOUSE),
        help="the DuckDB warehouse, built by `make run` (default: RA_WAREHOUSE)",
    )
    arguments = parser.parse_args(argv)
    warehouse = arguments.warehouse.resolve()
    if not warehouse.exists():
        print(f"warehouse {warehouse} does not exist: run `make run` first", file=sys.stderr)
        return 2
    overrides = arguments.vars.strip() or None
    completed = subprocess.run(
        dbt_arguments(overrides),
        cwd=DBT_PROJECT_DIR,
        env={**os.environ, "RA_WAREHOUSE": str(warehouse)},
        check=False,
    )
    if completed.returncode != 0:
        print("dbt build of the validation models failed (output above)", file=sys.stderr)
        return completed.returncode
    rows, as_of = load_rows(warehouse)
    arguments.out.write_text(render_report(rows, as_of, overrides))
    print(f"wrote {arguments.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
