"""BI exports: Parquet and CSV read back equal to the marts, the manifest describes them, the
DuckDB file for BI holds every mart, and every file appears whole or not at all."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path

import duckdb
import pytest

from orchestration.defs.dbt import dbt_project
from orchestration.publishing import export_files as exports
from orchestration.publishing.bi_file import BI_DATABASE
from orchestration.publishing.data_dictionary import mart_descriptions
from orchestration.publishing.export_files import (
    csv_safe_select,
    existing_marts,
    export_marts,
    mart_keys,
    write_manifest,
)


def mart_names(warehouse: Path) -> list[str]:
    with duckdb.connect(str(warehouse), read_only=True) as connection:
        return [
            row[0]
            for row in connection.execute(
                "select table_name from information_schema.tables "
                "where table_schema = 'marts' order by table_name"
            ).fetchall()
        ]


def dbt_descriptions() -> dict:
    return mart_descriptions(json.loads(dbt_project.manifest_path.read_text()))


def export_all(warehouse: Path, export_dir: Path) -> dict:
    """What the exports asset does, without Dagster (no CSV bound, descriptions from dbt)."""
    marts = mart_names(warehouse)
    descriptions = dbt_descriptions()
    keys = mart_keys(json.loads(dbt_project.manifest_path.read_text()))
    with duckdb.connect(str(warehouse), read_only=True) as connection:
        assert existing_marts(connection, [*marts, "mart_not_built"]) == marts
        entries, as_of, bi_database = export_marts(
            connection, marts, export_dir, keys, descriptions=descriptions
        )
    write_manifest(export_dir, entries, as_of, bi_database)
    return json.loads((export_dir / "manifest.json").read_text())


@pytest.fixture(scope="module")
def exported(built_warehouse: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    export_dir = tmp_path_factory.mktemp("exports")
    export_all(built_warehouse, export_dir)
    return export_dir


def rows_differing(connection: duckdb.DuckDBPyConnection, left: str, right: str) -> int:
    """Rows in one relation and not the other, duplicates counted (NULLs compare equal)."""
    return connection.execute(
        f"select count(*) from ((select * from {left} except all select * from {right}) "
        f"union all (select * from {right} except all select * from {left}))"
    ).fetchone()[0]


def test_parquet_and_csv_read_back_equal_to_the_marts(built_warehouse: Path, exported: Path):
    manifest = json.loads((exported / "manifest.json").read_text())
    assert [entry["mart"] for entry in manifest["marts"]] == mart_names(built_warehouse)
    with duckdb.connect(str(built_warehouse), read_only=True) as connection:
        for entry in manifest["marts"]:
            mart = f'marts."{entry["mart"]}"'
            types = ", ".join(f"'{c['name']}': '{c['type']}'" for c in entry["columns"])
            parquet = f"read_parquet('{exported / entry['files']['parquet']}')"
            csv = (
                f"read_csv('{exported / entry['files']['csv']}', header = true, "
                f"auto_detect = false, columns = {{{types}}})"
            )
            count = connection.execute(f"select count(*) from {mart}").fetchone()[0]
            # The CSV holds formula-like text cells with a leading apostrophe.
            columns = [(c["name"], c["type"]) for c in entry["columns"]]
            csv_view = f"(select {csv_safe_select(columns)} from {mart})"
            for relation, expected in ((parquet, mart), (csv, csv_view)):
                assert connection.execute(f"select count(*) from {relation}").fetchone()[0] == count
                assert rows_differing(connection, expected, relation) == 0, (
                    entry["mart"],
                    relation,
                )
            # Parquet keeps the types themselves, not only the values.
            assert [
                row[1] for row in connection.execute(f"describe select * from {parquet}").fetchall()
            ] == [c["type"] for c in entry["columns"]]


def test_manifest_names_columns_types_row_counts_and_the_as_of(
    built_warehouse: Path, exported: Path
):
    manifest = json.loads((exported / "manifest.json").read_text())
    with duckdb.connect(str(built_warehouse), read_only=True) as connection:
        as_of = connection.execute(
            "select cast(max(kpis_as_of) as varchar) from marts.mart_relationship_kpis"
        ).fetchone()[0]
        assert manifest["as_of"] == as_of
        datetime.strptime(manifest["built_at"], "%Y-%m-%dT%H:%M:%SZ")
        assert manifest["duckdb"] == BI_DATABASE
        for entry in manifest["marts"]:
            columns = connection.execute(
                "select column_name, data_type from information_schema.columns "
                "where table_schema = 'marts' and table_name = ? order by ordinal_position",
                [entry["mart"]],
            ).fetchall()
            assert [(c["name"], c["type"]) for c in entry["columns"]] == columns
            count = connection.execute(f'select count(*) from marts."{entry["mart"]}"').fetchone()
            assert entry["row_count"] == count[0]
    kpis = next(e for e in manifest["marts"] if e["mart"] == "mart_relationship_kpis")
    assert kpis["as_of"] == as_of


def test_manifest_and_bi_file_describe_every_mart_and_column_as_dbt_does(exported: Path):
    """The data dictionary travels: dbt's descriptions in manifest.json and as comments."""
    descriptions = dbt_descriptions()
    manifest = json.loads((exported / "manifest.json").read_text())
    with duckdb.connect(str(exported / BI_DATABASE), read_only=True) as bi:
        tables = dict(
            bi.execute(
                "select table_name, comment from duckdb_tables() where schema_name = 'marts'"
            ).fetchall()
        )
        for entry in manifest["marts"]:
            expected = descriptions[entry["mart"]]
            assert entry["description"] == expected.description != ""
            assert tables[entry["mart"]] == expected.description
            comments = dict(
                bi.execute(
                    "select column_name, comment from duckdb_columns() "
                    "where schema_name = 'marts' and table_name = ?",
                    [entry["mart"]],
                ).fetchall()
            )
            for column in entry["columns"]:
                assert column["description"] == expected.columns[column["name"]], column
                assert comments[column["name"]] == column["description"]
    kpis = next(entry for entry in manifest["marts"] if entry["mart"] == "mart_relationship_kpis")
    emails_sent = next(column for column in kpis["columns"] if column["name"] == "emails_sent")
    assert emails_sent["type"] == "BIGINT"
    assert emails_sent["description"].startswith("Completed linked emails initiated by the team")


