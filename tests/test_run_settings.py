"""Run settings as resource fields: the Launchpad shows them, a run overrides them, unset
fields fall back to RA_* variables, and dbt gets them as vars, but for the as-of instant,
which its subprocess alone gets as RA_DBT_AS_OF (a var would re-parse the project each run)."""

from __future__ import annotations

import json
import shutil
from datetime import datetime
from pathlib import Path

import dagster as dg
import duckdb
import pytest

from orchestration.definitions import defs
from orchestration.defs.dbt import dbt_build_arguments, dbt_environment, dbt_vars
from orchestration.defs.resources import FIELD_VARIABLES, RunSettingsResource, check_run_settings
from orchestration.settings import DEFAULT_LANDING_DIR, Settings
from tests.conftest import HANDMADE_DIR, SAMPLE_AS_OF


def test_fields_win_over_variables_and_unset_fields_read_them():
    resource = RunSettingsResource(as_of="2026-01-31T12:00:00Z", source="dataverse")
    environ = {"RA_AS_OF": "2025-01-01T00:00:00Z", "RA_SOURCE": "files", "RA_WAREHOUSE": "w.db"}
    settings = Settings.from_env(resource.environment(environ))
    assert settings.as_of == datetime(2026, 1, 31, 12, 0, 0)
    assert settings.source == "dataverse"
    assert settings.warehouse == Path("w.db").resolve()
    # Neither field nor variable: the default of orchestration/settings.py.
    assert settings.landing_dir == DEFAULT_LANDING_DIR
    assert settings.duckdb_memory_limit == "6GB"


def test_every_setting_is_a_described_field_in_the_launchpad():
    job = defs.resolve_job_def("daily_kpi_refresh")
    resources = job.run_config_schema.config_type.fields["resources"].config_type
    fields = resources.fields["run_settings"].config_type.fields["config"].config_type.fields
    assert set(fields) == set(FIELD_VARIABLES)
    assert all(not field.is_required for field in fields.values())
    assert all(FIELD_VARIABLES[name] in field.description for name, field in fields.items())
    assert "{env: NAME}" in fields["dataverse_client_secret"].description


def test_dbt_gets_the_runs_settings_as_vars_and_the_as_of_in_its_environment():
    settings = Settings.from_env(
        {"RA_AS_OF": "2026-06-30T01:02:03+02:00", "RA_WAREHOUSE": "/data/w.duckdb"}
    )
    assert dbt_vars(settings) == {
        "warehouse_path": "/data/w.duckdb",
        "duckdb_memory_limit": "6GB",
        "export_subjects": True,
        "pseudonymize_sellers": False,
    }
    # UTC, to the second: 01:02:03 at +02:00 is 23:02:03 the day before.
    assert dbt_environment(settings) == {"RA_DBT_AS_OF": "2026-06-29 23:02:03"}
    assert dbt_build_arguments(settings, full_refresh=True) == [
        "build",
        "--exclude-resource-type",
        "unit_test",
        "--vars",
        '{"duckdb_memory_limit": "6GB", "export_subjects": true, '
        '"pseudonymize_sellers": false, "warehouse_path": "/data/w.duckdb"}',
        "--full-refresh",
    ]
    # Another as-of leaves the vars, and so dbt's parse, as they were.
    later = Settings.from_env(
        {"RA_AS_OF": "2026-07-01T00:00:00Z", "RA_WAREHOUSE": "/data/w.duckdb"}
    )
    assert dbt_build_arguments(later, full_refresh=False) == dbt_build_arguments(
        settings, full_refresh=False
    )


def test_privacy_settings_are_read_and_checked(tmp_path):
    settings = Settings.from_env(
        {
            "RA_WAREHOUSE": str(tmp_path / "w.duckdb"),
            "RA_ACTIVITY_RETENTION_DAYS": " 730 ",
            "RA_EXPORT_SUBJECTS": "False",
            "RA_PSEUDONYMISE_SELLERS": "yes",
            "RA_PERSONAL_MAIL_DOMAINS": "@Gmail.com, example.se",
        }
    )
    assert settings.activity_retention_days == 730
    assert settings.export_subjects is False
    assert settings.pseudonymise_sellers is True
    assert settings.personal_mail_domains == {"gmail.com", "example.se"}
    assert settings.privacy_folder == tmp_path / "privacy"
    assert Settings.from_env({"RA_PERSONAL_MAIL_DOMAINS": "none"}).personal_mail_domains == set()
    assert "gmail.com" in Settings.from_env({}).personal_mail_domains
    for variable, value, message in [
        ("RA_ACTIVITY_RETENTION_DAYS", "0", "whole number of days of at least 1"),
        ("RA_ACTIVITY_RETENTION_DAYS", "two years", "whole number of days of at least 1"),
        ("RA_EXPORT_SUBJECTS", "maybe", "is not true or false"),
        ("RA_PERSONAL_MAIL_DOMAINS", "gmail", "gmail, not a mail domain"),
    ]:
        with pytest.raises(ValueError, match=f"{variable}=.*{message}|{variable} names.*{message}"):
            Settings.from_env({variable: value})


