"""Static HTML dashboards for stakeholders: a searchable index, one page per record, and
one page per owner and per business unit (the manager views).

Pages are self-contained (inline CSS, inline SVG charts, a little inline JavaScript on the
index), so they open straight from disk, offline, with nothing fetched from a CDN.
Generation is bounded by the top N records per type, not by the size of the CRM.
"""

from orchestration.dashboards.options import DashboardOptions, dashboard_options
from orchestration.dashboards.site import SiteReport, write_site

__all__ = ["DashboardOptions", "SiteReport", "dashboard_options", "write_site"]
