"""Markdown report of mart_health_validation (pure: rows in, text out)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import duckdb
from jinja2 import Environment, FileSystemLoader, StrictUndefined

MART = "marts.mart_health_validation"
TEMPLATES = Path(__file__).resolve().parent / "templates"

Row = Mapping[str, Any]


def load_rows(warehouse: Path) -> tuple[list[dict[str, Any]], str | None]:
    """The mart's rows ordered by horizon and state (best first), and the KPIs' as-of instant.

    Opens the warehouse read-only, so a report can be written while nothing else writes.
    Raises FileNotFoundError naming the file when the warehouse does not exist, and
    duckdb.CatalogException when the mart was never built (run `make run` first).
    """
    if not warehouse.exists():
        raise FileNotFoundError(
            f"warehouse {warehouse} does not exist: build it with `make run` "
            "(or point RA_WAREHOUSE at the warehouse to validate)"
        )
    connection = duckdb.connect(str(warehouse), read_only=True)
    try:
        cursor = connection.execute(
            f"select * from {MART} order by horizon_days, state_min_score desc"
        )
        names = [column[0] for column in cursor.description]
        rows = [dict(zip(names, values, strict=True)) for values in cursor.fetchall()]
        as_of = connection.execute(
            "select cast(max(kpis_as_of) as varchar) from marts.mart_relationship_kpis"
        ).fetchone()
    finally:
        connection.close()
    return rows, (as_of[0] if as_of else None)


def horizons(rows: Sequence[Row]) -> list[dict[str, Any]]:
    """One entry per horizon: its AUC figures (the same on each state row) and its states."""
    by_horizon: dict[int, dict[str, Any]] = {}
    for row in rows:
        entry = by_horizon.setdefault(row["horizon_days"], {**row, "states": []})
        entry["states"].append(row)
    return [by_horizon[days] for days in sorted(by_horizon)]


def percent(value: float | None) -> str:
    return "n/a" if value is None else f"{100 * value:.1f}%"


def number(value: float | None, places: int = 3) -> str:
    return "n/a" if value is None else f"{value:.{places}f}"


def render_report(rows: Sequence[Row], as_of: str | None, overrides: str | None) -> str:
    """The Markdown text of docs/health_validation.md.

    Markdown, not HTML: autoescape stays off because every value is a number or a state
    name produced by the mart (no text typed by CRM users reaches this report).
    """
    environment = Environment(
        loader=FileSystemLoader(TEMPLATES),
        autoescape=False,
        undefined=StrictUndefined,
        keep_trailing_newline=True,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    environment.filters["percent"] = percent
    environment.filters["number"] = number
    return environment.get_template("health_validation.md.j2").render(
        horizons=horizons(rows), as_of=as_of, overrides=overrides
    )
