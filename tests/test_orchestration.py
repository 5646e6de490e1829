"""The code location's wiring: what each job selects, when the schedules fire, how the
landing sensor decides, freshness and the one-writer pool (all without running anything);
then one in-process daily run on bad input, to show that a failing check stops the exports."""

from __future__ import annotations

import json
import os
import re
import shutil
from datetime import timedelta
from pathlib import Path

import dagster as dg
import duckdb
import pytest

from orchestration.contract import TABLES
from orchestration.definitions import defs
from orchestration.defs.dbt import mart_model_names, relationship_dbt_models, weekly_dbt_models
from orchestration.defs.exchange import EXCHANGE_TABLES
from orchestration.defs.resources import WAREHOUSE_POOL
from orchestration.defs.sensors import changed_files, landing_files_sensor, landing_fingerprint
from orchestration.settings import REPO_ROOT
from tests.conftest import HANDMADE_DIR, SAMPLE_AS_OF, iter_marts, pipeline_environment

WEEKLY_MARTS = {
    "marts/mart_similar_won_opportunities",
    "marts/mart_similar_won_opportunities_status",
}


def selected_keys(job_name: str) -> set[str]:
    job = defs.resolve_job_def(job_name)
    return {key.to_user_string() for key in job.asset_layer.selected_asset_keys}


def keys_of(assets_def: dg.AssetsDefinition) -> set[str]:
    return {key.to_user_string() for key in assets_def.keys}


# --- jobs and schedules ---------------------------------------------------------------


def test_daily_job_selects_extract_daily_dbt_and_exports_but_not_weekly():
    daily = selected_keys("daily_kpi_refresh")
    assert {f"raw/{table}" for table in TABLES} <= daily
    # The Exchange extract runs daily too (it reads nothing without RA_EXCHANGE).
    assert {f"raw/{table}" for table in EXCHANGE_TABLES} <= daily
    assert keys_of(relationship_dbt_models) <= daily
    assert {"marts/mart_relationship_kpis", "exports/marts", "exports/dashboards"} <= daily
    # Customer emails' sentiment is scored daily, after the email extract.
    assert "raw/email_sentiment" in daily
    assert not daily & WEEKLY_MARTS
    # Nothing else sneaks in: extract (11 + 4) + sentiment + daily dbt + the two exports.
    assert len(daily) == len(TABLES) + 4 + 1 + len(relationship_dbt_models.keys) + 2


def test_weekly_job_selects_only_the_similar_won_marts():
    assert keys_of(weekly_dbt_models) == WEEKLY_MARTS
    assert selected_keys("weekly_similar_won_refresh") == WEEKLY_MARTS


@pytest.mark.parametrize(
    ("job_name", "cron"),
    [("daily_kpi_refresh", "0 5 * * *"), ("weekly_similar_won_refresh", "0 3 * * 1")],
)
def test_schedules_fire_in_utc(job_name: str, cron: str):
    (schedule,) = [s for s in defs.schedules or [] if s.job_name == job_name]
    assert schedule.cron_schedule == cron
    assert schedule.execution_timezone == "UTC"
    assert schedule.default_status == dg.DefaultScheduleStatus.RUNNING


# --- landing sensor: pure functions ----------------------------------------------------


def write(path: Path, text: str, mtime_ns: int) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    os.utime(path, ns=(mtime_ns, mtime_ns))


def test_landing_fingerprint_sees_contract_files_and_folders_only(tmp_path: Path):
    write(tmp_path / "email.csv", "activityid\ne1\n", 1_000)
    write(tmp_path / "account" / "part-1.parquet", "xx", 2_000)
    write(tmp_path / "account" / "notes.txt", "ignored: not a data file", 3_000)
    write(tmp_path / "unknown_table.csv", "ignored: not in the contract", 4_000)
    assert landing_fingerprint(tmp_path) == {
        "email.csv": [1_000, 14],
        "account/part-1.parquet": [2_000, 2],
    }
    assert landing_fingerprint(tmp_path / "missing") == {}


