"""Page contexts of the manager views: one page per owner and per business unit.

A team page (`templates/team.html`) shows, for each of the six reporting periods side by
side, the team's activity by side and type, time spent and response rates both ways with
the counts behind them; and the team's records at T: health now, 14 and 90 days ago (a
chart and a table), the moves between (good to poor, improved, declined) and the records
going dark. A unit's page also lists the unit's owners. Values stay raw (the templates
format them); the figures are the mart rows of `team_data.py` as they are.

Near the top of each page, the manager notice (`MANAGER_NOTICE` of `templating.py`) says
what these views are for and not for; the footer carries the employee notice like every
page.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from orchestration.dashboards import charts
from orchestration.dashboards.model import Row
from orchestration.dashboards.render import SiteContext, page_context
from orchestration.dashboards.team_data import (
    PERIODS,
)
from orchestration.dashboards.templating import render_page

PERIOD_LABELS = dict(PERIODS)
# The activity table of a team page: (row label, mart column).
ACTIVITY_ROWS = (
    ("Emails sent by us", "emails_sent"),
    ("Emails received from customers", "emails_received"),
    ("Meetings organized by us", "meetings_sent"),
    ("Meetings organized by customers", "meetings_received"),
    ("Phone calls made", "phone_calls_made"),
    ("Phone calls received", "phone_calls_received"),
    ("Initiated by our team", "activities_initiated_by_team"),
    ("Initiated by customers", "activities_initiated_by_customer"),
)
HEALTH_STATES = ("good", "fair", "poor", "not_enough_info")
# The health snapshots, oldest first: (label, suffix of the mart's records_<state> column).
HEALTH_SNAPSHOTS = (("90 days ago", "_90d_ago"), ("14 days ago", "_14d_ago"), ("Now", ""))
MOVES = (
    ("Good to poor", "records_good_to_poor"),
    ("Improved", "records_improved"),
    ("Declined", "records_declined"),
)


def period_columns(rows: list[Row]) -> list[dict[str, Any]]:
    """One column per period row: its label and its first and last day (the end is excluded)."""
    return [
        {
            "label": PERIOD_LABELS.get(row["period"], row["period"]),
            "first_day": row["period_start"].date(),
            "last_day": (row["period_end"] - timedelta(days=1)).date(),
        }
        for row in rows
    ]


def health_snapshots(snapshot: Row) -> list[dict[str, Any]]:
    """Records per health state at each snapshot: [{label, counts: {state: n}, total}]."""
    shown = []
    for label, suffix in HEALTH_SNAPSHOTS:
        counts = {state: snapshot[f"records_{state}{suffix}"] for state in HEALTH_STATES}
        shown.append({"label": label, "counts": counts, "total": sum(counts.values())})
    return shown


def team_context(
    site: SiteContext,
    *,
    kind: str,
    team_id: str,
    name: str,
    rows: list[Row],
    going_dark: list[Row],
    going_dark_total_key: str,
    **values: Any,
) -> dict[str, Any]:
    """What `templates/team.html` needs for one team (an owner or a business unit)."""
    snapshot = rows[0]
    snapshots = health_snapshots(snapshot)
    return page_context(
        site,
        f"{name} · {'Owner' if kind == 'owner' else 'Business unit'}",
        "../",
        kind=kind,
        team_id=team_id,
        name=name,
        periods=rows,
        columns=period_columns(rows),
        activity_rows=ACTIVITY_ROWS,
        snapshot=snapshot,
        snapshots=snapshots,
        health_states=HEALTH_STATES,
        health_chart=charts.team_health_chart(snapshots),
        moves=[
            {"label": label, "days_14": snapshot[f"{key}_14d"], "days_90": snapshot[f"{key}_90d"]}
            for label, key in MOVES
        ],
        going_dark=going_dark,
        going_dark_total=going_dark[0][going_dark_total_key] if going_dark else 0,
        **values,
    )


def owner_page_context(owner_id: str, site: SiteContext) -> dict[str, Any]:
    rows = site.team.owner_periods[owner_id]
    unit = rows[0].get("business_unit_id")
    return team_context(
        site,
        kind="owner",
        team_id=owner_id,
        name=site.team.owner_name(owner_id),
        rows=rows,
        going_dark=site.team.owner_going_dark.get(owner_id, []),
        going_dark_total_key="owner_total",
        business_unit=unit,
        unit_href=site.unit_href("../", unit),
        owners=None,
    )


def unit_page_context(unit: str, site: SiteContext) -> dict[str, Any]:
    return team_context(
        site,
        kind="business_unit",
        team_id=unit,
        name=unit,
        rows=site.team.unit_periods[unit],
        going_dark=site.team.unit_going_dark.get(unit, []),
        going_dark_total_key="unit_total",
        business_unit=unit,
        unit_href=None,
        owners=[
            owner | {"href": site.owner_href("../", owner["owner_id"])}
            for owner in site.team.unit_owners.get(unit, [])
        ],
    )


def teams_index(site: SiteContext) -> list[dict[str, Any]]:
    """The index's Teams card: each unit with a page, then its owners with pages.

    Owners without a unit come last, under "No business unit" (no unit link).
    """
    team = site.team
    owners_by_unit: dict[str | None, list[dict[str, Any]]] = {}
    for owner_id, rows in sorted(
        team.owner_periods.items(), key=lambda item: (team.owner_name(item[0]).lower(), item[0])
    ):
        owners_by_unit.setdefault(rows[0].get("business_unit_id"), []).append(
            {"name": team.owner_name(owner_id), "href": site.owner_href("", owner_id)}
        )
    groups = [
        {"unit": unit, "href": site.unit_href("", unit), "owners": owners_by_unit.pop(unit, [])}
        for unit in sorted(team.unit_periods)
    ]
    groups.extend(
        {"unit": unit, "href": site.unit_href("", unit), "owners": owners}
        for unit, owners in sorted(owners_by_unit.items(), key=lambda item: item[0] or "\uffff")
    )
    return groups


def render_owner_page(owner_id: str, site: SiteContext) -> str:
    return render_page("team.html", owner_page_context(owner_id, site))


def render_unit_page(unit: str, site: SiteContext) -> str:
    return render_page("team.html", unit_page_context(unit, site))
