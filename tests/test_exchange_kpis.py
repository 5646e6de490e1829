"""Hand-computed KPIs of a small scenario with and without Exchange (tests/exchange_scenario.py).

The whole pipeline runs in-process on the hand-written CRM fixture, once without
RA_EXCHANGE (the shared `built_handmade` build) and twice with RA_EXCHANGE=graph against
the loopback Graph stand-in: a first run, then a second after the mailboxes changed,
which must read only changes. Every expected number is worked out in the comments.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pytest

from orchestration.defs.dbt import mart_model_names
from tests.conftest import (
    HANDMADE_DIR,
    SAMPLE_AS_OF,
    BuiltWarehouse,
    iter_marts,
    materialize_everything,
)
from tests.exchange_scenario import CORA, UNA, index, load_scenario, message
from tests.graph_server import FakeGraph, Seen

TOKEN = "graph-pipeline-token-Qx7!v"
KPI_COLUMNS = (
    "emails_sent, emails_received, meetings_sent, meetings_received, "
    "time_spent_by_team_minutes, time_spent_by_customer_minutes, response_rate_by_us, "
    "avg_response_time_by_us_hours, response_rate_by_them, avg_response_time_by_them_hours, "
    "next_interaction_activity_id"
)


@dataclass(frozen=True)
class Runs:
    first: BuiltWarehouse
    first_kpis: dict[str, tuple]
    first_requests: list[Seen]
    second: BuiltWarehouse
    second_kpis: dict[str, tuple]
    second_requests: list[Seen]
    fresh: BuiltWarehouse  # the final mailboxes read into an empty warehouse


def kpis(warehouse: Path) -> dict[str, tuple]:
    with duckdb.connect(str(warehouse), read_only=True) as connection:
        return {
            f"{record_type}:{record_id}": values
            for record_type, record_id, *values in connection.execute(
                f"select record_type, record_id, {KPI_COLUMNS} from marts.mart_relationship_kpis"
            ).fetchall()
        }


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> Runs:
    landing = tmp_path_factory.mktemp("exchange_landing")
    for path in HANDMADE_DIR.glob("*.csv"):
        shutil.copy(path, landing / path.name)
    root = tmp_path_factory.mktemp("exchange_build")
    with FakeGraph(token=TOKEN) as graph:
        load_scenario(graph)
        environment = {"RA_EXCHANGE": "graph", "RA_GRAPH_URL": graph.base_url}
        environment["RA_GRAPH_TOKEN"] = TOKEN
        first = materialize_everything(landing, root, SAMPLE_AS_OF, extra_env=environment)
        first_kpis, first_requests = kpis(first.warehouse), list(graph.seen)
        # Changes in the mailboxes: X7 deleted; Cora answers X2 (X9, a day later).
        graph.seen.clear()
        graph.remove(UNA, "inbox", "x7")
        graph.put(UNA, "inbox", message("x9", "<x9@beta>", CORA, [UNA], "2026-06-11T12:00:00Z",
                                        conversation_index=index(1, replies=2)))  # fmt: skip
        second = materialize_everything(landing, root, SAMPLE_AS_OF, extra_env=environment)
        second_requests = list(graph.seen)
        fresh_root = tmp_path_factory.mktemp("exchange_fresh")
        fresh = materialize_everything(landing, fresh_root, SAMPLE_AS_OF, extra_env=environment)
    return Runs(
        first,
        first_kpis,
        first_requests,
        second,
        kpis(second.warehouse),
        second_requests,
        fresh,
    )


def test_cora_without_exchange_has_only_the_crm_meeting(built_handmade) -> None:
    # CRM only: m2 (ends after T, so future) is all Cora has.
    assert kpis(built_handmade.warehouse)["contact:c3"] == [
        0, 0, 0, 0, 0.0, 0.0, None, None, None, None, "m2"
    ]  # fmt: skip


def test_cora_with_exchange_matches_the_hand_computed_kpis(runs: Runs) -> None:
    # Sent by the team: X2, X3, X7 (support@ourco.example: company domain); received: X1
    # (in two inboxes, once), X4; X5 draft, M2 canceled, M3 future. Meetings sent: M1.
    # Team minutes: X1 2.5 x (una, ugo) = 5; X2 5; X3 5; X4 2.5; X7 5 + 2.5 (una cc) = 7.5;
    # M1 60 x (una, ugo; uma declined) = 120. Total 145.
    # Customer minutes: X1 5, X2 2.5, X3 2.5, X4 5, X7 2.5, M1 60: 77.5.
    # X2 answers X1 after 3 h (by us 1 of X1, X4); X4 answers X3 after 26 h (by them 1 of
    # X2, X3, X7).
    assert runs.first_kpis["contact:c3"] == [
        3, 2, 1, 0, 145.0, 77.5, 0.5, 3.0, 1 / 3, 26.0, "m2"
    ]  # fmt: skip
    # Cora is account a2's contact: a2 gets the same mail and meetings.
    assert runs.first_kpis["account:a2"][:6] == [3, 2, 1, 0, 145.0, 77.5]


def test_a_mail_tracked_in_the_crm_counts_once(runs: Runs, built_handmade) -> None:
    # X6 is e1 (u1 -> c1) read from una's Sent Items: the CRM row wins, Cleo is unchanged.
    without = kpis(built_handmade.warehouse)
    for record in ("contact:c1", "account:a1", "opportunity:o1", "lead:l1"):
        assert runs.first_kpis[record] == without[record]


def test_copies_in_several_mailboxes_and_calendars_are_one_activity(runs: Runs) -> None:
    with duckdb.connect(str(runs.first.warehouse), read_only=True) as connection:
        exchange_activities = connection.execute(
            "select activity_type, count(*) from intermediate.int_activities_unioned "
            "where regarding_object_id is null and activity_id like '%-%-%-%-%' "
            "group by 1 order by 1"
        ).fetchall()
        # Completed at the runs' T (SAMPLE_AS_OF; macros/activity_status.sql).
        meeting = connection.execute(
            "select team_participant_count, has_customer_participant, initiated_by "
            "from intermediate.int_activities_classified where subject = 'Pilot meeting' "
            "and completed_from_at <= timestamp '2026-06-30 00:00:00'"
        ).fetchall()
    # X1 (two inboxes), X2, X3, X4, X7: 5 emails; M1 (three calendars) and M3: 2 meetings.
    assert exchange_activities == [("email", 5), ("meeting", 2)]
    assert meeting == [(2, True, "team")]


def test_a_second_run_reads_only_changes_and_updates_the_kpis(runs: Runs) -> None:
    # First run: 9 folders (3 mailboxes x Inbox, Sent Items, calendar), one page each.
    assert len(runs.first_requests) == 9
    assert not any("$deltatoken" in seen.query for seen in runs.first_requests)
    # Second run: one request per folder, each following its delta link.
    assert len(runs.second_requests) == 9
    assert all("$deltatoken" in seen.query for seen in runs.second_requests)
    # X7 gone (team 145 - 7.5, customer 77.5 - 2.5), X9 received by una (team + 2.5,
    # customer + 5): 140 and 80. X9 answers X2 after 24 h: by them 2 of X2, X3 in
    # (24 + 26) / 2 = 25 h; by us still X1 only, now of X1, X4, X9.
    assert runs.second_kpis["contact:c3"] == [
        2, 3, 1, 0, 140.0, 80.0, 1 / 3, 3.0, 1.0, 25.0, "m2"
    ]  # fmt: skip


def test_the_incremental_run_equals_a_fresh_build_of_the_final_mailboxes(runs: Runs) -> None:
    with duckdb.connect(str(runs.second.warehouse), read_only=True) as connection:
        marts = list(iter_marts(connection))
        connection.execute(f"attach '{runs.fresh.warehouse}' as fresh (read_only)")
        assert sorted(marts) == sorted(mart_model_names())
        for mart in marts:
            (differing,) = connection.execute(
                f"select count(*) from ((select * from marts.{mart} except all "
                f"select * from fresh.marts.{mart}) union all (select * from "
                f"fresh.marts.{mart} except all select * from marts.{mart}))"
            ).fetchone()
            assert differing == 0, mart


def test_the_graph_token_reaches_no_log_metadata_or_table(runs: Runs) -> None:
    for built in (runs.first, runs.second):
        for event in built.result.all_events:
            assert TOKEN not in str(event)
    with duckdb.connect(str(runs.second.warehouse), read_only=True) as connection:
        tables = connection.execute(
            "select table_schema, table_name from information_schema.tables "
            "where table_schema in ('raw', 'extract_state')"
        ).fetchall()
        for schema, table in tables:
            found = connection.execute(
                f"select count(*) from {schema}.{table} as t where contains(cast(t as varchar), ?)",
                [TOKEN],
            ).fetchone()
            assert found == (0,), f"{schema}.{table}"
