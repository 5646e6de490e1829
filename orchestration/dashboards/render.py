"""Page contexts for the dashboard templates, and the calls that render them.

A page is a context dict plus a template (`templates/`, rendered by `templating.py` with
autoescaping): `page_context` gives what the base layout needs (title, way back to the
index, the site's footer), `record_page_context` and `index_context` add what their
templates show. Values stay raw here (numbers, datetimes, names); the templates format
them with the filters of `filters.py` and escape them. Charts come from `charts.py` as
SVG markup already escaped.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from functools import partial
from typing import Any

from orchestration.dashboards import charts
from orchestration.dashboards.filters import TYPE_LABELS, fmt_at, fmt_money, fmt_number, type_label
from orchestration.dashboards.model import (
    ACTIVITY_WINDOW_DAYS,
    RECORD_TYPES,
    RESTRICTED,
    DashboardData,
    Key,
    Row,
)
from orchestration.dashboards.paths import owner_path, record_path, unit_path
from orchestration.dashboards.team_data import TeamData
from orchestration.dashboards.templating import render_page

# The cards of a record page, in order: templates/widgets/<name>.html.
RECORD_WIDGETS = (
    "summary",
    "interactions",
    "health",
    "initiated",
    "time_spent",
    "activities_60d",
    "email_engagement",
    "email_ratios",
    "response_time",
    "focus",
    "top_contacts",
    "similar_won",
    "who_knows_whom",
)
OPPORTUNITY_ONLY_WIDGETS = frozenset({"focus"})

# The index's table: (row key, header, numeric). The rows are `index_rows`.
INDEX_COLUMNS = (
    ("type_rank", "Rank", True),
    ("type_label", "Type", False),
    ("record_name", "Name", False),
    ("owner_name", "Owner", False),
    ("health_score", "Health", True),
    ("health_state", "State", False),
    ("health_trend", "Trend", False),
    ("value_at_risk", "Value at risk", True),
    ("activity_count", "Activities", True),
    ("time_spent_by_team_minutes", "Team time (h)", True),
    ("last_interaction_at", "Last interaction", False),
    ("next_interaction_at", "Next interaction", False),
    ("inactive_days", "Inactive days", True),
)

# The health components of mart_relationship_kpis (`<name>_score`, 0-100, and
# `<name>_contribution_points`), in the order the health card lists them.
HEALTH_COMPONENTS = (
    ("frequency", "Frequency"),
    ("recency", "Recency"),
    ("reciprocity", "Reciprocity"),
    ("breadth", "Engagement breadth"),
    ("sentiment", "Tone of customer emails"),
)
# How mart_relationship_kpis.health_reasons joins its sentences (macros/health_reasons.sql).
HEALTH_REASONS_SEPARATOR = "; "

PAIR_HEADINGS = {
    "contact": "Relationship strength with each colleague",
    "account": "Strongest relationships with the account's contacts",
    "opportunity": "Strongest relationships with the account's contacts",
}


@dataclass
class SiteContext:
    """What every page of one site shares: the data, which records and teams have pages,
    the clock."""

    data: DashboardData
    built_at: datetime
    scope_label: str
    team: TeamData = field(default_factory=TeamData)
    pages: set[Key] = field(init=False)

    def __post_init__(self) -> None:
        self.pages = {(r["record_type"], r["record_id"]) for r in self.data.records}

    def owner_href(self, root: str, owner_id: str | None) -> str | None:
        """The link from a page at `root` to an owner's page, None when it has none here."""
        if owner_id is None or owner_id not in self.team.owner_periods:
            return None
        return root + owner_path(owner_id)

    def unit_href(self, root: str, business_unit_id: str | None) -> str | None:
        """The link from a page at `root` to a unit's page, None when it has none here."""
        if business_unit_id is None or business_unit_id not in self.team.unit_periods:
            return None
        return root + unit_path(business_unit_id)

    @property
    def as_of(self) -> datetime:
        return self.data.as_of

    def href(
        self, root: str, record_types: str | Sequence[str], record_id: str | None
    ) -> str | None:
        """The link from a page (at `root` from the site's index) to a record's page, if any.

        Several types can be given when the mart does not say which one the id is (a
        customer-side party can be a contact, a lead or an account); the first type with
        a page wins. None when no page exists: the template shows the name without a link.
        """
        types = [record_types] if isinstance(record_types, str) else record_types
        for record_type in types:
            if record_id is not None and (record_type, record_id) in self.pages:
                return root + record_path(record_type, record_id)
        return None


def page_context(site: SiteContext, title: str, root: str, **values: Any) -> dict[str, Any]:
    """The context of any page: what `templates/base.html` needs, plus the page's own values.

    `root` is the way from the page's folder back to the site's index ("" or "../");
    `href_for(types, id)` gives links to record pages relative to this page.
    """
    return {
        "title": title,
        "root": root,
        "site": site,
        "href_for": partial(site.href, root),
        "owner_href": partial(site.owner_href, root),
        **values,
    }


