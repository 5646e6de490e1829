"""The daemon's half of run recovery: a sensor that fails dead runs and frees their slots.

`make dev` runs the Dagster daemon, which evaluates this sensor every 30 seconds. Each
tick runs one `orchestration.recovery.recover` pass on the instance, so a run whose
process was killed stops blocking the `duckdb` pool within a minute, while the UI and
the schedules keep working. It requests no runs; its tick says what it did.
"""

import dagster as dg

from orchestration.recovery import recover


@dg.sensor(
    minimum_interval_seconds=30,
    default_status=dg.DefaultSensorStatus.RUNNING,
    description=(
        "Marks runs whose process is gone (killed, crashed) as failed and frees the pool "
        "slots they held, so later runs do not wait forever (see docs/operations.md)."
    ),
)
def dead_run_recovery_sensor(context: dg.SensorEvaluationContext):
    result = recover(context.instance)
    if result.failed_runs or result.freed_runs:
        context.log.warning(result.summary())
    return dg.SkipReason(result.summary())


defs = dg.Definitions(sensors=[dead_run_recovery_sensor])
