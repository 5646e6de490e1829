"""Dashboards: ranking and bounds, every widget, escaping, business-unit access, and a real
browser (headless Chromium) that opens the pages from disk.

The browser is driven through the DevTools protocol over a pipe (--remote-debugging-pipe:
JSON messages separated by NUL on file descriptors 3 and 4), so no websocket client or
driver package is needed. Screenshots and the browser's log are kept in test-artifacts/.
"""

from __future__ import annotations

import base64
import fcntl
import json
import os
import re
import select
import shutil
import subprocess
import tempfile
import time
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from types import SimpleNamespace
from typing import Any
from xml.etree import ElementTree

import duckdb
import pytest
from jinja2 import UndefinedError
from markupsafe import escape

from orchestration.dashboards import data as dashboard_data
from orchestration.dashboards.filters import fmt_at, fmt_count, fmt_minutes, fmt_rate, type_label
from orchestration.dashboards.model import fetch_rows
from orchestration.dashboards.options import DashboardOptions, dashboard_options, parse_top_n
from orchestration.dashboards.paths import owner_path, page_filename, record_path, unit_path
from orchestration.dashboards.svg import (
    Series,
    horizontal_bar_chart,
    line_chart,
    nice_ceiling,
    stacked_bar_chart,
)
from orchestration.dashboards.team_data import (
    GOING_DARK_SHOWN,
    GOING_DARK_SQL,
    PERIODS,
)
from orchestration.dashboards.templating import (
    EMPLOYEE_NOTICE,
    MANAGER_NOTICE,
    environment,
    inline_asset,
    render_page,
)
from orchestration.publishing.dashboard_files import BUSINESS_UNITS_DIR, export_dashboards

REPO_ROOT = Path(__file__).resolve().parents[1]
ARTIFACTS = REPO_ROOT / "test-artifacts" / "dashboards"
CHROMIUM = Path("/usr/bin/chromium")
BUILT_AT = datetime(2026, 7, 1, 6, 0, 0)


def e(text: object) -> str:
    """`text` as the page templates write it (Jinja2 autoescaping)."""
    return str(escape(text))


def read_only(path: Path) -> duckdb.DuckDBPyConnection:
    connection = duckdb.connect(str(path), read_only=True)
    connection.execute("set TimeZone = 'UTC'")
    return connection


def writable_copy(warehouse: Path, directory: Path) -> Path:
    """A copy to change for one test: the shared warehouse is never written."""
    directory.mkdir(parents=True, exist_ok=True)
    copy = directory / "warehouse.duckdb"
    shutil.copyfile(warehouse, copy)
    return copy


def build(warehouse: Path, export_dir: Path, top_n: int = 200, units: str = "") -> Path:
    with read_only(warehouse) as connection:
        export_dashboards(
            connection, export_dir, dashboard_options(top_n, units, {}), built_at=BUILT_AT
        )
    return export_dir / "dashboards"


def record_pages(site_dir: Path) -> list[str]:
    """The record pages of a site, as paths relative to it ("contact/<id>.html"), sorted."""
    return sorted(
        page.relative_to(site_dir).as_posix()
        for record_type in ("opportunity", "lead", "account", "contact")
        for page in (site_dir / record_type).glob("*.html")
    )


def embedded_rows(index_html: str) -> list[dict[str, Any]]:
    match = re.search(
        r'<script type="application/json" id="records-data">(.*?)</script>', index_html, re.S
    )
    assert match, "the index embeds its rows as JSON"
    return json.loads(match.group(1))


