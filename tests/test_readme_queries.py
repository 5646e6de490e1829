"""The README's "Questions the BI file answers": each query, exactly as documented, runs
against the BI file alone (marts.* tables) and gives the right answer.

Two warehouses: hand-made marts (the BI file's own table shapes, a few rows with answers
worked out by hand) and the BI file exported by the shared sample build, where the
answers must agree with other marts.
"""

from __future__ import annotations

import re
import shutil
from datetime import date, timedelta
from pathlib import Path

import duckdb
import pytest

README = Path(__file__).resolve().parents[1] / "README.md"
QUERY = re.compile(
    r"<!-- readme-query: (?P<name>\w+) -->\s*```sql\n(?P<sql>.*?)```\s*<!-- end readme-query -->",
    re.DOTALL,
)
QUERY_NAMES = {
    "seller_response_rates_last_quarter",
    "unit_records_good_to_poor",
    "sellers_records_going_dark",
    "unit_response_rate_by_quarter",
}


def readme_queries() -> dict[str, str]:
    """{name: SQL} of every query between readme-query markers in README.md."""
    return {match["name"]: match["sql"] for match in QUERY.finditer(README.read_text())}


def run(connection: duckdb.DuckDBPyConnection, sql: str) -> list[dict[str, object]]:
    cursor = connection.execute(sql)
    names = [column[0] for column in cursor.description]
    return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


def test_the_readme_documents_each_query_once():
    names = [match["name"] for match in QUERY.finditer(README.read_text())]
    assert sorted(names) == sorted(QUERY_NAMES)


