"""The cheaper data tests still bite (issue 15: tests that cost less and check as much).

Each case copies the built hand-made warehouse, breaks one invariant in one table, runs
the data test that guards it with `dbt test`, and reads dbt's run_results: the test must
fail, with the number of failing keys a person can count from the corruption. Covered:
the hash-first `unique_combination` generic test (sql_tests/generic/unique_combination.sql)
on repeated keys and on null key parts, its latest-build mode (build_number_column) on a
key an incremental run repeats and on one it does not touch, its daily-series first pass
(day_column) on a repeated day and on a day too far back for the day masks, and the singular tests
rewritten on integer keys or summed before their joins. Runs dbt once per case on a few
rows (about 10 s each).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import duckdb
import pytest

from orchestration.defs.dbt import DBT_PROJECT_DIR, dbt_executable


def run_data_test(warehouse: Path, test_name: str, target: Path) -> tuple[str, int]:
    """Run one dbt data test against `warehouse`; return (status, failures) from run_results."""
    completed = subprocess.run(
        [
            dbt_executable(),
            "test",
            "--profiles-dir",
            ".",
            "--target-path",
            str(target),
            "--select",
            test_name,
            "--vars",
            '{as_of: "2026-06-30 00:00:00"}',
        ],
        cwd=DBT_PROJECT_DIR,
        env={**os.environ, "RA_WAREHOUSE": str(warehouse)},
        capture_output=True,
        text=True,
    )
    results = [
        result
        for result in json.loads((target / "run_results.json").read_text())["results"]
        if result["unique_id"].startswith("test.")
    ]
    assert len(results) == 1, completed.stdout[-3000:]
    (result,) = results
    assert result["unique_id"].split(".")[2] == test_name
    return result["status"], result["failures"]


@pytest.fixture
def broken_warehouse(built_handmade, tmp_path: Path):
    """A copy of the hand-made warehouse and a function that runs SQL against it."""
    assert built_handmade.result.success
    warehouse = tmp_path / "warehouse.duckdb"
    shutil.copy(built_handmade.warehouse, warehouse)

    def execute(*statements: str) -> Path:
        with duckdb.connect(str(warehouse)) as connection:
            for statement in statements:
                connection.execute(statement)
        return warehouse

    return execute


SIDED = "intermediate.int_activity_parties_sided"
PEOPLE = "intermediate.int_activity_people_deduplicated"
RECORD_ACTIVITIES = "intermediate.int_record_activities_joined"
# The people listed on exactly one activity (one row in PEOPLE).
LONE_PERSON = f"(select party_id from {PEOPLE} group by party_id having count(*) = 1)"
UNIONED = "intermediate.int_activities_unioned"
KPIS = "marts.mart_relationship_kpis"
HEALTH = "intermediate.int_record_health_daily"
HEALTH_UNIQUE = (
    "unique_combination_mart_relationship_health_daily_record_type__record_id__score_date"
    "__score_date"
)
# The latest day of the first record (by type and id) in the health series.
FIRST_HEALTH_ROW = (
    f"(select (record_type, record_id, score_date) from {HEALTH} "
    "order by record_type, record_id, score_date desc limit 1)"
)


@pytest.mark.parametrize(
    ("test_name", "statements", "failing_keys"),
    [
        pytest.param(
            "unique_combination_int_activity_parties_sided_build_number__activity_party_id",
            [],
            0,
            id="passes-on-the-good-build",
        ),
        pytest.param(
            "unique_combination_int_activity_parties_sided_build_number__activity_party_id",
            # One party landed twice: one key, two rows.
            [f"insert into {SIDED} select * from {SIDED} order by activity_party_id limit 1"],
            1,
            id="repeated-one-column-key",
        ),
        pytest.param(
            "unique_combination_int_activity_parties_sided_build_number__activity_party_id",
            # An incremental run (build 2) writes a party the full build (1) already holds.
            [
                f"insert into {SIDED} select * replace (2 as build_number) from {SIDED} "
                "order by activity_party_id limit 1"
            ],
            1,
            id="latest-build-repeats-an-older-key",
        ),
        pytest.param(
            "unique_combination_int_activity_parties_sided_build_number__activity_party_id",
            # A repeat within build 1, which build 2 does not touch: checked when build 1
            # was written, not again (build 2 wrote one new key only).
            [
                f"insert into {SIDED} select * from {SIDED} order by activity_party_id limit 1",
                f"insert into {SIDED} select * replace ('new-' || activity_party_id as "
                f"activity_party_id, 2 as build_number) from {SIDED} "
                "order by activity_party_id limit 1",
            ],
            0,
            id="older-builds-not-rechecked",
        ),
        pytest.param(
            "unique_combination_int_activities_unioned_build_number__activity_id",
            # Two activities lose their id: one null key (counted once, with two rows).
            [
                f"update {UNIONED} set activity_id = null where activity_id in "
                f"(select activity_id from {UNIONED} order by activity_id limit 2)"
            ],
            1,
            id="null-one-column-key",
        ),
        pytest.param(
            "unique_combination_int_activity_people_deduplicated_build_number__activity_key__party_type__party_key",
            # Two people rows repeated and one with a null party key: three failing keys.
            [
                f"insert into {PEOPLE} select * from {PEOPLE} "
                "order by activity_key, party_type, party_key limit 2",
                f"insert into {PEOPLE} select * replace (null as party_key) from {PEOPLE} "
                "order by activity_key, party_type, party_key limit 1",
            ],
            3,
            id="repeated-and-null-composite-keys",
        ),
        pytest.param(
            "assert_person_keys_identify_people",
            # One stored person key and one stored record key differ from their ids' hash
            # (an engine upgrade): two failing rows.
            [
                f"update {PEOPLE} set party_key = xor(party_key, 1) where (activity_key, "
                f"party_type, party_id) = (select (activity_key, party_type, party_id) from "
                f"{PEOPLE} order by activity_key, party_type, party_id limit 1)",
                f"update {RECORD_ACTIVITIES} set record_key = xor(record_key, 1) where "
                "(record_type, record_id, activity_key) = (select (record_type, record_id, "
                f"activity_key) from {RECORD_ACTIVITIES} order by record_type, record_id, "
                "activity_key limit 1)",
            ],
            2,
            id="stale-person-and-record-keys",
        ),
        pytest.param(
            "assert_person_keys_identify_people",
            # A person seen once takes the key of the smallest other person id: one
            # collision, and its one row's key is not its id's hash.
            [
                f"update {PEOPLE} set party_key = (select party_key from {PEOPLE} where "
                f"party_id = (select min(party_id) from {PEOPLE} where party_id != "
                f"(select min(party_id) from {LONE_PERSON})) limit 1) "
                f"where party_id = (select min(party_id) from {LONE_PERSON})"
            ],
            2,
            id="person-key-collision",
        ),
        pytest.param(
            "assert_activity_keys_identify_activities",
            # Email e2 takes e1's key: one key with two ids (a collision), and e2's stored
            # key is not its id's hash (two failing rows).
            [
                f"update {UNIONED} set activity_key = (select activity_key from {UNIONED} "
                "where activity_id = 'e1') where activity_id = 'e2'"
            ],
            2,
            id="activity-key-collision",
        ),
        pytest.param(
            "assert_no_activity_counted_twice",
            # A record shows one more email sent than it has completed linked activities.
            [
                f"update {KPIS} set emails_sent = emails_sent + 1000 where (record_type, "
                f"record_id) = (select (record_type, record_id) from {KPIS} "
                "order by record_type, record_id limit 1)"
            ],
            1,
            id="activity-counted-twice",
        ),
        pytest.param(
            "assert_team_response_rates_roll_up",
            # One more answer on the record with the most customer emails: the response
            # rate by us of its owner and of its owner's unit move (two failing groups).
            [
                f"update {KPIS} set responses_by_us = responses_by_us + 1 "
                "where (record_type, record_id) = (select (record_type, record_id) "
                f"from {KPIS} order by emails_received desc, record_type, record_id limit 1)"
            ],
            2,
            id="team-response-rates",
        ),
        pytest.param(HEALTH_UNIQUE, [], 0, id="daily-series-passes-on-the-good-build"),
        pytest.param(
            HEALTH_UNIQUE,
            # One record's last day landed twice: one key, two rows.
            [
                f"insert into {HEALTH} select * from {HEALTH} "
                f"where (record_type, record_id, score_date) = {FIRST_HEALTH_ROW}"
            ],
            1,
            id="daily-series-repeated-day",
        ),
        pytest.param(
            HEALTH_UNIQUE,
            # The same repeat, plus the row copied 200 days later: the model's last day is
            # then 200 days after every other row, beyond the day masks' 126 days, so every
            # series goes to the exact pass, which finds the one repeated key.
            [
                f"insert into {HEALTH} select * from {HEALTH} "
                f"where (record_type, record_id, score_date) = {FIRST_HEALTH_ROW}",
                f"insert into {HEALTH} select * replace (score_date + 200 as score_date) "
                f"from {HEALTH} where (record_type, record_id, score_date) = {FIRST_HEALTH_ROW} "
                "limit 1",
            ],
            1,
            id="daily-series-day-beyond-the-masks",
        ),
        pytest.param(
            "assert_team_response_rates_roll_up",
            # Email e2 (customer-initiated, linked to two of u1's records) answered 10 hours
            # later than the marts say: the average response time by us of owner u1 and of
            # its unit bu1 move (two failing groups; the rates do not).
            [
                "update intermediate.int_email_replies_matched "
                "set response_time_seconds = response_time_seconds + 36000 "
                "where original_activity_id = 'e2'"
            ],
            2,
            id="team-response-times",
        ),
        pytest.param(
            "assert_team_marts_reconcile",
            # Two owner-periods off, one per owner: u1's year-to-date emails sent and u2's
            # last-30-days customer emails received (two failing rows).
            [
                "update marts.mart_owner_periods set emails_sent = emails_sent - 1 "
                "where owner_id = 'u1' and period = 'year_to_date'",
                "update marts.mart_owner_periods "
                "set customer_emails_received = customer_emails_received + 1 "
                "where owner_id = 'u2' and period = 'last_30_days'",
            ],
            2,
            id="team-marts-two-owner-periods",
        ),
        pytest.param(
            "assert_team_marts_reconcile",
            # Email e2 (customer-initiated, 2 June) is linked to u1's account a1 and contact
            # c2; its c2 link now says 15 February. Counted once per period holding either
            # time: u1's last quarter gains a customer email the mart does not have (one
            # failing row); its year to date holds both times and still counts e2 once.
            [
                f"update {RECORD_ACTIVITIES} set activity_at = timestamp '2026-02-15 10:00:00' "
                f"where activity_key = (select activity_key from {UNIONED} "
                "where activity_id = 'e2') and record_type = 'contact' and record_id = 'c2'"
            ],
            1,
            id="team-marts-links-disagree-on-time",
        ),
        pytest.param(
            "assert_team_marts_reconcile",
            # The same link moved to 5 June instead: both times lie in the same periods, so
            # e2 still counts once in each (passes).
            [
                f"update {RECORD_ACTIVITIES} set activity_at = timestamp '2026-06-05 10:00:00' "
                f"where activity_key = (select activity_key from {UNIONED} "
                "where activity_id = 'e2') and record_type = 'contact' and record_id = 'c2'"
            ],
            0,
            id="team-marts-links-disagree-within-periods",
        ),
        pytest.param(
            "assert_team_marts_reconcile",
            # One owner-period with an email sent more than its records' distinct emails.
            [
                "update marts.mart_owner_periods set emails_sent = emails_sent + 1 "
                "where (owner_id, period) = (select (owner_id, period) from "
                "marts.mart_owner_periods order by owner_id, period limit 1)"
            ],
            1,
            id="team-marts-owner-distinct",
        ),
    ],
)
def test_data_test_fails_on_broken_rows(
    broken_warehouse, tmp_path: Path, test_name: str, statements: list[str], failing_keys: int
):
    warehouse = broken_warehouse(*statements)
    status, failures = run_data_test(warehouse, test_name, tmp_path / "target")
    assert (status, failures) == (("fail", failing_keys) if failing_keys else ("pass", 0))
