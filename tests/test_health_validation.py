"""Health score against outcomes: mart_health_validation and `make validate-health`.

The hand-computed AUC and win rates on five deals are a dbt unit test next to the mart
(models/marts/health/_health__unit_tests.yml). Here: a history where the outcome is drawn
independently of the activity must say "no evidence"; the generated sample, whose won
deals are two-way and busier (orchestration/generator), must say "evidence"; the report.
"""

from __future__ import annotations

import os
import random
import subprocess
from datetime import date, timedelta
from pathlib import Path

import duckdb
import pytest

from orchestration.defs.dbt import DBT_PROJECT_DIR
from orchestration.health_validation.__main__ import dbt_executable
from orchestration.health_validation.__main__ import main as validate_health
from orchestration.health_validation.report import load_rows, render_report

CLOSE_BASE = date(2026, 6, 30)


def brute_force_auc(won: list[int], lost: list[int]) -> float:
    """Share of won x lost pairs where the won deal scores higher, ties counting half."""
    pairs = [1.0 if w > v else 0.5 if w == v else 0.0 for w in won for v in lost]
    return sum(pairs) / len(pairs)


def unrelated_history(seed: int, deals: int) -> tuple[list[tuple], list[tuple]]:
    """Opportunities whose activity and outcome are drawn independently of each other.

    Each deal closes within a year before 2026-06-30, was created 200 days earlier, and has
    0-14 completed activities (random type and side) spread over the 180 days before close.
    """
    rng = random.Random(seed)
    opportunities, activities = [], []
    for number in range(deals):
        close = CLOSE_BASE - timedelta(days=rng.randint(0, 365))
        outcome = "won" if rng.random() < 0.45 else "lost"
        opportunity_id = f"o{number:04d}"
        opportunities.append((opportunity_id, outcome, close, close - timedelta(days=200)))
        for index in range(rng.randint(0, 14)):
            activities.append(
                (
                    "opportunity",
                    opportunity_id,
                    f"{opportunity_id}-{index}",
                    rng.choice(["email", "meeting", "phone_call"]),
                    "completed",
                    rng.choice(["team", "customer"]),
                    close - timedelta(days=rng.randint(0, 180)),
                )
            )
    return opportunities, activities


def dbt(arguments: list[str], warehouse: Path) -> None:
    completed = subprocess.run(
        [dbt_executable(), *arguments, "--profiles-dir", "."],
        cwd=DBT_PROJECT_DIR,
        env={**os.environ, "RA_WAREHOUSE": str(warehouse)},
        capture_output=True,
        text=True,
    )
    assert completed.returncode == 0, completed.stdout[-4000:]


@pytest.fixture(scope="module")
def unrelated_warehouse(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list]:
    """A scratch warehouse holding only the validation models' inputs, then the models."""
    warehouse = tmp_path_factory.mktemp("unrelated") / "warehouse.duckdb"
    opportunities, activities = unrelated_history(seed=18, deals=400)
    connection = duckdb.connect(str(warehouse))
    try:
        connection.execute("create schema staging; create schema intermediate")
        connection.execute(
            "create table staging.stg_dataverse__opportunities (opportunity_id varchar, "
            "opportunity_state varchar, actual_close_date date, created_at timestamp)"
        )
        connection.executemany(
            "insert into staging.stg_dataverse__opportunities values (?, ?, ?, ?)",
            opportunities,
        )
        connection.execute(
            "create table intermediate.int_record_activities_joined (record_type varchar, "
            "record_id varchar, activity_id varchar, activity_type varchar, "
            "completed_from_at timestamp, future_until_at timestamp, initiated_by varchar, "
            "activity_date date, activity_key ubigint)"
        )
        # Completed from the start of their day on (macros/activity_status.sql), before any
        # T the models are run at; the key the models join on (macros/activity_keys.sql),
        # from the id as dbt does.
        connection.executemany(
            "insert into intermediate.int_record_activities_joined "
            "values (?, ?, ?, ?, ?, ?, ?, ?, hash(?))",
            [
                (
                    record_type,
                    record_id,
                    activity_id,
                    activity_type,
                    day,
                    day,
                    side,
                    day,
                    activity_id,
                )
                for record_type, record_id, activity_id, activity_type, _, side, day in activities
            ],
        )
        connection.execute(
            "create table intermediate.int_email_replies_matched (original_activity_id "
            "varchar, original_activity_key ubigint, answered_by varchar, "
            "answered_at timestamp)"
        )
        # No people of interest: breadth is absent (and its default weight is 0).
        connection.execute(
            "create table intermediate.int_record_people_of_interest (record_type varchar, "
            "record_id varchar, person_id varchar, side varchar)"
        )
        connection.execute(
            "create table intermediate.int_activity_parties_sided (activity_key ubigint, "
            "party_id varchar, side varchar, links_to_records boolean)"
        )
        # No scored emails: sentiment is absent (its weight rescales away).
        connection.execute(
            "create table staging.stg_dataverse__email_sentiments (activity_id varchar, "
            "activity_key ubigint, language_code varchar, compound double)"
        )
    finally:
        connection.close()
    dbt(["seed", "--select", "health_activity_weights", "health_state_bands"], warehouse)
    dbt(["run", "--select", "int_opportunity_health_at_horizons mart_health_validation"], warehouse)
    return warehouse, opportunities


