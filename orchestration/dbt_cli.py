"""dagster-dbt's CLI resource without two probes every step paid and nothing here uses, and
with variables for the dbt subprocess alone.

Measured at 1M (docs/benchmarks.md, "Notes": the fixed cost of a dbt step): before dbt
starts, dagster-dbt 0.29 runs `dbt --version` in a subprocess to learn which engine it
drives (dbt's imports: about 2 s of CPU) and builds a dbt adapter inside the Dagster
process (profile, project and macros: 0.7 s, about 3 s the first time in a process). The
adapter serves only `.fetch_row_counts()` and `.fetch_column_metadata()`, which this
project does not call (and cannot with DuckDB in process: STACK_NOTES.md).
"""

from __future__ import annotations

import importlib.metadata
import os
import sys
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from functools import cached_property
from pathlib import Path
from typing import Any

from dagster_dbt import DbtCliInvocation, DbtCliResource
from packaging import version


class ProjectDbtCliResource(DbtCliResource):
    """DbtCliResource that knows its dbt instead of asking, builds no in-process adapter and
    gives each dbt subprocess its own variables (`cli(..., env=...)`).

    The version: when `dbt_executable` is the dbt installed beside this Python, it is the
    installed dbt-core package's; any other executable is still asked (`dbt --version`).
    Overrides dagster-dbt private members (`_cli_version`, `_initialize_dbt_core_adapter`):
    tests/test_dbt_cli.py fails if an upgrade renames them.
    """

    @cached_property
    def _cli_version(self) -> version.Version:
        if Path(self.dbt_executable) == Path(sys.executable).parent / "dbt":
            return version.parse(importlib.metadata.version("dbt-core"))
        return super()._cli_version

    def _initialize_dbt_core_adapter(self, args: Sequence[str]) -> Any:
        """No adapter: without one dagster-dbt skips only row counts and column metadata."""
        return None

    def cli(
        self, args: Sequence[str], *, env: Mapping[str, str] | None = None, **kwargs: Any
    ) -> DbtCliInvocation:
        """`DbtCliResource.cli`, plus `env`: variables the dbt subprocess gets on top of this
        process's environment (dagster-dbt copies os.environ when it starts dbt)."""
        with environment_for_call(env or {}):
            return super().cli(args, **kwargs)


@contextmanager
def environment_for_call(variables: Mapping[str, str]) -> Iterator[None]:
    """Set `variables` in os.environ for the block, then restore each to its value before
    (or unset it). dagster-dbt has no parameter for the subprocess's environment; its
    `cli()` copies os.environ when it starts dbt and returns, so the change lasts only that
    call. Dagster runs a job's steps one at a time in its in-process executor and in a
    process each otherwise, so no other step reads the variables meanwhile."""
    saved = {name: os.environ.get(name) for name in variables}
    os.environ.update(variables)
    try:
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
