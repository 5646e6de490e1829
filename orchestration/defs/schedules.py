"""Jobs and schedules: a daily KPI refresh and a weekly similar-won refresh."""

import dagster as dg

from orchestration.defs.dbt import weekly_dbt_models

weekly_models = dg.AssetSelection.assets(weekly_dbt_models)

# Extract -> daily dbt models -> exports: everything but the weekly models.
daily_refresh_job = dg.define_asset_job(
    name="daily_kpi_refresh",
    selection=dg.AssetSelection.all() - weekly_models,
    description="Extract landing files, build the daily dbt models, export the marts.",
    # One process: steps share the warehouse pool anyway (one writer), and a subprocess
    # per step would add minutes of start-up to a daily run.
    executor_def=dg.in_process_executor,
)

weekly_refresh_job = dg.define_asset_job(
    name="weekly_similar_won_refresh",
    selection=weekly_models,
    description="Rebuild similar won opportunities (needs the daily marts).",
    executor_def=dg.in_process_executor,
)

daily_refresh_schedule = dg.ScheduleDefinition(
    job=daily_refresh_job,
    cron_schedule="0 5 * * *",
    execution_timezone="UTC",
    default_status=dg.DefaultScheduleStatus.RUNNING,
)

weekly_refresh_schedule = dg.ScheduleDefinition(
    job=weekly_refresh_job,
    cron_schedule="0 3 * * 1",
    execution_timezone="UTC",
    default_status=dg.DefaultScheduleStatus.RUNNING,
)

defs = dg.Definitions(
    jobs=[daily_refresh_job, weekly_refresh_job],
    schedules=[daily_refresh_schedule, weekly_refresh_schedule],
)
