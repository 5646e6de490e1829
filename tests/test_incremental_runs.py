"""Incremental runs stay correct: after each of several runs that bring new, updated,
late-arriving and deleted activities and changed records (a contact moving to another
account, an opportunity with a new owner or a new stakeholder, a lead gaining a parent
contact, a deleted contact, connections ending), every mart and every incremental model
equals a full refresh of the same data, row for row.

The landing folder is a full extract each time (what is gone from it is deleted), as the
files source defines. One warehouse takes the runs one after another, so its activity and
linking models build incrementally (macros/incremental_activities.sql,
macros/incremental_links.sql); after each run an empty warehouse builds the same landing
once. Both use the same RA_AS_OF. A last run takes the last landing again at a later
RA_AS_OF: meetings that were future at the earlier T have ended by then and count as
completed (their status at T is read from T-independent instants, macros/
activity_status.sql), so the incremental warehouse, which classified them at the earlier
T's run, must still equal a full refresh at the later T.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import duckdb
import pytest

from orchestration.generator import generate
from tests.conftest import SAMPLE_AS_OF, SAMPLE_END_DATE, materialize_everything

ACTIVITY_TABLES = ("email", "appointment", "phonecall")
INCREMENTAL_MODELS = (
    "int_activities_unioned",
    "int_activity_parties_sided",
    "int_activity_participants_summarized",
    "int_activity_people_deduplicated",
    "int_activity_person_pairs",
    "int_activities_linked_to_records",
    "int_record_linking_fingerprints",
    "int_activities_classified",
    "int_record_activities_joined",
)
# T of the last run: 20 days after SAMPLE_AS_OF, inside the generated future (45 days).
LATER_AS_OF = "2026-07-20T00:00:00Z"
# Activities are picked by a hash of their id, so each step touches a spread of them.
PICK = "hash(activityid || '{salt}') % 1000 < {per_mille}"


def _write_step(previous: Path, landing: Path, statements: dict[str, str]) -> Path:
    """Copy `previous` to `landing`, rewriting the tables in `statements` (SQL over `t`)."""
    shutil.copytree(previous, landing)
    connection = duckdb.connect()
    try:
        for table, select in statements.items():
            path = landing / f"{table}.parquet"
            connection.execute(
                f"create or replace temp table t as select * from read_parquet('{path}')"
            )
            connection.execute(f"copy ({select}) to '{path}' (format parquet)")
    finally:
        connection.close()
    return landing


def _activity_ids(landing: Path, where: str) -> str:
    """SQL listing the activity ids of every activity table matching `where`."""
    return " union all ".join(
        f"select activityid from read_parquet('{landing / table}.parquet') where {where}"
        for table in ACTIVITY_TABLES
    )


def _new_and_updated(previous: Path, landing: Path, prefix: str = "n1") -> Path:
    """Run 2: 3% of activities updated (a day later, new subject; meetings an hour longer;
    some lose a party), 3% copied as new activities (ids `prefix`-...) with their parties."""
    updated = PICK.format(salt=f"u{prefix}", per_mille=30)
    added = PICK.format(salt=prefix, per_mille=30)
    longer_meetings = (
        f", case when {updated} then scheduledend + interval 1 hour else scheduledend end "
        "as scheduledend"
    )
    statements = {
        table: f"""
            select * replace (
                case when {updated} then modifiedon + interval 1 day else modifiedon end
                    as modifiedon,
                case when {updated} then subject || ' (updated)' else subject end as subject
                {longer_meetings if table == "appointment" else ""}
            ) from t
            union all
            select * replace ('{prefix}-' || activityid as activityid,
                              modifiedon + interval 1 day as modifiedon)
            from t where {added}
        """
        for table in ACTIVITY_TABLES
    }
    updated_ids = _activity_ids(previous, updated)
    added_ids = _activity_ids(previous, added)
    statements["activityparty"] = f"""
        select * from t
        -- a third of the updated activities lose their last party
        where not (activityid in ({updated_ids}) and hash(activityid) % 3 = 0
                   and activitypartyid = (select max(activitypartyid) from t as same
                                          where same.activityid = t.activityid))
        union all
        select * replace ('{prefix}-' || activitypartyid as activitypartyid,
                          '{prefix}-' || activityid as activityid)
        from t where activityid in ({added_ids})
    """
    return _write_step(previous, landing, statements)


def _late_and_deleted(previous: Path, landing: Path) -> Path:
    """Run 3: late activities (modifiedon 400 days old, never seen), 2% deleted with their
    parties, and 1% updated to have no parties at all."""
    late = PICK.format(salt="l1", per_mille=20)
    deleted = PICK.format(salt="d1", per_mille=20)
    emptied = PICK.format(salt="e1", per_mille=10) + f" and not ({deleted})"
    statements = {
        table: f"""
            select * replace (
                case when {emptied} then modifiedon + interval 2 day else modifiedon end
                    as modifiedon
            ) from t where not ({deleted})
            union all
            select * replace ('late-' || activityid as activityid,
                              modifiedon - interval 400 day as modifiedon)
            from t where {late} and not ({deleted})
        """
        for table in ACTIVITY_TABLES
    }
    deleted_ids = _activity_ids(previous, deleted)
    emptied_ids = _activity_ids(previous, emptied)
    late_ids = _activity_ids(previous, f"{late} and not ({deleted})")
    statements["activityparty"] = f"""
        select * from t
        where activityid not in ({deleted_ids}) and activityid not in ({emptied_ids})
        union all
        select * replace ('late-' || activitypartyid as activitypartyid,
                          'late-' || activityid as activityid)
        from t where activityid in ({late_ids})
    """
    return _write_step(previous, landing, statements)


def _met_contacts(landing: Path) -> str:
    """SQL: (user_id, contact_id), for each user a contact they share an activity with."""
    parties = f"read_parquet('{landing}/activityparty.parquet')"
    return f"""(
        select users.partyid as user_id, min(contacts.partyid) as contact_id
        from {parties} as users
        inner join {parties} as contacts on users.activityid = contacts.activityid
        where users.partyobjecttypecode = 'systemuser'
            and contacts.partyobjecttypecode = 'contact'
        group by users.partyid
    )"""


def _records_changed(previous: Path, landing: Path) -> Path:
    """Run 4: no activity changes, but records change, which moves activities between
    records: 10% of opportunities get a new owner, 10% of contacts move to another account
    and 2% are deleted (their activities stay), a quarter of the leads without a parent
    contact gain one, and 1 in 7 opportunities gains an active stakeholder connection. The
    new contacts and stakeholders are ones the record's owner shares an activity with, so
    that links do change."""
    met = _met_contacts(previous)
    stakeholder_role = (
        f"(select min(connectionroleid) from read_parquet('{previous}/connectionrole.parquet') "
        "where category = 1000)"
    )
    return _write_step(
        previous,
        landing,
        {
            "opportunity": """
                select * replace (
                    case when hash(opportunityid) % 10 = 0
                        then (select min(ownerid) from t) else ownerid end as ownerid,
                    modifiedon + interval 1 day as modifiedon
                ) from t
            """,
            "contact": """
                select * replace (
                    case when hash(contactid) % 10 = 0
                        then (select min(parentcustomerid) from t) else parentcustomerid
                    end as parentcustomerid
                ) from t
                where hash(contactid) % 50 <> 1
            """,
            "lead": f"""
                select t.* replace (
                    case when t.parentcontactid is null and hash(t.leadid) % 4 = 0
                        then met.contact_id else t.parentcontactid end as parentcontactid
                ) from t
                left join {met} as met on t.ownerid = met.user_id
            """,
            "connection": f"""
                select * from t
                union all by name
                select
                    'stakeholder-' || opportunity.opportunityid as connectionid,
                    opportunity.opportunityid as record1id,
                    'opportunity' as record1objecttypecode,
                    met.contact_id as record2id,
                    'contact' as record2objecttypecode,
                    {stakeholder_role} as record2roleid,
                    0 as statecode,
                    timestamp '2026-06-29 12:00:00' as modifiedon
                from read_parquet('{previous}/opportunity.parquet') as opportunity
                inner join {met} as met on opportunity.ownerid = met.user_id
                where hash(opportunity.opportunityid) % 7 = 0
            """,
        },
    )


def _activities_and_records_changed(previous: Path, landing: Path) -> Path:
    """Run 5: new and updated activities (as run 2) in the same run as record changes:
    contacts leave their account (6%) and sales-team connections end (a third)."""
    with_activities = _new_and_updated(previous, landing, prefix="n2")
    sales_team_roles = (
        f"(select connectionroleid from read_parquet('{previous}/connectionrole.parquet') "
        "where category = 1001)"
    )
    connection = duckdb.connect()
    try:
        for table, select in {
            "contact": """
                select * replace (
                    case when hash(contactid) % 16 = 3 then null else parentcustomerid end
                        as parentcustomerid
                ) from t
            """,
            "connection": f"""
                select * replace (
                    case when record2roleid in {sales_team_roles}
                        and hash(connectionid) % 3 = 0 then 1 else statecode end as statecode
                ) from t
            """,
        }.items():
            path = with_activities / f"{table}.parquet"
            connection.execute(
                f"create or replace temp table t as select * from read_parquet('{path}')"
            )
            connection.execute(f"copy ({select}) to '{path}' (format parquet)")
    finally:
        connection.close()
    return with_activities


def _differing_rows(connection: duckdb.DuckDBPyConnection, schema: str, table: str) -> int:
    """Rows in one build and not the other (multisets); doubles compared to 1e-9. The
    kept tables' build_number (which run wrote a row) differs by design and is left out."""
    columns = connection.execute(
        "select column_name, data_type from information_schema.columns where table_catalog = "
        "'incremental' and table_schema = ? and table_name = ? and column_name != 'build_number' "
        "order by ordinal_position",
        [schema, table],
    ).fetchall()
    select = ", ".join(
        f'round("{name}", 9) as "{name}"' if data_type in ("DOUBLE", "FLOAT") else f'"{name}"'
        for name, data_type in columns
    )
    left = f"select {select} from incremental.{schema}.{table}"
    right = f"select {select} from full_refresh.{schema}.{table}"
    return connection.execute(
        f"select count(*) from (({left} except all {right}) union all ({right} except all {left}))"
    ).fetchone()[0]


