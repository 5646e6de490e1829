"""dashboards/ of an export set: the static HTML site, for everyone and per business unit.

The site itself is built by orchestration.dashboards; this module places it: the whole tree
is written beside its final folder and swapped in, so a reader never sees half a site.
"""

from __future__ import annotations

import json
import os
import shutil
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import duckdb

from orchestration.dashboards.data import business_units as warehouse_business_units
from orchestration.dashboards.options import DashboardOptions
from orchestration.dashboards.paths import safe_name
from orchestration.dashboards.site import SiteReport, write_site

DASHBOARDS_DIR = "dashboards"
BUSINESS_UNITS_DIR = "business_units"


@dataclass
class DashboardExport:
    directory: Path
    sites: list[SiteReport] = field(default_factory=list)

    @property
    def pages(self) -> int:
        return sum(sum(site.pages.values()) for site in self.sites)


def resolve_business_units(
    connection: duckdb.DuckDBPyConnection, options: DashboardOptions
) -> list[str]:
    """The units to export: every unit for 'all'; a named unit must own at least one user."""
    if not options.business_units:
        return []
    known = warehouse_business_units(connection)
    if options.every_business_unit:
        return known
    unknown = [unit for unit in options.business_units if unit not in known]
    if unknown:
        raise ValueError(
            f"RA_DASHBOARD_BUSINESS_UNITS names {', '.join(unknown)}, which no user belongs "
            f"to; known units: {', '.join(known) or 'none'}"
        )
    return list(options.business_units)


def _swap_directory(staging: Path, final: Path) -> None:
    """Put a finished tree in place: readers see the old tree or the new one, never half."""
    if final.exists():
        retired = final.with_name(f".{final.name}.old-{uuid.uuid4().hex[:8]}")
        os.replace(final, retired)
        os.replace(staging, final)
        shutil.rmtree(retired, ignore_errors=True)
    else:
        os.replace(staging, final)


def export_dashboards(
    connection: duckdb.DuckDBPyConnection,
    export_dir: Path,
    options: DashboardOptions,
    built_at: datetime | None = None,
) -> DashboardExport:
    """Write $RA_EXPORT_DIR/dashboards: the full site and one site per requested unit.

    A unit's site, under dashboards/business_units/<unit>/, holds only the records owned by
    that unit's users and can be handed to that unit as it is.
    """
    export_dir.mkdir(parents=True, exist_ok=True)
    built_at = built_at or datetime.now(UTC).replace(tzinfo=None, microsecond=0)
    units = resolve_business_units(connection, options)
    unit_links = [(unit, safe_name(unit)) for unit in units]
    final = export_dir / DASHBOARDS_DIR
    staging = export_dir / f".{DASHBOARDS_DIR}.tmp-{uuid.uuid4().hex[:8]}"
    result = DashboardExport(directory=final)
    try:
        result.sites.append(
            write_site(connection, staging, options.top_n, None, built_at, unit_links)
        )
        for unit, unit_dir in unit_links:
            result.sites.append(
                write_site(
                    connection,
                    staging / BUSINESS_UNITS_DIR / unit_dir,
                    options.top_n,
                    unit,
                    built_at,
                )
            )
        manifest = {
            "built_at": built_at.strftime("%Y-%m-%dT%H:%M:%SZ"),
            "top_n": options.top_n,
            "sites": [site.as_json(staging) for site in result.sites],
        }
        (staging / "manifest.json").write_text(json.dumps(manifest, indent=2) + "\n")
        for site in result.sites:
            site.directory = final / site.directory.relative_to(staging)
        _swap_directory(staging, final)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return result
