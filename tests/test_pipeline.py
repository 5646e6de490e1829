"""The whole asset graph on the generated sample: extract -> dbt build (with its data and
unit tests) -> exports, in-process, into a temporary warehouse."""

from __future__ import annotations

import json

import duckdb
import pandas as pd
import pytest

from orchestration.contract import TABLES
from orchestration.defs.dbt import mart_model_names
from tests.conftest import BuiltWarehouse, iter_marts, materialize_everything

KPI_COLUMNS_EXPECTED_NON_ZERO = [
    "emails_sent", "emails_received", "meetings_sent", "meetings_received",
    "phone_calls_made", "phone_calls_received", "activities_initiated_by_team",
    "activities_initiated_by_customer", "time_spent_by_team_minutes",
    "time_spent_by_customer_minutes", "email_ratio_by_them", "email_ratio_by_us",
    "followed_emails", "emails_opened", "emails_replied", "emails_link_clicked",
    "emails_attachment_viewed", "emails_opened_rate", "emails_replied_rate",
    "emails_link_clicked_rate", "emails_attachment_viewed_rate", "response_rate_by_us",
    "response_rate_by_them", "avg_response_time_by_us_hours",
    "avg_response_time_by_them_hours", "health_score", "inactive_days",
]  # fmt: skip


def test_every_asset_materializes(built_sample):
    assert built_sample.result.success
    materialized = {
        event.asset_key.to_user_string()
        for event in built_sample.result.get_asset_materialization_events()
    }
    assert {f"raw/{table}" for table in TABLES} <= materialized
    assert {
        "marts/mart_relationship_kpis",
        "marts/mart_similar_won_opportunities",
        "exports/marts",
        "exports/dashboards",
    } <= materialized


def test_raw_tables_hold_every_landed_row(built_sample, read_only_connection):
    connection = read_only_connection(built_sample.warehouse)
    for table in TABLES:
        pattern = f"{built_sample.landing_dir}/{table}.parquet"
        # A connection of its own: the module-level default one is shared by other tests.
        with duckdb.connect() as reader:
            landed = reader.execute(f"select count(*) from read_parquet('{pattern}')").fetchall()
        assert landed, table
        loaded = connection.execute(f"select count(*) from raw.{table}").fetchone()[0]
        assert loaded == landed[0][0], table


def test_every_record_has_one_kpi_row(built_sample, read_only_connection):
    connection = read_only_connection(built_sample.warehouse)
    counts = dict(
        connection.execute(
            "select record_type, count(*) from marts.mart_relationship_kpis group by 1"
        ).fetchall()
    )
    raw = {
        "account": "account", "contact": "contact", "lead": "lead",
        "opportunity": "opportunity",
    }  # fmt: skip
    for record_type, table in raw.items():
        assert (
            counts[record_type]
            == connection.execute(f"select count(*) from raw.{table}").fetchone()[0]
        )


def test_kpi_columns_are_plausible(built_sample, read_only_connection):
    kpis = (
        read_only_connection(built_sample.warehouse)
        .sql("select * from marts.mart_relationship_kpis")
        .df()
    )
    for column in KPI_COLUMNS_EXPECTED_NON_ZERO:
        assert (kpis[column].fillna(0) > 0).any(), column
    rates = [column for column in kpis.columns if column.endswith("_rate")]
    assert ((kpis[rates].fillna(0) >= 0) & (kpis[rates].fillna(0) <= 1)).all().all()
    # Customers answer slower than the team in the generated data (as in real life).
    answered = kpis.dropna(subset=["avg_response_time_by_them_hours"])
    assert answered["avg_response_time_by_them_hours"].median() > (
        kpis["avg_response_time_by_us_hours"].median()
    )
    assert kpis["last_interaction_at"].notna().mean() > 0.9
    assert kpis["next_interaction_at"].notna().any()
    assert set(kpis["health_state"]) >= {"good", "fair", "poor", "not_applicable"}


def test_every_mart_is_exported_and_reads_back(built_sample, read_only_connection):
    connection = read_only_connection(built_sample.warehouse)
    for mart in iter_marts(connection):
        exported = pd.read_parquet(built_sample.export_dir / "marts" / f"{mart}.parquet")
        assert (
            len(exported) == connection.execute(f"select count(*) from marts.{mart}").fetchone()[0]
        ), mart


def test_health_separates_won_like_from_lost_like_open_deals(built_sample, read_only_connection):
    # The generator marks open deals that behave like won or like lost ones.
    scores = dict(
        read_only_connection(built_sample.warehouse)
        .execute(
            "select opportunity.generator_engagement_profile, avg(kpis.health_score) "
            "from marts.mart_relationship_kpis as kpis "
            "inner join raw.opportunity as opportunity "
            "on kpis.record_id = opportunity.opportunityid "
            "where kpis.record_type = 'opportunity' and opportunity.statecode = 0 "
            "group by 1"
        )
        .fetchall()
    )
    assert scores["won_like"] > scores["lost_like"] + 10


@pytest.fixture(scope="module")
def rebuilt_sample(built_sample, tmp_path_factory: pytest.TempPathFactory) -> BuiltWarehouse:
    """The same input and RA_AS_OF built again into a second warehouse and export folder."""
    return materialize_everything(
        built_sample.landing_dir, tmp_path_factory.mktemp("rebuild"), built_sample.as_of
    )


def test_same_as_of_gives_identical_marts(built_sample, rebuilt_sample, read_only_connection):
    again = rebuilt_sample
    first = read_only_connection(built_sample.warehouse)
    second = read_only_connection(again.warehouse)
    marts = list(iter_marts(first))
    assert marts == list(iter_marts(second))
    for mart in marts:
        query = f"select * from marts.{mart} order by all"
        assert first.execute(query).fetchall() == second.execute(query).fetchall(), mart


def test_same_as_of_gives_byte_identical_exports(built_sample, rebuilt_sample):
    """The README's promise: a fixed RA_AS_OF on the same input repeats every export file
    byte for byte (rows in each mart's key order). The manifest differs only in built_at;
    the BI file holds the same rows in the same stored order (a DuckDB file's own bytes,
    and its export_manifest.built_at, are not promised)."""
    first, second = built_sample.export_dir, rebuilt_sample.export_dir
    files = sorted(path.name for path in (first / "marts").iterdir())
    assert files == sorted(path.name for path in (second / "marts").iterdir())
    assert len(files) == 2 * len(mart_model_names())  # Parquet and CSV of every mart
    different = [
        name
        for name in files
        if (first / "marts" / name).read_bytes() != (second / "marts" / name).read_bytes()
    ]
    assert different == []
    manifests = [json.loads((folder / "manifest.json").read_text()) for folder in (first, second)]
    for manifest in manifests:
        manifest.pop("built_at")
    assert manifests[0] == manifests[1]
    with (
        duckdb.connect(str(first / "relationship_marts.duckdb"), read_only=True) as left,
        duckdb.connect(str(second / "relationship_marts.duckdb"), read_only=True) as right,
    ):
        for entry in manifests[0]["marts"]:
            query = f'select * from marts."{entry["mart"]}"'  # stored order, no order by
            assert left.execute(query).fetchall() == right.execute(query).fetchall(), entry
