"""The Dagster code location: assembles each concern's definitions and applies
project-wide policy (freshness expectations of the marts), nothing else."""

from __future__ import annotations

from datetime import timedelta

import dagster as dg

from orchestration.defs import dbt, exports, extract, schedules, sensors
from orchestration.defs.resources import run_settings_resource

DAILY_FRESHNESS = dg.FreshnessPolicy.time_window(
    fail_window=timedelta(days=1), warn_window=timedelta(hours=20)
)
WEEKLY_FRESHNESS = dg.FreshnessPolicy.time_window(
    fail_window=timedelta(days=7), warn_window=timedelta(days=6)
)

assembled = dg.Definitions.merge(
    extract.defs,
    dbt.defs,
    exports.defs,
    schedules.defs,
    sensors.defs,
    dg.Definitions(resources={"run_settings": run_settings_resource}),
)

daily_marts = dg.AssetSelection.groups("marts") - dg.AssetSelection.assets(dbt.weekly_dbt_models)

defs = assembled.map_resolved_asset_specs(
    func=lambda spec: spec.replace_attributes(freshness_policy=DAILY_FRESHNESS),
    selection=daily_marts,
).map_resolved_asset_specs(
    func=lambda spec: spec.replace_attributes(freshness_policy=WEEKLY_FRESHNESS),
    selection=dg.AssetSelection.assets(dbt.weekly_dbt_models),
)
