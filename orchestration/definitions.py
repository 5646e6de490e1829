"""The Dagster code location: assembles each concern's definitions, nothing else."""

from __future__ import annotations

import dagster as dg

from orchestration.defs import dbt, exports, extract, schedules
from orchestration.defs.resources import RunSettingsResource

defs = dg.Definitions.merge(
    extract.defs,
    dbt.defs,
    exports.defs,
    schedules.defs,
    dg.Definitions(resources={"run_settings": RunSettingsResource()}),
)
