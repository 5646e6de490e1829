"""`make bench` (`python -m bench`): full refresh and incremental run at 1M and 10M activities.

Outside the Dagster code location on purpose: it drives the code location's jobs as
Dagster runs them (in-process executor, the same assets, resources and dbt invocations)
and is never loaded by `dagster dev`. Generated Parquet landing data and the run
warehouses are kept in bench/work/ (git-ignored) between runs.

- `bench.runs`: generating landing data, running the jobs, measuring wall time per stage,
  dbt model timings, peak memory of the process tree and rows per mart.
- `bench.report`: docs/benchmarks.md from the measurements, targets judged, hand-written
  notes kept.
- `bench.__main__`: the command line.
"""