@pytest.fixture(scope="module")
def bi_file(built_sample, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of the sample build's published BI file (the exports symlink resolved)."""
    copy = tmp_path_factory.mktemp("bi") / "relationship_marts.duckdb"
    shutil.copyfile((built_sample.export_dir / "relationship_marts.duckdb").resolve(), copy)
    return copy


@pytest.fixture(scope="module")
def hand_made(bi_file: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The team marts' shapes from the BI file, with a few rows worked out by hand.

    Ann (unit A) last quarter: sent 4 emails, the customers answered 3 (0.75); received 2,
    answered 1 (0.5, in 6 hours). Bob (unit B) sent none last quarter (rate empty),
    received 5 and answered 5. A row of another period must not leak in. Unit A: 10 open
    records, 4 good 90 days ago of which 3 are poor now (1 of 2 over 14 days); unit B:
    none. Going dark this quarter: Ann 2 of 7 open records, Bob 0 of 3. Response rate of
    unit A: 30 of 40 this quarter (0.75), 10 of 20 last quarter (0.5).
    """
    path = tmp_path_factory.mktemp("hand_made") / "relationship_marts.duckdb"
    with duckdb.connect(str(path)) as connection:
        connection.execute(f"attach '{bi_file}' as source (read_only)")
        connection.execute("create schema marts")
        for mart in ("mart_users", "mart_owner_periods", "mart_business_unit_periods"):
            connection.execute(
                f"create table marts.{mart} as select * from source.marts.{mart} limit 0"
            )
        connection.execute(
            "insert into marts.mart_users by name "
            "select * from (values ('u1', 'Ann', 'A'), ('u2', 'Bob', 'B')) "
            "as t(user_id, user_name, business_unit_id)"
        )
        connection.execute(
            """
            insert into marts.mart_owner_periods by name
            select * from (values
                ('u1', 'last_quarter', 4, 3, 0.75, 2, 1, 0.5, 6.0, 7, 0, 9, 8, 120.0),
                ('u1', 'last_7_days', 1, 0, 0.0, 1, 0, 0.0, null, 7, 0, 2, 1, 7.5),
                ('u2', 'last_quarter', 0, 0, null, 5, 5, 1.0, 2.0, 3, 0, 0, 5, 0.0),
                ('u1', 'quarter_to_date', 6, 2, 0.33, 3, 3, 1.0, 1.0, 7, 2, 11, 9, 95.0),
                ('u2', 'quarter_to_date', 2, 2, 1.0, 4, 4, 1.0, 2.0, 3, 0, 5, 4, 30.0)
            ) as t(owner_id, period, team_emails_sent, team_emails_answered_by_them,
                response_rate_by_them, customer_emails_received,
                customer_emails_answered_by_us, response_rate_by_us,
                avg_response_time_by_us_hours, open_records_owned, records_going_dark,
                activities_initiated_by_team, activities_initiated_by_customer,
                time_spent_by_team_minutes)
            """
        )
        connection.execute(
            """
            insert into marts.mart_business_unit_periods by name
            select * from (values
                ('A', 'last_7_days', 10, 2, 1, 4, 3, 3, 1, 0, 0),
                ('A', 'quarter_to_date', 10, 2, 1, 4, 3, 3, 1, 40, 30),
                ('A', 'last_quarter', 10, 2, 1, 4, 3, 3, 1, 20, 10),
                ('B', 'last_7_days', 3, 0, 0, 0, 0, 0, 1, 0, 0),
                ('B', 'quarter_to_date', 3, 0, 0, 0, 0, 0, 1, 0, 0),
                ('B', 'last_quarter', 3, 0, 0, 0, 0, 0, 1, 5, 5)
            ) as t(business_unit_id, period, open_records_owned, records_good_14d_ago,
                records_good_to_poor_14d, records_good_90d_ago, records_good_to_poor_90d,
                records_declined_90d, records_improved_90d, customer_emails_received,
                customer_emails_answered_by_us)
            """
        )
    return path


def test_seller_response_rates_last_quarter_on_hand_made_marts(hand_made: Path):
    with duckdb.connect(str(hand_made), read_only=True) as connection:
        rows = run(connection, readme_queries()["seller_response_rates_last_quarter"])
    assert [
        (row["seller"], row["response_rate_by_them"], row["response_rate_by_us"]) for row in rows
    ] == [("Ann", 0.75, 0.5), ("Bob", None, 1.0)]
    assert rows[0]["avg_response_time_by_us_hours"] == 6.0


def test_unit_records_good_to_poor_on_hand_made_marts(hand_made: Path):
    with duckdb.connect(str(hand_made), read_only=True) as connection:
        rows = run(connection, readme_queries()["unit_records_good_to_poor"])
    assert [
        (row["business_unit_id"], row["records_good_to_poor_14d"], row["records_good_to_poor_90d"])
        for row in rows
    ] == [("A", 1, 3), ("B", 0, 0)]


def test_sellers_going_dark_and_unit_quarters_on_hand_made_marts(hand_made: Path):
    queries = readme_queries()
    with duckdb.connect(str(hand_made), read_only=True) as connection:
        dark = run(connection, queries["sellers_records_going_dark"])
        quarters = run(connection, queries["unit_response_rate_by_quarter"])
    going_dark = [
        (row["seller"], row["records_going_dark"], row["open_records_owned"]) for row in dark
    ]
    assert going_dark == [("Ann", 2, 7), ("Bob", 0, 3)]
    assert quarters == [
        {
            "business_unit_id": "A",
            "response_rate_by_us_this_quarter": 0.75,
            "response_rate_by_us_last_quarter": 0.5,
        },
        {
            "business_unit_id": "B",
            "response_rate_by_us_this_quarter": None,
            "response_rate_by_us_last_quarter": 1.0,
        },
    ]


def test_readme_queries_agree_with_the_other_marts_on_the_sample(bi_file: Path, built_sample):
    """On the exported sample: a seller row per owner; rates are their counts' ratio;
    good-to-poor over 14 days equals what the health history and the KPI mart say."""
    as_of = date.fromisoformat(built_sample.as_of[:10])
    queries = readme_queries()
    with duckdb.connect(str(bi_file), read_only=True) as connection:
        sellers = run(connection, queries["seller_response_rates_last_quarter"])
        units = run(connection, queries["unit_records_good_to_poor"])
        owners_with_users = connection.execute(
            "select count(distinct owner_id) from marts.mart_owner_periods "
            "inner join marts.mart_users on owner_id = user_id"
        ).fetchone()[0]
        good_to_poor_14d = connection.execute(
            """
            select count(*)
            from marts.mart_relationship_health_daily as history
            inner join marts.mart_relationship_kpis as kpis using (record_type, record_id)
            inner join marts.mart_records as records using (record_type, record_id)
            where history.score_date = ? and history.health_state = 'good'
                and kpis.health_state = 'poor' and records.business_unit_id is not null
            """,
            [as_of - timedelta(days=14)],
        ).fetchone()[0]
        for name in ("sellers_records_going_dark", "unit_response_rate_by_quarter"):
            assert run(connection, queries[name])
    assert len(sellers) == owners_with_users > 0
    for row in sellers:
        if row["customer_emails_received"]:
            assert row["response_rate_by_us"] == pytest.approx(
                row["customer_emails_answered_by_us"] / row["customer_emails_received"]
            )
    assert sum(row["records_good_to_poor_14d"] for row in units) == good_to_poor_14d > 0
