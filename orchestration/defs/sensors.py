"""A sensor that starts the daily refresh when landing files are new or changed.

The cursor is a JSON map of every landing file (relative path) to its modification time
and size, so a re-exported file with the same name is noticed, and a sensor tick that
sees nothing new requests no run.
"""

import hashlib
import json
from pathlib import Path

import dagster as dg

from orchestration.contract import TABLE_NAMES
from orchestration.defs.schedules import daily_refresh_job
from orchestration.settings import Settings

DATA_SUFFIXES = (".csv", ".parquet")


def landing_fingerprint(landing_dir: Path) -> dict[str, list[int]]:
    """{relative path: [mtime_ns, size]} of every contract table's landing files."""
    fingerprint: dict[str, list[int]] = {}
    if not landing_dir.is_dir():
        return fingerprint
    for table in TABLE_NAMES:
        candidates = [landing_dir / f"{table}{suffix}" for suffix in DATA_SUFFIXES]
        folder = landing_dir / table
        if folder.is_dir():
            candidates += sorted(p for p in folder.rglob("*") if p.suffix in DATA_SUFFIXES)
        for path in candidates:
            if path.is_file():
                stat = path.stat()
                relative = path.relative_to(landing_dir).as_posix()
                fingerprint[relative] = [stat.st_mtime_ns, stat.st_size]
    return fingerprint


def changed_files(previous: dict[str, list[int]], current: dict[str, list[int]]) -> list[str]:
    """Files that are new, changed or gone since the previous fingerprint."""
    names = set(previous) | set(current)
    return sorted(name for name in names if previous.get(name) != current.get(name))


@dg.sensor(
    job=daily_refresh_job,
    minimum_interval_seconds=60,
    default_status=dg.DefaultSensorStatus.RUNNING,
    description="Starts the daily KPI refresh when files in RA_LANDING_DIR are new or changed.",
)
def landing_files_sensor(context: dg.SensorEvaluationContext):
    landing_dir = Settings.from_env().landing_dir
    previous = json.loads(context.cursor) if context.cursor else {}
    current = landing_fingerprint(landing_dir)
    changes = changed_files(previous, current)
    if not changes:
        return dg.SkipReason(f"no new or changed files in {landing_dir}")
    cursor = json.dumps(current, sort_keys=True)
    context.update_cursor(cursor)
    return dg.RunRequest(
        run_key=hashlib.sha256(cursor.encode()).hexdigest()[:16],
        tags={"landing_changes": ", ".join(changes)[:200]},
    )


defs = dg.Definitions(sensors=[landing_files_sensor])
