"""Exports after dbt: every mart to $RA_EXPORT_DIR/marts as Parquet and CSV, plus a manifest."""

from __future__ import annotations

import dagster as dg

from orchestration.defs.dbt import mart_model_names, relationship_dbt_models
from orchestration.defs.resources import RunSettingsResource, connect_warehouse
from orchestration.exports import existing_marts, export_mart, write_manifest

MART_NAMES = mart_model_names()


@dg.asset(
    key=["exports", "marts"],
    group_name="exports",
    deps=[key for key in relationship_dbt_models.keys if key.path[-1] in MART_NAMES],
    kinds={"parquet", "csv"},
    description="Every mart as Parquet and CSV under $RA_EXPORT_DIR/marts, and manifest.json.",
)
def mart_exports(context: dg.AssetExecutionContext, run_settings: RunSettingsResource):
    settings = run_settings.settings()
    export_dir = settings.export_dir
    with connect_warehouse(settings.warehouse, read_only=True) as connection:
        entries = [
            export_mart(connection, mart, export_dir / "marts")
            for mart in existing_marts(connection, MART_NAMES)
        ]
        # The instant the marts were computed as of, not the export's own clock.
        as_of = connection.execute(
            "select cast(max(kpis_as_of) as varchar) from marts.mart_relationship_kpis"
        ).fetchone()[0]
    manifest_path = write_manifest(export_dir, entries, as_of)
    context.log.info(f"exported {len(entries)} marts to {export_dir / 'marts'}")
    return dg.MaterializeResult(
        metadata={
            "export_dir": dg.MetadataValue.path(str(export_dir)),
            "manifest": dg.MetadataValue.path(str(manifest_path)),
            "rows_per_mart": dg.MetadataValue.json(
                {entry["mart"]: entry["row_count"] for entry in entries}
            ),
        }
    )


defs = dg.Definitions(assets=[mart_exports])
