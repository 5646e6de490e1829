"""The privacy filter on the hand-written fixture's raw tables (no pipeline run).

Cast (tests/fixtures/handmade, see test_handmade_fixture.py): c4 opts out
(msdyn_gdproptout), seller u3 is listed by address, c2 is erased by id, an unresolved
cc at gmail.com is added to e8, and e0, an e-mail of 2024, is past a 365-day retention
(as of 2026-06-30). Every count below is worked out from those CSV files.
"""

from __future__ import annotations

import json
from datetime import datetime

import duckdb
import pytest

from orchestration.privacy.__main__ import main
from orchestration.privacy.incremental import incremental_tables, reset_when_people_change
from orchestration.privacy.policy import (
    DEFAULT_PERSONAL_MAIL_DOMAINS,
    PrivacyPolicy,
    privacy_policy,
    read_exclusions,
)
from orchestration.privacy.raw_filter import apply_privacy_filter, raw_relations
from orchestration.privacy.register import ErasureRegister, hash_sql, person_hash
from orchestration.publishing.export_set import remove_unpublished_sets
from tests.conftest import HANDMADE_DIR

SALT = "00" * 32


def load_handmade_raw(connection: duckdb.DuckDBPyConnection) -> None:
    """raw.<table> from the handmade CSVs (all text), plus the privacy cases above."""
    connection.execute("create schema raw")
    for path in sorted(HANDMADE_DIR.glob("*.csv")):
        connection.execute(
            f"create table raw.{path.stem} as select * from read_csv('{path}', all_varchar=true)"
        )
    connection.execute("alter table raw.contact add column msdyn_gdproptout varchar")
    connection.execute("update raw.contact set msdyn_gdproptout = 'true' where contactid = 'c4'")
    connection.execute(
        "insert into raw.email (activityid, subject, senton, statuscode, regardingobjectid, "
        "regardingobjecttypecode, ownerid, modifiedon) values ('e0', 'Ancient pricing', "
        "'2024-01-15T10:00:00Z', '3', 'o1', 'opportunity', 'u1', '2024-01-15T10:00:00Z')"
    )
    connection.execute(
        "insert into raw.activityparty values "
        "('ap00', 'e0', 'u1', 'systemuser', '1', 'una@ourco.example'), "
        "('ap00b', 'e0', 'c1', 'contact', '2', 'cleo@acme.example'), "
        "('ap27', 'e8', '', '', '3', 'Pat@Gmail.com')"
    )


@pytest.fixture
def raw():
    connection = duckdb.connect()
    load_handmade_raw(connection)
    yield connection
    connection.close()


def policy() -> PrivacyPolicy:
    return PrivacyPolicy(
        salt=SALT,
        listed=frozenset({"uma@ourco.example"}),
        erased=frozenset({person_hash(SALT, "{C2}")}),
        retention_cutoff=datetime(2025, 6, 30),
        personal_domains=DEFAULT_PERSONAL_MAIL_DOMAINS,
    )


def test_rows_removed_and_pseudonymised_worked_out_by_hand(raw):
    relations = raw_relations(raw, {})
    result = apply_privacy_filter(raw, policy(), relations, relations)
    assert result.rows_removed == {
        # e0 (retention), e2 and e3 (c2 a party); m1 and p1 (c4 a party).
        "email": 3,
        "appointment": 1,
        "phonecall": 1,
        # ap00, ap00b (e0); ap03, ap04 (e2); ap05-ap07 (e3); ap14-ap18 (m1); ap21, ap22 (p1)
        "activityparty": 14,
        "contact": 2,  # c2 erased, c4 opted out
        "connection": 1,  # k1: o1 - c4
        "systemuser": 1,  # u3
        "lead.parentcontactid": 1,  # l1 -> c2
        "opportunity.parentcontactid": 1,  # o1 -> c2
        "activityparty.addressused": 1,  # ap27 at gmail.com
    }
    # u3 owns a2, c3, o2 and m2 and is a party of m2 (ap20); e2 and m1 are gone.
    assert result.rows_pseudonymised == {
        "account.ownerid": 1,
        "contact.ownerid": 1,
        "opportunity.ownerid": 1,
        "appointment.ownerid": 1,
        "activityparty.partyid": 1,
    }
    pseudonym = raw.execute(
        "select ownerid from raw.opportunity where opportunityid = 'o2'"
    ).fetchall()[0][0]
    assert pseudonym == "withheld-" + person_hash(SALT, "u3")[:16]
    assert raw.execute(
        "select partyid, addressused from raw.activityparty where activitypartyid = 'ap20'"
    ).fetchall() == [(pseudonym, None)]
    assert sorted(r[0] for r in raw.execute("select activityid from raw.email").fetchall()) == [
        "e1", "e4", "e5", "e6", "e7", "e8", "e9"
    ]  # fmt: skip