def test_unrelated_outcome_gives_auc_near_half_and_no_evidence(unrelated_warehouse):
    warehouse, opportunities = unrelated_warehouse
    connection = duckdb.connect(str(warehouse), read_only=True)
    try:
        summary = connection.execute(
            "select distinct horizon_days, won_scored, lost_scored, roc_auc, roc_auc_lower, "
            "roc_auc_upper, verdict from marts.mart_health_validation order by horizon_days"
        ).fetchall()
        scores = connection.execute(
            "select horizon_days, outcome, health_score "
            "from intermediate.int_opportunity_health_at_horizons where health_score is not null"
        ).fetchall()
    finally:
        connection.close()
    assert [row[0] for row in summary] == [30, 60, 90]
    for horizon, won_scored, lost_scored, auc, lower, upper, verdict in summary:
        won = [s for h, outcome, s in scores if h == horizon and outcome == "won"]
        lost = [s for h, outcome, s in scores if h == horizon and outcome == "lost"]
        assert (won_scored, lost_scored) == (len(won), len(lost))
        assert auc == pytest.approx(brute_force_auc(won, lost), abs=1e-6)
        assert abs(auc - 0.5) < 0.08, (horizon, auc)
        assert lower < 0.5 < upper
        assert verdict == "no evidence"


def test_report_lists_every_horizon_and_state(unrelated_warehouse):
    warehouse, _ = unrelated_warehouse
    rows = [dict(row) for row in load_rows_without_kpis(warehouse)]
    text = render_report(rows, "2026-06-30 00:00:00", "{health_weight_recency: 0.5}")
    assert "| 30 |" in text and "| 60 |" in text and "| 90 |" in text
    assert text.count("| good |") == 3 and text.count("| not_enough_info |") == 3
    assert "no evidence" in text
    assert "overridden by `{health_weight_recency: 0.5}`" in text


def load_rows_without_kpis(warehouse: Path) -> list[dict]:
    """The scratch warehouse has no mart_relationship_kpis: read the validation mart only."""
    connection = duckdb.connect(str(warehouse), read_only=True)
    try:
        cursor = connection.execute(
            "select * from marts.mart_health_validation order by horizon_days, state_min_score desc"
        )
        names = [column[0] for column in cursor.description]
        return [dict(zip(names, values, strict=True)) for values in cursor.fetchall()]
    finally:
        connection.close()


def test_missing_warehouse_is_named(tmp_path):
    missing = tmp_path / "nowhere.duckdb"
    with pytest.raises(FileNotFoundError, match="nowhere.duckdb"):
        load_rows(missing)
    assert validate_health(["--warehouse", str(missing), "--out", str(tmp_path / "r.md")]) == 2


def test_won_deals_score_higher_on_the_generated_sample(built_warehouse, read_only_connection):
    connection = read_only_connection(built_warehouse)
    summary = connection.execute(
        "select distinct horizon_days, won_scored, lost_scored, roc_auc, roc_auc_lower, verdict "
        "from marts.mart_health_validation order by horizon_days"
    ).fetchall()
    assert [row[0] for row in summary] == [30, 60, 90]
    for horizon, won_scored, lost_scored, auc, lower, verdict in summary:
        assert won_scored > 30 and lost_scored > 30, horizon
        assert auc > 0.6 and lower > 0.5, (horizon, auc, lower)
        assert verdict == "evidence"
