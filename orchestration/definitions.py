"""The Dagster code location: assembles each concern's definitions and applies
project-wide policy (freshness expectations of the marts), nothing else."""

from __future__ import annotations

from datetime import timedelta

import dagster as dg

from orchestration.defs import (
    dbt,
    exchange,
    exports,
    extract,
    recovery,
    schedules,
    sensors,
    sentiment,
)
from orchestration.defs.resources import run_settings_resource

DAILY_FRESHNESS = dg.FreshnessPolicy.time_window(
    fail_window=timedelta(days=1), warn_window=timedelta(hours=20)
)
WEEKLY_FRESHNESS = dg.FreshnessPolicy.time_window(
    fail_window=timedelta(days=7), warn_window=timedelta(days=6)
)


def _with_freshness(definitions: dg.Definitions) -> dg.Definitions:
    """Daily marts are stale after a day, the weekly similar-won mart after a week."""
    weekly = dg.AssetSelection.assets(dbt.weekly_dbt_models)
    daily_marts = dg.AssetSelection.groups("marts") - weekly
    return definitions.map_resolved_asset_specs(
        func=lambda spec: spec.replace_attributes(freshness_policy=DAILY_FRESHNESS),
        selection=daily_marts,
    ).map_resolved_asset_specs(
        func=lambda spec: spec.replace_attributes(freshness_policy=WEEKLY_FRESHNESS),
        selection=weekly,
    )


# One module-level Definitions object: Dagster's loader refuses a second one.
defs = _with_freshness(
    dg.Definitions.merge(
        extract.defs,
        exchange.defs,
        sentiment.defs,
        dbt.defs,
        exports.defs,
        schedules.defs,
        sensors.defs,
        recovery.defs,
        dg.Definitions(resources={"run_settings": run_settings_resource}),
    )
)