def test_nothing_named_remains_in_any_raw_table(raw):
    relations = raw_relations(raw, {})
    apply_privacy_filter(raw, policy(), relations, relations)
    forbidden = [
        "c2", "Carl Acme", "carl@acme.example", "c4", "Cy Freelance", "cy@free.example",
        "u3", "Uma Seller", "uma@ourco.example", "Pat@Gmail.com", "Ancient pricing",
        "Question", "Follow-up", "Renewal workshop", "Advice call",
    ]  # fmt: skip
    found = []
    for (table,) in raw.execute(
        "select table_name from information_schema.tables where table_schema = 'raw'"
    ).fetchall():
        columns = [c[0] for c in raw.execute(f"describe raw.{table}").fetchall()]
        for column in columns:
            values = {v for (v,) in raw.execute(f"select distinct {column} from raw.{table}")
                      .fetchall()}  # fmt: skip
            found += [(table, column, text) for text in forbidden if text in values]
    assert found == []
    # The temporary lists of the filter are gone with it.
    assert raw.execute(
        "select count(*) from duckdb_tables() where table_name like 'privacy_%'"
    ).fetchall() == [(0,)]


def test_email_sentiment_loses_the_rows_of_every_email_removed(raw):
    # raw.email_sentiment is derived from raw.email (orchestration/sentiment): a score of
    # e0, e2 or e3 would keep what their text said about the people removed.
    raw.execute(
        "create table raw.email_sentiment as select activityid, modifiedon, 'en' as language,"
        " 0.5 as compound from raw.email"
    )
    relations = raw_relations(raw, {})
    result = apply_privacy_filter(raw, policy(), relations, relations)
    assert result.rows_removed_from("email_sentiment") == 3  # e0, e2, e3
    scored = raw.execute("select activityid from raw.email_sentiment order by 1").fetchall()
    assert [row[0] for row in scored] == ["e1", "e4", "e5", "e6", "e7", "e8", "e9"]


def test_email_sentiment_is_left_alone_when_emails_are_not_changed(raw):
    raw.execute("create table raw.email_sentiment as select activityid from raw.email")
    relations = raw_relations(raw, {})
    result = apply_privacy_filter(raw, policy(), relations, {"contact": relations["contact"]})
    assert result.rows_removed_from("email_sentiment") == 0
    assert raw.execute("select count(*) from raw.email_sentiment").fetchall() == [(10,)]


def test_staged_tables_are_changed_and_raw_only_read(raw):
    raw.execute("create table raw.email__next as select * from raw.email")
    relations = raw_relations(raw, {"email": "email__next"})
    assert relations["email"] == 'raw."email__next"'
    result = apply_privacy_filter(raw, policy(), relations, {"email": relations["email"]})
    assert result.rows_removed == {"email": 3}
    assert raw.execute("select count(*) from raw.email").fetchall() == [(10,)]


def test_an_empty_policy_changes_nothing(raw):
    raw.execute("alter table raw.contact drop column msdyn_gdproptout")
    relations = raw_relations(raw, {})
    result = apply_privacy_filter(raw, PrivacyPolicy(salt=SALT), relations, relations)
    assert (result.rows_removed, result.rows_pseudonymised) == ({}, {})


def test_the_sql_hash_equals_the_register_hash():
    expected = person_hash(SALT, " {ABC-Def} ")
    assert expected == person_hash(SALT, "abc-def")
    sql = hash_sql(SALT, "' {ABC-Def} '")
    assert duckdb.sql(f"select {sql}").fetchall() == [(expected,)]


def test_the_register_keeps_hashes_only_and_audits_without_names(tmp_path):
    register = ErasureRegister.open(tmp_path)
    assert (tmp_path / "salt").stat().st_mode & 0o777 == 0o600
    register.add(["carl@acme.example", "C2"])
    text = (tmp_path / "erased.txt").read_text()
    # Line by line: a random salt gives a hash that ends in "c2" once in 256 lines.
    lines = text.lower().splitlines()
    assert "carl" not in text and "c2" not in lines and "carl@acme.example" not in lines
    assert register.hashes() == {
        person_hash(register.salt, "carl@acme.example"),
        person_hash(register.salt, "c2"),
    }
    line = register.audit(datetime(2026, 6, 30, 12), "carl@acme.example", {"contact": 1})
    assert line == {
        "erased_at": "2026-06-30T12:00:00Z",
        "person_hash": person_hash(register.salt, "carl@acme.example"),
        "rows_removed": {"contact": 1},
    }
    assert "carl" not in (tmp_path / "audit.jsonl").read_text()
    assert ErasureRegister.open(tmp_path).salt == register.salt


def test_exclusions_file_errors_name_file_row_and_column(tmp_path):
    good = tmp_path / "exclusions.csv"
    good.write_text("Person,reason\n{U3},works council\nCy@Free.example,opt-out\n")
    assert read_exclusions(good) == {"u3", "cy@free.example"}
    no_column = tmp_path / "no_column.csv"
    no_column.write_text("id\nu3\n")
    with pytest.raises(ValueError, match=r"no_column.csv has no 'person' column .*header is id"):
        read_exclusions(no_column)
    empty_row = tmp_path / "empty_row.csv"
    empty_row.write_text("person\nu3\n \n")
    with pytest.raises(ValueError, match=r"empty_row.csv, row 3, column 'person' is empty"):
        read_exclusions(empty_row)
    with pytest.raises(ValueError, match=r"missing.csv cannot be read"):
        read_exclusions(tmp_path / "missing.csv")


