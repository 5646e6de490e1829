"""The dbt project as Dagster assets: staging -> intermediate -> marts, tests as checks.

The manifest is read at import time, so `make` runs `dbt parse` during set-up. Every dbt
invocation gets the run's as-of instant as the `as_of` var, so a fixed RA_AS_OF repeats
byte for byte.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import dagster as dg
from dagster_dbt import DagsterDbtTranslator, DbtCliResource, DbtProject, dbt_assets

from orchestration.defs.resources import WAREHOUSE_POOL, RunSettingsResource
from orchestration.settings import REPO_ROOT

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


def dbt_build_args(as_of_var: str) -> list[str]:
    """The arguments of one `dbt build`: one invocation, because dbt start-up is slow."""
    return ["build", "--vars", json.dumps({"as_of": as_of_var})]


@dbt_assets(
    manifest=dbt_project.manifest_path,
    project=dbt_project,
    exclude=f"tag:{WEEKLY_TAG}",
    dagster_dbt_translator=translator,
    pool=WAREHOUSE_POOL,
    name="relationship_dbt_models",
)
def relationship_dbt_models(
    context: dg.AssetExecutionContext, dbt: DbtCliResource, run_settings: RunSettingsResource
):
    yield from dbt.cli(dbt_build_args(run_settings.as_of_var()), context=context).stream()


@dbt_assets(
    manifest=dbt_project.manifest_path,
    project=dbt_project,
    select=f"tag:{WEEKLY_TAG}",
    dagster_dbt_translator=translator,
    pool=WAREHOUSE_POOL,
    name="weekly_dbt_models",
)
def weekly_dbt_models(
    context: dg.AssetExecutionContext, dbt: DbtCliResource, run_settings: RunSettingsResource
):
    """Similar won opportunities: costly and slow-moving, so refreshed weekly, not daily."""
    yield from dbt.cli(dbt_build_args(run_settings.as_of_var()), context=context).stream()


def mart_model_names(manifest_path: Path = dbt_project.manifest_path) -> list[str]:
    """Names of the dbt models in models/marts, which the exports publish."""
    manifest = json.loads(Path(manifest_path).read_text())
    return sorted(
        node["name"]
        for node in manifest["nodes"].values()
        if node["resource_type"] == "model" and node["fqn"][1] == "marts"
    )


defs = dg.Definitions(
    assets=[relationship_dbt_models, weekly_dbt_models],
    resources={"dbt": DbtCliResource(project_dir=dbt_project)},
)