def interaction(record: Row, moment: str, as_of: datetime) -> dict[str, Any]:
    """The last or next interaction (`moment`) of a record, as the interactions card shows it."""
    at = record.get(f"{moment}_interaction_at")
    subject = record.get(f"{moment}_interaction_subject")
    relative = None
    if at is not None:
        days = (at.date() - as_of.date()).days
        ago = "ago" if days < 0 else "from now"
        relative = "today" if days == 0 else f"{abs(days)} days {ago}"
    return {
        "heading": f"{moment.title()} interaction",
        "nothing": "None recorded." if moment == "last" else "Nothing scheduled.",
        "at": at,
        "relative": relative,
        "type": record.get(f"{moment}_interaction_type"),
        "subject": subject,
        "activity_id": record.get(f"{moment}_interaction_activity_id"),
        "is_restricted": bool(record.get(f"{moment}_interaction_is_restricted"))
        or subject == RESTRICTED,
    }


def health_components(record: Row) -> list[dict[str, Any]]:
    """The health card's components: label, `score` (0-100) and `points` (its weighted
    contribution to the score), as mart_relationship_kpis holds them.

    A component the mart leaves null (breadth of a contact or of a record without customer
    people of interest; sentiment without a scored customer email in the window) keeps
    `score` None, shown "not scored", never 0: its weight is spread over the others
    (docs/kpi_definitions.md section 6).
    """
    return [
        {
            "name": name,
            "label": label,
            "score": record[f"{name}_score"],
            "points": record[f"{name}_contribution_points"],
        }
        for name, label in HEALTH_COMPONENTS
    ]


def health_reasons(record: Row) -> list[str]:
    """The sentences of `health_reasons` (costliest first), [] when the mart has none."""
    reasons = record["health_reasons"]
    return [] if not reasons else reasons.split(HEALTH_REASONS_SEPARATOR)


def health_validation(data: DashboardData) -> dict[str, Any]:
    """The index's validation card: mart_health_validation's rows per horizon, or the note
    that says why there are none.

    Not on a business unit's site: the figures count every unit's closed deals.
    """
    card: dict[str, Any] = {"rows": data.health_validation, "note": None}
    if data.business_unit is not None:
        return card | {"note": "Counted over every business unit's deals: see the all-units site."}
    if "marts.mart_health_validation" in data.missing_marts:
        return card | {
            "note": "Not in this warehouse yet: `make validate-health` builds "
            "mart_health_validation and writes docs/health_validation.md."
        }
    if not data.health_validation:
        return card | {"note": "No closed opportunity to check the score against yet."}
    return card


def similar_deals(record: Row, data: DashboardData) -> dict[str, Any]:
    """The similar-won card: its rows, or the note that says why there are none.

    `total` (how many similar deals exist in every unit) is None on a unit's site, where
    `widget_data.restrict_similar_deals` drops it.
    """
    shown: dict[str, Any] = {"rows": [], "note": None, "intro": None, "total": None}
    if record["record_type"] != "opportunity":
        return shown | {"note": "Shown for open opportunities."}
    if "marts.mart_similar_won_opportunities" in data.missing_marts:
        return shown | {"note": "Not computed yet (refreshed weekly)."}
    if record.get("record_state") not in (None, "open"):
        return shown | {"note": "Shown for open opportunities."}
    rows = data.similar.get(("opportunity", record["record_id"]), [])
    if not rows:
        status = data.similar_status or {}
        reason = status.get("reason") if status and not status.get("is_enabled") else None
        return shown | {"note": f"None: {reason}." if reason else "No similar won deal."}
    return shown | {
        "rows": [row | {"is_restricted": bool(row.get("is_restricted"))} for row in rows],
        "intro": "No similar deal: the biggest won deals instead."
        if rows[0].get("match_kind") == "top_won_fallback"
        else "Won deals most like this one (industry, value, account size, unit, stakeholders).",
        "total": rows[0].get("similar_total"),
        "refreshed_at": rows[0].get("refreshed_at"),
    }


