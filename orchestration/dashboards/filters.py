"""How a value is written on every page: one function per kind, registered as Jinja filters.

Templates write `{{ record.emails_sent | fmt_count }}`; Python that builds chart labels or
the index's JSON calls the same functions, so a value reads the same in a table, a chart
tooltip and the index. A missing value (None) is always an em dash.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from typing import Any

DASH = "—"
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


def fmt_count(value: float | None) -> str:
    """A whole number with thousands separators: 1234.0 -> "1,234"."""
    return DASH if value is None else f"{int(value):,}"


def fmt_number(value: float | None, decimals: int = 1) -> str:
    """1234.56 -> "1,234.6" (decimals=1)."""
    return DASH if value is None else f"{value:,.{decimals}f}"


def fmt_minutes(value: float | None) -> str:
    """Minutes, with hours added from an hour up: 90 -> "90.0 min (1.5 h)"."""
    if value is None:
        return DASH
    text = f"{value:,.1f} min"
    return f"{text} ({value / 60:,.1f} h)" if value >= 60 else text


def fmt_rate(value: float | None) -> str:
    """A share 0-1 as a whole percentage: 0.456 -> "46%"."""
    return DASH if value is None else f"{value * 100:.0f}%"


def fmt_hours(value: float | None) -> str:
    return DASH if value is None else f"{value:,.1f} h"


def fmt_at(value: datetime | None) -> str:
    """A UTC timestamp to the minute: "2026-06-30 14:05 UTC"."""
    return DASH if value is None else value.strftime("%Y-%m-%d %H:%M UTC")


def fmt_date(value: date | None) -> str:
    return DASH if value is None else value.isoformat()


def fmt_money(value: float | None) -> str:
    """An amount in the record's currency, no decimals: 12345.6 -> "12,346"."""
    return DASH if value is None else f"{value:,.0f}"


def fmt_signed(value: float | None) -> str:
    """A change with its sign: 3 -> "+3", 0 -> "+0", -2 -> "-2"."""
    return DASH if value is None else f"{'+' if value >= 0 else ''}{value}"


def plural(count: int, singular: str, many: str | None = None) -> str:
    """1 -> "1 email"; 1200 -> "1,200 emails"; plural(2, "activity", "activities")."""
    return f"{count:,} {singular if count == 1 else many or singular + 's'}"


def type_label(record_type: str, plural: bool = False) -> str:
    """ "opportunity" -> "Opportunity" (or "Opportunities"); an unknown type is title-cased."""
    singular, many = TYPE_LABELS.get(record_type, (record_type.title(), record_type.title()))
    return many if plural else singular


def state_label(state: str | None) -> str:
    """A health state as read on a page: "not_enough_info" -> "not enough info"."""
    return DASH if not state else STATE_LABELS.get(state, state)


def activity_type_label(kind: str | None) -> str:
    return DASH if not kind else ACTIVITY_TYPE_LABELS.get(kind, kind)


FILTERS: dict[str, Callable[..., Any]] = {
    function.__name__: function
    for function in (
        fmt_count,
        fmt_number,
        fmt_minutes,
        fmt_rate,
        fmt_hours,
        fmt_at,
        fmt_date,
        fmt_money,
        fmt_signed,
        plural,
        type_label,
        state_label,
        activity_type_label,
    )
}
