"""Exports after dbt: what analysts, BI tools and stakeholders read.

- exports/marts: every mart to $RA_EXPORT_DIR/marts as Parquet and CSV, manifest.json, and
  relationship_marts.duckdb (every mart in one file that BI tools open read-only);
- exports/dashboards: static HTML under $RA_EXPORT_DIR/dashboards, for everyone and per
  business unit (RA_DASHBOARD_TOP_N, RA_DASHBOARD_BUSINESS_UNITS; run config wins).

Both read the warehouse read-only, so they never hold the writer's lock.

No `from __future__ import annotations` here: Dagster compares the `context` annotation
with its context classes as objects, and rejects the string a postponed annotation is.
"""

import dagster as dg
from pydantic import Field

from orchestration.dashboards.options import dashboard_options
from orchestration.defs.dbt import mart_model_names, relationship_dbt_models
from orchestration.defs.resources import RunSettingsResource, connect_warehouse
from orchestration.exports import (
    existing_marts,
    export_dashboards,
    export_mart,
    write_bi_database,
    write_manifest,
)

MART_NAMES = mart_model_names()


@dg.asset(
    key=["exports", "marts"],
    group_name="exports",
    deps=[key for key in relationship_dbt_models.keys if key.path[-1] in MART_NAMES],
    kinds={"parquet", "csv", "duckdb"},
    description=(
        "Every mart as Parquet and CSV under $RA_EXPORT_DIR/marts, manifest.json, and "
        "relationship_marts.duckdb for BI tools."
    ),
)
def mart_exports(context: dg.AssetExecutionContext, run_settings: RunSettingsResource):
    settings = run_settings.settings()
    export_dir = settings.export_dir
    with connect_warehouse(settings.warehouse, read_only=True) as connection:
        marts = existing_marts(connection, MART_NAMES)
        entries = [export_mart(connection, mart, export_dir / "marts") for mart in marts]
        # The instant the marts were computed as of, not the export's own clock.
        as_of = connection.execute(
            "select cast(max(kpis_as_of) as varchar) from marts.mart_relationship_kpis"
        ).fetchone()[0]
    bi_database = write_bi_database(settings.warehouse, export_dir, marts, as_of)
    manifest_path = write_manifest(export_dir, entries, as_of, bi_database)
    context.log.info(f"exported {len(entries)} marts to {export_dir / 'marts'} and {bi_database}")
    return dg.MaterializeResult(
        metadata={
            "export_dir": dg.MetadataValue.path(str(export_dir)),
            "manifest": dg.MetadataValue.path(str(manifest_path)),
            "duckdb": dg.MetadataValue.path(str(bi_database)),
            "rows_per_mart": dg.MetadataValue.json(
                {entry["mart"]: entry["row_count"] for entry in entries}
            ),
        }
    )


class DashboardConfig(dg.Config):
    """Unset fields fall back to RA_DASHBOARD_TOP_N and RA_DASHBOARD_BUSINESS_UNITS."""

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


@dg.asset(
    key=["exports", "dashboards"],
    group_name="exports",
    deps=[mart_exports],
    kinds={"html"},
    description=(
        "Static HTML dashboards under $RA_EXPORT_DIR/dashboards: a searchable index and a "
        "page per record for the top N per type, and per business unit on request."
    ),
)
def dashboards(
    context: dg.AssetExecutionContext,
    config: DashboardConfig,
    run_settings: RunSettingsResource,
):
    settings = run_settings.settings()
    options = dashboard_options(config.top_n, config.business_units)
    with connect_warehouse(settings.warehouse, read_only=True) as connection:
        result = export_dashboards(connection, settings.export_dir, options)
    for site in result.sites:
        context.log.info(
            f"dashboards for {site.business_unit or 'all business units'}: "
            f"{sum(site.pages.values())} pages in {site.seconds:.1f}s at {site.directory}"
        )
    return dg.MaterializeResult(
        metadata={
            "index": dg.MetadataValue.path(str(result.directory / "index.html")),
            "pages": dg.MetadataValue.int(result.pages),
            "top_n": dg.MetadataValue.int(options.top_n),
            "sites": dg.MetadataValue.json(
                [site.as_json(result.directory) for site in result.sites]
            ),
        }
    )


defs = dg.Definitions(assets=[mart_exports, dashboards])
