"""One dashboard site (index, record pages, owner and unit pages) written into a folder.

The folder is a staging folder that nobody reads yet (see
orchestration.publishing.export_files, which renames the finished tree into place), so files
are written directly.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import duckdb

from orchestration.dashboards.data import load_dashboard_data, present_relations
from orchestration.dashboards.model import RECORD_TYPES
from orchestration.dashboards.paths import owner_path, record_path, unit_path
from orchestration.dashboards.render import SiteContext, render_index, render_record_page
from orchestration.dashboards.team_data import load_team_data
from orchestration.dashboards.team_pages import render_owner_page, render_unit_page, teams_index

# Keys of SiteReport.pages (and the manifest's "pages") for the team pages.
OWNER_PAGES = "owner"
UNIT_PAGES = "business_unit"


@dataclass
class SiteReport:
    directory: Path
    business_unit: str | None
    top_n: int
    pages: dict[str, int] = field(default_factory=dict)
    records_in_scope: dict[str, int] = field(default_factory=dict)
    restricted_subjects: int = 0
    seconds: float = 0.0

    def as_json(self, root: Path) -> dict[str, object]:
        return {
            "business_unit": self.business_unit,
            "path": self.directory.relative_to(root).as_posix() or ".",
            "top_n": self.top_n,
            "pages": self.pages,
            "records_in_scope": self.records_in_scope,
            "restricted_subjects": self.restricted_subjects,
            "seconds": round(self.seconds, 3),
        }


def scope_label(business_unit: str | None) -> str:
    if business_unit is None:
        return "All business units"
    return (
        f"Business unit {business_unit}: records it owns; subjects of activities owned "
        "elsewhere are restricted"
    )


def write_site(
    connection: duckdb.DuckDBPyConnection,
    directory: Path,
    top_n: int,
    business_unit: str | None = None,
    built_at: datetime | None = None,
    unit_links: Sequence[tuple[str, str]] = (),
) -> SiteReport:
    """Render the index, the top `top_n` record pages per type, and the pages of their owners
    and business units into `directory`.

    Record pages go to `<type>/<id>.html`, owner pages to `owners/<owner id>.html`, unit
    pages to `units/<unit id>.html` (`paths.py`); `SiteReport.pages` counts them by record
    type, "owner" and "business_unit".
    """
    started = time.perf_counter()
    built_at = built_at or datetime.now(UTC).replace(tzinfo=None, microsecond=0)
    data = load_dashboard_data(connection, top_n, business_unit)
    team = load_team_data(connection, business_unit, present_relations(connection))
    site = SiteContext(data, built_at, scope_label(business_unit), team)
    directory.mkdir(parents=True, exist_ok=True)
    report = SiteReport(directory=directory, business_unit=business_unit, top_n=top_n)
    report.pages = dict.fromkeys((*RECORD_TYPES, OWNER_PAGES, UNIT_PAGES), 0)
    for record_type in RECORD_TYPES:
        (directory / record_type).mkdir(exist_ok=True)
    for record in data.records:
        path = directory / record_path(record["record_type"], record["record_id"])
        path.write_text(render_record_page(record, site), encoding="utf-8")
        report.pages[record["record_type"]] += 1
        report.restricted_subjects += sum(
            1 for moment in ("last", "next") if record.get(f"{moment}_interaction_is_restricted")
        )
    for owner_id in team.owner_periods:
        path = directory / owner_path(owner_id)
        path.parent.mkdir(exist_ok=True)
        path.write_text(render_owner_page(owner_id, site), encoding="utf-8")
        report.pages[OWNER_PAGES] += 1
    for unit in team.unit_periods:
        path = directory / unit_path(unit)
        path.parent.mkdir(exist_ok=True)
        path.write_text(render_unit_page(unit, site), encoding="utf-8")
        report.pages[UNIT_PAGES] += 1
    (directory / "index.html").write_text(
        render_index(site, unit_links, teams_index(site)), encoding="utf-8"
    )
    report.records_in_scope = dict(data.type_totals)
    report.seconds = time.perf_counter() - started
    return report
