"""The charts of the record pages and the index, as inline SVG (`svg.py`) ready to place.

Each function turns a record (a row of the selection, see `data.py`) and its widget rows
into one chart; the templates place the result as it is, since `svg.py` escapes every text
it embeds and returns `Markup`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from markupsafe import Markup

from orchestration.dashboards.filters import (
    STATE_LABELS,
    TYPE_LABELS,
    fmt_count,
    fmt_date,
    fmt_minutes,
    fmt_rate,
    type_label,
)
from orchestration.dashboards.model import ACTIVITY_WINDOW_DAYS, DashboardData, Row
from orchestration.dashboards.svg import (
    CUSTOMER_COLOUR,
    STATE_COLOURS,
    TEAM_COLOUR,
    TYPE_COLOURS,
    Series,
    horizontal_bar_chart,
    line_chart,
    stacked_bar_chart,
)

INITIATED_CATEGORIES = ("Emails", "Meetings", "Phone calls")
ENGAGEMENT_MEASURES = (
    ("Opened", "emails_opened"),
    ("Replied", "emails_replied"),
    ("Link clicked", "emails_link_clicked"),
    ("Attachment viewed", "emails_attachment_viewed"),
)


def health_chart(record: Row, data: DashboardData) -> Markup:
    """The daily health score of `mart_relationship_health_daily` over the state bands."""
    history = data.health.get((record["record_type"], record["record_id"]), [])
    bands = [
        (STATE_LABELS.get(state, state), low, high, STATE_COLOURS.get(state, "#cccccc"))
        for state, low, high in data.health_bands
    ]
    return line_chart(
        [fmt_date(row["score_date"]) for row in history],
        [row["health_score"] for row in history],
        label=f"Health score by day, last {len(history)} days",
        bands=bands,
        empty_message="No health history (closed, or too little activity)",
    )


def initiated_counts(record: Row) -> tuple[list[int], list[int]]:
    """(team, customer) completed activities per type: emails, meetings, phone calls."""
    team = [record.get("emails_sent"), record.get("meetings_sent"), record.get("phone_calls_made")]
    customer = [
        record.get("emails_received"),
        record.get("meetings_received"),
        record.get("phone_calls_received"),
    ]
    return [value or 0 for value in team], [value or 0 for value in customer]


def initiated_chart(team: list[int], customer: list[int]) -> Markup:
    return stacked_bar_chart(
        list(INITIATED_CATEGORIES),
        [Series("Our team", TEAM_COLOUR, team), Series("Customer", CUSTOMER_COLOUR, customer)],
        label="Activities initiated by our team and by the customer, by type",
        empty_message="No completed activity",
    )


@dataclass(frozen=True)
class ActivityWindow:
    """The 60-day activity chart and the totals its note states (both sides, UTC days)."""

    chart: Markup
    emails: int
    meetings: int
    phone_calls: int

    @property
    def total(self) -> int:
        return self.emails + self.meetings + self.phone_calls


def activity_window(record: Row, data: DashboardData) -> ActivityWindow:
    """Activities per day of `mart_relationship_activity_daily`, last 60 days to the as-of."""
    days = [data.window_start + timedelta(days=offset) for offset in range(ACTIVITY_WINDOW_DAYS)]
    by_day = {
        row["activity_date"]: row
        for row in data.daily.get((record["record_type"], record["record_id"]), [])
    }
    empty: Row = {}

    def count(day: date, *columns: str) -> int:
        row = by_day.get(day, empty)
        return sum(row.get(column) or 0 for column in columns)

    emails = [count(day, "emails_sent", "emails_received") for day in days]
    meetings = [count(day, "meetings_sent", "meetings_received") for day in days]
    calls = [count(day, "phone_calls_made", "phone_calls_received") for day in days]
    tooltips = []
    for day in days:
        row = by_day.get(day, empty)
        tooltips.append(
            f"{day.isoformat()}: emails {row.get('emails_sent') or 0} sent / "
            f"{row.get('emails_received') or 0} received; meetings "
            f"{row.get('meetings_sent') or 0} sent / {row.get('meetings_received') or 0} "
            f"received; calls {row.get('phone_calls_made') or 0} made / "
            f"{row.get('phone_calls_received') or 0} received"
        )
    chart = stacked_bar_chart(
        [day.strftime("%m-%d") for day in days],
        [
            Series("Email", TYPE_COLOURS["email"], emails),
            Series("Meeting", TYPE_COLOURS["meeting"], meetings),
            Series("Phone call", TYPE_COLOURS["phone_call"], calls),
        ],
        label=f"Relationship activities per day, {fmt_date(days[0])} to {fmt_date(days[-1])}",
        width=940,
        height=220,
        tick_every=10,
        tooltips=tooltips,
        empty_message=f"No activity in the last {ACTIVITY_WINDOW_DAYS} days",
    )
    return ActivityWindow(chart, sum(emails), sum(meetings), sum(calls))


def engagement_chart(record: Row) -> Markup:
    """Opened, replied, clicked and viewed shares of the followed emails the team sent."""
    followed = record.get("followed_emails") or 0
    rows = []
    for name, key in ENGAGEMENT_MEASURES:
        rate = record.get(f"{key}_rate")
        text = f"{fmt_count(record.get(key))} of {followed} ({fmt_rate(rate)})"
        rows.append((name, rate, text, TEAM_COLOUR))
    return horizontal_bar_chart(
        rows if followed else [],
        label="Engagement with followed emails sent by the team",
        maximum=1.0,
        empty_message="No followed email sent by the team",
    )


def time_spent_chart(record: Row) -> Markup:
    team = record.get("time_spent_by_team_minutes")
    customer = record.get("time_spent_by_customer_minutes")
    return horizontal_bar_chart(
        [
            ("Our team", team, fmt_minutes(team), TEAM_COLOUR),
            ("Customer", customer, fmt_minutes(customer), CUSTOMER_COLOUR),
        ],
        label="Time spent in minutes, by side",
    )


def state_chart(data: DashboardData) -> Markup:
    """The index's health states per record type, over every record in scope."""
    types = [t for t in TYPE_LABELS if data.state_counts.get(t)]
    series = [
        Series(
            STATE_LABELS[state],
            STATE_COLOURS[state],
            [data.state_counts.get(t, {}).get(state, 0) for t in types],
        )
        for state in STATE_LABELS
    ]
    return stacked_bar_chart(
        [type_label(t, plural=True) for t in types],
        series,
        label="Relationship health of every record, by type",
        width=620,
        height=240,
        empty_message="No records",
    )


def team_health_chart(snapshots: list[dict]) -> Markup:
    """A team's open records per health state 90 days ago, 14 days ago and now (stacked).

    `snapshots` are `team_pages.health_snapshots`: [{label, counts: {state: n}, total}].
    """
    states = list(snapshots[0]["counts"]) if snapshots else []
    return stacked_bar_chart(
        [snapshot["label"] for snapshot in snapshots],
        [
            Series(
                STATE_LABELS[state],
                STATE_COLOURS[state],
                [snapshot["counts"][state] for snapshot in snapshots],
            )
            for state in states
        ],
        label="Health of the team's open records, 90 and 14 days ago and now",
        width=460,
        height=240,
        tooltips=[
            f"{snapshot['label']}: "
            + ", ".join(
                f"{fmt_count(count)} {STATE_LABELS[state]}"
                for state, count in snapshot["counts"].items()
            )
            for snapshot in snapshots
        ],
        empty_message="No open records",
    )
