"""Issue 19's proof: after the runs, nothing of the people kept out is anywhere.

The hand-written fixture (tests/fixtures/handmade) with: contact c4 opted out
(msdyn_gdproptout), an unresolved cc at gmail.com on e8 and e0 (an e-mail of 2024) past a
365-day retention from the first run; between the runs contact c2 is erased (register and
raw, as `make erase` does; old export sets removed after) while the landing files still
hold c2, and seller u3 is added by address to RA_PRIVACY_EXCLUSIONS. The second run is
incremental (no --full-refresh): the changed list of people must rebuild the incremental
models by itself, or u3's id would stay in them. Every table of
the warehouse, every file under the export folder (marts, manifest, BI file, dashboards,
old sets) is scanned for their ids, names, addresses and subjects; the counts of o1 and
l1 are worked out by hand from the fixture.
"""

from __future__ import annotations

import csv
import json
import os
import re
import shutil
from pathlib import Path

import dagster as dg
import duckdb
import pytest

from orchestration.privacy.erase import erase_person, prune_exports
from orchestration.privacy.register import person_hash
from orchestration.settings import Settings
from tests.conftest import HANDMADE_DIR, SAMPLE_AS_OF, pipeline_environment

# Ids are looked for as whole cells (tables) or whole tokens (text files); the rest as text.
KEPT_OUT_IDS = ["c2", "c4", "u3", "e0", "e2", "e3", "m1", "p1"]
KEPT_OUT_TEXT = [
    "Carl Acme", "carl@acme.example", "Cy Freelance", "cy@free.example", "Uma Seller",
    "uma@ourco.example", "pat@gmail.com", "Ancient pricing", "Carl asks about pricing",
    "Follow-up for Carl", "Renewal workshop", "Advice call",
]  # fmt: skip