@pytest.fixture(scope="module")
def landings(tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    root = tmp_path_factory.mktemp("incremental_landings")
    first = root / "1_initial"
    generate(first, activities=3_000, seed=11, end_date=SAMPLE_END_DATE)
    second = _new_and_updated(first, root / "2_new_and_updated")
    third = _late_and_deleted(second, root / "3_late_and_deleted")
    fourth = _records_changed(third, root / "4_records_changed")
    fifth = _activities_and_records_changed(fourth, root / "5_activities_and_records")
    return [first, second, third, fourth, fifth]


def _unchanged_email(before: Path, after: Path) -> str:
    """An email with the same version in both landings (so its parties are the same)."""
    connection = duckdb.connect()
    try:
        return connection.execute(
            f"select activityid, modifiedon from read_parquet('{before}/email.parquet') "
            f"intersect select activityid, modifiedon from read_parquet('{after}/email.parquet') "
            f"order by activityid limit 1"
        ).fetchone()[0]
    finally:
        connection.close()


def _summary_count(warehouse: Path, activity_id: str, new_count: int | None = None) -> int:
    """team_participant_count of one activity's summary; set it first if `new_count`."""
    connection = duckdb.connect(str(warehouse))
    table = "intermediate.int_activity_participants_summarized"
    try:
        if new_count is not None:
            connection.execute(
                f"update {table} set team_participant_count = ? where activity_id = ?",
                [new_count, activity_id],
            )
        return connection.execute(
            f"select team_participant_count from {table} where activity_id = ?", [activity_id]
        ).fetchone()[0]
    finally:
        connection.close()


def _differences(incremental: Path, full: Path) -> dict[str, int]:
    """Differing rows per mart and incremental model between two warehouses."""
    connection = duckdb.connect()
    try:
        connection.execute(f"attach '{incremental}' as incremental (read_only)")
        connection.execute(f"attach '{full}' as full_refresh (read_only)")
        marts = [
            name
            for (name,) in connection.execute(
                "select table_name from information_schema.tables "
                "where table_catalog = 'full_refresh' and table_schema = 'marts'"
            ).fetchall()
        ]
        assert len(marts) >= 10
        differences = {
            f"{schema}.{table}": _differing_rows(connection, schema, table)
            for schema, table in [("marts", mart) for mart in marts]
            + [("intermediate", model) for model in INCREMENTAL_MODELS]
        }
        differences["activities deleted but left"] = connection.execute(
            "select count(*) from incremental.intermediate.int_activities_unioned "
            "where activity_id not in (select activity_id from "
            "full_refresh.intermediate.int_activities_unioned)"
        ).fetchone()[0]
    finally:
        connection.close()
    return differences


def _links_changed_per_record_type(before: Path, after: Path) -> dict[str, int]:
    """Links (record, activity, reason) in one full build and not the other, per type."""
    connection = duckdb.connect()
    try:
        connection.execute(f"attach '{before}' as before (read_only)")
        connection.execute(f"attach '{after}' as after (read_only)")
        links = (
            "select links.record_type, links.record_id, activities.activity_id, "
            "links.link_reason from {0}.intermediate.int_activities_linked_to_records as links "
            "inner join {0}.intermediate.int_activities_unioned as activities "
            "on links.activity_key = activities.activity_key"
        )
        return dict(
            connection.execute(
                f"select record_type, count(*) from (({links.format('before')} except "
                f"{links.format('after')}) union all ({links.format('after')} except "
                f"{links.format('before')})) group by record_type"
            ).fetchall()
        )
    finally:
        connection.close()


def _completed_between(warehouse: Path, earlier: str, later: str) -> int:
    """Linked activities future at `earlier` and completed at `later` (ISO instants in UTC;
    the status rule of macros/activity_status.sql)."""
    earlier, later = (instant.replace("T", " ").removesuffix("Z") for instant in (earlier, later))
    connection = duckdb.connect(str(warehouse), read_only=True)
    try:
        return connection.execute(
            "select count(*) from intermediate.int_record_activities_joined "
            "where completed_from_at > cast(? as timestamp) "
            "and future_until_at > cast(? as timestamp) "
            "and completed_from_at <= cast(? as timestamp)",
            [earlier, earlier, later],
        ).fetchone()[0]
    finally:
        connection.close()


def test_incremental_runs_equal_a_full_refresh(landings, tmp_path):
    incremental_root = tmp_path / "incremental"
    differences: dict[int, dict[str, int]] = {}
    full_warehouses: list[Path] = []
    untouched, original_count = "", 0  # set after run 2, checked after run 3
    runs = [(landing, SAMPLE_AS_OF) for landing in landings] + [(landings[-1], LATER_AS_OF)]
    for run, (landing, as_of) in enumerate(runs):
        built = materialize_everything(landing, incremental_root, as_of)
        assert built.result.success, f"incremental run {run + 1} failed"
        if run == 2:
            assert _summary_count(built.warehouse, untouched) == -1
            _summary_count(built.warehouse, untouched, new_count=original_count)
        full = materialize_everything(landing, tmp_path / f"full_{run + 1}", as_of)
        assert full.result.success, f"full refresh of landing {run + 1} failed"
        full_warehouses.append(full.warehouse)
        differences[run + 1] = _differences(built.warehouse, full.warehouse)
        if run == 1:
            # Mark the summary of an activity the next run does not change: an incremental
            # run rebuilds changed activities only, so the mark must survive it.
            untouched = _unchanged_email(landings[1], landings[2])
            original_count = _summary_count(built.warehouse, untouched)
            _summary_count(built.warehouse, untouched, new_count=-1)

    # Between the last two runs only T moved: activities future at the earlier T and
    # completed at the later one exist (meetings that ended in between).
    assert _completed_between(full_warehouses[-1], SAMPLE_AS_OF, LATER_AS_OF) > 0
    # Run 4 changes records only; their links move: accounts (contacts moved or deleted),
    # contacts (deleted), opportunities (owners, stakeholders) and leads (parent contacts).
    moved = _links_changed_per_record_type(full_warehouses[2], full_warehouses[3])
    assert {"account", "contact", "opportunity", "lead"} <= set(moved), moved
    assert all(count == 0 for run in differences.values() for count in run.values()), {
        run: {name: count for name, count in counts.items() if count}
        for run, counts in differences.items()
    }