@pytest.fixture(scope="module")
def site(built_warehouse: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build(built_warehouse, tmp_path_factory.mktemp("export"))


# --- Pure functions: values a person can check by hand -----------------------------------


def test_options_come_from_the_environment_unless_config_sets_them():
    env = {"RA_DASHBOARD_TOP_N": "25", "RA_DASHBOARD_BUSINESS_UNITS": "bu1, bu2,bu1"}
    assert dashboard_options(environ=env) == DashboardOptions(25, ("bu1", "bu2"))
    assert dashboard_options(5, "all", env) == DashboardOptions(5, ("all",))
    assert dashboard_options(environ={}) == DashboardOptions(200, ())
    assert dashboard_options(environ={"RA_DASHBOARD_BUSINESS_UNITS": "ALL"}).every_business_unit


@pytest.mark.parametrize("text", ["0", "-3", "ten"])
def test_a_top_n_that_is_not_a_positive_whole_number_is_refused(text: str):
    with pytest.raises(ValueError, match="RA_DASHBOARD_TOP_N"):
        parse_top_n(text)


def test_page_names_keep_guids_and_make_other_ids_safe_and_distinct():
    guid = "0f8fad5b-d9cb-469f-a165-70867728950e"
    assert page_filename(guid) == f"{guid}.html"
    assert record_path("contact", "c1") == "contact/c1.html"
    unsafe = [page_filename("../../etc/passwd"), page_filename("a/b"), page_filename("a_b")]
    assert all("/" not in name and not name.startswith(".") for name in unsafe)
    assert len(set(unsafe)) == 3


@pytest.mark.parametrize(
    ("value", "expected"),
    [(0, (1, 1)), (3, (3, 1)), (7, (8, 2)), (45, (60, 20)), (120, (150, 50)), (0.4, (0.4, 0.1))],
)
def test_axis_maximum_is_a_round_number_at_or_above_the_data(value, expected):
    maximum, step = nice_ceiling(value)
    assert (round(maximum, 6), round(step, 6)) == expected


def test_stacked_bars_are_proportional_to_their_values():
    # Emails: team 2 + customer 1 = 3 (the axis maximum); meetings: team 1.
    # Plot height 220 - 24 - 34 = 162 px, so 2 -> 108 px and 1 -> 54 px.
    svg = stacked_bar_chart(
        ["Emails", "Meetings"],
        [Series("Team", "#000", [2, 1]), Series("Customer", "#fff", [1, 0])],
        label="test",
    )
    heights = [float(h) for h in re.findall(r'class="bar"[^>]* height="([\d.]+)"', svg)]
    assert heights == [108, 54, 54]
    assert svg.startswith('<svg class="chart"')


def test_a_chart_without_data_still_draws_its_frame_and_says_why():
    svg = stacked_bar_chart(
        ["a", "b"],
        [Series("x", "#000", [0, 0])],
        label="t",
        empty_message="No activity in the last 60 days",
    )
    assert 'class="bar"' not in svg
    assert "No activity in the last 60 days" in svg
    assert "<line" in svg


def test_health_line_breaks_where_a_day_has_no_score():
    svg = line_chart(["d1", "d2", "d3", "d4"], [10, None, 20, 30], label="health")
    assert svg.count('class="line"') == 1  # d3-d4
    assert svg.count('class="point"') == 2  # d1 alone, and the latest value (d4)


def test_every_text_a_chart_embeds_is_escaped():
    """Charts are placed in pages as markup: no label, name or tooltip may become an element."""
    hostile = "<script>alert(\"x\")</script> & 'q'"
    charts = [
        stacked_bar_chart(
            [hostile],
            [Series(hostile, "#000", [2])],
            label=hostile,
            tooltips=[hostile],
        ),
        stacked_bar_chart(["a"], [Series("x", "#000", [0])], label="t", empty_message=hostile),
        line_chart([hostile, "d2"], [10, 20], label=hostile, bands=[(hostile, 0, 50, "#0f0")]),
        horizontal_bar_chart([(hostile, 0.5, hostile, '"#f00"')], label=hostile, maximum=1.0),
    ]
    svg_tags = {"svg", "title", "rect", "text", "line", "g", "path", "circle"}
    for chart in charts:
        root = ElementTree.fromstring(chart)  # well-formed XML: every entity escaped
        tags = {element.tag.split("}")[-1] for element in root.iter()}
        assert tags <= svg_tags, tags
        texts = [element.text for element in root.iter() if element.text]
        assert any(hostile in text for text in texts)
    # A colour is an attribute value: its quote cannot end the attribute.
    assert 'fill="&quot;#f00&quot;"' in charts[3]


def test_index_json_cannot_close_its_script_element():
    text = (
        environment()
        .from_string("{{ rows|tojson }}")
        .render(rows=[{"name": "</script><script>alert(1)</script> & more"}])
    )
    assert "<" not in text and ">" not in text and "&" not in text
    assert json.loads(text)[0]["name"].startswith("</script>")


def test_assets_are_inlined_whole_and_one_that_would_close_its_element_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    css = inline_asset("dashboard.css")
    assert ".badge.poor { background: #f4b8b9; }" in css
    assert "http" not in css and "url(" not in css  # nothing to fetch
    monkeypatch.setattr("orchestration.dashboards.templating.STATIC_DIR", tmp_path)
    (tmp_path / "bad.js").write_text('var s = "</SCRIPT>";')
    with pytest.raises(ValueError, match=r"bad\.js contains '</script'"):
        inline_asset("bad.js")


def test_a_template_that_names_an_unknown_value_fails_instead_of_printing_nothing():
    with pytest.raises(UndefinedError, match="recrod"):
        environment().from_string("{{ recrod.name }}").render(record={"name": "x"})
    # A page whose context lacks a value names the template and the page.
    site = SimpleNamespace(scope_label="All business units", as_of=None, built_at=None)
    with pytest.raises(
        UndefinedError, match=r"templates/record\.html \(page 'Acme'\): 'name' is undefined"
    ):
        render_page("record.html", {"title": "Acme", "root": "../", "site": site})


# --- Built from the warehouse --------------------------------------------------------------


def test_each_type_gets_at_most_top_n_pages_ranked_by_focus_then_health(
    built_warehouse: Path, tmp_path: Path
):
    dashboards = build(built_warehouse, tmp_path, top_n=1)
    with read_only(built_warehouse) as connection:
        totals = dict(
            connection.execute(
                "select record_type, count(*) from marts.mart_relationship_kpis group by all"
            ).fetchall()
        )
        top_focus = connection.execute(
            "select opportunity_id from marts.mart_focus_opportunities where focus_rank = 1"
        ).fetchone()
    for record_type, total in totals.items():
        pages = list((dashboards / record_type).glob("*.html"))
        assert len(pages) == min(1, total), record_type
    if top_focus:
        assert (dashboards / record_path("opportunity", top_focus[0])).exists()
    rows = embedded_rows((dashboards / "index.html").read_text())
    assert len(rows) == sum(min(1, total) for total in totals.values())
    manifest = json.loads((dashboards / "manifest.json").read_text())
    assert manifest["sites"][0]["records_in_scope"] == {
        t: totals.get(t, 0) for t in ("opportunity", "lead", "account", "contact")
    }


def test_record_page_shows_every_widget_with_the_marts_values(built_warehouse: Path, site: Path):
    with read_only(built_warehouse) as connection:
        data = dashboard_data.load_dashboard_data(connection, 200)
    record = next(r for r in data.records if r["record_type"] == "opportunity")
    key = (record["record_type"], record["record_id"])
    page = (site / record_path(*key)).read_text()
    for widget in (
        "summary",
        "interactions",
        "health",
        "initiated",
        "time-spent",
        "activities-60d",
        "email-engagement",
        "email-ratios",
        "response-time",
        "focus",
        "top-contacts",
        "similar-won",
        "who-knows-whom",
    ):
        assert f'data-widget="{widget}"' in page, widget
    assert e(record["record_name"]) in page
    assert fmt_minutes(record["time_spent_by_team_minutes"]) in page
    team = sum(record[c] or 0 for c in ("emails_sent", "meetings_sent", "phone_calls_made"))
    emails = fmt_count(record["emails_sent"])
    assert f'<td>Our team (sent, made)</td><td class="num">{emails}</td>' in page
    assert f'<td class="num">{fmt_count(team)}</td></tr>' in page
    for sentence in data.summaries.get(key, []):
        assert e(sentence["sentence"]) in page
    for contact in data.top_contacts.get(key, []):
        assert e(contact["party_name"]) in page
    if record["last_interaction_at"] is not None:
        assert fmt_at(record["last_interaction_at"]) in page
        assert e(record["last_interaction_subject"]) in page
    assert page.count('<svg class="chart"') == 5


def health_card_rows(page: str) -> dict[str, list[str]]:
    """{component name: its cells after the label} of a record page's health card."""
    return {
        name: re.findall(r"<td[^>]*>(.*?)</td>", cells)
        for name, cells in re.findall(r'<tr data-component="(\w+)"><td>[^<]*</td>(.*?)</tr>', page)
    }


def test_health_card_shows_the_components_and_reasons_of_the_records_mart_row(
    built_warehouse: Path, site: Path
):
    with read_only(built_warehouse) as connection:
        kpis = {
            (row["record_type"], row["record_id"]): row
            for row in fetch_rows(connection, "select * from marts.mart_relationship_kpis")
        }
    paged = [key for key in kpis if (site / record_path(*key)).exists()]
    # A record with reasons and every component, and a contact, whose breadth is absent.
    with_reasons = next(
        k for k in paged if kpis[k]["health_reasons"] and kpis[k]["breadth_score"] is not None
    )
    contact = next(k for k in paged if k[0] == "contact")
    assert kpis[contact]["breadth_score"] is None
    for key in (with_reasons, contact):
        row, page = kpis[key], (site / record_path(*key)).read_text()
        shown = health_card_rows(page)
        assert list(shown) == ["frequency", "recency", "reciprocity", "breadth", "sentiment"]
        for name, cells in shown.items():
            score, points = row[f"{name}_score"], row[f"{name}_contribution_points"]
            if score is None:
                assert cells == ["not scored"], (key, name)
            else:
                assert cells == [f"{score:,.1f}", f"{points:,.2f}"], (key, name)
        if row["health_reasons"]:
            listed = page.split('class="health-reasons">')[1].split("</ul>")[0]
            assert re.findall(r"<li>(.*?)</li>", listed) == [
                str(escape(reason)) for reason in row["health_reasons"].split("; ")
            ], key
        else:
            assert 'class="health-reasons"' not in page, key


VALIDATION_SQL = """
select distinct horizon_days, roc_auc, roc_auc_lower, roc_auc_upper, verdict,
    horizon_opportunities, horizon_won, horizon_lost, won_scored, lost_scored
from marts.mart_health_validation order by horizon_days
"""


def test_index_shows_the_health_validation_of_the_mart_per_horizon(
    built_warehouse: Path, site: Path, all_units_site: Path, tmp_path: Path
):
    with read_only(built_warehouse) as connection:
        horizons = fetch_rows(connection, VALIDATION_SQL)
    assert [h["horizon_days"] for h in horizons] == [30, 60, 90]
    card = (site / "index.html").read_text().split('id="health-validation"')[1]
    card = card.split("</section>")[0]
    assert "docs/health_validation.md" in card and "make validate-health" in card
    shown = re.findall(r'<tr data-horizon="(\d+)">(.*?)</tr>', card)
    assert [int(days) for days, _ in shown] == [h["horizon_days"] for h in horizons]
    for (_, cells), h in zip(shown, horizons, strict=True):
        assert re.findall(r"<td[^>]*>(.*?)</td>", cells) == [
            str(h["horizon_days"]),
            f"{h['roc_auc']:.2f}",
            f"{h['roc_auc_lower']:.2f} – {h['roc_auc_upper']:.2f}",
            h["verdict"],
            f"{h['horizon_opportunities']:,} ({h['horizon_won']:,} / {h['horizon_lost']:,})",
            f"{h['won_scored']:,} / {h['lost_scored']:,}",
        ]
    # A unit's site does not show figures counted over every unit's deals.
    manifest = json.loads((all_units_site / "manifest.json").read_text())
    unit_site = next(s for s in manifest["sites"] if s["business_unit"] is not None)
    unit_index = (all_units_site / unit_site["path"] / "index.html").read_text()
    assert "data-horizon=" not in unit_index
    assert "Counted over every business unit&#39;s deals" in unit_index
    # A warehouse without the mart says so.
    warehouse = writable_copy(built_warehouse, tmp_path / "db")
    with duckdb.connect(str(warehouse)) as connection:
        connection.execute("drop table marts.mart_health_validation")
    index = (build(warehouse, tmp_path / "export", top_n=1) / "index.html").read_text()
    assert "data-horizon=" not in index
    assert "Not in this warehouse yet: `make validate-health` builds" in index


# Typed by CRM users: markup, quotes and ampersands must come out as text, never as markup.
HOSTILE_NAME = """<script>alert("name")</script> Tom's "deals" & more"""
HOSTILE_SUBJECT = """<img src=x onerror=alert("subject")> R&D 'Q3' &amp;"""


@pytest.fixture(scope="module")
def hostile_site(
    built_warehouse: Path, tmp_path_factory: pytest.TempPathFactory
) -> tuple[Path, str, str]:
    """A site (top_n=1) where one record's name and last subject, and its owner's name, are
    hostile markup.

    Returns (site folder, that record's page path, its owner's page path; paths relative
    to the site).
    """
    tmp_path = tmp_path_factory.mktemp("hostile")
    warehouse = writable_copy(built_warehouse, tmp_path / "db")
    with duckdb.connect(str(warehouse)) as connection:
        # The first record of its type (so it has a page with top_n=1) with a last interaction.
        record = next(
            r
            for r in dashboard_data.load_dashboard_data(connection, 1).records
            if r["last_interaction_activity_id"] is not None
        )
        record_type, record_id = record["record_type"], record["record_id"]
        connection.execute(
            "update marts.mart_relationship_kpis set record_name = ?, "
            "last_interaction_subject = ? where record_type = ? and record_id = ?",
            [HOSTILE_NAME, HOSTILE_SUBJECT, record_type, record_id],
        )
        connection.execute(
            "update marts.mart_users set user_name = ? where user_id = ?",
            [HOSTILE_NAME, record["owner_id"]],
        )
    return (
        build(warehouse, tmp_path / "export", top_n=1),
        record_path(record_type, record_id),
        owner_path(record["owner_id"]),
    )


def test_names_and_subjects_typed_by_users_are_escaped(hostile_site: tuple[Path, str, str]):
    dashboards, page_path, _ = hostile_site
    page = (dashboards / page_path).read_text()
    index = (dashboards / "index.html").read_text()
    for text in (page, index):
        assert "<script>alert" not in text and "<img" not in text
    # Escaped once: "&" -> "&amp;", and the subject's own "&amp;" -> "&amp;amp;".
    assert (
        "&lt;script&gt;alert(&#34;name&#34;)&lt;/script&gt; Tom&#39;s &#34;deals&#34; &amp; more"
        in (page)
    )
    assert (
        "&lt;img src=x onerror=alert(&#34;subject&#34;)&gt; R&amp;D &#39;Q3&#39; &amp;amp;" in page
    )
    assert any(row["record_name"] == HOSTILE_NAME for row in embedded_rows(index))


@pytest.fixture(scope="module")
def all_units_site(built_warehouse: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The dashboards with a site per business unit (top_n=2: small, every page type)."""
    return build(built_warehouse, tmp_path_factory.mktemp("all_units"), top_n=2, units="all")


def test_every_page_of_every_site_states_the_employee_notice(all_units_site: Path):
    """Issue 19 item 5: the analytics are not for decisions about employees."""
    assert (
        "not for decisions about employees' pay, rewards, seniority or other rights"
        in EMPLOYEE_NOTICE
    )
    dashboards = all_units_site
    manifest = json.loads((dashboards / "manifest.json").read_text())
    assert len(manifest["sites"]) >= 2  # the all-units site and at least one unit's
    pages = sorted(dashboards.rglob("*.html"))
    # Every record page and one index per site.
    assert len(pages) == sum(sum(site["pages"].values()) + 1 for site in manifest["sites"])
    notice = f'<p class="notice" id="employee-notice" role="note">{e(EMPLOYEE_NOTICE)}</p>'
    for page in pages:
        footer = page.read_text().split("<footer>")[1].split("</footer>")[0]
        assert notice in footer, page.relative_to(dashboards)


# --- Team pages: one per owner and per business unit (issue 16 item 3) --------------------


def owner_period_rows(connection: duckdb.DuckDBPyConnection, owner_id: str) -> list[dict]:
    """The owner's mart rows in the order the page's columns show the periods."""
    rows = fetch_rows(
        connection, "select * from marts.mart_owner_periods where owner_id = ?", [owner_id]
    )
    by_period = {row["period"]: row for row in rows}
    return [by_period[period] for period, _ in PERIODS]


def table_row(page: str, label: str) -> list[str]:
    """The cells after the first of the table row whose first cell is `label` (a template's
    literal text, so not escaped)."""
    match = re.search(rf"<tr[^>]*><td>{re.escape(label)}</td>(.*?)</tr>", page)
    assert match, label
    return re.findall(r"<td[^>]*>(.*?)</td>", match.group(1))


def test_team_pages_exist_for_the_owners_of_the_listed_records_and_every_unit(
    built_warehouse: Path, site: Path
):
    with read_only(built_warehouse) as connection:
        listed = {
            (row["record_type"], row["record_id"])
            for row in embedded_rows((site / "index.html").read_text())
        }
        owners = {
            owner
            for record_type, record_id, owner in connection.execute(
                "select record_type, record_id, owner_id from marts.mart_records"
            ).fetchall()
            if (record_type, record_id) in listed and owner is not None
        }
        units = {
            row[0]
            for row in connection.execute(
                "select distinct business_unit_id from marts.mart_business_unit_periods"
            ).fetchall()
        }
    assert owners and units
    assert {p.relative_to(site).as_posix() for p in (site / "owners").glob("*.html")} == {
        owner_path(owner) for owner in owners
    }
    assert {p.relative_to(site).as_posix() for p in (site / "units").glob("*.html")} == {
        unit_path(unit) for unit in units
    }
    manifest = json.loads((site / "manifest.json").read_text())
    assert manifest["sites"][0]["pages"]["owner"] == len(owners)
    assert manifest["sites"][0]["pages"]["business_unit"] == len(units)
    # The index's Teams card links every one of them.
    teams = (site / "index.html").read_text().split('id="teams"')[1].split("</section>")[0]
    assert set(re.findall(r'href="([^"]+)"', teams)) == {owner_path(o) for o in owners} | {
        unit_path(u) for u in units
    }


def test_owner_page_shows_the_mart_row_of_every_period(built_warehouse: Path, site: Path):
    """Numbers on the page equal mart_owner_periods, period by period (columns in PERIODS
    order): activity counts, time, both response rates with their counts, health, going dark.
    """
    with read_only(built_warehouse) as connection:
        owner_id = connection.execute(
            "select owner_id from marts.mart_owner_periods "
            "where period = 'last_90_days' order by customer_emails_received desc, owner_id "
            "limit 1"
        ).fetchone()[0]
        rows = owner_period_rows(connection, owner_id)
        name = connection.execute(
            "select user_name from marts.mart_users where user_id = ?", [owner_id]
        ).fetchone()[0]
    page = (site / owner_path(owner_id)).read_text()
    assert f"<h1>{e(name)}</h1>" in page
    assert table_row(page, "Emails sent by us") == [fmt_count(r["emails_sent"]) for r in rows]
    assert table_row(page, "Phone calls received") == [
        fmt_count(r["phone_calls_received"]) for r in rows
    ]
    assert table_row(page, "Our team") == [
        fmt_minutes(r["time_spent_by_team_minutes"]) for r in rows
    ]
    # "62% (31 of 50)": the rate and the counts behind it, from the same row.
    by_us = table_row(page, "Our team answered customers' emails")
    assert by_us == [
        f"{fmt_rate(r['response_rate_by_us'])} ({fmt_count(r['customer_emails_answered_by_us'])}"
        f" of {fmt_count(r['customer_emails_received'])})"
        for r in rows
    ]
    # By hand for the last 90 days: answered / received as a whole percentage.
    answered, received = (
        rows[2][c] for c in ("customer_emails_answered_by_us", "customer_emails_received")
    )
    assert received > 0
    assert by_us[2] == f"{round(100 * answered / received)}% ({answered:,} of {received:,})"
    assert table_row(page, "Customers answered our emails") == [
        f"{fmt_rate(r['response_rate_by_them'])} ({fmt_count(r['team_emails_answered_by_them'])}"
        f" of {fmt_count(r['team_emails_sent'])})"
        for r in rows
    ]
    snapshot = rows[0]
    # Health: 90 days ago, 14 days ago, now; each column adds up to the open records.
    good = table_row(page, "Open records")
    assert good == [fmt_count(snapshot["open_records_owned"])] * 3
    assert table_row(page, "Good to poor") == [
        fmt_count(snapshot["records_good_to_poor_14d"]),
        fmt_count(snapshot["records_good_to_poor_90d"]),
    ]
    assert f"Records going dark: {fmt_count(snapshot['records_going_dark'])}</h2>" in page
    listed = page.split('id="team-going-dark"')[1].split("</section>")[0].count("<tr><td>")
    assert listed == min(snapshot["records_going_dark"], GOING_DARK_SHOWN)


def test_the_going_dark_list_has_as_many_records_as_the_marts_count(built_warehouse: Path):
    """The pages list the records mart_dashboard_records flags as going dark: per owner and
    per unit, as many as the team marts count."""
    params = {"business_unit": None, "shown": 1_000_000}
    with read_only(built_warehouse) as connection:
        listed = fetch_rows(connection, GOING_DARK_SQL, params)
        for team, mart in (
            ("owner_id", "marts.mart_owner_periods"),
            ("business_unit_id", "marts.mart_business_unit_periods"),
        ):
            counted = dict(
                connection.execute(
                    f"select {team}, records_going_dark from {mart} "
                    "where period = 'last_30_days' and records_going_dark > 0"
                ).fetchall()
            )
            found: dict[str, int] = {}
            for row in listed:
                found[row[team]] = found.get(row[team], 0) + 1
            assert counted and found == counted, team


def test_a_unit_site_has_only_its_unit_page_and_its_owners_pages(
    built_warehouse: Path, all_units_site: Path
):
    with read_only(built_warehouse) as connection:
        unit_of = dict(
            connection.execute("select user_id, business_unit_id from marts.mart_users").fetchall()
        )
    manifest = json.loads((all_units_site / "manifest.json").read_text())
    unit_sites = [site for site in manifest["sites"] if site["business_unit"] is not None]
    assert len(unit_sites) >= 2
    units = {site["business_unit"] for site in unit_sites}
    for unit_site in unit_sites:
        unit, folder = unit_site["business_unit"], all_units_site / unit_site["path"]
        assert [p.relative_to(folder).as_posix() for p in (folder / "units").glob("*.html")] == [
            unit_path(unit)
        ]
        owners = {
            owner
            for owner, owner_unit in unit_of.items()
            if owner_unit == unit and (folder / owner_path(owner)).exists()
        }
        assert owners
        assert len(list((folder / "owners").glob("*.html"))) == len(owners)
        assert unit_site["pages"]["owner"] == len(owners)
        assert unit_site["pages"]["business_unit"] == 1
        # No other unit is named on the unit's index or team pages.
        for page in [folder / "index.html", *(folder / "owners").glob("*.html")]:
            text = page.read_text()
            assert all(other not in text for other in units - {unit}), page
        teams = (folder / "index.html").read_text().split('id="teams"')[1].split("</section>")[0]
        assert set(re.findall(r'href="([^"]+)"', teams)) == {
            unit_path(unit),
            *(owner_path(owner) for owner in owners),
        }


def test_every_team_page_states_what_the_manager_views_are_not_for(all_units_site: Path):
    assert "not for decisions about employees' pay, rewards or standing" in MANAGER_NOTICE
    pages = [*all_units_site.rglob("owners/*.html"), *all_units_site.rglob("units/*.html")]
    manifest = json.loads((all_units_site / "manifest.json").read_text())
    assert len(pages) == sum(
        site["pages"]["owner"] + site["pages"]["business_unit"] for site in manifest["sites"]
    )
    sentence = f'<p class="manager-notice" id="manager-notice" role="note">{e(MANAGER_NOTICE)}</p>'
    for page in pages:
        header = page.read_text().split("<header>")[1].split("</header>")[0]
        assert sentence in header, page.relative_to(all_units_site)


def _restricted_case(warehouse: Path) -> tuple[str, str, str, str]:
    """Make one record's last interaction owned in another unit: (unit, type, id, subject).

    The record is the first of its type overall, so it is also the first of its unit and
    has a page in both exports built with top_n=1.
    """
    with duckdb.connect(str(warehouse)) as connection:
        units = [
            row[0]
            for row in connection.execute(
                "select distinct business_unit_id from marts.mart_users "
                "where business_unit_id is not null order by 1"
            ).fetchall()
        ]
        if len(units) < 2:
            pytest.skip("the warehouse has a single business unit")
        data = dashboard_data.load_dashboard_data(connection, 1)
        record = next(
            r
            for r in data.records
            if r["last_interaction_subject"] is not None and r["business_unit_id"] is not None
        )
        unit = record["business_unit_id"]
        outsider, outsider_unit = connection.execute(
            "select user_id, business_unit_id from marts.mart_users "
            "where business_unit_id <> ? order by user_id limit 1",
            [unit],
        ).fetchone()
        connection.execute(
            "update marts.mart_relationship_kpis set last_interaction_owner_id = ? "
            "where record_type = ? and record_id = ?",
            [outsider, record["record_type"], record["record_id"]],
        )
        # What dbt's mart_dashboard_records would derive from the owner: the owner's unit.
        connection.execute(
            "update marts.mart_dashboard_records set last_interaction_business_unit_id = ? "
            "where record_type = ? and record_id = ?",
            [outsider_unit, record["record_type"], record["record_id"]],
        )
    return unit, record["record_type"], record["record_id"], record["last_interaction_subject"]


def test_business_unit_export_holds_only_its_records_and_restricts_foreign_subjects(
    built_warehouse: Path, tmp_path: Path
):
    warehouse = writable_copy(built_warehouse, tmp_path / "db")
    unit, record_type, record_id, subject = _restricted_case(warehouse)
    dashboards = build(warehouse, tmp_path / "export", top_n=1, units=unit)
    unit_site = dashboards / BUSINESS_UNITS_DIR / unit

    page = (unit_site / record_path(record_type, record_id)).read_text()
    last = page.split("<h3>Last interaction</h3>")[1].split("<h3>")[0]
    assert '<span class="restricted">restricted</span>' in last
    assert e(subject) not in last
    # The unrestricted export still shows it.
    full_page = (dashboards / record_path(record_type, record_id)).read_text()
    assert e(subject) in full_page.split("<h3>Last interaction</h3>")[1].split("<h3>")[0]

    with read_only(warehouse) as connection:
        owned = {
            record_path(t, i)
            for t, i in connection.execute(
                "select record_type, record_id from marts.mart_records where business_unit_id = ?",
                [unit],
            ).fetchall()
        }
    pages = set(record_pages(unit_site))
    assert pages and pages <= owned
    assert {row["href"] for row in embedded_rows((unit_site / "index.html").read_text())} == pages
    manifest = json.loads((dashboards / "manifest.json").read_text())
    assert [s["business_unit"] for s in manifest["sites"]] == [None, unit]
    assert manifest["sites"][1]["restricted_subjects"] >= 1


def _solo_units(warehouse: Path) -> dict[str, tuple[str, int]]:
    """Give two open opportunities (global focus ranks 4 and 7) a unit each, alone.

    Returns {unit: (opportunity id, global focus rank)}. In the copy, `solo-a`'s deal has
    20 similar won deals (the all-units page says "Showing 10 of 20"), and `solo-b`'s has
    none while the list is disabled for too few won deals, with the mart's reason naming
    organisation-wide counts ("found 12 won and 40 lost").
    """
    with duckdb.connect(str(warehouse)) as connection:
        ranks = dict(
            connection.execute(
                "select focus_rank, opportunity_id from marts.mart_focus_opportunities "
                "where focus_rank in (4, 7)"
            ).fetchall()
        )
        if len(ranks) < 2:
            pytest.skip("the sample has fewer than 7 open opportunities")
        connection.execute(
            "insert into marts.mart_users (user_id, user_name, business_unit_id, is_disabled) "
            "values ('solo-a-user', 'Solo A', 'solo-a', false), "
            "('solo-b-user', 'Solo B', 'solo-b', false)"
        )
        for unit, rank in (("solo-a", 4), ("solo-b", 7)):
            connection.execute(
                "update marts.mart_records set owner_id = ?, owner_name = ?, "
                "business_unit_id = ? where record_type = 'opportunity' and record_id = ?",
                [f"{unit}-user", f"Solo {unit[-1].upper()}", unit, ranks[rank]],
            )
            # Alone in its unit, as dbt's mart_dashboard_records would rank it: 1 of 1.
            connection.execute(
                "update marts.mart_dashboard_records set business_unit_id = ?, "
                "unit_type_rank = 1, unit_type_total = 1, unit_focus_rank = 1 "
                "where record_type = 'opportunity' and record_id = ?",
                [unit, ranks[rank]],
            )
        similar = "marts.mart_similar_won_opportunities"
        connection.execute(
            f"delete from {similar} where opportunity_id in (?, ?)", [ranks[4], ranks[7]]
        )
        won = [
            row[0]
            for row in connection.execute(
                "select record_id from marts.mart_records where record_type = 'opportunity' "
                "and record_state = 'won' order by record_id limit 20"
            ).fetchall()
        ]
        connection.executemany(
            f"insert into {similar} (opportunity_id, similar_opportunity_id, similarity_rank, "
            "similarity_score, match_kind, activity_count) values (?, ?, ?, 50, 'similar', 3)",
            [(ranks[4], won_id, rank) for rank, won_id in enumerate(won, start=1)],
        )
        connection.execute(
            "update marts.mart_similar_won_opportunities_status set won_opportunities = 12, "
            "lost_opportunities = 40, is_enabled = false, reason = 'needs at least 30 won and "
            "30 lost opportunities; found 12 won and 40 lost'"
        )
    return {"solo-a": (ranks[4], 4), "solo-b": (ranks[7], 7)}


def test_a_unit_site_ranks_within_the_unit_and_shows_no_count_of_other_units(
    built_warehouse: Path, tmp_path: Path
):
    warehouse = writable_copy(built_warehouse, tmp_path / "db")
    solo = _solo_units(warehouse)
    dashboards = build(warehouse, tmp_path / "export", units="solo-a,solo-b")
    everyone_index = (dashboards / "index.html").read_text()
    everyone_opportunities = next(
        int(count) for count in re.findall(r"of ([\d,]+) opportunities", everyone_index)
    )
    assert everyone_opportunities > 7

    for unit, (opportunity_id, global_rank) in solo.items():
        page_name = record_path("opportunity", opportunity_id)
        # The all-units site keeps the global rank (and, for solo-a, the all-units total).
        everyone_page = (dashboards / page_name).read_text()
        assert f"<dt>Focus rank</dt><dd>{global_rank}</dd>" in everyone_page
        unit_site = dashboards / BUSINESS_UNITS_DIR / unit
        assert record_pages(unit_site) == [page_name]
        page = (unit_site / page_name).read_text()
        index = (unit_site / "index.html").read_text()
        assert "<dt>Focus rank</dt><dd>1</dd>" in page
        assert "#1 of 1 opportunities by focus" in page
        assert "Listed: 1 of 1 opportunities; 0 of 0 leads; 0 of 0 accounts; 0 of 0 contacts" in (
            index
        )
        assert [(row["href"], row["type_rank"]) for row in embedded_rows(index)] == [(page_name, 1)]
        for text in (page, index):  # HTML and the index's embedded JSON
            assert f"<dt>Focus rank</dt><dd>{global_rank}</dd>" not in text
            assert f"of {everyone_opportunities:,} opportunities" not in text
            assert "Showing 10 of 20" not in text and "12 won" not in text and "40 lost" not in text
            assert not re.search(r'"(focus_rank|type_rank)":(?!1[,}])\d', text)

    solo_a = (dashboards / BUSINESS_UNITS_DIR / "solo-a" / record_path(
        "opportunity", solo["solo-a"][0])).read_text()  # fmt: skip
    assert (
        "Showing 10 of 20."
        in (dashboards / record_path("opportunity", solo["solo-a"][0])).read_text()
    )
    assert "Showing 10" not in solo_a and "restricted" in solo_a.split('id="similar-won"')[1]
    solo_b_everyone = (dashboards / record_path("opportunity", solo["solo-b"][0])).read_text()
    assert "None: needs at least 30 won and 30 lost opportunities; found 12 won and 40 lost." in (
        solo_b_everyone
    )
    solo_b = (dashboards / BUSINESS_UNITS_DIR / "solo-b" / record_path(
        "opportunity", solo["solo-b"][0])).read_text()  # fmt: skip
    assert (
        "None: too few won and lost opportunities in the whole organisation to compare yet."
        in solo_b
    )


def test_an_unknown_business_unit_is_refused(built_warehouse: Path, tmp_path: Path):
    with pytest.raises(ValueError, match="no-such-unit"):
        build(built_warehouse, tmp_path, units="no-such-unit")
    assert not (tmp_path / "dashboards").exists()


def test_a_failed_build_leaves_the_previous_dashboards_in_place(
    built_warehouse: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    dashboards = build(built_warehouse, tmp_path)
    before = {p: p.read_bytes() for p in dashboards.rglob("*") if p.is_file()}

    def explode(*args: object, **kwargs: object) -> str:
        raise RuntimeError("disk full")

    monkeypatch.setattr("orchestration.dashboards.site.render_record_page", explode)
    with pytest.raises(RuntimeError, match="disk full"):
        build(built_warehouse, tmp_path)
    after = {p: p.read_bytes() for p in dashboards.rglob("*") if p.is_file()}
    assert after == before
    assert [p.name for p in tmp_path.iterdir()] == ["dashboards"]  # no staging folder left


def test_generation_is_bounded_by_top_n_not_by_the_number_of_records(
    built_warehouse: Path, tmp_path: Path
):
    """100,000 records, 50 pages per type: seconds, not hours."""
    warehouse = tmp_path / "big.duckdb"
    with duckdb.connect(str(warehouse)) as connection:
        connection.execute(f"attach '{built_warehouse}' as source (read_only)")
        connection.execute("create schema marts")
        for table in ("marts.mart_relationship_kpis", "marts.mart_relationship_activity_daily"):
            connection.execute(f"create table {table} as select * from source.{table} limit 0")
        connection.execute(
            """
            insert into marts.mart_relationship_kpis by name
            select
                ['account', 'contact', 'lead', 'opportunity'][1 + i % 4] as record_type,
                'r' || i as record_id,
                'Record ' || i as record_name,
                i % 7 as emails_sent, i % 5 as emails_received, i % 3 as meetings_sent,
                0 as meetings_received, i % 2 as phone_calls_made, 0 as phone_calls_received,
                i % 7 + i % 3 + i % 2 as activities_initiated_by_team,
                i % 5 as activities_initiated_by_customer,
                (i % 97) * 5.0 as time_spent_by_team_minutes,
                case when i % 3 = 0 then null else (i * 37) % 101 end as health_score,
                case when i % 3 = 0 then 'not_enough_info' else 'fair' end as health_state,
                timestamp '2026-06-30' - to_days(cast(i % 90 as integer))
                    as last_interaction_at,
                'Subject ' || i as last_interaction_subject,
                'act' || i as last_interaction_activity_id,
                'u' || (i % 10) as last_interaction_owner_id,
                timestamp '2026-06-30' as kpis_as_of
            from range(100000) as t(i)
            """
        )
        connection.execute(
            """
            insert into marts.mart_relationship_activity_daily by name
            select kpis.record_type, kpis.record_id,
                date '2026-06-30' - cast(day_offset as integer) as activity_date,
                1 as emails_sent, 0 as emails_received, 0 as meetings_sent,
                0 as meetings_received, 0 as phone_calls_made, 0 as phone_calls_received
            from marts.mart_relationship_kpis as kpis, range(3) as d(day_offset)
            """
        )
        connection.execute(
            """
            create table marts.mart_records as
            select record_type, record_id, record_name, 'u' || (hash(record_id) % 10) as owner_id,
                'User ' || (hash(record_id) % 10) as owner_name,
                'bu' || (hash(record_id) % 10 % 2) as business_unit_id,
                cast(null as varchar) as parent_account_id, 'open' as record_state,
                false as is_closed
            from marts.mart_relationship_kpis
            """
        )
        connection.execute(
            "create table marts.mart_users as select 'u' || i as user_id, "
            "'User ' || i as user_name, 'bu' || (i % 2) as business_unit_id from range(10) t(i)"
        )
        # The ranking dbt's mart_dashboard_records holds (its order is tested there); here
        # only its size matters.
        connection.execute(
            """
            create table marts.mart_dashboard_records as
            select
                records.record_type, records.record_id, records.business_unit_id,
                row_number() over (partition by records.record_type order by records.record_id)
                    as type_rank,
                count(*) over (partition by records.record_type) as type_total,
                row_number() over (
                    partition by records.business_unit_id, records.record_type
                    order by records.record_id
                ) as unit_type_rank,
                count(*) over (partition by records.business_unit_id, records.record_type)
                    as unit_type_total,
                cast(null as integer) as focus_rank,
                cast(null as bigint) as unit_focus_rank,
                kpis.activities_initiated_by_team + kpis.activities_initiated_by_customer
                    as activity_count,
                users.business_unit_id as last_interaction_business_unit_id,
                cast(null as varchar) as next_interaction_business_unit_id
            from marts.mart_records as records
            inner join marts.mart_relationship_kpis as kpis using (record_type, record_id)
            left join marts.mart_users as users
                on users.user_id = kpis.last_interaction_owner_id
            """
        )
        connection.execute(
            "create table marts.mart_focus_opportunities (opportunity_id varchar, "
            "value_at_risk double, estimated_value double, estimated_close_date date, "
            "reasons varchar)"
        )
    started = time.perf_counter()
    dashboards = build(warehouse, tmp_path / "export", top_n=50, units="all")
    seconds = time.perf_counter() - started
    manifest = json.loads((dashboards / "manifest.json").read_text())
    everyone = manifest["sites"][0]
    assert everyone["records_in_scope"] == dict.fromkeys(
        ("opportunity", "lead", "account", "contact"), 25_000
    )
    # Without the team marts (not made here) a site has no owner or unit pages.
    assert everyone["pages"] == dict.fromkeys(("opportunity", "lead", "account", "contact"), 50) | {
        "owner": 0,
        "business_unit": 0,
    }
    assert len(embedded_rows((dashboards / "index.html").read_text())) == 200
    assert len(manifest["sites"]) == 3  # everyone, bu0, bu1
    assert seconds < 60, f"{seconds:.1f}s for 600 pages"


# --- A real browser ------------------------------------------------------------------------


class HeadlessChromium:
    """Chromium driven over the DevTools protocol on a pipe (fd 3 in, fd 4 out)."""

    FLAGS = (
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--no-first-run",
        "--remote-debugging-pipe",
    )

    def __init__(self, binary: Path, log_path: Path) -> None:
        self.profile = tempfile.mkdtemp(prefix="chromium-profile-")
        to_browser_read, self._to_browser = os.pipe()
        self._from_browser, from_browser_write = os.pipe()

        def wire_pipes() -> None:  # runs in the child, before exec
            read_end = fcntl.fcntl(to_browser_read, fcntl.F_DUPFD, 10)
            write_end = fcntl.fcntl(from_browser_write, fcntl.F_DUPFD, 10)
            os.dup2(read_end, 3)
            os.dup2(write_end, 4)

        log_path.parent.mkdir(parents=True, exist_ok=True)
        self._log = log_path.open("w")
        self.process = subprocess.Popen(
            [str(binary), *self.FLAGS, f"--user-data-dir={self.profile}", "about:blank"],
            stdin=subprocess.DEVNULL,
            stdout=self._log,
            stderr=self._log,
            pass_fds=(3, 4),
            preexec_fn=wire_pipes,
        )
        os.close(to_browser_read)
        os.close(from_browser_write)
        self._buffer = b""
        self._next_id = 0
        self.events: list[dict[str, Any]] = []
        target = self.call("Target.createTarget", {"url": "about:blank"})["targetId"]
        self.session = self.call("Target.attachToTarget", {"targetId": target, "flatten": True})[
            "sessionId"
        ]
        for domain in ("Page", "Runtime", "Log", "Network"):
            self.call(f"{domain}.enable", session=self.session)
        self.call(
            "Emulation.setDeviceMetricsOverride",
            {"width": 1280, "height": 900, "deviceScaleFactor": 1, "mobile": False},
            session=self.session,
        )

    def _read(self, timeout: float) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        while b"\0" not in self._buffer:
            remaining = deadline - time.monotonic()
            ready, _, _ = select.select([self._from_browser], [], [], max(remaining, 0))
            if not ready:
                raise TimeoutError("Chromium did not answer")
            chunk = os.read(self._from_browser, 1 << 20)
            if not chunk:
                raise EOFError("Chromium closed the DevTools pipe")
            self._buffer += chunk
        message, self._buffer = self._buffer.split(b"\0", 1)
        return json.loads(message)

    def call(
        self,
        method: str,
        params: dict | None = None,
        session: str | None = None,
        timeout: float = 30,
    ) -> dict[str, Any]:
        self._next_id += 1
        message: dict[str, Any] = {"id": self._next_id, "method": method, "params": params or {}}
        if session:
            message["sessionId"] = session
        os.write(self._to_browser, json.dumps(message).encode() + b"\0")
        while True:
            reply = self._read(timeout)
            if reply.get("id") == self._next_id:
                if "error" in reply:
                    raise RuntimeError(f"{method}: {reply['error']}")
                return reply.get("result", {})
            self.events.append(reply)

    def open(self, path: Path, timeout: float = 30) -> PageLog:
        self.events = []
        self.call("Page.navigate", {"url": path.as_uri()}, session=self.session)
        deadline = time.monotonic() + timeout
        while not any(e.get("method") == "Page.loadEventFired" for e in self.events):
            self.events.append(self._read(deadline - time.monotonic()))
        # Late errors (timers, deferred scripts) show up shortly after load.
        settle = time.monotonic() + 0.5
        while time.monotonic() < settle:
            try:
                self.events.append(self._read(settle - time.monotonic()))
            except TimeoutError:
                break
        return PageLog(list(self.events))

    def evaluate(self, expression: str) -> Any:
        result = self.call(
            "Runtime.evaluate",
            {"expression": expression, "returnByValue": True, "awaitPromise": True},
            session=self.session,
        )
        if "exceptionDetails" in result:
            raise AssertionError(f"page script failed: {result['exceptionDetails']}")
        return result["result"].get("value")

    def screenshot(self, path: Path, max_height: int = 5000) -> None:
        """The whole page (up to max_height CSS pixels, so an 800-row index stays small)."""
        size = self.call("Page.getLayoutMetrics", session=self.session)["cssContentSize"]
        height = min(size["height"], max_height)
        clip = {"x": 0, "y": 0, "width": size["width"], "height": height, "scale": 1}
        data = self.call(
            "Page.captureScreenshot",
            {"format": "png", "clip": clip, "captureBeyondViewport": True},
            session=self.session,
        )["data"]
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(base64.b64decode(data))

    def close(self) -> None:
        try:
            self.call("Browser.close", timeout=10)
        except (TimeoutError, EOFError, OSError, RuntimeError):
            pass
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=10)
        for fd in (self._to_browser, self._from_browser):
            try:
                os.close(fd)
            except OSError:
                pass
        self._log.close()
        shutil.rmtree(self.profile, ignore_errors=True)


class PageLog:
    """What a page did while loading: errors, failed requests, and every URL it asked for."""

    def __init__(self, events: list[dict[str, Any]]) -> None:
        self.errors: list[str] = []
        self.failed_requests: list[str] = []
        self.urls: list[str] = []
        for event in events:
            method, params = event.get("method"), event.get("params", {})
            if method == "Runtime.exceptionThrown":
                self.errors.append(json.dumps(params.get("exceptionDetails"))[:500])
            elif method == "Runtime.consoleAPICalled" and params.get("type") in ("error", "assert"):
                self.errors.append(json.dumps(params.get("args"))[:500])
            elif method == "Log.entryAdded" and params["entry"].get("level") == "error":
                self.errors.append(params["entry"].get("text", ""))
            elif method == "Network.loadingFailed":
                self.failed_requests.append(f"{params.get('type')}: {params.get('errorText')}")
            elif method == "Network.requestWillBeSent":
                self.urls.append(params["request"]["url"])

    def assert_clean(self) -> None:
        assert self.errors == [], "console errors"
        assert self.failed_requests == [], "failed requests"
        remote = [u for u in self.urls if not u.startswith(("file:", "data:", "about:"))]
        assert remote == [], "pages must not load anything from the network"


CHARTS_DRAWN = """
Array.from(document.querySelectorAll("svg.chart, canvas")).map(function (chart) {
  var box = chart.getBoundingClientRect();
  var drawn = chart.tagName.toLowerCase() === "canvas"
    ? chart.toDataURL().length > 200
    : chart.querySelectorAll("rect.bar, rect.track, path.line, circle.point, text.empty")
        .length > 0
      && chart.getBBox().width > 0 && chart.getBBox().height > 0;
  return {label: chart.getAttribute("aria-label"), width: box.width, height: box.height,
          drawn: drawn};
})
"""


NO_CHROMIUM = (
    f"{CHROMIUM} is absent: install the Debian package `chromium` (.ci/run does) to run "
    "the browser tests"
)
# Decided at collection, so an absent browser does not first cost a warehouse build.
needs_chromium = pytest.mark.skipif(not CHROMIUM.exists(), reason=NO_CHROMIUM)


@pytest.fixture(scope="module")
def browser() -> Iterator[HeadlessChromium]:
    if not CHROMIUM.exists():
        pytest.skip(NO_CHROMIUM)
    chromium = HeadlessChromium(CHROMIUM, ARTIFACTS / "chromium.log")
    try:
        yield chromium
    finally:
        chromium.close()


NOTICE_SHOWN = """
(function () {
  var notice = document.getElementById("employee-notice");
  var box = notice.getBoundingClientRect();
  var style = getComputedStyle(notice);
  return {text: notice.innerText, in_footer: notice.closest("footer") !== null,
          shown: box.width > 0 && box.height > 0 && style.visibility === "visible"
            && style.display !== "none" && style.color !== style.backgroundColor};
})()
"""


def assert_notice_shown(browser: HeadlessChromium) -> None:
    assert browser.evaluate(NOTICE_SHOWN) == {
        "text": EMPLOYEE_NOTICE,
        "in_footer": True,
        "shown": True,
    }


def assert_charts_drawn(charts: list[dict[str, Any]], expected: int) -> None:
    assert len(charts) == expected, [c["label"] for c in charts]
    for chart in charts:
        assert chart["width"] > 0 and chart["height"] > 0, chart
        assert chart["drawn"], chart


@needs_chromium
def test_index_in_chromium_searches_sorts_and_draws(browser: HeadlessChromium, site: Path):
    log = browser.open(site / "index.html")
    browser.screenshot(ARTIFACTS / "index.png")
    log.assert_clean()
    assert_charts_drawn(browser.evaluate(CHARTS_DRAWN), expected=1)
    assert_notice_shown(browser)

    rows = embedded_rows((site / "index.html").read_text())
    assert browser.evaluate("document.querySelectorAll('#records tbody tr').length") == len(rows)
    assert browser.evaluate("document.getElementById('shown-count').textContent") == (
        f"{len(rows)} of {len(rows)} records"
    )

    name = rows[0]["record_name"] or rows[0]["record_id"]
    expected = sum(1 for row in rows if name.strip().lower() in row["search"])
    shown = browser.evaluate(
        f"""(function () {{
            var box = document.getElementById('search');
            box.value = {json.dumps(name)};
            box.dispatchEvent(new Event('input'));
            return Array.from(document.querySelectorAll('#records tbody tr a'))
                .map(function (a) {{ return a.textContent; }});
        }})()"""
    )
    assert len(shown) == expected and name in shown
    browser.screenshot(ARTIFACTS / "index-searched.png")

    sorted_scores = browser.evaluate(
        """(function () {
            var box = document.getElementById('search');
            box.value = ''; box.dispatchEvent(new Event('input'));
            document.querySelector('th[data-key=health_score] button').click();
            var column = Array.from(document.querySelectorAll('#records thead th'))
                .findIndex(function (th) { return th.dataset.key === 'health_score'; });
            return Array.from(document.querySelectorAll('#records tbody tr'))
                .map(function (tr) { return tr.children[column].textContent; });
        })()"""
    )
    scores = [int(s) for s in sorted_scores if s != "\u2014"]
    assert scores == sorted(scores)
    assert sorted_scores[len(scores) :] == ["\u2014"] * (len(sorted_scores) - len(scores))
    assert (
        browser.evaluate(
            "document.querySelector('th[data-key=health_score]').getAttribute('aria-sort')"
        )
        == "ascending"
    )


@needs_chromium
def test_record_page_in_chromium_has_no_errors_and_every_chart_drawn(
    browser: HeadlessChromium, site: Path
):
    rows = embedded_rows((site / "index.html").read_text())
    opened = 0
    for record_type in ("opportunity", "lead", "account", "contact"):
        row = next((r for r in rows if r["record_type"] == record_type), None)
        if row is None:
            continue
        log = browser.open(site / row["href"])
        browser.screenshot(ARTIFACTS / f"{record_type}.png")
        log.assert_clean()
        assert_charts_drawn(browser.evaluate(CHARTS_DRAWN), expected=5)
        assert_notice_shown(browser)
        assert browser.evaluate("document.querySelectorAll('[data-widget]').length") >= 12
        back = browser.evaluate("document.querySelector('header a').getAttribute('href')")
        assert (site / row["href"]).parent.joinpath(back).resolve() == (site / "index.html")
        opened += 1
    assert opened >= 1


# Replaces alert() before any page script runs, so markup that got through would be counted
# (and would not block the page with a dialog).
RECORD_ALERTS = (
    "window.__alerts = []; window.alert = function (m) { window.__alerts.push(String(m)); };"
)
HOSTILE_PAGE = """
(function () {
  var subject = Array.from(document.querySelectorAll("#interactions dt"))
    .find(function (dt) { return dt.textContent === "Subject"; }).nextElementSibling;
  return {alerts: window.__alerts, title: document.title,
          heading: document.querySelector("h1").textContent, subject: subject.textContent,
          images: document.querySelectorAll("img").length,
          scripts: document.querySelectorAll("script").length};
})()
"""
HOSTILE_INDEX = """
({alerts: window.__alerts,
  names: Array.from(document.querySelectorAll("#records tbody a"))
    .map(function (a) { return a.textContent; }),
  images: document.querySelectorAll("img").length,
  scripts: document.querySelectorAll("script").length})
"""


@needs_chromium
def test_hostile_names_and_subjects_show_as_text_in_chromium(
    browser: HeadlessChromium, hostile_site: tuple[Path, str, str]
):
    dashboards, page_path, _ = hostile_site
    browser.call(
        "Page.addScriptToEvaluateOnNewDocument", {"source": RECORD_ALERTS}, session=browser.session
    )
    log = browser.open(dashboards / page_path)
    browser.screenshot(ARTIFACTS / "hostile-record.png")
    log.assert_clean()  # an injected <img src=x> would also show as a failed request
    record_type = page_path.split("/")[0]
    assert browser.evaluate(HOSTILE_PAGE) == {
        "alerts": [],
        "title": f"{HOSTILE_NAME} · {type_label(record_type)}",
        "heading": HOSTILE_NAME,
        "subject": HOSTILE_SUBJECT,
        "images": 0,
        "scripts": 0,  # record pages carry no script at all
    }

    log = browser.open(dashboards / "index.html")
    log.assert_clean()
    shown = browser.evaluate(HOSTILE_INDEX)
    assert HOSTILE_NAME in shown.pop("names")
    assert shown == {"alerts": [], "images": 0, "scripts": 2}  # the rows (JSON) and index.js


TEAM_PAGE = """
(function () {
  var notice = document.getElementById("manager-notice");
  var box = notice.getBoundingClientRect();
  return {alerts: window.__alerts || [], title: document.title,
          heading: document.querySelector("h1").textContent,
          manager_notice: notice.innerText, in_header: notice.closest("header") !== null,
          manager_notice_shown: box.width > 0 && box.height > 0 && box.top < 300,
          scripts: document.querySelectorAll("script").length};
})()
"""


@needs_chromium
def test_owner_and_unit_pages_in_chromium_show_both_notices_and_their_chart(
    browser: HeadlessChromium, site: Path
):
    for kind, folder in (("owner", "owners"), ("business-unit", "units")):
        page = sorted((site / folder).glob("*.html"))[0]
        log = browser.open(page)
        browser.screenshot(ARTIFACTS / f"{kind}.png")
        log.assert_clean()
        assert_charts_drawn(browser.evaluate(CHARTS_DRAWN), expected=1)
        assert_notice_shown(browser)
        shown = browser.evaluate(TEAM_PAGE)
        assert shown["manager_notice"] == MANAGER_NOTICE
        assert shown["in_header"] and shown["manager_notice_shown"], kind
        assert shown["scripts"] == 0
        back = browser.evaluate("document.querySelector('header a').getAttribute('href')")
        assert page.parent.joinpath(back).resolve() == (site / "index.html")


@needs_chromium
def test_a_hostile_owner_name_shows_as_text_in_chromium(
    browser: HeadlessChromium, hostile_site: tuple[Path, str, str]
):
    dashboards, _, page_path = hostile_site
    browser.call(
        "Page.addScriptToEvaluateOnNewDocument", {"source": RECORD_ALERTS}, session=browser.session
    )
    log = browser.open(dashboards / page_path)
    browser.screenshot(ARTIFACTS / "hostile-owner.png")
    log.assert_clean()
    shown = browser.evaluate(TEAM_PAGE)
    assert (shown["alerts"], shown["title"], shown["heading"], shown["scripts"]) == (
        [],
        f"{HOSTILE_NAME} · Owner",
        HOSTILE_NAME,
        0,
    )
    # The index's Teams card and the owner list of the owner's unit name them as text too.
    unit_href = browser.evaluate(
        "document.querySelector('header a[href^=\"../units/\"]').getAttribute('href')"
    )
    unit_page = (dashboards / page_path).parent.joinpath(unit_href).resolve()
    for page in (dashboards / "index.html", unit_page):
        log = browser.open(page)
        log.assert_clean()
        names = browser.evaluate(
            "Array.from(document.querySelectorAll('a')).map(function (a) { return a.textContent; })"
        )
        assert HOSTILE_NAME in names, page.name
        assert browser.evaluate("window.__alerts") == []
