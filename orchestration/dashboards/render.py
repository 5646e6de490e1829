"""HTML for the index and the record pages: self-contained files, opened straight from disk.

Each page carries its own CSS; the index carries its rows as inline JSON and a few lines of
inline JavaScript to search and sort them; record pages need no JavaScript at all (charts
are inline SVG). Nothing is fetched from anywhere, so pages work offline and from a share.
Every value from the warehouse goes through html.escape (or JSON with `<`, `>` and `&`
escaped), because names and subjects are typed by CRM users.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Sequence
from datetime import date, datetime, timedelta
from hashlib import sha1
from html import escape
from typing import Any

from orchestration.dashboards.data import (
    ACTIVITY_WINDOW_DAYS,
    RESTRICTED,
    DashboardData,
    Key,
    Row,
)
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

TYPE_LABELS = {
    "opportunity": ("Opportunity", "Opportunities"),
    "lead": ("Lead", "Leads"),
    "account": ("Account", "Accounts"),
    "contact": ("Contact", "Contacts"),
}
ACTIVITY_TYPE_LABELS = {"email": "Email", "meeting": "Meeting", "phone_call": "Phone call"}
STATE_LABELS = {
    "good": "good",
    "fair": "fair",
    "poor": "poor",
    "not_enough_info": "not enough info",
    "not_applicable": "not applicable",
}
DASH = "—"
NUMERIC_CLASS = ' class="num"'

CSS = """
:root { --ink: #1f2328; --muted: #5f6670; --line: #d8dde3; --card: #ffffff; --bg: #f4f6f8;
  --team: #4e79a7; --customer: #f28e2b; }
* { box-sizing: border-box; }
body { margin: 0; font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif;
  color: var(--ink); background: var(--bg); }
header, main, footer { max-width: 1280px; margin: 0 auto; padding: 12px 20px; }
header h1 { margin: 4px 0; font-size: 24px; }
a { color: #0b5cad; }
.meta { color: var(--muted); margin: 2px 0; }
.grid { display: grid; grid-template-columns: repeat(auto-fill, minmax(520px, 1fr)); gap: 14px; }
.card { background: var(--card); border: 1px solid var(--line); border-radius: 8px;
  padding: 12px 16px; overflow-x: auto; }
.card h2 { font-size: 16px; margin: 0 0 8px; }
.card h3 { font-size: 13px; margin: 12px 0 4px; color: var(--muted); text-transform: uppercase;
  letter-spacing: .03em; }
.wide { grid-column: 1 / -1; }
.note { color: var(--muted); font-style: italic; }
.restricted { color: var(--muted); font-style: italic; }
table { border-collapse: collapse; width: 100%; }
th, td { text-align: left; padding: 4px 8px; border-bottom: 1px solid var(--line);
  vertical-align: top; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; }
dl.facts { display: grid; grid-template-columns: max-content 1fr; gap: 4px 16px; margin: 0; }
dl.facts dt { color: var(--muted); }
dl.facts dd { margin: 0; font-variant-numeric: tabular-nums; }
.badge { display: inline-block; padding: 1px 8px; border-radius: 10px; font-size: 12px;
  font-weight: 600; color: #1f2328; background: #d4d4d4; white-space: nowrap; }
.badge.good { background: #b5dcae; } .badge.fair { background: #f5e3a3; }
.badge.poor { background: #f4b8b9; }
svg.chart { max-width: 100%; height: auto; display: block; margin: 6px 0; }
.controls { display: flex; gap: 12px; align-items: center; flex-wrap: wrap; margin: 8px 0; }
.controls input[type=search] { padding: 6px 10px; min-width: 320px; font-size: 14px;
  border: 1px solid var(--line); border-radius: 6px; }
.controls select { padding: 6px; font-size: 14px; }
#records th button { all: unset; cursor: pointer; font-weight: 600; }
#records th[aria-sort=ascending] button::after { content: " ▲"; }
#records th[aria-sort=descending] button::after { content: " ▼"; }
#records tbody tr:hover { background: #eef3f8; }
#records th[data-key=record_name] { min-width: 220px; }
footer { color: var(--muted); font-size: 12px; }
"""

INDEX_JS = """
(function () {
  "use strict";
  var rows = JSON.parse(document.getElementById("records-data").textContent);
  var table = document.getElementById("records");
  var body = table.querySelector("tbody");
  var search = document.getElementById("search");
  var typeFilter = document.getElementById("type-filter");
  var shown = document.getElementById("shown-count");
  var headers = Array.prototype.slice.call(table.querySelectorAll("th[data-key]"));
  var sortKey = "order";
  var direction = 1;

  function compare(a, b) {
    var x = a[sortKey], y = b[sortKey];
    if (x === y) { return a.order - b.order; }
    if (x === null || x === undefined || x === "") { return 1; }
    if (y === null || y === undefined || y === "") { return -1; }
    if (typeof x === "string") { x = x.toLowerCase(); y = String(y).toLowerCase(); }
    return (x < y ? -1 : x > y ? 1 : a.order - b.order) * direction;
  }

  function cell(row, column) {
    var td = document.createElement("td");
    var value = row[column.key];
    if (column.numeric) { td.className = "num"; }
    if (column.key === "record_name") {
      var link = document.createElement("a");
      link.href = row.href;
      link.textContent = value === null ? row.record_id : value;
      td.appendChild(link);
    } else if (column.key === "health_state" && value) {
      var badge = document.createElement("span");
      badge.className = "badge " + value;
      badge.textContent = value.replace(/_/g, " ");
      td.appendChild(badge);
    } else {
      var text = row[column.key + "_text"];
      td.textContent = text !== undefined ? text : (value === null ? "\\u2014" : value);
    }
    return td;
  }

  var columns = headers.map(function (th) {
    return { key: th.getAttribute("data-key"), numeric: th.classList.contains("num") };
  });

  function render() {
    var query = search.value.trim().toLowerCase();
    var type = typeFilter.value;
    var visible = rows.filter(function (row) {
      return (!type || row.record_type === type) &&
        (!query || row.search.indexOf(query) !== -1);
    });
    visible.sort(compare);
    var fragment = document.createDocumentFragment();
    visible.forEach(function (row) {
      var tr = document.createElement("tr");
      tr.setAttribute("data-record", row.record_type + "/" + row.record_id);
      columns.forEach(function (column) { tr.appendChild(cell(row, column)); });
      fragment.appendChild(tr);
    });
    body.replaceChildren(fragment);
    shown.textContent = visible.length + " of " + rows.length + " records";
    headers.forEach(function (th) {
      var key = th.getAttribute("data-key");
      th.setAttribute("aria-sort", key === sortKey ?
        (direction === 1 ? "ascending" : "descending") : "none");
    });
  }

  headers.forEach(function (th) {
    th.querySelector("button").addEventListener("click", function () {
      var key = th.getAttribute("data-key");
      direction = key === sortKey ? -direction : 1;
      sortKey = key;
      render();
    });
  });
  search.addEventListener("input", render);
  typeFilter.addEventListener("change", render);
  render();
})();
"""

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


def e(value: object) -> str:
    return escape("" if value is None else str(value), quote=True)


# Formatting: one place, so every page and the index write a value the same way.
def fmt_count(value: float | None) -> str:
    return DASH if value is None else f"{int(value):,}"


def fmt_number(value: float | None, decimals: int = 1) -> str:
    return DASH if value is None else f"{value:,.{decimals}f}"


def fmt_minutes(value: float | None) -> str:
    if value is None:
        return DASH
    text = f"{value:,.1f} min"
    return f"{text} ({value / 60:,.1f} h)" if value >= 60 else text


def fmt_rate(value: float | None) -> str:
    return DASH if value is None else f"{value * 100:.0f}%"


def fmt_hours(value: float | None) -> str:
    return DASH if value is None else f"{value:,.1f} h"


def fmt_at(value: datetime | None) -> str:
    return DASH if value is None else value.strftime("%Y-%m-%d %H:%M UTC")


def fmt_date(value: date | None) -> str:
    return DASH if value is None else value.isoformat()


def fmt_money(value: float | None) -> str:
    return DASH if value is None else f"{value:,.0f}"


def plural(count: int, singular: str, many: str | None = None) -> str:
    return f"{count:,} {singular if count == 1 else many or singular + 's'}"


def type_label(record_type: str, plural: bool = False) -> str:
    singular, many = TYPE_LABELS.get(record_type, (record_type.title(), record_type.title()))
    return many if plural else singular


def state_badge(state: str | None) -> str:
    if not state:
        return DASH
    return f'<span class="badge {e(state)}">{e(STATE_LABELS.get(state, state))}</span>'


def safe_name(text: str) -> str:
    """A file or folder name for an id: the id itself when it is safe, else a slug plus a hash.

    Dataverse ids are GUIDs (safe as they are); anything else is made safe without letting
    two ids share a name.
    """
    if re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9_-]{0,99}", text):
        return text
    slug = re.sub(r"[^A-Za-z0-9_-]+", "_", text).strip("_")[:60] or "id"
    return f"{slug}-{sha1(text.encode()).hexdigest()[:12]}"


def page_filename(record_id: str) -> str:
    return f"{safe_name(record_id)}.html"


def record_path(record_type: str, record_id: str) -> str:
    """Path of a record page, relative to the site root (where index.html is)."""
    return f"{record_type}/{page_filename(record_id)}"


def _table(headers: Sequence[tuple[str, bool]], rows: Iterable[Sequence[str]]) -> str:
    """`headers` are (label, numeric); row cells are already-escaped HTML."""
    head = "".join(
        f'<th class="num">{e(h)}</th>' if num else f"<th>{e(h)}</th>" for h, num in headers
    )
    body = "".join(
        "<tr>"
        + "".join(
            f'<td class="num">{cell}</td>' if headers[i][1] else f"<td>{cell}</td>"
            for i, cell in enumerate(row)
        )
        + "</tr>"
        for row in rows
    )
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def _facts(items: Iterable[tuple[str, str]]) -> str:
    """A definition list; values are already-escaped HTML."""
    return (
        '<dl class="facts">' + "".join(f"<dt>{e(k)}</dt><dd>{v}</dd>" for k, v in items) + "</dl>"
    )


def _card(section_id: str, title: str, content: str, wide: bool = False) -> str:
    css = "card wide" if wide else "card"
    return (
        f'<section class="{css}" id="{e(section_id)}" data-widget="{e(section_id)}">'
        f"<h2>{e(title)}</h2>{content}</section>"
    )


def _note(text: str) -> str:
    return f'<p class="note">{e(text)}</p>'


def _document(title: str, body: str, script: str = "") -> str:
    script_tag = f"<script>{script}</script>" if script else ""
    return (
        "<!doctype html>\n"
        '<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        # An empty icon: otherwise a browser asks the file system for favicon.ico.
        '<link rel="icon" href="data:,">'
        f"<title>{e(title)}</title><style>{CSS}</style></head>"
        f"<body>{body}{script_tag}</body></html>\n"
    )


class PageContext:
    """What every page of one site shares: the data, which records have pages, the clock."""

    def __init__(self, data: DashboardData, built_at: datetime, scope_label: str) -> None:
        self.data = data
        self.built_at = built_at
        self.scope_label = scope_label
        self.pages: set[Key] = {(r["record_type"], r["record_id"]) for r in data.records}

    def link(
        self, record_types: str | Sequence[str], record_id: str | None, text: str | None
    ) -> str:
        """A link from a record page to another record's page when that page exists.

        Several types can be given when the mart does not say which one the id is (a
        customer-side party can be a contact, a lead or an account).
        """
        label = e(text if text else record_id)
        for record_type in [record_types] if isinstance(record_types, str) else record_types:
            if record_id is not None and (record_type, record_id) in self.pages:
                return f'<a href="../{e(record_path(record_type, record_id))}">{label}</a>'
        return label

    def footer(self) -> str:
        return (
            f"<footer>Relationship analytics · {e(self.scope_label)} · KPIs as of "
            f"{e(fmt_at(self.data.as_of))} · built {e(fmt_at(self.built_at))}</footer>"
        )


# --- Record page widgets -------------------------------------------------------------------


def _summary(record: Row, context: PageContext) -> str:
    sentences = context.data.summaries.get((record["record_type"], record["record_id"]), [])
    if not sentences:
        return _card(
            "summary", "Summary", _note("No summary yet: too little activity to compare."), True
        )
    items = "".join(
        f'<li data-kind="{e(row["summary_kind"])}">{e(row["sentence"])}</li>' for row in sentences
    )
    return _card("summary", "Summary", f"<ul>{items}</ul>", wide=True)


def _interaction(record: Row, moment: str, as_of: datetime) -> str:
    at = record.get(f"{moment}_interaction_at")
    if at is None:
        return _note("None recorded." if moment == "last" else "Nothing scheduled.")
    days = (at.date() - as_of.date()).days
    relative = "today" if days == 0 else f"{abs(days)} days {'ago' if days < 0 else 'from now'}"
    subject = record.get(f"{moment}_interaction_subject")
    if record.get(f"{moment}_interaction_is_restricted") or subject == RESTRICTED:
        subject_html = f'<span class="restricted">{e(RESTRICTED)}</span>'
        activity_html = f'<span class="restricted">{e(RESTRICTED)}</span>'
    else:
        subject_html = e(subject) if subject else DASH
        activity_html = e(record.get(f"{moment}_interaction_activity_id"))
    kind = record.get(f"{moment}_interaction_type")
    return _facts(
        [
            ("When", f"{e(fmt_at(at))} ({e(relative)})"),
            ("Type", e(ACTIVITY_TYPE_LABELS.get(kind, kind) if kind else DASH)),
            ("Subject", subject_html),
            ("Activity", activity_html),
        ]
    )


def _interactions(record: Row, context: PageContext) -> str:
    as_of = context.data.as_of
    content = (
        f"<h3>Last interaction</h3>{_interaction(record, 'last', as_of)}"
        f"<h3>Next interaction</h3>{_interaction(record, 'next', as_of)}"
        "<h3>Activity</h3>"
        + _facts(
            [
                ("Inactive days", e(fmt_count(record.get("inactive_days")))),
                ("Last sent", e(fmt_at(record.get("last_sent_at")))),
                ("Last received", e(fmt_at(record.get("last_received_at")))),
            ]
        )
    )
    return _card("interactions", "Last and next interaction", content)


def _health(record: Row, context: PageContext) -> str:
    data = context.data
    history = data.health.get((record["record_type"], record["record_id"]), [])
    labels = [fmt_date(row["score_date"]) for row in history]
    values = [row["health_score"] for row in history]
    bands = [
        (STATE_LABELS.get(state, state), low, high, STATE_COLOURS.get(state, "#cccccc"))
        for state, low, high in data.health_bands
    ]
    score = record.get("health_score")
    before = record.get("health_score_14d_ago")
    change = None if score is None or before is None else score - before
    facts = _facts(
        [
            ("Score", DASH if score is None else f"{e(fmt_count(score))} / 100"),
            ("State", state_badge(record.get("health_state"))),
            ("Trend", e(record.get("health_trend") or DASH)),
            (
                "14 days ago",
                e(fmt_count(before))
                + ("" if change is None else f" ({'+' if change >= 0 else ''}{change})"),
            ),
        ]
    )
    chart = line_chart(
        labels,
        values,
        label=f"Health score by day, last {len(history)} days",
        bands=bands,
        empty_message="No health history (closed, or too little activity)",
    )
    return _card("health", "Relationship health", facts + "<h3>History</h3>" + chart)


def _initiated(record: Row) -> str:
    team = [record.get("emails_sent"), record.get("meetings_sent"), record.get("phone_calls_made")]
    customer = [
        record.get("emails_received"),
        record.get("meetings_received"),
        record.get("phone_calls_received"),
    ]
    team = [value or 0 for value in team]
    customer = [value or 0 for value in customer]
    chart = stacked_bar_chart(
        ["Emails", "Meetings", "Phone calls"],
        [Series("Our team", TEAM_COLOUR, team), Series("Customer", CUSTOMER_COLOUR, customer)],
        label="Activities initiated by our team and by the customer, by type",
        empty_message="No completed activity",
    )
    table = _table(
        [("", False), ("Emails", True), ("Meetings", True), ("Phone calls", True), ("All", True)],
        [
            ["Our team (sent, made)", *map(fmt_count, team), fmt_count(sum(team))],
            ["Customer (received)", *map(fmt_count, customer), fmt_count(sum(customer))],
        ],
    )
    return _card("initiated", "Customer versus team initiated", chart + table)


def _activities_60d(record: Row, context: PageContext) -> str:
    data = context.data
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
    total = sum(emails) + sum(meetings) + sum(calls)
    return _card(
        "activities-60d",
        f"Relationship activities, last {ACTIVITY_WINDOW_DAYS} days",
        chart
        + _note(
            f"{plural(total, 'activity', 'activities')}: {plural(sum(emails), 'email')}, "
            f"{plural(sum(meetings), 'meeting')}, {plural(sum(calls), 'phone call')} (UTC days)."
        ),
        wide=True,
    )


def _email_engagement(record: Row) -> str:
    followed = record.get("followed_emails") or 0
    rows = []
    for name, key in (
        ("Opened", "emails_opened"),
        ("Replied", "emails_replied"),
        ("Link clicked", "emails_link_clicked"),
        ("Attachment viewed", "emails_attachment_viewed"),
    ):
        rate = record.get(f"{key}_rate")
        rows.append(
            (
                name,
                rate,
                f"{fmt_count(record.get(key))} of {followed} ({fmt_rate(rate)})",
                TEAM_COLOUR,
            )
        )
    chart = horizontal_bar_chart(
        rows if followed else [],
        label="Engagement with followed emails sent by the team",
        maximum=1.0,
        empty_message="No followed email sent by the team",
    )
    return _card(
        "email-engagement",
        "Email engagement",
        _facts([("Followed emails sent", e(fmt_count(followed)))]) + chart,
    )


def _email_ratios(record: Row) -> str:
    sent, received = record.get("emails_sent") or 0, record.get("emails_received") or 0
    by_them, by_us = record.get("email_ratio_by_them"), record.get("email_ratio_by_us")
    return _card(
        "email-ratios",
        "Sent and received emails",
        _facts(
            [
                ("Emails sent by us", e(fmt_count(sent))),
                ("Emails received from them", e(fmt_count(received))),
                ("Ratio by them (received / sent)", e(fmt_number(by_them, 2))),
                ("Ratio by us (sent / received)", e(fmt_number(by_us, 2))),
            ]
        ),
    )


def _time_spent(record: Row) -> str:
    team = record.get("time_spent_by_team_minutes")
    customer = record.get("time_spent_by_customer_minutes")
    chart = horizontal_bar_chart(
        [
            ("Our team", team, fmt_minutes(team), TEAM_COLOUR),
            ("Customer", customer, fmt_minutes(customer), CUSTOMER_COLOUR),
        ],
        label="Time spent in minutes, by side",
    )
    return _card(
        "time-spent",
        "Time spent",
        chart + _note("Emails: 5 minutes to write, 2.5 to read; meetings and calls by duration."),
    )


def _response_time(record: Row) -> str:
    table = _table(
        [("", False), ("Answered", True), ("Average", True), ("Median", True)],
        [
            [
                "Our team answers the customer",
                e(fmt_rate(record.get("response_rate_by_us"))),
                e(fmt_hours(record.get("avg_response_time_by_us_hours"))),
                e(fmt_hours(record.get("median_response_time_by_us_hours"))),
            ],
            [
                "The customer answers us",
                e(fmt_rate(record.get("response_rate_by_them"))),
                e(fmt_hours(record.get("avg_response_time_by_them_hours"))),
                e(fmt_hours(record.get("median_response_time_by_them_hours"))),
            ],
        ],
    )
    return _card("response-time", "Response time", table)


def _top_contacts(record: Row, context: PageContext) -> str:
    title = "Most contacted and contacted by"
    if record["record_type"] == "contact":
        return _card("top-contacts", title, _note("Shown for accounts, leads and opportunities."))
    rows = context.data.top_contacts.get((record["record_type"], record["record_id"]), [])
    content = ""
    for side, heading, party_types in (
        ("customer", "Most contacted (customer side)", ("contact", "lead", "account")),
        ("team", "Most contacted by (our team)", ()),
    ):
        side_rows = [row for row in rows if row["side"] == side]
        content += f"<h3>{e(heading)}</h3>"
        if not side_rows:
            content += _note("Nobody yet.")
            continue
        content += _table(
            [
                ("#", True),
                ("Name", False),
                ("Interactions", True),
                ("Emails", True),
                ("Meetings", True),
                ("Calls", True),
                ("Last interaction", False),
            ],
            [
                [
                    e(row["rank"]),
                    context.link(party_types, row["party_id"], row.get("party_name")),
                    e(fmt_count(row.get("interaction_count"))),
                    e(fmt_count(row.get("email_count"))),
                    e(fmt_count(row.get("meeting_count"))),
                    e(fmt_count(row.get("phone_call_count"))),
                    e(fmt_at(row.get("last_interaction_at"))),
                ]
                for row in side_rows
            ],
        )
    return _card("top-contacts", title, content)


def _similar_won(record: Row, context: PageContext) -> str:
    title = "Similar won deals"
    data = context.data
    if record["record_type"] != "opportunity":
        return _card("similar-won", title, _note("Shown for open opportunities."))
    if "marts.mart_similar_won_opportunities" in data.missing_marts:
        return _card("similar-won", title, _note("Not computed yet (refreshed weekly)."))
    if record.get("record_state") not in (None, "open"):
        return _card("similar-won", title, _note("Shown for open opportunities."))
    rows = data.similar.get(("opportunity", record["record_id"]), [])
    if not rows:
        status = data.similar_status or {}
        reason = status.get("reason") if status and not status.get("is_enabled") else None
        return _card(
            "similar-won", title, _note(f"None: {reason}." if reason else "No similar won deal.")
        )
    kind = rows[0].get("match_kind")
    total = rows[0].get("similar_total")  # absent on a unit's site: it counts every unit
    intro = (
        "No similar deal: the biggest won deals instead."
        if kind == "top_won_fallback"
        else "Won deals most like this one (industry, value, account size, unit, stakeholders)."
    )
    table = _table(
        [
            ("#", True),
            ("Won deal", False),
            ("Similarity", True),
            ("Activities", True),
            ("Team time", True),
            ("Customer time", True),
            ("Our response", True),
            ("Their answer rate", True),
            ("Actual value", True),
            ("Closed", False),
        ],
        [
            [
                e(row["similarity_rank"]),
                f'<span class="restricted">{e(RESTRICTED)}</span>'
                if row.get("is_restricted")
                else context.link(
                    "opportunity",
                    row["similar_opportunity_id"],
                    row.get("similar_opportunity_name"),
                ),
                e(fmt_number(row.get("similarity_score"), 0)),
                e(fmt_count(row.get("activity_count"))),
                e(fmt_minutes(row.get("time_spent_by_team_minutes"))),
                e(fmt_minutes(row.get("time_spent_by_customer_minutes"))),
                e(fmt_hours(row.get("avg_response_time_by_us_hours"))),
                e(fmt_rate(row.get("response_rate_by_them"))),
                e(fmt_money(row.get("actual_value"))),
                e(fmt_date(row.get("actual_close_date"))),
            ]
            for row in rows
        ],
    )
    more = _note(f"Showing {len(rows)} of {total}.") if total and total > len(rows) else ""
    refreshed = _note(f"Refreshed {fmt_at(rows[0].get('refreshed_at'))}.")
    return _card("similar-won", title, _note(intro) + table + more + refreshed, wide=True)


def _who_knows_whom(record: Row, context: PageContext) -> str:
    key = (record["record_type"], record["record_id"])
    content = ""
    if record["record_type"] in ("contact", "lead"):
        colleagues = context.data.who_knows_whom.get(key, [])
        content += "<h3>Colleagues who know them best</h3>"
        content += (
            _table(
                [
                    ("#", True),
                    ("Colleague", False),
                    ("Strength", True),
                    ("Emails", True),
                    ("Meetings", True),
                    ("Last interaction", False),
                ],
                [
                    [
                        e(row["rank"]),
                        e(row.get("user_name") or row["user_id"]),
                        e(fmt_number(row.get("connection_strength"))),
                        e(fmt_count(row.get("email_count"))),
                        e(fmt_count(row.get("meeting_count"))),
                        e(fmt_at(row.get("last_interaction_at"))),
                    ]
                    for row in colleagues
                ],
            )
            if colleagues
            else _note("No shared email or meeting yet.")
        )
    if record["record_type"] in ("contact", "account", "opportunity"):
        pairs = context.data.pairs.get(key, [])
        heading = {
            "contact": "Relationship strength with each colleague",
            "account": "Strongest relationships with the account's contacts",
            "opportunity": "Strongest relationships with the account's contacts",
        }[record["record_type"]]
        content += f"<h3>{e(heading)}</h3>"
        content += (
            _table(
                [
                    ("Colleague", False),
                    ("Contact", False),
                    ("Strength", True),
                    ("Reciprocity", True),
                    ("Emails", True),
                    ("Meetings", True),
                    ("Calls", True),
                    ("Last", False),
                ],
                [
                    [
                        e(row.get("user_name") or row["user_id"]),
                        context.link("contact", row["contact_id"], row.get("contact_name")),
                        e(fmt_number(row.get("relationship_strength"))),
                        e(fmt_number(row.get("email_reciprocity"), 2)),
                        e(fmt_count(row.get("email_count"))),
                        e(fmt_count(row.get("meeting_count"))),
                        e(fmt_count(row.get("phone_call_count"))),
                        e(fmt_at(row.get("last_interaction_at"))),
                    ]
                    for row in pairs
                ],
            )
            if pairs
            else _note("No shared activity yet.")
        )
    return _card("who-knows-whom", "Who knows whom", content, wide=True)


def _focus_and_coverage(record: Row, context: PageContext) -> str:
    title = "Focus and stakeholder coverage"
    if record["record_type"] != "opportunity":
        return ""
    facts: list[tuple[str, str]] = []
    if record.get("focus_rank") is not None:
        facts += [
            ("Focus rank", e(fmt_count(record["focus_rank"]))),
            ("Value at risk", e(fmt_money(record.get("value_at_risk")))),
            ("Estimated value", e(fmt_money(record.get("estimated_value")))),
            ("Estimated close", e(fmt_date(record.get("estimated_close_date")))),
            ("Why", e(record.get("focus_reasons") or DASH)),
        ]
    coverage = context.data.coverage.get(("opportunity", record["record_id"]))
    if coverage:
        facts += [
            ("Stakeholders", e(fmt_count(coverage.get("stakeholder_count")))),
            ("Engaged in 30 days", e(fmt_count(coverage.get("engaged_stakeholders_30d")))),
            ("Coverage", e(fmt_rate(coverage.get("coverage_share")))),
            ("Single-threaded", "yes" if coverage.get("is_single_threaded") else "no"),
            (
                "Last stakeholder contact",
                e(fmt_at(coverage.get("last_stakeholder_interaction_at"))),
            ),
        ]
    content = _facts(facts) if facts else _note("Only open opportunities are ranked.")
    return _card("focus", title, content)


def render_record_page(record: Row, context: PageContext) -> str:
    record_type, record_id = record["record_type"], record["record_id"]
    name = record.get("record_name") or record_id
    total = context.data.type_totals.get(record_type, 0)
    ranking = "by focus" if record.get("focus_rank") is not None else "by health"
    header = (
        '<header><p class="meta"><a href="../index.html">&larr; All records</a></p>'
        f"<h1>{e(name)}</h1>"
        f'<p class="meta">{e(type_label(record_type))} · id {e(record_id)} · owner '
        f"{e(record.get('owner_name') or record.get('owner_id') or DASH)} · business unit "
        f"{e(record.get('business_unit_id') or DASH)} · {e(record.get('record_state') or DASH)}"
        f'</p><p class="meta">Health {state_badge(record.get("health_state"))} · '
        f"#{e(record['type_rank'])} of {e(total)} {e(type_label(record_type, True).lower())} "
        f"{e(ranking)}</p></header>"
    )
    widgets = [
        _summary(record, context),
        _interactions(record, context),
        _health(record, context),
        _initiated(record),
        _time_spent(record),
        _activities_60d(record, context),
        _email_engagement(record),
        _email_ratios(record),
        _response_time(record),
        _focus_and_coverage(record, context),
        _top_contacts(record, context),
        _similar_won(record, context),
        _who_knows_whom(record, context),
    ]
    body = header + '<main class="grid">' + "".join(widgets) + "</main>" + context.footer()
    return _document(f"{name} · {type_label(record_type)}", body)


# --- Index ---------------------------------------------------------------------------------


def _json_for_script(value: Any) -> str:
    """JSON that cannot close its <script> element or start an HTML comment."""
    text = json.dumps(value, ensure_ascii=False, separators=(",", ":"), default=str)
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def index_rows(data: DashboardData) -> list[Row]:
    rows = []
    for order, record in enumerate(data.records):
        team_minutes = record.get("time_spent_by_team_minutes")
        name = record.get("record_name")
        owner = record.get("owner_name") or record.get("owner_id")
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
                "last_interaction_at": fmt_at(record.get("last_interaction_at"))
                if record.get("last_interaction_at")
                else None,
                "next_interaction_at": fmt_at(record.get("next_interaction_at"))
                if record.get("next_interaction_at")
                else None,
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


def _state_chart(data: DashboardData) -> str:
    types = [t for t in TYPE_LABELS if data.state_counts.get(t)]
    states = ["good", "fair", "poor", "not_enough_info", "not_applicable"]
    series = [
        Series(
            STATE_LABELS[state],
            STATE_COLOURS[state],
            [data.state_counts.get(t, {}).get(state, 0) for t in types],
        )
        for state in states
    ]
    return stacked_bar_chart(
        [type_label(t, plural=True) for t in types],
        series,
        label="Relationship health of every record, by type",
        width=620,
        height=240,
        empty_message="No records",
    )


def render_index(
    data: DashboardData, context: PageContext, unit_links: Sequence[tuple[str, str]] = ()
) -> str:
    counts = "; ".join(
        f"{fmt_count(sum(1 for r in data.records if r['record_type'] == t))} of "
        f"{fmt_count(data.type_totals.get(t, 0))} {type_label(t, True).lower()}"
        for t in TYPE_LABELS
    )
    units = ""
    if unit_links:
        units = (
            '<section class="card wide" id="business-units"><h2>By business unit</h2><p>'
            + " · ".join(
                f'<a href="business_units/{e(unit_dir)}/index.html">{e(unit)}</a>'
                for unit, unit_dir in unit_links
            )
            + "</p></section>"
        )
    headers = "".join(
        f'<th data-key="{e(key)}"{NUMERIC_CLASS if numeric else ""} aria-sort="none">'
        f'<button type="button">{e(label)}</button></th>'
        for key, label, numeric in INDEX_COLUMNS
    )
    options = "".join(
        f'<option value="{e(t)}">{e(type_label(t, True))}</option>' for t in TYPE_LABELS
    )
    body = (
        "<header><h1>Relationship analytics</h1>"
        f'<p class="meta">{e(context.scope_label)} · KPIs as of {e(fmt_at(data.as_of))}</p>'
        f'<p class="meta">Pages for the top {e(data.top_n)} records of each type: '
        "opportunities by focus (value at risk), then every record by health score, "
        f"lowest first, then activity. Listed: {e(counts)}.</p></header>"
        '<main class="grid">'
        '<section class="card wide" id="health-overview"><h2>Health by record type</h2>'
        f"{_state_chart(data)}</section>{units}"
        '<section class="card wide" id="ranked-records"><h2>Records</h2>'
        '<div class="controls"><input type="search" id="search" '
        'placeholder="Search name, id, type, owner or state" aria-label="Search records">'
        '<select id="type-filter" aria-label="Record type"><option value="">All types</option>'
        f'{options}</select><span id="shown-count" class="meta"></span></div>'
        f'<table id="records"><thead><tr>{headers}</tr></thead><tbody></tbody></table>'
        '<noscript><p class="note">Search and sorting need JavaScript; the record pages '
        "do not.</p></noscript></section></main>"
        f'<script type="application/json" id="records-data">'
        f"{_json_for_script(index_rows(data))}</script>" + context.footer()
    )
    return _document("Relationship analytics", body, INDEX_JS)