def test_the_duckdb_file_for_bi_holds_every_mart_and_opens_read_only(
    built_warehouse: Path, exported: Path
):
    marts = mart_names(built_warehouse)
    with duckdb.connect(str(exported / BI_DATABASE), read_only=True) as bi:
        bi.execute(f"attach '{built_warehouse}' as warehouse (read_only)")
        for mart in marts:
            assert rows_differing(bi, f'marts."{mart}"', f'warehouse.marts."{mart}"') == 0
        listed = dict(bi.execute("select mart, row_count from main.export_manifest").fetchall())
        assert listed == {
            mart: bi.execute(f'select count(*) from marts."{mart}"').fetchone()[0] for mart in marts
        }
        with pytest.raises(duckdb.Error):
            bi.execute("create table marts.scribble as select 1 as x")
        # Readable by BI tools that bundle DuckDB 1.0 or later.
        tags = bi.execute(
            "select tags from duckdb_databases() where database_name = current_database()"
        ).fetchone()[0]
        assert tags["storage_version"].startswith("v1.0.0")
    assert not list(exported.glob(".*tmp*")), "no temporary file is left behind"


def test_every_file_is_complete_before_it_is_renamed_into_place(
    built_warehouse: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    """A reader of the final name sees the old file until the new one is whole."""
    export_all(built_warehouse, tmp_path)
    old_kpis = (tmp_path / "marts" / "mart_relationship_kpis.parquet").read_bytes()
    seen: list[str] = []
    rename = exports._replace_atomically

    def checked_rename(temporary: Path, final: Path) -> None:
        if final.name == "mart_relationship_kpis.parquet":
            assert final.read_bytes() == old_kpis  # untouched while the new one is written
            with duckdb.connect() as reader:  # the new one is a complete Parquet file
                reader.execute(f"select count(*) from read_parquet('{temporary}')").fetchone()
        seen.append(final.name)
        rename(temporary, final)

    monkeypatch.setattr(exports, "_replace_atomically", checked_rename)
    export_all(built_warehouse, tmp_path)
    assert "mart_relationship_kpis.parquet" in seen and "manifest.json" in seen


def test_a_failed_export_keeps_the_previous_files(built_warehouse: Path, tmp_path: Path):
    export_all(built_warehouse, tmp_path)
    bi_before = (tmp_path / BI_DATABASE).read_bytes()
    with duckdb.connect(str(built_warehouse), read_only=True) as connection:
        with pytest.raises(ValueError, match="no table or view marts.no_such_mart"):
            export_marts(connection, ["mart_relationship_kpis", "no_such_mart"], tmp_path)
    assert (tmp_path / BI_DATABASE).read_bytes() == bi_before
    assert not list(tmp_path.rglob(".*tmp*"))


def test_dagster_assets_export_marts_then_dashboards(
    built_warehouse: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    import dagster as dg

    from orchestration.defs.exports import exports as exports_step
    from orchestration.defs.resources import RunSettingsResource

    monkeypatch.setenv("RA_WAREHOUSE", str(built_warehouse))
    monkeypatch.setenv("RA_EXPORT_DIR", str(tmp_path))
    monkeypatch.setenv("RA_DASHBOARD_TOP_N", "2")
    monkeypatch.setenv("RA_DASHBOARD_BUSINESS_UNITS", "all")
    monkeypatch.setenv("RA_EXPORT_CSV_MAX_ROWS", "50")
    monkeypatch.setenv("DAGSTER_HOME", str(tmp_path / "dagster_home"))
    (tmp_path / "dagster_home").mkdir()
    result = dg.materialize([exports_step], resources={"run_settings": RunSettingsResource()})
    assert result.success
    assert exports_step.keys == {
        dg.AssetKey(["exports", "marts"]),
        dg.AssetKey(["exports", "dashboards"]),
    }
    manifest = json.loads((tmp_path / "manifest.json").read_text())
    assert {entry["mart"] for entry in manifest["marts"]} <= set(mart_names(built_warehouse))
    # RA_EXPORT_CSV_MAX_ROWS=50: the 3 health bands get a CSV, the KPIs (a row per record)
    # Parquet only, and the manifest says why.
    entries = {entry["mart"]: entry for entry in manifest["marts"]}
    assert entries["mart_health_state_bands"]["row_count"] == 3
    assert "csv" in entries["mart_health_state_bands"]["files"]
    kpis = entries["mart_relationship_kpis"]
    assert kpis["row_count"] > 50
    assert kpis["files"] == {"parquet": "marts/mart_relationship_kpis.parquet"}
    assert kpis["csv_skipped"] == f"rows > bound ({kpis['row_count']} > RA_EXPORT_CSV_MAX_ROWS=50)"
    assert not (tmp_path / "marts" / "mart_relationship_kpis.csv").exists()
    assert all(
        ("csv" in entry["files"]) == (entry["row_count"] <= 50) for entry in entries.values()
    )
    assert (tmp_path / BI_DATABASE).exists()
    site = json.loads((tmp_path / "dashboards" / "manifest.json").read_text())
    assert site["top_n"] == 2
    pages = site["sites"][0]["pages"]
    assert all(pages[t] <= 2 for t in ("opportunity", "lead", "account", "contact"))
    # One page per owner of those (at most 8) records, one per business unit.
    assert 1 <= pages["owner"] <= 8 and pages["business_unit"] >= 1
    with duckdb.connect(str(built_warehouse), read_only=True) as connection:
        units = connection.execute(
            "select count(distinct business_unit_id) from staging.stg_dataverse__system_users"
        ).fetchone()[0]
    assert len(site["sites"]) == 1 + units
    assert (tmp_path / "dashboards" / "index.html").exists()
