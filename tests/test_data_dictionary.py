"""The data dictionary travels: every mart and column has a description in dbt, and the
exports carry it (manifest.json entries, DuckDB comments in the BI file)."""

from __future__ import annotations

import json
from pathlib import Path

import duckdb

from orchestration.defs.dbt import dbt_project
from orchestration.publishing.bi_file import BI_DATABASE
from orchestration.publishing.data_dictionary import (
    MartDescription,
    comment_statements,
    mart_descriptions,
    undescribed,
)
from orchestration.publishing.export_files import export_marts

# A manifest cut down to what the dictionary reads: two marts, one staging model.
MANIFEST = {
    "nodes": {
        "model.p.mart_people": {
            "resource_type": "model",
            "name": "mart_people",
            "fqn": ["p", "marts", "people", "mart_people"],
            "description": "One row per person:\n  who they are.\n",
            "columns": {
                "person_id": {"description": "The person's id."},
                "name": {"description": "  Full   name,\nas landed. "},
                "note": {"description": ""},
            },
        },
        "model.p.mart_empty": {
            "resource_type": "model",
            "name": "mart_empty",
            "fqn": ["p", "marts", "mart_empty"],
            "description": "",
            "columns": {},
        },
        "model.p.stg_people": {
            "resource_type": "model",
            "name": "stg_people",
            "fqn": ["p", "staging", "stg_people"],
            "description": "Not a mart.",
            "columns": {},
        },
    }
}


def test_descriptions_are_read_per_mart_with_whitespace_folded():
    descriptions = mart_descriptions(MANIFEST)
    assert sorted(descriptions) == ["mart_empty", "mart_people"]
    people = descriptions["mart_people"]
    assert people.description == "One row per person: who they are."
    assert dict(people.columns) == {
        "person_id": "The person's id.",
        "name": "Full name, as landed.",
    }
    assert undescribed(people, ["person_id", "name", "note"]) == ["mart_people.note"]
    assert undescribed(descriptions["mart_empty"], ["x"]) == ["mart_empty", "mart_empty.x"]


def test_comments_quote_text_and_skip_columns_the_table_lacks():
    people = mart_descriptions(MANIFEST)["mart_people"]
    assert comment_statements(people, ["person_id", "note"]) == [
        """comment on table "marts"."mart_people" is 'One row per person: who they are.'""",
        """comment on column "marts"."mart_people"."person_id" is 'The person''s id.'""",
    ]


def test_every_mart_and_every_mart_column_has_a_description_in_dbt():
    """Marts enforce contracts, so their YAML lists every column the table has."""
    manifest = json.loads(dbt_project.manifest_path.read_text())
    marts = [
        node
        for node in manifest["nodes"].values()
        if node["resource_type"] == "model" and node["fqn"][1] == "marts"
    ]
    assert len(marts) >= 14
    assert all(node["config"]["contract"]["enforced"] for node in marts)
    descriptions = mart_descriptions(manifest)
    missing = [
        name
        for node in marts
        for name in undescribed(descriptions[node["name"]], list(node["columns"]))
    ]
    assert missing == [], "describe these in the marts' YAML (_*__models.yml)"
    # The docs blocks are rendered, not left as Jinja.
    kpis = descriptions["mart_relationship_kpis"]
    assert kpis.columns["emails_sent"].startswith("Completed linked emails initiated by the team")
    assert not any("{{" in text for d in descriptions.values() for text in d.columns.values())


def test_the_bi_file_and_the_manifest_entry_carry_the_descriptions(tmp_path: Path):
    warehouse = tmp_path / "people.duckdb"
    with duckdb.connect(str(warehouse)) as connection:
        connection.execute("create schema marts")
        connection.execute(
            "create table marts.mart_people as "
            "select * from (values ('p2', 'Bo', 'x'), ('p1', 'Ada', null)) "
            "as people(person_id, name, note)"
        )
    people = mart_descriptions(MANIFEST)["mart_people"]
    with duckdb.connect(str(warehouse), read_only=True) as connection:
        (entry,), _, _ = export_marts(
            connection, ["mart_people"], tmp_path, descriptions={"mart_people": people}
        )
    assert entry["description"] == "One row per person: who they are."
    assert entry["columns"] == [
        {"name": "person_id", "type": "VARCHAR", "description": "The person's id."},
        {"name": "name", "type": "VARCHAR", "description": "Full name, as landed."},
        {"name": "note", "type": "VARCHAR", "description": None},
    ]
    with duckdb.connect(str(tmp_path / BI_DATABASE), read_only=True) as bi:
        table = bi.execute(
            "select comment from duckdb_tables() where schema_name = 'marts' "
            "and table_name = 'mart_people'"
        ).fetchone()[0]
        columns = bi.execute(
            "select column_name, comment from duckdb_columns() where schema_name = 'marts' "
            "and table_name = 'mart_people' order by column_index"
        ).fetchall()
        assert bi.execute("select * from marts.mart_people order by person_id").fetchall() == [
            ("p1", "Ada", None),
            ("p2", "Bo", "x"),
        ]
    assert table == "One row per person: who they are."
    assert columns == [
        ("person_id", "The person's id."),
        ("name", "Full name, as landed."),
        ("note", None),
    ]


def test_without_a_dictionary_the_entry_says_none(tmp_path: Path):
    warehouse = tmp_path / "w.duckdb"
    with duckdb.connect(str(warehouse)) as connection:
        connection.execute("create schema marts")
        connection.execute("create table marts.mart_x as select 1 as x")
        (entry,), _, _ = export_marts(connection, ["mart_x"], tmp_path)
    assert entry["description"] is None
    assert entry["columns"] == [{"name": "x", "type": "INTEGER", "description": None}]
    assert MartDescription("mart_x", "").columns == {}
