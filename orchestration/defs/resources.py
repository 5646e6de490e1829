"""Resources shared by the asset modules: run settings and the DuckDB warehouse.

Settings are read from the environment when a resource is built, so tests and `make run`
can point the same definitions at another landing folder, warehouse or as-of instant.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager

import dagster as dg
import duckdb

from orchestration.settings import Settings, format_as_of

# Every asset that writes the DuckDB file runs in this pool (limit 1, see dagster.yaml).
WAREHOUSE_POOL = "duckdb"


class RunSettingsResource(dg.ConfigurableResource):
    """Where data comes from and goes to, and the as-of instant, from RA_* variables."""

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