def record_page_context(record: Row, site: SiteContext) -> dict[str, Any]:
    """Everything `templates/record.html` and its widgets show for one record."""
    data = site.data
    record_type, record_id = record["record_type"], record["record_id"]
    key = (record_type, record_id)
    name = record.get("record_name") or record_id
    score, before = record.get("health_score"), record.get("health_score_14d_ago")
    team, customer = charts.initiated_counts(record)
    window = charts.activity_window(record, data)
    top_contacts = None
    if record_type != "contact":
        rows = data.top_contacts.get(key, [])
        top_contacts = [
            {
                "heading": heading,
                "party_types": party_types,
                "rows": [row for row in rows if row["side"] == side],
            }
            for side, heading, party_types in (
                ("customer", "Most contacted (customer side)", ("contact", "lead", "account")),
                ("team", "Most contacted by (our team)", ()),
            )
        ]
    return page_context(
        site,
        f"{name} · {type_label(record_type)}",
        "../",
        record=record,
        name=name,
        type_total=data.type_totals.get(record_type, 0),
        ranking="by focus" if record.get("focus_rank") is not None else "by health",
        widgets=[
            widget
            for widget in RECORD_WIDGETS
            if record_type == "opportunity" or widget not in OPPORTUNITY_ONLY_WIDGETS
        ],
        summaries=data.summaries.get(key, []),
        interactions=[interaction(record, moment, data.as_of) for moment in ("last", "next")],
        health_change=None if score is None or before is None else score - before,
        health_components=health_components(record),
        health_reasons=health_reasons(record),
        initiated=[("Our team (sent, made)", team), ("Customer (received)", customer)],
        window={
            "days": ACTIVITY_WINDOW_DAYS,
            "chart": window.chart,
            "total": window.total,
            "emails": window.emails,
            "meetings": window.meetings,
            "phone_calls": window.phone_calls,
        },
        charts={
            "health": charts.health_chart(record, data),
            "initiated": charts.initiated_chart(team, customer),
            "time_spent": charts.time_spent_chart(record),
            "engagement": charts.engagement_chart(record),
        },
        coverage=data.coverage.get(key) if record_type == "opportunity" else None,
        top_contacts=top_contacts,
        similar=similar_deals(record, data),
        colleagues=data.who_knows_whom.get(key, []) if record_type in ("contact", "lead") else None,
        pairs={"heading": PAIR_HEADINGS[record_type], "rows": data.pairs.get(key, [])}
        if record_type in PAIR_HEADINGS
        else None,
    )


def render_record_page(record: Row, site: SiteContext) -> str:
    return render_page("record.html", record_page_context(record, site))


def index_rows(data: DashboardData) -> list[Row]:
    """The index's rows, embedded as JSON: raw values to sort by, `*_text` to show."""
    rows = []
    for order, record in enumerate(data.records):
        team_minutes = record.get("time_spent_by_team_minutes")
        name = record.get("record_name")
        owner = record.get("owner_name") or record.get("owner_id")
        last_at, next_at = record.get("last_interaction_at"), record.get("next_interaction_at")
        rows.append(
            {
                "order": order,
                "record_type": record["record_type"],
                "record_id": record["record_id"],
                "href": record_path(record["record_type"], record["record_id"]),
                "type_rank": record["type_rank"],
                "type_label": type_label(record["record_type"]),
                "record_name": name,
                "owner_name": owner,
                "health_score": record.get("health_score"),
                "health_state": record.get("health_state"),
                "health_trend": record.get("health_trend"),
                "value_at_risk": record.get("value_at_risk"),
                "value_at_risk_text": fmt_money(record.get("value_at_risk")),
                "activity_count": record.get("activity_count"),
                "time_spent_by_team_minutes": team_minutes,
                "time_spent_by_team_minutes_text": fmt_number(
                    None if team_minutes is None else team_minutes / 60
                ),
                "last_interaction_at": fmt_at(last_at) if last_at else None,
                "next_interaction_at": fmt_at(next_at) if next_at else None,
                "inactive_days": record.get("inactive_days"),
                "search": " ".join(
                    str(part).lower()
                    for part in (
                        name,
                        record["record_id"],
                        type_label(record["record_type"]),
                        owner,
                        record.get("health_state"),
                    )
                    if part
                ),
            }
        )
    return rows


def index_context(
    site: SiteContext,
    unit_links: Sequence[tuple[str, str]] = (),
    teams: Sequence[dict[str, Any]] = (),
) -> dict[str, Any]:
    """Everything `templates/index.html` shows; `unit_links` are (unit, folder) pairs of the
    unit sites, `teams` the Teams card's groups (`team_pages.teams_index`)."""
    data = site.data
    return page_context(
        site,
        "Relationship analytics",
        "",
        top_n=data.top_n,
        listed_counts=[
            {
                "record_type": record_type,
                "shown": sum(1 for r in data.records if r["record_type"] == record_type),
                "total": data.type_totals.get(record_type, 0),
            }
            for record_type in TYPE_LABELS
        ],
        state_chart=charts.state_chart(data),
        validation=health_validation(data),
        unit_links=list(unit_links),
        teams=list(teams),
        record_types=list(RECORD_TYPES),
        columns=[
            {"key": key, "label": label, "numeric": numeric}
            for key, label, numeric in INDEX_COLUMNS
        ],
        rows=index_rows(data),
    )


def render_index(
    site: SiteContext,
    unit_links: Sequence[tuple[str, str]] = (),
    teams: Sequence[dict[str, Any]] = (),
) -> str:
    return render_page("index.html", index_context(site, unit_links, teams))