def test_changed_files_lists_new_changed_and_gone():
    previous = {"email.csv": [1, 10], "lead.csv": [1, 5], "contact.csv": [1, 7]}
    current = {"email.csv": [2, 10], "lead.csv": [1, 5], "account.csv": [1, 3]}
    assert changed_files(previous, current) == ["account.csv", "contact.csv", "email.csv"]
    assert changed_files(current, current) == []
    assert changed_files({}, current) == ["account.csv", "email.csv", "lead.csv"]


# --- landing sensor: evaluated as the daemon would -------------------------------------


def tick(cursor: str | None) -> tuple[dg.RunRequest | dg.SkipReason, str | None]:
    """One evaluation, as the daemon does it: the cursor in, the result and new cursor out."""
    context = dg.build_sensor_context(cursor=cursor)
    result = landing_files_sensor(context)
    return result, context.cursor


def test_sensor_requests_a_run_only_when_landing_files_change(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    monkeypatch.setenv("RA_LANDING_DIR", str(tmp_path))
    write(tmp_path / "email.csv", "activityid\ne1\n", 1_000_000_000)
    write(tmp_path / "lead.csv", "leadid\nl1\n", 1_000_000_000)

    first, cursor = tick(None)
    assert isinstance(first, dg.RunRequest)
    assert first.tags["landing_changes"] == "email.csv, lead.csv"
    assert json.loads(cursor) == {"email.csv": [1_000_000_000, 14], "lead.csv": [1_000_000_000, 10]}

    unchanged, same_cursor = tick(cursor)
    assert isinstance(unchanged, dg.SkipReason)
    assert same_cursor == cursor

    # Re-exported with the same name and size: only the modification time moves.
    os.utime(tmp_path / "email.csv", ns=(2_000_000_000, 2_000_000_000))
    touched, touched_cursor = tick(cursor)
    assert isinstance(touched, dg.RunRequest)
    assert touched.tags["landing_changes"] == "email.csv"
    assert touched.run_key != first.run_key

    # A file replaced by one with other content.
    write(tmp_path / "lead.csv", "leadid\nl1\nl2\n", 2_000_000_000)
    replaced, _ = tick(touched_cursor)
    assert isinstance(replaced, dg.RunRequest)
    assert replaced.tags["landing_changes"] == "lead.csv"


def test_sensor_targets_the_daily_job():
    sensor = defs.resolve_sensor_def("landing_files_sensor")
    assert sensor.job_name == "daily_kpi_refresh"
    assert sensor.default_status == dg.DefaultSensorStatus.RUNNING


# --- freshness and the one-writer pool --------------------------------------------------


def test_freshness_policies_on_the_marts():
    specs = {spec.key.to_user_string(): spec for spec in defs.resolve_all_asset_specs()}
    marts = {key: spec for key, spec in specs.items() if key.startswith("marts/")}
    assert len(marts) >= 10
    for key, spec in marts.items():
        expected = timedelta(days=7) if key in WEEKLY_MARTS else timedelta(days=1)
        assert spec.freshness_policy is not None, key
        assert spec.freshness_policy.fail_window.to_timedelta() == expected, key
    # Raw and intermediate tables are not promised to anyone.
    assert specs["raw/email"].freshness_policy is None


def test_every_warehouse_writer_and_the_exports_are_in_the_duckdb_pool():
    """The exports read the warehouse: outside the pool they could open it beside another
    run's writer and fail with "Could not set lock on file"."""
    graph = defs.resolve_asset_graph()
    steps = [assets_def for assets_def in graph.assets_defs if assets_def.is_executable]
    # The extract multi-asset (an asset per table, one step), the Exchange extract, the
    # email sentiment step, the two dbt multi-assets (daily, weekly) and the exports step.
    assert len(steps) == 6
    extract = next(a for a in steps if a.node_def.name == "extract_raw")
    assert {key.path[-1] for key in extract.keys} == set(TABLES)
    mailboxes = next(a for a in steps if a.node_def.name == "extract_exchange")
    assert {key.path[-1] for key in mailboxes.keys} == set(EXCHANGE_TABLES)
    sentiment = next(a for a in steps if a.node_def.name == "raw__email_sentiment")
    assert keys_of(sentiment) == {"raw/email_sentiment"}
    assert {assets_def.op.pool for assets_def in steps} == {WAREHOUSE_POOL}
    exports_step = next(a for a in steps if a.node_def.name == "exports")
    assert keys_of(exports_step) == {"exports/marts", "exports/dashboards"}
    assert not exports_step.can_subset  # marts and dashboards are published together


def test_the_exports_depend_on_the_marts_their_consumers_read():
    """Lineage from the dbt exposures: the dashboards on the marts the modules of
    orchestration/dashboards/ query (the weekly similar-won ones included), the mart files
    and BI file on every mart in models/marts; neither on staging nor on each other."""
    graph = defs.resolve_asset_graph()
    dashboards_sql = "\n".join(
        path.read_text() for path in (REPO_ROOT / "orchestration" / "dashboards").glob("*.py")
    )
    read_by_dashboards = {
        f"marts/{name}" for name in re.findall(r"\bmarts\.(mart_\w+)", dashboards_sql)
    }
    every_mart = {f"marts/{name}" for name in mart_model_names()}
    parents = {
        name: {key.to_user_string() for key in graph.get(key).parent_keys}
        for name, key in (
            ("exports/dashboards", dg.AssetKey(["exports", "dashboards"])),
            ("exports/marts", dg.AssetKey(["exports", "marts"])),
        )
    }
    assert {"marts/mart_relationship_kpis", "marts/mart_records", *WEEKLY_MARTS} <= (
        read_by_dashboards
    )
    assert parents["exports/dashboards"] == read_by_dashboards
    assert parents["exports/marts"] == every_mart
    # Still one step in the warehouse pool, whatever the lineage says.
    exports_step = graph.get(dg.AssetKey(["exports", "dashboards"])).assets_def
    assert keys_of(exports_step) == {"exports/marts", "exports/dashboards"}
    assert exports_step.op.pool == WAREHOUSE_POOL


def test_dbt_error_tests_are_blocking_checks():
    graph = defs.resolve_asset_graph()
    check_keys = list(graph.asset_check_keys)
    assert len(check_keys) > 50
    not_blocking = [key for key in check_keys if not graph.get_check_spec(key).blocking]
    # The warn-severity tests: activity parties whose activity is not extracted, emails whose
    # conversation index does not decode, and user keys of the marts that name no landed
    # systemuser (an owner may be a Dataverse team): worth a warning, not a stopped export.
    assert sorted(key.name for key in not_blocking) == [
        "relationships_mart_focus_opportunities_owner_id__user_id__ref_mart_users_",
        "relationships_mart_owner_periods_owner_id__user_id__ref_mart_users_",
        "relationships_mart_records_owner_id__user_id__ref_mart_users_",
        "relationships_mart_relationship_strength_user_id__user_id__ref_mart_users_",
        "relationships_mart_stakeholder_coverage_owner_id__user_id__ref_mart_users_",
        "relationships_mart_top_contacts_party_id__user_id__ref_mart_users_",
        "relationships_mart_who_knows_whom_user_id__user_id__ref_mart_users_",
        "relationships_stg_dataverse__activity_parties_activity_id__activity_id__ref_int_activities_unioned_",
        "stg_dataverse__emails_conversation_index_decodes",
    ]


def test_every_singular_test_is_a_blocking_check_of_the_mart_it_names():
    """The README's "every data test is a check": a singular test of several models is one
    only through `meta.dagster.ref`; without it dagster-dbt records an observation."""
    graph = defs.resolve_asset_graph()
    singular_keys = [key for key in graph.asset_check_keys if key.name.startswith("assert_")]
    assert all(graph.get_check_spec(key).blocking for key in singular_keys)
    singular = {key.name: key.asset_key.to_user_string() for key in singular_keys}
    assert singular == {
        "assert_activity_keys_identify_activities": "intermediate/int_activities_unioned",
        "assert_daily_sums_match_window_totals": "marts/mart_relationship_activity_daily",
        "assert_every_record_has_kpi_row": "marts/mart_relationship_kpis",
        "assert_health_contributions_add_up_to_score": "marts/mart_relationship_health_daily",
        "assert_initiated_totals_reconcile": "marts/mart_relationship_kpis",
        "assert_no_activity_counted_twice": "marts/mart_relationship_kpis",
        "assert_person_keys_identify_people": "intermediate/int_activity_people_deduplicated",
        "assert_team_marts_reconcile": "marts/mart_business_unit_periods",
        "assert_team_response_rates_roll_up": "marts/mart_relationship_kpis",
        "assert_top_contacts_counts_consistent": "marts/mart_top_contacts",
    }
    assert {path.stem for path in (REPO_ROOT / "sql_tests").glob("assert_*.sql")} == set(singular)


# --- a failing error check keeps bad numbers from consumers (runs dbt: ~30-60 s) --------


def files_state(folder: Path) -> dict[str, tuple[int, int]]:
    return {
        path.relative_to(folder).as_posix(): (path.stat().st_mtime_ns, path.stat().st_size)
        for path in sorted(folder.rglob("*"))
        if path.is_file()
    }


def mart_rows(warehouse: Path) -> dict[str, list[tuple]]:
    with duckdb.connect(str(warehouse), read_only=True) as connection:
        return {
            mart: connection.execute(f"select * from marts.{mart} order by all").fetchall()
            for mart in iter_marts(connection)
        }


def test_a_failing_error_check_blocks_the_exports(built_handmade, tmp_path: Path):
    """Yesterday's good build is in place; today's landing files repeat activity id e1 as
    a phone call. dbt's key test on int_activities_unioned fails (severity error): the
    run fails, no export step runs, and stakeholders keep yesterday's files."""
    assert built_handmade.result.success
    warehouse = tmp_path / "warehouse" / "relationship_analytics.duckdb"
    warehouse.parent.mkdir()
    shutil.copy(built_handmade.warehouse, warehouse)
    export_dir = tmp_path / "exports"
    shutil.copytree(built_handmade.export_dir, export_dir)
    exported_before = files_state(export_dir)
    marts_before = mart_rows(warehouse)

    landing = tmp_path / "landing"
    shutil.copytree(HANDMADE_DIR, landing)
    phone_calls = landing / "phonecall.csv"
    header, first_call, *rest = phone_calls.read_text().splitlines()
    duplicate = first_call.replace("p1,", "e1,", 1)  # e1 is already an email
    phone_calls.write_text("\n".join([header, first_call, *rest, duplicate]) + "\n")

    with pipeline_environment(landing, warehouse, export_dir, SAMPLE_AS_OF):
        result = defs.resolve_job_def("daily_kpi_refresh").execute_in_process(
            instance=dg.DagsterInstance.ephemeral(), raise_on_error=False
        )

    assert not result.success
    failed_checks = [
        evaluation for evaluation in result.get_asset_check_evaluations() if not evaluation.passed
    ]
    assert [
        (evaluation.asset_check_key.name, evaluation.severity) for evaluation in failed_checks
    ] == [
        (
            "unique_combination_int_activities_unioned_build_number__activity_id",
            dg.AssetCheckSeverity.ERROR,
        )
    ]
    materialized = {
        event.asset_key.to_user_string() for event in result.get_asset_materialization_events()
    }
    assert "raw/phonecall" in materialized
    assert not {"exports/marts", "exports/dashboards"} & materialized
    # dbt skips everything downstream of the failed test; the dimension marts do not read
    # activities (records, users, health bands), so they may refresh, with the same rows.
    activity_free_marts = {
        "marts/mart_records",
        "marts/mart_users",
        "marts/mart_health_state_bands",
    }
    assert {key for key in materialized if key.startswith("marts/")} <= activity_free_marts
    assert "marts/mart_relationship_kpis" not in materialized
    # Consumers see exactly what they saw before the run.
    assert files_state(export_dir) == exported_before
    assert mart_rows(warehouse) == marts_before


def test_the_cli_loads_the_module_as_one_code_location():
    """`dagster dev -m orchestration.definitions` (make dev, make run) refuses a module
    with more than one Definitions object at module scope."""
    from dagster._core.workspace.autodiscovery import loadable_targets_from_python_module

    targets = loadable_targets_from_python_module("orchestration.definitions", str(REPO_ROOT))
    assert [target.attribute for target in targets] == ["defs"]