def test_the_erase_command_prints_an_audit_line_and_cleans_raw(tmp_path, monkeypatch, capsys):
    warehouse = tmp_path / "warehouse.duckdb"
    with duckdb.connect(str(warehouse)) as connection:
        load_handmade_raw(connection)
    monkeypatch.setenv("RA_WAREHOUSE", str(warehouse))
    monkeypatch.setenv("RA_PRIVACY_DIR", str(tmp_path / "register"))
    assert main(["erase", " Cleo@ACME.example "]) == 0
    line = json.loads(capsys.readouterr().out)
    salt = (tmp_path / "register" / "salt").read_text().strip()
    # c1 took part in e0, e1, e4, e9, m1 and p2: gone with their 15 parties; c1 was a1's
    # primary contact. The opt-out flag in raw applies too: c4, its call p1 (ap21, ap22)
    # and connection k1. No domain list: ap27 keeps its address.
    assert line["person_hash"] == person_hash(salt, "cleo@acme.example")
    assert line["rows_removed"] == {
        "account.primarycontactid": 1,
        "activityparty": 17,
        "appointment": 1,
        "connection": 1,
        "contact": 2,
        "email": 4,
        "phonecall": 2,
    }
    register = (tmp_path / "register" / "erased.txt").read_text().split()
    assert sorted(register) == sorted(
        {person_hash(salt, "c1"), person_hash(salt, "cleo@acme.example")}
    )
    with duckdb.connect(str(warehouse), read_only=True) as connection:
        assert connection.execute(
            "select count(*) from raw.contact where contactid = 'c1'"
        ).fetchall() == [(0,)]
    assert main(["erase", " {} "]) == 2
    assert "a person to erase or exclude is empty" in capsys.readouterr().err


def test_prune_keeps_only_the_published_export_set(tmp_path):
    versions = tmp_path / ".versions"
    for name in ("20260629T050000Z-aaaa", "20260630T050000Z-bbbb"):
        (versions / name).mkdir(parents=True)
    (tmp_path / "current").symlink_to(".versions/20260630T050000Z-bbbb")
    removed = remove_unpublished_sets(tmp_path)
    assert [path.name for path in removed] == ["20260629T050000Z-aaaa"]
    assert [path.name for path in versions.iterdir()] == ["20260630T050000Z-bbbb"]


def test_a_run_without_exclusions_or_erasures_writes_no_register(tmp_path):
    as_of = datetime(2026, 6, 30)
    plain = privacy_policy(tmp_path / "register", None, 365, as_of)
    assert (plain.salt, plain.listed, plain.erased) == ("", frozenset(), frozenset())
    assert plain.retention_cutoff == datetime(2025, 6, 30)
    assert not (tmp_path / "register").exists()
    exclusions = tmp_path / "exclusions.csv"
    exclusions.write_text("person\nu3\n")
    listed = privacy_policy(tmp_path / "register", exclusions, None, as_of)
    assert listed.listed == {"u3"} and len(listed.salt) == 64
    assert (tmp_path / "register" / "salt").exists()


def test_a_changed_list_of_people_drops_the_incremental_models(tmp_path):
    manifest = tmp_path / "manifest.json"
    manifest.write_text(
        json.dumps(
            {
                "nodes": {
                    "model.a": {
                        "resource_type": "model",
                        "schema": "intermediate",
                        "alias": "int_activities_unioned",
                        "config": {"materialized": "incremental"},
                    },
                    "model.b": {
                        "resource_type": "model",
                        "schema": "marts",
                        "alias": "mart_users",
                        "config": {"materialized": "table"},
                    },
                }
            }
        )
    )
    tables = incremental_tables(manifest)
    assert tables == ['"intermediate"."int_activities_unioned"']
    connection = duckdb.connect()
    connection.execute("create schema intermediate")
    connection.execute("create table intermediate.int_activities_unioned (x int)")
    nobody = PrivacyPolicy(salt=SALT)
    u3 = PrivacyPolicy(salt=SALT, listed=frozenset({"u3"}))
    assert reset_when_people_change(connection, nobody, tables) == []
    # Nobody listed, nothing stored: a plain run leaves no trace.
    assert connection.execute(
        "select count(*) from information_schema.schemata where schema_name = 'privacy'"
    ).fetchall() == [(0,)]
    assert reset_when_people_change(connection, u3, tables) == tables
    assert reset_when_people_change(connection, u3, tables) == []  # same list: kept
    connection.execute("create table intermediate.int_activities_unioned (x int)")
    assert reset_when_people_change(connection, nobody, tables) == tables  # u3 removed
