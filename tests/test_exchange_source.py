"""The Exchange Online source against a local stand-in for Microsoft Graph (no dbt).

The client is the real one (requests, paging, retries, delta links, the raw loader and
the staged swap); only Graph is local (tests/graph_server.py). Each case checks what
lands in raw.graph_*, what the stand-in was asked, and what stays when a read fails.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path

import duckdb
import pytest

from orchestration.defs.dbt import dbt_vars
from orchestration.settings import Settings
from orchestration.sources import exchange
from orchestration.sources.dataverse.redaction import Redactor
from orchestration.sources.dataverse.tokens import StaticToken
from orchestration.sources.raw_swap import staged_name, swap_staged_tables
from orchestration.sources.state import read_delta_link
from tests.exchange_scenario import CORA, UGO, UMA, UNA, load_scenario, message
from tests.graph_server import FakeGraph, Fault

TOKEN = "graph-bearer-token-Zk93~q"
AS_OF = datetime(2026, 6, 30)
WINDOW = exchange.Window.around(AS_OF, 730, 90)


@pytest.fixture
def graph() -> Iterator[FakeGraph]:
    with FakeGraph(token=TOKEN) as fake:
        load_scenario(fake)
        yield fake


@pytest.fixture
def warehouse(tmp_path: Path) -> Path:
    path = tmp_path / "warehouse.duckdb"
    with duckdb.connect(str(path)) as connection:
        connection.execute(
            "create schema raw; create table raw.systemuser as select * from (values "
            f"('u1', 'Una@OurCo.example ', false), ('u2', '{UGO}', false), "
            f"('u3', '{UMA}', false), ('u4', 'gone@ourco.example', true), ('u5', null, false)"
            ") as users(systemuserid, internalemailaddress, isdisabled)"
        )
    return path


def connector(path: Path):
    @contextmanager
    def connect() -> Iterator[duckdb.DuckDBPyConnection]:
        connection = duckdb.connect(str(path))
        try:
            yield connection
        finally:
            connection.close()

    return connect


def run(warehouse: Path, graph: FakeGraph, **options) -> exchange.ExchangeExtract:
    """One extract into staged tables, swapped in with its links (as the asset does)."""
    redactor = Redactor()
    client = exchange.GraphClient(
        graph.base_url,
        StaticToken(graph.token, redactor),
        redactor,
        page_size=options.pop("page_size", 2),
        sleep=options.pop("sleep", lambda seconds: None),
        max_retries=options.pop("max_retries", 5),
    )
    names = {table: staged_name(table) for table in exchange.GRAPH_TABLE_NAMES}
    with client:
        extract = exchange.extract_exchange(
            connector(warehouse), client, WINDOW, into=names, **options
        )
    with connector(warehouse)() as connection:
        swap_staged_tables(connection, list(names), extract.pending_links)
    return extract


def rows(warehouse: Path, sql: str) -> list[tuple]:
    with duckdb.connect(str(warehouse), read_only=True) as connection:
        return connection.execute(sql).fetchall()


def test_settings_read_exchange_variables_and_only_then_pass_dbt_vars(tmp_path: Path) -> None:
    base = {"RA_WAREHOUSE": str(tmp_path / "w.duckdb")}
    off = Settings.from_env(base)
    assert (off.exchange, off.graph_url, off.exchange_days_back, off.exchange_days_ahead) == (
        None,
        "https://graph.microsoft.com/v1.0",
        730,
        90,
    )
    assert "exchange_source" not in dbt_vars(off)  # without RA_EXCHANGE nothing changes
    on = Settings.from_env(
        {
            **base,
            "RA_EXCHANGE": " Graph ",
            "RA_DATAVERSE_CLIENT_SECRET": "dataverse-secret",
            "RA_EXCHANGE_MAILBOXES": "Una@OurCo.example, ugo@ourco.example",
            "RA_COMPANY_DOMAINS": "OurCo.example,@ourco.example, subsidiary.example",
            "RA_EXCHANGE_DAYS_AHEAD": "30",
        }
    )
    assert on.exchange == "graph"
    assert on.graph_client_secret == "dataverse-secret"  # falls back to the Dataverse one
    assert "dataverse-secret" not in repr(on)
    assert on.exchange_mailboxes == (UNA, UGO)
    assert on.company_domains == ("ourco.example", "subsidiary.example")
    assert on.exchange_days_ahead == 30
    assert dbt_vars(on)["exchange_source"] is True
    assert dbt_vars(on)["company_domains"] == ["ourco.example", "subsidiary.example"]
    for name, value, words in [
        ("RA_EXCHANGE", "ews", "is not one of graph"),
        ("RA_EXCHANGE_DAYS_BACK", "-5", "whole number of days"),
        ("RA_COMPANY_DOMAINS", "ourco.example,o'hara.example", "not a mail domain"),
        ("RA_EXCHANGE_MAILBOXES", "una", "not a mail address"),
    ]:
        with pytest.raises(ValueError, match=words):
            Settings.from_env({**base, name: value})


def test_window_is_anchored_on_the_first_of_the_as_of_month() -> None:
    # 2026-06-01 minus 730 days is 2024-06-01 (no 29 February in between); plus 90 + 31
    # days is 2026-09-30, so 90 days after 30 June are still inside.
    assert WINDOW == exchange.Window(datetime(2024, 6, 1), datetime(2026, 9, 30))
    assert exchange.Window.around(datetime(2026, 6, 1, 8), 730, 90) == WINDOW


def test_full_read_pages_every_folder_and_keeps_one_link_per_folder(graph, warehouse) -> None:
    extract = run(warehouse, graph)
    # Mailboxes: enabled users with an address (u4 is disabled, u5 has none), lower-cased.
    assert extract.mailboxes == 3
    assert set(extract.streams.values()) == {exchange.MODE_FULL}
    assert {table: load.rows_loaded for table, load in extract.loads.items()} == {
        # una: inbox x1, x7; sent x2, x5 (draft), x6. ugo: inbox x1, x4; sent x3.
        "graph_message": 8,
        # from + to (+ cc): x1 3 (x2 copies), x2 2, x3 2, x4 2, x5 2, x6 2, x7 3
        "graph_message_recipient": 19,
        # m1 in three calendars, m2 and m3 in una's
        "graph_event": 5,
        # m1: organizer + 3 attendees per copy; m2: 2; m3: 2
        "graph_event_attendee": 16,
    }
    # Page size 2: una's Sent Items (x2, x5, x6) and calendar (m1, m2, m3) take 2 pages
    # each, the 7 other folders 1 (uma's mail folders are empty): 11 pages, 11 requests.
    assert extract.pages == 11 and extract.requests == 11
    # Never a body: the first request of each mail folder selects header properties only.
    first_requests = [
        seen.query["$select"].split(",")
        for seen in graph.requests_to("/messages/delta")
        if "$skiptoken" not in seen.query
    ]
    assert len(first_requests) == 6
    assert all({"body", "bodyPreview", "uniqueBody"}.isdisjoint(s) for s in first_requests)
    with duckdb.connect(str(warehouse), read_only=True) as connection:
        link = read_delta_link(connection, f"exchange:{UNA}/sentitems")
    assert link.raw_rows == 3 and "$deltatoken=" in link.delta_link
    assert link.query.startswith(f"users/{UNA}/mailFolders/sentitems/messages/delta?$select=")


def test_a_second_run_reads_only_changes_with_removals(graph, warehouse) -> None:
    run(warehouse, graph)
    graph.seen.clear()
    graph.remove(UNA, "inbox", "x7")
    graph.put(UGO, "sentitems", message("x8", "<x8@ourco>", UGO, [CORA], "2026-06-25T09:00:00Z"))
    extract = run(warehouse, graph)
    assert set(extract.streams.values()) == {exchange.MODE_INCREMENTAL}
    # One request per folder, each following its delta link: 9, no full read.
    assert len(graph.seen) == 9
    assert all("$deltatoken" in seen.query for seen in graph.seen)
    assert (extract.entries_read, extract.entries_removed) == (1, 1)
    keys = [key for (key,) in rows(warehouse, "select messagekey from raw.graph_message")]
    assert f"{UNA}/inbox/x7" not in keys and f"{UGO}/sentitems/x8" in keys and len(keys) == 8
    assert rows(
        warehouse,
        f"select count(*) from raw.graph_message_recipient where messagekey = '{UNA}/inbox/x7'",
    ) == [(0,)]


def test_an_expired_link_resyncs_that_folder_only(graph, warehouse, caplog) -> None:
    run(warehouse, graph)
    graph.expire_delta_tokens(UGO, "inbox")
    graph.seen.clear()
    with caplog.at_level(logging.WARNING):
        extract = run(warehouse, graph)
    assert extract.streams[f"exchange:{UGO}/inbox"] == exchange.MODE_EXPIRED
    assert sum(mode == exchange.MODE_INCREMENTAL for mode in extract.streams.values()) == 8
    assert "HTTP 410 SyncStateNotFound" in caplog.text
    assert rows(warehouse, "select count(*) from raw.graph_message") == [(8,)]
    # 9 delta requests, then one full page of ugo's inbox (2 messages, page size 2).
    assert len(graph.seen) == 10


def test_throttling_waits_out_retry_after_bounded(graph, warehouse) -> None:
    graph.faults.append(Fault("/calendarView", 429, {"Retry-After": "7"}, times=2))
    graph.faults.append(Fault("/inbox/", 503, {"Retry-After": "100000"}, times=1))
    waits: list[float] = []
    extract = run(warehouse, graph, sleep=waits.append)
    assert waits == [300.0, 7.0, 7.0]  # 100000 s is bounded by 300 s
    assert extract.requests == 11 + 3
    assert rows(warehouse, "select count(*) from raw.graph_event") == [(5,)]


def test_throttling_past_the_budget_fails_and_keeps_raw_and_links(graph, warehouse) -> None:
    run(warehouse, graph)
    graph.put(UNA, "inbox", message("x9", "<x9@beta>", CORA, [UNA], "2026-06-26T09:00:00Z"))
    graph.faults.append(Fault("/calendarView", 429, {"Retry-After": "1"}, times=None))
    with connector(warehouse)() as connection:
        before = read_delta_link(connection, f"exchange:{UNA}/inbox")
    with pytest.raises(exchange.GraphError, match="gave up after 3 attempts: HTTP 429") as error:
        run(warehouse, graph, max_retries=2)
    assert error.value.retryable
    assert rows(warehouse, "select count(*) from raw.graph_message") == [(8,)]
    with connector(warehouse)() as connection:
        assert read_delta_link(connection, f"exchange:{UNA}/inbox") == before


def test_secrets_never_reach_errors_or_logs(graph, warehouse, caplog) -> None:
    graph.faults.append(
        Fault(
            "/sentitems/",
            500,
            body=lambda headers: (
                f'{{"error": {{"code": "x", "message": "{headers["authorization"]}"}}}}'
            ),
            times=None,
        )
    )
    with caplog.at_level(logging.DEBUG), pytest.raises(exchange.GraphError) as error:
        run(warehouse, graph, max_retries=1)
    assert "HTTP 500" in str(error.value)
    assert TOKEN not in str(error.value) and TOKEN not in caplog.text
    assert "Bearer ***" in str(error.value)


def test_mailboxes_come_from_enabled_systemusers_and_the_allow_list(graph, warehouse) -> None:
    with connector(warehouse)() as connection:
        assert exchange.active_mailboxes(connection, (), logging.getLogger()) == [UGO, UMA, UNA]
        assert exchange.active_mailboxes(
            connection, (UNA, "gone@ourco.example"), logging.getLogger()
        ) == [UNA]
        with pytest.raises(exchange.GraphError, match="no mailbox to read"):
            exchange.active_mailboxes(connection, ("nobody@ourco.example",), logging.getLogger())


def test_a_graph_client_refuses_plain_http_elsewhere_and_needs_credentials() -> None:
    with pytest.raises(exchange.GraphError, match="must use https"):
        exchange.graph_root("http://graph.example/v1.0")
    settings = Settings.from_env({"RA_EXCHANGE": "graph", "RA_GRAPH_CLIENT_ID": "app"})
    with pytest.raises(
        exchange.GraphError, match="missing: RA_GRAPH_TENANT_ID, RA_GRAPH_CLIENT_SECRET"
    ):
        exchange.GraphClient.from_settings(settings)
