"""The dbt project as Dagster assets: staging -> intermediate -> marts, tests as checks.

The manifest is read at import time, so `make` runs `dbt parse` during set-up. Every dbt
invocation gets the run's settings: the as-of instant in the environment variable
RA_DBT_AS_OF of the dbt subprocess alone (dbt_environment, macros/as_of.sql), so a fixed
as-of repeats byte for byte and a new one costs no re-parse; the warehouse file, memory cap
and privacy switches as dbt vars (dbt_vars), which stay the same from run to run.
"""

import json
import os
import shutil
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import dagster as dg
from dagster_dbt import DagsterDbtTranslator, DbtProject, dbt_assets
from pydantic import Field

from orchestration.dbt_cli import ProjectDbtCliResource
from orchestration.defs.resources import WAREHOUSE_POOL, RunSettingsResource
from orchestration.settings import REPO_ROOT, Settings, format_as_of

DBT_PROJECT_DIR = REPO_ROOT / "dbt_project"

dbt_project = DbtProject(project_dir=DBT_PROJECT_DIR, profiles_dir=DBT_PROJECT_DIR)

# Models refreshed weekly (similar won opportunities) carry this tag and stay out of the
# daily selection; see defs/schedules.py.
WEEKLY_TAG = "weekly"


class LayeredDbtTranslator(DagsterDbtTranslator):
    """Groups dbt models by layer (staging, intermediate, marts) in the asset graph."""

    def get_group_name(self, dbt_resource_props: Mapping[str, Any]) -> str | None:
        if dbt_resource_props["resource_type"] == "model":
            return dbt_resource_props["fqn"][1]
        if dbt_resource_props["resource_type"] == "seed":
            return "reference"
        return super().get_group_name(dbt_resource_props)


translator = LayeredDbtTranslator()


# The variable macros/as_of.sql reads T from ('YYYY-MM-DD HH:MM:SS', UTC).
AS_OF_VARIABLE = "RA_DBT_AS_OF"


def dbt_vars(settings: Settings) -> dict[str, object]:
    """The run's settings dbt reads as `--vars`: `warehouse_path` and `duckdb_memory_limit`
    (profiles.yml, which falls back to RA_WAREHOUSE and RA_DUCKDB_MEMORY_LIMIT for hand-run
    dbt), `export_subjects` and `pseudonymize_sellers` (RA_EXPORT_SUBJECTS,
    RA_PSEUDONYMISE_SELLERS; macros/privacy.sql). With RA_EXCHANGE also
    `exchange_source: true` and `company_domains` (models/staging/graph).

    dbt re-parses the whole project when a var changes (about 7 s of CPU), so only settings
    that stay the same from run to run go here; the as-of instant, new every run when it
    defaults to now, goes through dbt_environment.
    """
    variables: dict[str, object] = {
        "warehouse_path": str(settings.warehouse),
        "duckdb_memory_limit": settings.duckdb_memory_limit,
        "export_subjects": settings.export_subjects,
        "pseudonymize_sellers": settings.pseudonymise_sellers,
    }
    # Only with RA_EXCHANGE: without it the vars (and so the parse) stay as they were.
    if settings.exchange:
        variables["exchange_source"] = True
        variables["company_domains"] = list(settings.company_domains)
    return variables


def dbt_environment(settings: Settings) -> dict[str, str]:
    """Variables for the dbt subprocess alone: RA_DBT_AS_OF, the run's as-of instant
    ('YYYY-MM-DD HH:MM:SS', UTC; RA_AS_OF or the run's start). macros/as_of.sql reads it
    only when dbt executes, so a new instant re-parses nothing."""
    return {AS_OF_VARIABLE: format_as_of(settings.as_of)}


def dbt_build_arguments(settings: Settings, full_refresh: bool) -> list[str]:
    """`dbt build` without unit tests, with the run's vars (and --full-refresh on request)."""
    arguments = ["build", "--exclude-resource-type", "unit_test"]
    arguments += ["--vars", json.dumps(dbt_vars(settings), sort_keys=True)]
    if full_refresh:
        arguments.append("--full-refresh")
    return arguments


class DbtBuildConfig(dg.Config):
    """Run configuration of the dbt steps (the Launchpad shows it)."""

    full_refresh: bool = Field(
        default=False,
        description=(
            "Rebuild the incremental activity models from scratch (`dbt build "
            "--full-refresh`). Needed after changing a seed or a var they read "
            "(activity_participation_roles, option_set_labels, email_write_minutes, "
            "email_read_minutes); a normal run rebuilds only "
            "new, changed and deleted activities."
        ),
    )


