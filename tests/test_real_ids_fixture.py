"""Ids, message ids and conversation indexes as real exports write them (issue 14, 1-2).

The fixture tests/fixtures/real_ids writes every GUID in mixed forms across tables (upper
case, lower case, braces, one per table or per row), message ids with and without `<>`
and blanks, and conversation indexes in base64 and in hex. Every expectation was worked
out by hand (docs/kpi_definitions.md, "How ids are read"). As of 2026-06-30 00:00 UTC.

Cast (canonical ids): users u1 = aa...01, u2 = aa...02 (owner of o1); account a1 = ac...01
(primary contact c1); contacts c1 = cc...01 and c2 = cc...02 of a1, c3 = cc...03 without
account; opportunity o1 = ab...01 of a1 (stakeholder c2 by a connection); lead l1 = ad...01
of a1, owned by u1.
- e1 (c1 -> u1, 06-10 08:00, index AdqzbxJAfB6aSy89Tl+gscLT5PUGFw==, base64 of a 22-byte
  root) and e2 (u1 -> c1, 12:00, index ...PUGFwACGToR, no inreplyto): e2 answers e1 by
  conversation index in 4 hours. The issue's example.
- e3 (c2 -> u1, 06-11 08:00) and e4 (u1 -> c2, cc u2, 12:00): the same kind of thread with
  its indexes in hex (lower case, then upper case): also 4 hours.
- e5 (c3 -> u1, 06-12 08:00, index 'not-an-index!', read as absent) and e6 (u1 -> c3,
  09:00, inreplyto ' e5@free.example ' against messageid '<e5@free.example>', regarding
  o1 written '{AB...01}'): e6 answers e5 by message id in 1 hour.
- p1 (call by u1 regarding l1 written '{AD...01}'), m1 (meeting u1 with c2).
"""

from __future__ import annotations

import shutil
from pathlib import Path

import dagster as dg
import duckdb
import pytest

from tests.conftest import SAMPLE_AS_OF, materialize_everything, record_links

FIXTURE_DIR = Path(__file__).parent / "fixtures" / "real_ids"

A1 = "ac000000-0000-4000-8000-000000000001"
C1 = "cc000000-0000-4000-8000-000000000001"
C2 = "cc000000-0000-4000-8000-000000000002"
C3 = "cc000000-0000-4000-8000-000000000003"
O1 = "ab000000-0000-4000-8000-000000000001"
L1 = "ad000000-0000-4000-8000-000000000001"
E = {n: f"ee000000-0000-4000-8000-00000000000{n}" for n in range(1, 7)}
M1 = "ef000000-0000-4000-8000-000000000001"
P1 = "ea000000-0000-4000-8000-000000000001"

EXPECTED_LINKS = {
    # Parties link by person (c1, c2 are a1's people); e6 regards o1, which rolls up to a1;
    # p1 regards l1, a lead of a1.
    ("account", A1): {E[1], E[2], E[3], E[4], E[6], M1, P1},
    ("contact", C1): {E[1], E[2]},
    ("contact", C2): {E[3], E[4], M1},
    ("contact", C3): {E[5], E[6]},
    # e4: stakeholder c2 with o1's owner u2 in cc; e6: regarding o1.
    ("opportunity", O1): {E[4], E[6]},
    ("lead", L1): {P1},
}


@pytest.fixture(scope="module")
def real_ids_build(tmp_path_factory: pytest.TempPathFactory):
    landing = tmp_path_factory.mktemp("real_ids_landing")
    for path in FIXTURE_DIR.glob("*.csv"):
        shutil.copy(path, landing / path.name)
    built = materialize_everything(landing, tmp_path_factory.mktemp("real_ids_build"), SAMPLE_AS_OF)
    assert built.result.success
    return built


@pytest.fixture(scope="module")
def warehouse(real_ids_build):
    connection = duckdb.connect(str(real_ids_build.warehouse), read_only=True)
    yield connection
    connection.close()


def test_every_id_joins_whatever_case_and_braces_it_came_in(warehouse):
    assert record_links(warehouse) == EXPECTED_LINKS


def test_first_replies_are_found_in_base64_and_in_hex(warehouse):
    rows = warehouse.execute(
        "select original_activity_id, answer_activity_id, parent_match_method, "
        "response_time_hours from intermediate.int_email_replies_matched "
        "order by original_activity_id"
    ).fetchall()
    assert rows == [
        (E[1], E[2], "conversation_index", 4.0),
        (E[3], E[4], "conversation_index", 4.0),
        (E[5], E[6], "in_reply_to", 1.0),
    ]


def test_contact_kpis_show_the_normalised_id_and_the_issue_example(warehouse):
    rows = warehouse.execute(
        "select record_id, emails_sent, emails_received, response_rate_by_us, "
        "avg_response_time_by_us_hours from marts.mart_relationship_kpis "
        "where record_type = 'contact' order by record_id"
    ).fetchall()
    assert rows == [
        # c1: base64 indexes (the issue's example); c2: the same in hex; c3: by message id.
        (C1, 1, 1, 1.0, 4.0),
        (C2, 1, 1, 1.0, 4.0),
        (C3, 1, 1, 1.0, 1.0),
    ]


def test_account_rolls_up_both_threads(warehouse):
    row = warehouse.execute(
        "select emails_sent, emails_received, meetings_sent, phone_calls_made, "
        "response_rate_by_us, avg_response_time_by_us_hours "
        "from marts.mart_relationship_kpis where record_type = 'account' and record_id = ?",
        [A1],
    ).fetchone()
    # Received e1, e3 (c1, c2); sent e2, e4, e6 (e6 regards o1 of a1); m1 and p1 by u1.
    # e1 and e3 are each answered in 4 hours.
    assert row == (3, 2, 1, 1, 1.0, 4.0)


def test_an_undecodable_index_is_counted_by_a_warning(real_ids_build):
    evaluations = {
        evaluation.asset_check_key.name: evaluation
        for evaluation in real_ids_build.result.get_asset_check_evaluations()
    }
    decodes = evaluations["stg_dataverse__emails_conversation_index_decodes"]
    assert not decodes.passed
    assert decodes.severity == dg.AssetCheckSeverity.WARN
    assert decodes.metadata["dagster_dbt/failed_row_count"].value == 1


def test_the_bench_baseline_script_agrees_on_mixed_ids_and_encodings(real_ids_build):
    """bench/baseline.sql, written from KPI_SPEC without the models, gives the same KPIs."""
    from tests.test_bench_baseline import differences

    assert differences(real_ids_build) == {}