def _rewrite(path: Path, change) -> None:
    with path.open(newline="") as handle:
        rows = list(csv.DictReader(handle))
    header, rows = change(list(rows[0]), rows)
    with path.open("w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=header)
        writer.writeheader()
        writer.writerows(rows)


def privacy_landing(folder: Path) -> None:
    for path in HANDMADE_DIR.glob("*.csv"):
        shutil.copy(path, folder / path.name)

    def opt_out(header, rows):
        for row in rows:
            row["msdyn_gdproptout"] = "true" if row["contactid"] == "c4" else "false"
        return [*header, "msdyn_gdproptout"], rows

    def emails(header, rows):
        subjects = {"e2": "Carl asks about pricing", "e3": "Follow-up for Carl"}
        for row in rows:
            row["subject"] = subjects.get(row["activityid"], row["subject"])
        old = dict.fromkeys(header, "")
        old.update(
            activityid="e0", subject="Ancient pricing", directioncode="true",
            senton="2024-01-15T10:00:00Z", statecode="1", statuscode="3",
            regardingobjectid="o1", regardingobjecttypecode="opportunity", ownerid="u1",
            isemailfollowed="false", opencount="0", replycount="0", linksclickedcount="0",
            attachmentopencount="0", createdon="2024-01-15T10:00:00Z",
            modifiedon="2024-01-15T10:00:00Z",
        )  # fmt: skip
        return header, [*rows, old]

    def parties(header, rows):
        added = [
            ("ap00", "e0", "u1", "systemuser", "1", "una@ourco.example"),
            ("ap00b", "e0", "c1", "contact", "2", "cleo@acme.example"),
            ("ap27", "e8", "", "", "3", "pat@gmail.com"),
        ]
        return header, [*rows, *(dict(zip(header, values, strict=True)) for values in added)]

    _rewrite(folder / "contact.csv", opt_out)
    _rewrite(folder / "email.csv", emails)
    _rewrite(folder / "activityparty.csv", parties)


def run_pipeline(landing: Path, root: Path, env: dict[str, str]):
    from orchestration.definitions import defs

    warehouse = root / "warehouse" / "relationship_analytics.duckdb"
    with pipeline_environment(landing, warehouse, root / "exports", SAMPLE_AS_OF, env):
        job = defs.resolve_implicit_global_asset_job_def()
        result = job.execute_in_process(instance=dg.DagsterInstance.ephemeral())
    assert result.success


def _tables(connection: duckdb.DuckDBPyConnection):
    for schema, table in connection.execute(
        "select schema_name, table_name from duckdb_tables() where not temporary"
    ).fetchall():
        yield f'"{schema}"."{table}"'


def leaks_in_rows(rows, where: str) -> list[tuple[str, str]]:
    found = []
    for row in rows:
        for value in row:
            if value is None:
                continue
            text = str(value)
            found += [(where, i) for i in KEPT_OUT_IDS if text.strip().lower() == i]
            found += [(where, t) for t in KEPT_OUT_TEXT if t.lower() in text.lower()]
    return found


def leaks_in_database(path: Path) -> list[tuple[str, str]]:
    found = []
    with duckdb.connect(str(path), read_only=True) as connection:
        for table in _tables(connection):
            found += leaks_in_rows(connection.execute(f"select * from {table}").fetchall(), table)
    return found


def leaks_in_text(text: str, where: str) -> list[tuple[str, str]]:
    found = [(where, t) for t in KEPT_OUT_TEXT if t.lower() in text.lower()]
    for identifier in KEPT_OUT_IDS:
        if re.search(rf"(?<![\w#.-]){re.escape(identifier)}(?![\w-])", text):
            found.append((where, identifier))
    return found


def leaks_in_exports(export_dir: Path) -> list[tuple[str, str]]:
    found = []
    for folder, _, names in os.walk(export_dir):
        for name in names:
            path = Path(folder) / name
            if path.suffix == ".duckdb":
                found += leaks_in_database(path)
            elif path.suffix == ".parquet":
                rows = duckdb.sql(f"select * from read_parquet('{path}')").fetchall()
                found += leaks_in_rows(rows, str(path))
            elif path.suffix == ".csv":
                rows = duckdb.sql(f"select * from read_csv('{path}', all_varchar=true)").fetchall()
                found += leaks_in_rows(rows, str(path))
            else:
                found += leaks_in_text(path.read_text(encoding="utf-8"), str(path))
    return found


@pytest.fixture(scope="module")
def privacy_build(tmp_path_factory: pytest.TempPathFactory):
    landing = tmp_path_factory.mktemp("privacy_landing")
    privacy_landing(landing)
    root = tmp_path_factory.mktemp("privacy_build")
    exclusions = root / "exclusions.csv"
    exclusions.write_text("person,reason\n")
    env = {"RA_PRIVACY_EXCLUSIONS": str(exclusions), "RA_ACTIVITY_RETENTION_DAYS": "365"}
    run_pipeline(landing, root, env)
    first_leaks = leaks_in_database(root / "warehouse" / "relationship_analytics.duckdb")
    first_leaks += leaks_in_exports(root / "exports")
    # Erase c2 (register and raw), list seller u3; an incremental run with subjects off.
    warehouse = root / "warehouse" / "relationship_analytics.duckdb"
    with pipeline_environment(landing, warehouse, root / "exports", SAMPLE_AS_OF, env):
        erasure = erase_person(Settings.from_env(), "Carl@Acme.example")
    with duckdb.connect(str(warehouse), read_only=True) as connection:
        scored_after_erasure = {
            row[0]
            for row in connection.execute("select activityid from raw.email_sentiment").fetchall()
        }
    exclusions.write_text("person,reason\nUma@OurCo.example,works council\n")
    env["RA_EXPORT_SUBJECTS"] = "false"
    run_pipeline(landing, root, env)
    pruned = prune_exports(root / "exports")
    return {
        "root": root,
        "warehouse": warehouse,
        "first_leaks": first_leaks,
        "erasure": erasure,
        "scored_after_erasure": scored_after_erasure,
        "pruned": pruned,
    }


def test_the_first_run_keeps_opt_outs_and_expired_activities_out(privacy_build):
    # c2 is not erased and u3 not listed yet: only their ids, names, addresses and
    # subjects may show.
    carl = {"c2", "e2", "e3", "Carl Acme", "carl@acme.example", "Carl asks about pricing"}
    later = carl | {"Follow-up for Carl", "u3", "Uma Seller", "uma@ourco.example"}
    leaks = privacy_build["first_leaks"]
    assert [leak for leak in leaks if leak[1] not in later] == []
    assert {"c2", "u3"} <= {leak[1] for leak in leaks}  # the scan does see them


def test_after_erasure_nobody_kept_out_is_anywhere(privacy_build):
    assert leaks_in_database(privacy_build["warehouse"]) == []
    assert leaks_in_exports(privacy_build["root"] / "exports") == []
    assert len(privacy_build["pruned"]) == 1  # the first run's set, which named c2


def test_the_erasure_itself_removes_the_sentiment_of_their_emails(privacy_build):
    # Not only the next run: `make erase` leaves no score of e2 or e3 in raw at once.
    assert privacy_build["scored_after_erasure"]
    assert privacy_build["scored_after_erasure"].isdisjoint({"e2", "e3"})


def test_the_audit_line_names_nobody_and_counts_what_went(privacy_build):
    register = privacy_build["warehouse"].parent / "privacy"
    lines = (register / "audit.jsonl").read_text().splitlines()
    salt = (register / "salt").read_text().strip()
    assert [json.loads(line) for line in lines] == [privacy_build["erasure"].audit_line]
    line = privacy_build["erasure"].audit_line
    assert line["person_hash"] == person_hash(salt, "carl@acme.example")
    # From raw after the first run: e2 (ap03, ap04) and e3 (ap05-ap07); c2 itself; the
    # contact lookups of l1 and o1 (u3 is not listed yet); e2's sentiment (e3 is outgoing,
    # never scored).
    assert line["rows_removed"] == {
        "activityparty": 5,
        "contact": 1,
        "email": 2,
        "email_sentiment": 1,
        "lead.parentcontactid": 1,
        "opportunity.parentcontactid": 1,
    }
    assert privacy_build["erasure"].values_registered == 2  # c2 and its address
    text = "".join((register / name).read_text() for name in ("audit.jsonl", "erased.txt"))
    assert "carl" not in text.lower() and "c2" not in re.findall(r"\w+", text)


def test_counts_of_the_records_they_belonged_to(privacy_build):
    with duckdb.connect(str(privacy_build["warehouse"]), read_only=True) as connection:
        o1 = connection.execute(
            "select emails_sent, emails_received, meetings_sent, phone_calls_received, "
            "time_spent_by_team_minutes, time_spent_by_customer_minutes, email_ratio_by_us, "
            "last_interaction_activity_id, last_interaction_subject, "
            "next_interaction_activity_id, followed_emails, emails_replied, "
            "response_rate_by_them, avg_response_time_by_them_hours "
            "from marts.mart_relationship_kpis where record_type = 'opportunity' "
            "and record_id = 'o1'"
        ).fetchall()
        lead_links = connection.execute(
            "select activities.activity_id "
            "from intermediate.int_activities_linked_to_records as links "
            "inner join intermediate.int_activities_unioned as activities "
            "on links.activity_key = activities.activity_key "
            "where links.record_type = 'lead' and links.record_id = 'l1' "
            "order by activities.activity_id"
        ).fetchall()
        owners = connection.execute(
            "select record_id, owner_id, owner_name from marts.mart_records "
            "where record_id in ('a2', 'o2') order by record_id"
        ).fetchall()
        users = connection.execute("select count(*) from marts.mart_users").fetchall()
    # Left on o1: e1 sent, e9 received (answers e1 after 6 h), p2 next. m1 and p1 went
    # with c4, e3 with c2, e0 with retention. Team 5 (e1) + 2.5 (e9 read); customer 2.5 +
    # 5. The subject is empty: RA_EXPORT_SUBJECTS=false in the second run.
    assert o1 == [(1, 1, 0, 0, 7.5, 7.5, 1.0, "e9", None, "p2", 1, 1, 1.0, 6.0)]
    assert lead_links == [("e7",)]  # e3 (with c2) is gone
    pseudonym = (
        "withheld-"
        + person_hash(
            (privacy_build["warehouse"].parent / "privacy" / "salt").read_text().strip(), "u3"
        )[:16]
    )
    # u3's deals still count, under a pseudonym no view can name.
    assert owners == [("a2", pseudonym, None), ("o2", pseudonym, None)]
    assert users == [(2,)]