def dbt_build(
    context: dg.AssetExecutionContext,
    dbt: ProjectDbtCliResource,
    run_settings: RunSettingsResource,
    config: DbtBuildConfig,
):
    """One `dbt build` of the selected models (dbt start-up is slow: one invocation).

    Unit tests check SQL logic on fixed inputs, not the data: the test suite runs them
    (tests/test_dbt_unit_tests.py), production runs skip them.
    """
    settings = run_settings.settings()
    arguments = dbt_build_arguments(settings, config.full_refresh)
    invocation = dbt.cli(arguments, context=context, env=dbt_environment(settings))
    yield from invocation.stream()
    keep_partial_parse(invocation.target_path, DBT_PROJECT_DIR / "target")
    prune_invocation_targets(DBT_PROJECT_DIR / "target")


def keep_partial_parse(invocation_target: Path, project_target: Path) -> None:
    """Hand this invocation's parse state to the next one.

    dagster-dbt seeds each invocation with target/partial_parse.msgpack. When the profile
    differs from the one `dbt parse` saw (another RA_WAREHOUSE), dbt re-parses everything
    and saves the result only in the invocation's folder; copying it back lets the next
    invocation of the run parse partially (seconds instead of tens of seconds).
    """
    fresh = invocation_target / "partial_parse.msgpack"
    if fresh.exists():
        temporary = project_target / ".partial_parse.msgpack.tmp"
        shutil.copyfile(fresh, temporary)
        os.replace(temporary, project_target / "partial_parse.msgpack")


def prune_invocation_targets(target_dir: Path, keep: int = 20) -> None:
    """dagster-dbt writes target/<step>-<run>-<id>/ per invocation; keep the newest few."""
    invocation_dirs = sorted(
        (path for path in target_dir.iterdir() if path.is_dir() and "-" in path.name),
        key=lambda path: path.stat().st_mtime,
    )
    for stale in invocation_dirs[:-keep]:
        shutil.rmtree(stale, ignore_errors=True)


@dbt_assets(
    manifest=dbt_project.manifest_path,
    project=dbt_project,
    exclude=f"tag:{WEEKLY_TAG}",
    dagster_dbt_translator=translator,
    pool=WAREHOUSE_POOL,
    name="relationship_dbt_models",
)
def relationship_dbt_models(
    context: dg.AssetExecutionContext,
    dbt: ProjectDbtCliResource,
    run_settings: RunSettingsResource,
    config: DbtBuildConfig,
):
    yield from dbt_build(context, dbt, run_settings, config)


@dbt_assets(
    manifest=dbt_project.manifest_path,
    project=dbt_project,
    select=f"tag:{WEEKLY_TAG}",
    dagster_dbt_translator=translator,
    pool=WAREHOUSE_POOL,
    name="weekly_dbt_models",
)
def weekly_dbt_models(
    context: dg.AssetExecutionContext,
    dbt: ProjectDbtCliResource,
    run_settings: RunSettingsResource,
    config: DbtBuildConfig,
):
    """Similar won opportunities: costly and slow-moving, so refreshed weekly, not daily."""
    yield from dbt_build(context, dbt, run_settings, config)


def dbt_executable() -> str:
    """The dbt installed beside this Python (the venv), so runs work without PATH set."""
    beside_python = Path(sys.executable).parent / "dbt"
    return str(beside_python) if beside_python.exists() else "dbt"


def mart_model_names(manifest_path: Path = dbt_project.manifest_path) -> list[str]:
    """Names of the dbt models in models/marts, which the exports publish."""
    manifest = json.loads(Path(manifest_path).read_text())
    return sorted(
        node["name"]
        for node in manifest["nodes"].values()
        if node["resource_type"] == "model" and node["fqn"][1] == "marts"
    )


def exposure_model_names(
    exposure: str, manifest_path: Path = dbt_project.manifest_path
) -> list[str]:
    """Names of the models a dbt exposure (models/marts/_marts__exposures.yml) refs, sorted.

    KeyError naming the exposures that exist when `exposure` is not one of them.
    """
    manifest = json.loads(Path(manifest_path).read_text())
    by_name = {node["name"]: node for node in manifest["exposures"].values()}
    if exposure not in by_name:
        raise KeyError(
            f"no dbt exposure named {exposure!r} in {manifest_path} (exposures: "
            f"{', '.join(sorted(by_name)) or 'none'}); declare it in "
            "dbt_project/models/marts/_marts__exposures.yml and run `dbt parse`"
        )
    return sorted(
        manifest["nodes"][unique_id]["name"]
        for unique_id in by_name[exposure]["depends_on"]["nodes"]
        if unique_id.startswith("model.")
    )


defs = dg.Definitions(
    assets=[relationship_dbt_models, weekly_dbt_models],
    resources={
        "dbt": ProjectDbtCliResource(project_dir=dbt_project, dbt_executable=dbt_executable())
    },
)
