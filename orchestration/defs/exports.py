"""Exports after dbt: what analysts, BI tools and stakeholders read, published as one set.

One step materializes both assets, so marts and dashboards always come from the same run:
- exports/marts: every mart as Parquet and CSV, manifest.json, and
  relationship_marts.duckdb (every mart in one file that BI tools open read-only);
- exports/dashboards: static HTML, for everyone and per business unit
  (RA_DASHBOARD_TOP_N, RA_DASHBOARD_BUSINESS_UNITS; run config wins).

The step writes the whole set aside and publishes it at the end
(orchestration.publishing.export_set): a failed or killed run leaves the previous set as it
was. It reads the warehouse read-only, inside the writers' pool, so it never meets a
writer's lock.

No `from __future__ import annotations` here: Dagster compares the `context` annotation
with its context classes as objects, and rejects the string a postponed annotation is.
"""

import json

import dagster as dg
from pydantic import Field

from orchestration.dashboards.options import dashboard_options
from orchestration.defs.dbt import dbt_project, mart_model_names, relationship_dbt_models
from orchestration.defs.resources import (
    EXPORTS_OP_NAME,
    WAREHOUSE_POOL,
    RunSettingsResource,
    open_warehouse,
)
from orchestration.publishing.export_files import (
    existing_marts,
    export_dashboards,
    export_mart,
    mart_keys,
    resolve_business_units,
    write_bi_database,
    write_manifest,
)
from orchestration.publishing.export_set import new_version, publish, staged_set

MART_NAMES = mart_model_names()
MARTS_KEY = dg.AssetKey(["exports", "marts"])
DASHBOARDS_KEY = dg.AssetKey(["exports", "dashboards"])


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
            deps=[key for key in relationship_dbt_models.keys if key.path[-1] in MART_NAMES],
            kinds={"parquet", "csv", "duckdb"},
            description=(
                "Every mart as Parquet and CSV under $RA_EXPORT_DIR/marts (rows in key "
                "order; formula-like CSV text cells prefixed with '), manifest.json, and "
                "relationship_marts.duckdb for BI tools."
            ),
        ),
        dg.AssetSpec(
            DASHBOARDS_KEY,
            group_name="exports",
            deps=[MARTS_KEY],
            kinds={"html"},
            description=(
                "Static HTML dashboards under $RA_EXPORT_DIR/dashboards: a searchable index "
                "and a page per record for the top N per type, and per business unit on "
                "request."
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
    keys = mart_keys(json.loads(dbt_project.manifest_path.read_text()))
    with staged_set(export_dir, new_version(context.run.run_id)) as staging:
        with open_warehouse(settings, read_only=True) as connection:
            # Named units need the warehouse's users: checked before a file is written.
            resolve_business_units(connection, options)
            marts = existing_marts(connection, MART_NAMES)
            entries = [
                export_mart(connection, mart, staging / "marts", keys.get(mart, ()))
                for mart in marts
            ]
            # The instant the marts were computed as of, not the export's own clock.
            as_of = connection.execute(
                "select cast(max(kpis_as_of) as varchar) from marts.mart_relationship_kpis"
            ).fetchone()[0]
            site = export_dashboards(connection, staging, options)
        bi_database = write_bi_database(settings.warehouse, staging, marts, as_of, keys)
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
