"""What one dashboard site is built from: the selected records and their widget rows.

Shared by the queries (`selection.py`, `widget_data.py`, `data.py`) and the pages
(`charts.py`, `render.py`).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

import duckdb

RESTRICTED = "restricted"
RECORD_TYPES = ("opportunity", "lead", "account", "contact")
ACTIVITY_WINDOW_DAYS = 60
SIMILAR_DEALS_SHOWN = 10
PAIRS_SHOWN = 10
SELECTION_TABLE = "dashboard_selection"
DEFAULT_HEALTH_BANDS = (("good", 60, 100), ("fair", 40, 59), ("poor", 0, 39))

Key = tuple[str, str]
Row = dict[str, Any]


@dataclass
class DashboardData:
    """Everything one dashboard site needs, grouped by record (key: (record_type, record_id))."""

    as_of: datetime
    business_unit: str | None
    top_n: int
    records: list[Row]
    type_totals: dict[str, int]
    health_bands: tuple[tuple[str, int, int], ...]
    missing_marts: set[str] = field(default_factory=set)
    daily: dict[Key, list[Row]] = field(default_factory=dict)
    health: dict[Key, list[Row]] = field(default_factory=dict)
    top_contacts: dict[Key, list[Row]] = field(default_factory=dict)
    summaries: dict[Key, list[Row]] = field(default_factory=dict)
    who_knows_whom: dict[Key, list[Row]] = field(default_factory=dict)
    pairs: dict[Key, list[Row]] = field(default_factory=dict)
    coverage: dict[Key, Row] = field(default_factory=dict)
    similar: dict[Key, list[Row]] = field(default_factory=dict)
    similar_status: Row | None = None
    # Health states of every record in scope (not only those with pages), for the index.
    state_counts: dict[str, dict[str, int]] = field(default_factory=dict)
    # mart_health_validation, one row per horizon (days before close), for the index.
    health_validation: list[Row] = field(default_factory=list)

    @property
    def window_start(self) -> date:
        return self.as_of.date() - timedelta(days=ACTIVITY_WINDOW_DAYS - 1)


def fetch_rows(connection: duckdb.DuckDBPyConnection, sql: str, params: object = None) -> list[Row]:
    """The result of `sql` as one dict per row, keyed by column name."""
    cursor = connection.execute(sql, params) if params is not None else connection.execute(sql)
    names = [column[0] for column in cursor.description]
    return [dict(zip(names, values, strict=True)) for values in cursor.fetchall()]


def group_by_record(rows: Iterable[Row]) -> dict[Key, list[Row]]:
    """Rows grouped by their (record_type, record_id), in the order they came."""
    grouped: dict[Key, list[Row]] = defaultdict(list)
    for row in rows:
        grouped[(row["record_type"], row["record_id"])].append(row)
    return dict(grouped)
