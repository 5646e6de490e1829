"""The linking rules and basic KPIs on the hand-written fixture (tests/fixtures/handmade).

Every expectation below was worked out by hand from KPI_SPEC.md; the comments say why.
Cast: users u1 (owner of o1), u2 (owner of lead l1, sales-team member of o1), u3;
accounts a1 (contacts c1 primary, c2) and a2 (c3); c4 has no account and is a stakeholder
of o1; lead l1 (account a1, contact c2); o1 open (a1, contact c2), o2 won (a2, c3).
As of 2026-06-30 00:00 UTC.
"""

from __future__ import annotations

from datetime import date

import duckdb
import pytest

from tests.conftest import record_links

EXPECTED_LINKS = {
    # e1 regarding o1 (rolls up), c1 in "to"; e2 from c2 to u3; e3 u2 -> c2 cc u1;
    # e4-e6 regarding o1 (draft, canceled, failed: linked, never counted); e9 c1 -> u1;
    # m1 regarding o1 with c1; p2 u1 -> c1 (a1's contact, so also the account).
    ("account", "a1"): {"e1", "e2", "e3", "e4", "e5", "e6", "e9", "m1", "p2"},
    ("account", "a2"): {"m2"},  # m2 is regarding o2, an a2 deal: account roll-up
    ("contact", "c1"): {"e1", "e4", "e9", "m1", "p2"},
    ("contact", "c2"): {"e2", "e3"},
    ("contact", "c3"): {"m2"},
    ("contact", "c4"): {"m1", "p1"},
    # e3: c2 is l1's contact and u2 (l1's owner) sends it; e7: the lead itself with u2.
    # e8: the lead with u1, who is not l1's owner: no link.
    ("lead", "l1"): {"e3", "e7"},
    # e2 (c2 with u3 only) needs o1's owner or sales team: no link. p1: stakeholder c4
    # with owner u1. p2 and e9: c1 is the primary contact of o1's account, with u1.
    ("opportunity", "o1"): {"e1", "e3", "e4", "e5", "e6", "e9", "m1", "p1", "p2"},
    ("opportunity", "o2"): {"m2"},
}


@pytest.fixture(scope="module")
def handmade(built_handmade):
    assert built_handmade.result.success
    connection = duckdb.connect(str(built_handmade.warehouse), read_only=True)
    yield connection
    connection.close()


def test_activities_link_to_the_records_worked_out_by_hand(handmade):
    assert record_links(handmade) == EXPECTED_LINKS


def test_kpis_of_the_open_opportunity(handmade):
    row = handmade.execute(
        "select emails_sent, emails_received, meetings_sent, phone_calls_received, "
        "time_spent_by_team_minutes, time_spent_by_customer_minutes, email_ratio_by_us, "
        "last_interaction_activity_id, next_interaction_activity_id, followed_emails, "
        "emails_replied, response_rate_by_them, avg_response_time_by_them_hours "
        "from marts.mart_relationship_kpis where record_type = 'opportunity' "
        "and record_id = 'o1'"
    ).fetchone()
    # Counted: e1, e3 sent; e9 received; m1 sent; p1 received (e4-e6 never count).
    # Team minutes: e1 5 + e3 (5 + 2.5 for u1 in cc) + e9 2.5 + m1 30 x 3 + p1 15 = 120.
    # Customer minutes: e1 2.5 + e3 2.5 + e9 5 + m1 30 + p1 15 = 55.
    # e1 is followed and answered by e9 (conversation index AAAA02 extends AAAA) 6 h later.
    # Next: p2 (2026-07-02) is the only future activity linked to o1.
    assert row == (2, 1, 1, 1, 120.0, 55.0, 2.0, "p1", "p2", 1, 1, 0.5, 6.0)


def test_a_meeting_running_at_the_as_of_instant_is_the_next_interaction(handmade):
    row = handmade.execute(
        "select meetings_received, last_interaction_at, next_interaction_activity_id, "
        "next_interaction_type from marts.mart_relationship_kpis "
        "where record_type = 'opportunity' and record_id = 'o2'"
    ).fetchone()
    # m2 runs 2026-06-29 23:30 - 2026-06-30 00:30: not completed at T, so future.
    assert row == (0, None, "m2", "meeting")


def test_worked_example_meeting_minutes(handmade):
    row = handmade.execute(
        "select team_minutes, customer_minutes from intermediate.int_activities_classified "
        "where activity_id = 'm1'"
    ).fetchone()
    # 30 minutes, 3 sellers (u1 organizer, u2 and u3 optional), 2 contacts (c1, c4).
    assert row == (90.0, 30.0)


def test_account_health_worked_example(handmade):
    row = handmade.execute(
        "select health_score, health_state, health_score_14d_ago, health_trend "
        "from marts.mart_relationship_kpis where record_type = 'account' and record_id = 'a1'"
    ).fetchone()
    # docs/kpi_definitions.md, "Relationship health", worked example.
    assert row == (46, "fair", 59, "declining")


def test_account_health_history_is_the_last_90_days_of_the_health_model(handmade):
    # mart_relationship_health_daily is a view of int_record_health_daily's last
    # health_history_days (90) days: 2026-04-02 to 2026-06-30, one row a day for a1 (every
    # active record has a row from the first day, scored or not). The model keeps one day
    # more, 2026-04-01 (T - team_health_change_long_days), for the team marts.
    history = handmade.execute(
        "select count(*), min(score_date), max(score_date) "
        "from marts.mart_relationship_health_daily "
        "where record_type = 'account' and record_id = 'a1'"
    ).fetchone()
    assert history == (90, date(2026, 4, 2), date(2026, 6, 30))
    model = handmade.execute(
        "select count(*), min(score_date) from intermediate.int_record_health_daily "
        "where record_type = 'account' and record_id = 'a1'"
    ).fetchone()
    assert model == (91, date(2026, 4, 1))
    relation_type = handmade.execute(
        "select table_type from information_schema.tables "
        "where table_schema = 'marts' and table_name = 'mart_relationship_health_daily'"
    ).fetchone()
    assert relation_type == ("VIEW",)
    # docs/kpi_definitions.md section 6, worked example and its reasons: 46 at T, 59 on
    # 06-16; the reasons mix one written per day (recency) with two written per change
    # (frequency, answers).
    scores = handmade.execute(
        "select score_date, health_score, health_reasons "
        "from marts.mart_relationship_health_daily "
        "where record_type = 'account' and record_id = 'a1' "
        "and score_date in ('2026-06-16', '2026-06-30') order by score_date"
    ).fetchall()
    assert [(day, score) for day, score, _ in scores] == [
        (date(2026, 6, 16), 59),
        (date(2026, 6, 30), 46),
    ]
    assert scores[1][2] == (
        "no activity in 20 days; 5 activities in 90 days, 13 expected (one every 7 days); "
        "customer answered 1 of 2 emails in 90 days"
    )
