"""Exports after dbt: what analysts, BI tools and stakeholders read, published as one set.

One step materializes both assets, so marts and dashboards always come from the same run:
- exports/marts: every mart as Parquet, and as CSV up to RA_EXPORT_CSV_MAX_ROWS rows,
  manifest.json with the dbt descriptions of marts and columns, and
  relationship_marts.duckdb (every mart in one file that BI tools open read-only, the
  descriptions as DuckDB comments);
- exports/dashboards: static HTML, for everyone and per business unit
  (RA_DASHBOARD_TOP_N, RA_DASHBOARD_BUSINESS_UNITS; run config wins).

Each asset's upstream marts are those its dbt exposure refs (dbt_project/models/marts/
_marts__exposures.yml: `bi_file`, `dashboards`), so the asset graph shows which marts each
consumer reads; tests/test_consumers_read_marts.py keeps the exposures true to the SQL.

The step writes the whole set aside and publishes it at the end
(orchestration.publishing.export_set): a failed or killed run leaves the previous set as it
was. It reads the warehouse read-only, inside the writers' pool, so it never meets a
writer's lock.

No `from __future__ import annotations` here: Dagster compares the `context` annotation
with its context classes as objects, and rejects the string a postponed annotation is.
"""

import json

import dagster as dg
from dagster_dbt import get_asset_key_for_model
from pydantic import Field

from orchestration.dashboards.options import dashboard_options
from orchestration.defs.dbt import (
    dbt_project,
    exposure_model_names,
    mart_model_names,
    relationship_dbt_models,
)
from orchestration.defs.resources import (
    EXPORTS_OP_NAME,
    WAREHOUSE_POOL,
    RunSettingsResource,
    open_warehouse,
)
from orchestration.publishing.dashboard_files import export_dashboards, resolve_business_units
from orchestration.publishing.data_dictionary import mart_descriptions
from orchestration.publishing.export_files import (
    existing_marts,
    export_marts,
    mart_keys,
    write_manifest,
)
from orchestration.publishing.export_set import new_version, publish, staged_set

MART_NAMES = mart_model_names()
MARTS_KEY = dg.AssetKey(["exports", "marts"])
DASHBOARDS_KEY = dg.AssetKey(["exports", "dashboards"])
# The dbt exposures that name what each asset reads.
BI_FILE_EXPOSURE = "bi_file"
DASHBOARDS_EXPOSURE = "dashboards"


def exposure_deps(exposure: str) -> list[dg.AssetKey]:
    """The dbt asset keys of the marts a dbt exposure refs, daily or weekly alike.

    dagster-dbt finds a model's key in the manifest behind the one @dbt_assets it is given
    (one is required), whatever that definition selects, so the daily one serves for the
    weekly marts too: both share the manifest and the translator.
    """
    return [
        get_asset_key_for_model([relationship_dbt_models], name)
        for name in exposure_model_names(exposure)
    ]


class DashboardConfig(dg.Config):
    """Unset fields fall back to RA_DASHBOARD_TOP_N and RA_DASHBOARD_BUSINESS_UNITS.

    Checked when the run starts (RunSettingsResource), before any step writes.
    """

    top_n: int | None = Field(
        default=None,
        description="Record pages per type (default: RA_DASHBOARD_TOP_N, else 200).",
    )
    business_units: str | None = Field(
        default=None,
        description=(
            "Also export per business unit: a comma list of ids, or 'all' (default: "
            "RA_DASHBOARD_BUSINESS_UNITS, else none)."
        ),
    )


@dg.multi_asset(
    name=EXPORTS_OP_NAME,
    specs=[
        dg.AssetSpec(
            MARTS_KEY,
            group_name="exports",
            deps=exposure_deps(BI_FILE_EXPOSURE),
            kinds={"parquet", "csv", "duckdb"},
            description=(
                "Every mart as Parquet under $RA_EXPORT_DIR/marts, and as CSV up to "
                "RA_EXPORT_CSV_MAX_ROWS rows (rows in key order; formula-like CSV text "
                "cells prefixed with '), manifest.json with every column's description, and "
                "relationship_marts.duckdb for BI tools (descriptions as comments)."
            ),
        ),
        dg.AssetSpec(
            DASHBOARDS_KEY,
            group_name="exports",
            # The marts its queries read (orchestration/dashboards/), not the files.
            deps=exposure_deps(DASHBOARDS_EXPOSURE),
            kinds={"html"},
            description=(
                "Static HTML dashboards under $RA_EXPORT_DIR/dashboards: a searchable index, "
                "a page per record for the top N per type, a page per owner of those "
                "records and per business unit, and a site per business unit on request."
            ),
        ),
    ],
    pool=WAREHOUSE_POOL,
    can_subset=False,
)
def exports(
    context: dg.AssetExecutionContext,
    config: DashboardConfig,
    run_settings: RunSettingsResource,
):
    settings = run_settings.settings()
    export_dir = settings.export_dir
    options = dashboard_options(config.top_n, config.business_units)
    manifest = json.loads(dbt_project.manifest_path.read_text())
    keys = mart_keys(manifest)
    descriptions = mart_descriptions(manifest)
    with staged_set(export_dir, new_version(context.run.run_id)) as staging:
        with open_warehouse(settings, read_only=True) as connection:
            # Named units need the warehouse's users: checked before a file is written.
            resolve_business_units(connection, options)
            marts = existing_marts(connection, MART_NAMES)
            # Each mart sorted once into the BI file (attached to this connection, under
            # the run's memory cap), its Parquet and CSV files written from there.
            entries, as_of, bi_database = export_marts(
                connection,
                marts,
                staging,
                keys,
                settings.export_csv_max_rows,
                descriptions,
            )
            site = export_dashboards(connection, staging, options)
        write_manifest(staging, entries, as_of, bi_database)
        version = publish(export_dir, staging)
    context.log.info(f"published {len(entries)} marts and the dashboards as {version}")
    for report in site.sites:
        context.log.info(
            f"dashboards for {report.business_unit or 'all business units'}: "
            f"{sum(report.pages.values())} pages in {report.seconds:.1f}s"
        )
    dashboards_dir = export_dir / "dashboards"
    yield dg.MaterializeResult(
        asset_key=MARTS_KEY,
        metadata={
            "export_dir": dg.MetadataValue.path(str(export_dir)),
            "version": dg.MetadataValue.path(str(version)),
            "manifest": dg.MetadataValue.path(str(export_dir / "manifest.json")),
            "duckdb": dg.MetadataValue.path(str(export_dir / bi_database.name)),
            "rows_per_mart": dg.MetadataValue.json(
                {entry["mart"]: entry["row_count"] for entry in entries}
            ),
            # Marts over RA_EXPORT_CSV_MAX_ROWS: Parquet and the BI file only.
            "csv_skipped": dg.MetadataValue.json(
                {entry["mart"]: entry["csv_skipped"] for entry in entries if "csv_skipped" in entry}
            ),
        },
    )
    yield dg.MaterializeResult(
        asset_key=DASHBOARDS_KEY,
        metadata={
            "index": dg.MetadataValue.path(str(dashboards_dir / "index.html")),
            "pages": dg.MetadataValue.int(site.pages),
            "top_n": dg.MetadataValue.int(options.top_n),
            "sites": dg.MetadataValue.json(
                [report.as_json(site.directory) for report in site.sites]
            ),
        },
    )


defs = dg.Definitions(assets=[exports])