def test_a_bad_exclusions_file_fails_the_run_settings_check(tmp_path):
    exclusions = tmp_path / "exclusions.csv"
    exclusions.write_text("name\nu3\n")
    with pytest.raises(ValueError, match="exclusions.csv has no 'person' column"):
        check_run_settings(environ={"RA_PRIVACY_EXCLUSIONS": str(exclusions)})


def test_a_secret_given_as_env_var_reaches_settings_but_not_the_run_config(monkeypatch):
    monkeypatch.setenv("SECRET_FOR_THIS_TEST", "s3cret")

    @dg.asset
    def reads_settings(run_settings: RunSettingsResource) -> str:
        settings = run_settings.settings()
        assert "s3cret" not in repr(settings)
        return settings.dataverse_client_secret

    instance = dg.DagsterInstance.ephemeral()
    result = dg.materialize(
        [reads_settings],
        resources={
            "run_settings": RunSettingsResource(
                dataverse_client_secret=dg.EnvVar("SECRET_FOR_THIS_TEST")
            )
        },
        instance=instance,
    )
    assert result.output_for_node("reads_settings") == "s3cret"
    assert "s3cret" not in json.dumps(instance.get_run_by_id(result.run_id).run_config)


def test_a_bad_field_in_run_config_is_named_as_run_config(tmp_path: Path):
    result = defs.resolve_job_def("daily_kpi_refresh").execute_in_process(
        run_config={
            "resources": {
                "run_settings": {
                    "config": {
                        "landing_dir": str(tmp_path / "landing"),
                        "warehouse": str(tmp_path / "w.duckdb"),
                        "export_dir": str(tmp_path / "exports"),
                        "as_of": "end of June",
                    }
                }
            }
        },
        instance=dg.DagsterInstance.ephemeral(),
        raise_on_error=False,
    )
    assert not result.success
    errors = "\n".join(
        event.event_specific_data.error.to_string()
        for event in result.all_events
        if event.is_failure and getattr(event.event_specific_data, "error", None)
    )
    assert "run config resources.run_settings.config.as_of='end of June'" in errors
    assert not (tmp_path / "w.duckdb").exists() and not (tmp_path / "exports").exists()


def test_a_run_configured_only_by_run_config_builds_the_warehouse_it_names(
    built_handmade, tmp_path: Path, monkeypatch
):
    """No RA_* variable: extract, dbt (through its vars) and exports all use the fields."""
    for variable in FIELD_VARIABLES.values():
        monkeypatch.delenv(variable, raising=False)
    landing = tmp_path / "landing"
    shutil.copytree(HANDMADE_DIR, landing)
    warehouse = tmp_path / "elsewhere" / "warehouse.duckdb"
    fields = {
        "landing_dir": str(landing),
        "warehouse": str(warehouse),
        "export_dir": str(tmp_path / "exports"),
        "as_of": SAMPLE_AS_OF,
    }
    result = defs.resolve_implicit_global_asset_job_def().execute_in_process(
        run_config={"resources": {"run_settings": {"config": fields}}},
        instance=dg.DagsterInstance.ephemeral(),
    )
    assert result.success
    query = (
        "select record_type, record_id, activities_initiated_by_team "
        "from marts.mart_relationship_kpis"
    )
    with duckdb.connect(str(warehouse), read_only=True) as connection:
        built_here = sorted(connection.execute(query).fetchall())
    with duckdb.connect(str(built_handmade.warehouse), read_only=True) as connection:
        built_from_variables = sorted(connection.execute(query).fetchall())
    assert built_here == built_from_variables and len(built_here) > 0
    assert (tmp_path / "exports" / "marts" / "mart_relationship_kpis.parquet").exists()
