"""Resources shared by the asset modules: run settings and the DuckDB warehouse.

Settings are read from the environment when a resource is built, so tests and `make run`
can point the same definitions at another landing folder, warehouse or as-of instant.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any

import dagster as dg
import duckdb

from orchestration.dashboards.options import dashboard_options
from orchestration.settings import Settings, format_as_of

# Every asset that writes the DuckDB file, and the exports that read it, run in this pool
# (limit 1, see dagster.yaml): a reader in another process would meet the writer's lock.
WAREHOUSE_POOL = "duckdb"

# The step that publishes marts and dashboards (defs/exports.py); its run config holds the
# dashboards' options, checked with every other setting when a run starts.
EXPORTS_OP_NAME = "exports"


def exports_run_config(run_config: Mapping[str, Any] | None) -> Mapping[str, Any]:
    """The exports step's config in a run config ({} when the run sets none)."""
    ops = (run_config or {}).get("ops") or {}
    return (ops.get(EXPORTS_OP_NAME) or {}).get("config") or {}


def check_memory_limit(environ: Mapping[str, str] | None = None) -> str:
    """RA_DUCKDB_MEMORY_LIMIT as DuckDB reads it (e.g. '6GB', '512MiB'); ValueError if not."""
    env = os.environ if environ is None else environ
    limit = (env.get(DUCKDB_MEMORY_LIMIT_VARIABLE) or DEFAULT_DUCKDB_MEMORY_LIMIT).strip()
    with duckdb.connect() as probe:
        try:
            probe.execute(f"set memory_limit = '{limit.replace(chr(39), chr(39) * 2)}'")
        except duckdb.Error as error:
            raise ValueError(
                f"{DUCKDB_MEMORY_LIMIT_VARIABLE}={limit!r} is not a memory size DuckDB "
                f"accepts, e.g. 6GB or 512MiB ({error})"
            ) from error
    return limit


def check_run_settings(
    run_config: Mapping[str, Any] | None = None, environ: Mapping[str, str] | None = None
) -> Settings:
    """Every setting of a run, checked before any step writes anything.

    RA_* variables (Settings.from_env, RA_DUCKDB_MEMORY_LIMIT, RA_DASHBOARD_TOP_N,
    RA_DASHBOARD_BUSINESS_UNITS) and the exports step's run config. Raises ValueError naming
    the variable or field and what it accepts. Business-unit names are checked against the
    warehouse by the exports step itself, before it writes a file.
    """
    settings = Settings.from_env(environ)
    check_memory_limit(environ)
    config = exports_run_config(run_config)
    dashboard_options(config.get("top_n"), config.get("business_units"), environ)
    return settings


class RunSettingsResource(dg.ConfigurableResource):
    """Where data comes from and goes to, and the as-of instant, from RA_* variables."""

    def setup_for_execution(self, context: dg.InitResourceContext) -> None:
        # Runs when a run's steps get their resources, before the first step body: a
        # bad setting fails the run while warehouse and exports are untouched.
        run = context.run
        check_run_settings(run.run_config if run is not None else None)

    def settings(self) -> Settings:
        return Settings.from_env()

    def as_of_var(self) -> str:
        return format_as_of(self.settings().as_of)


# One shared instance: Definitions.merge refuses two different objects under one key, so
# every defs module registers this object as "run_settings".
run_settings_resource = RunSettingsResource()

# DuckDB's memory cap for every step, the same env var as dbt's profile reads.
DUCKDB_MEMORY_LIMIT_VARIABLE = "RA_DUCKDB_MEMORY_LIMIT"
DEFAULT_DUCKDB_MEMORY_LIMIT = "6GB"


@contextmanager
def connect_warehouse(path, read_only: bool = False) -> Iterator[duckdb.DuckDBPyConnection]:
    """One connection for one step, always closed: DuckDB allows one writer process."""
    if not read_only:
        path.parent.mkdir(parents=True, exist_ok=True)
    connection = duckdb.connect(str(path), read_only=read_only)
    try:
        connection.execute("set TimeZone = 'UTC'")
        # The same cap as dbt's profile: the whole run stays within a laptop's memory
        # (DuckDB's default is 80% of RAM); bigger work spills to disk instead.
        limit = os.environ.get(DUCKDB_MEMORY_LIMIT_VARIABLE) or DEFAULT_DUCKDB_MEMORY_LIMIT
        connection.execute(f"set memory_limit = '{limit.replace(chr(39), '')}'")
        yield connection
    finally:
        connection.close()
