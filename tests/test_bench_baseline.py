"""The benchmark's baseline script (bench/baseline.sql) against the marts.

The script is written without the dbt models, straight from KPI_SPEC, so agreement on the
sample, the hand-made fixture and (test_real_ids_fixture.py) the mixed-id fixture is an
independent check of mart_relationship_kpis, and keeps the benchmark's comparison honest
(same numbers, so the time ratio compares like with like).
"""

from __future__ import annotations

from datetime import UTC, datetime

import duckdb
import pytest

from bench.baseline import run_baseline
from tests.conftest import SAMPLE_AS_OF, BuiltWarehouse

AS_OF = datetime.fromisoformat(SAMPLE_AS_OF.replace("Z", "+00:00")).astimezone(UTC)


def differences(built: BuiltWarehouse) -> dict[str, int]:
    """Per baseline column, how many records the mart disagrees on.

    Doubles agree to 1e-6 absolute (plus 1e-9 relative): the marts publish minutes and
    hours rounded to 6 decimal places (docs/kpi_definitions.md), the script does not round.
    """
    connection = duckdb.connect()
    try:
        run = run_baseline(connection, built.landing_dir, AS_OF)
        assert run.records > 0
        connection.execute(f"attach '{built.warehouse}' as warehouse (read_only)")
        mart_rows = connection.execute(
            "select count(*) from warehouse.marts.mart_relationship_kpis"
        ).fetchall()[0][0]
        assert mart_rows == run.records
        columns = [
            name
            for name, *_ in connection.execute("describe baseline_kpis").fetchall()
            if name not in ("record_type", "record_id")
        ]
        found: dict[str, int] = {}
        for column in columns:
            (count,) = connection.execute(
                f"""
                select count(*)
                from baseline_kpis as b
                full join warehouse.marts.mart_relationship_kpis as m
                    using (record_type, record_id)
                where not (
                    b.{column} is not distinct from m.{column}
                    or abs(try_cast(b.{column} as double) - try_cast(m.{column} as double))
                        <= 1e-6 + 1e-9 * abs(try_cast(m.{column} as double))
                )
                """
            ).fetchall()[0]
            if count:
                found[column] = count
        return found
    finally:
        connection.close()


def test_baseline_equals_the_marts_on_the_sample(built_sample):
    assert differences(built_sample) == {}


def test_baseline_equals_the_marts_on_the_handmade_fixture(built_handmade):
    assert differences(built_handmade) == {}


def test_a_missing_table_is_named(tmp_path):
    with pytest.raises(FileNotFoundError, match=r"baseline: no \w+\.parquet"):
        run_baseline(duckdb.connect(), tmp_path, AS_OF)
