"""Measure the full refresh and an incremental run; rewrite docs/benchmarks.md."""

from __future__ import annotations

import argparse
import json
import shutil
from dataclasses import asdict
from datetime import datetime

import duckdb

from bench.baseline import run_baseline
from bench.increment import PARTS, SHAPES
from bench.report import REPORT, hand_written_notes, render_report
from bench.runs import AS_OF, BENCH_DIR, RunMeasurement, incremental_landing, landing_for, run_jobs


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1_000_000, 10_000_000])
    parser.add_argument(
        "--daily-changes",
        choices=SHAPES,
        default=PARTS,
        help="how the day's changes land: a change part per changed table, appended by the "
        "extract (parts, the default), or each changed table rewritten whole (snapshot)",
    )
    arguments = parser.parse_args()
    results: dict[int, tuple[RunMeasurement, RunMeasurement]] = {}
    baseline_seconds: dict[int, float] = {}
    notes = hand_written_notes()
    for activities in arguments.sizes:
        landing = landing_for(activities)
        run_dir = BENCH_DIR / f"run_{activities}"
        shutil.rmtree(run_dir, ignore_errors=True)
        warehouse = run_dir / "warehouse.duckdb"
        exports = run_dir / "exports"
        try:
            full = run_jobs("full refresh", landing, warehouse, exports)
            print(f"{activities:,}: full refresh {full.wall_seconds:.1f} s", flush=True)
            baseline_seconds[activities] = time_baseline(landing)
            print(f"{activities:,}: baseline {baseline_seconds[activities]:.1f} s", flush=True)
            changed = incremental_landing(landing, activities, arguments.daily_changes)
            incremental = run_jobs("incremental (+1%)", changed, warehouse, exports)
        except RuntimeError as failure:
            # Keep the sizes measured so far; the log above says which step failed.
            print(f"{activities:,}: {failure}; see the dbt output above", flush=True)
            raise SystemExit(1) from failure
        print(f"{activities:,}: incremental {incremental.wall_seconds:.1f} s", flush=True)
        results[activities] = (full, incremental)
        # The raw figures beside the warehouse, for reading them again without re-running.
        (run_dir / "measurements.json").write_text(
            json.dumps(
                {
                    "baseline_seconds": baseline_seconds[activities],
                    "runs": [asdict(full), asdict(incremental)],
                },
                indent=1,
            )
        )
        REPORT.write_text(render_report(results, baseline_seconds, arguments.daily_changes) + notes)
    print(f"wrote {REPORT}")


def time_baseline(landing) -> float:
    """Seconds bench/baseline.sql takes on the same landing files, in a fresh DuckDB."""
    connection = duckdb.connect()
    try:
        as_of = datetime.fromisoformat(AS_OF.replace("Z", "+00:00"))
        return run_baseline(connection, landing, as_of).seconds
    finally:
        connection.close()


if __name__ == "__main__":
    main()
