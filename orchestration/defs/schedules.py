"""Jobs and schedules: the daily KPI refresh (extract -> dbt -> exports)."""

from __future__ import annotations

import dagster as dg

# Everything except the weekly-refreshed models (selected by dbt tag in defs/dbt.py).
daily_refresh_job = dg.define_asset_job(
    name="daily_kpi_refresh",
    selection=dg.AssetSelection.all(),
    description="Extract landing files, build the daily dbt selection, export the marts.",
)

daily_refresh_schedule = dg.ScheduleDefinition(
    job=daily_refresh_job,
    cron_schedule="0 5 * * *",
    execution_timezone="UTC",
    default_status=dg.DefaultScheduleStatus.RUNNING,
)

defs = dg.Definitions(jobs=[daily_refresh_job], schedules=[daily_refresh_schedule])
