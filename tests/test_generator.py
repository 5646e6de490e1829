"""The sample data generator: determinism, the contract's columns, and the coherence the
KPI models rely on (parties, threads, windows, outcome-dependent behaviour)."""

from __future__ import annotations

import csv
import filecmp
import re
from datetime import date
from pathlib import Path

import duckdb
import pytest

import orchestration.generator as generator
from orchestration.contract import TABLES
from orchestration.generator import generate
from orchestration.generator.__main__ import main

END_DATE = "2026-06-30"
SMALL = 5_000
GUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")
DUCKDB_TYPES = {
    "varchar": "VARCHAR",
    "boolean": "BOOLEAN",
    "integer": "INTEGER",
    "double": "DOUBLE",
    "timestamp": "TIMESTAMP",
    "date": "DATE",
}


def _connect(directory: Path, fmt: str = "parquet") -> duckdb.DuckDBPyConnection:
    """Views named like the tables over one run's files (a folder table is globbed)."""
    con = duckdb.connect()
    for table, contract in TABLES.items():
        single = directory / f"{table}.{fmt}"
        path = single if single.exists() else directory / table / f"*.{fmt}"
        if fmt == "parquet":
            source = f"read_parquet('{path}')"
        else:
            types = {c: DUCKDB_TYPES[t] for c, t in contract.columns.items()}
            source = f"read_csv('{path}', header = true, types = {types})"
        con.execute(f'create view "{table}" as select * from {source}')
    return con


def _one(con: duckdb.DuckDBPyConnection, sql: str):
    return con.execute(sql).fetchone()[0]


@pytest.fixture(scope="module")
def small_run(tmp_path_factory) -> tuple[Path, dict[str, int]]:
    out = tmp_path_factory.mktemp("small")
    counts = generate(out, activities=SMALL, seed=7, end_date=END_DATE)
    return out, counts


@pytest.fixture(scope="module")
def small(small_run) -> duckdb.DuckDBPyConnection:
    return _connect(small_run[0])


@pytest.fixture(scope="module")
def default_size(tmp_path_factory) -> duckdb.DuckDBPyConnection:
    out = tmp_path_factory.mktemp("default")
    generate(out, seed=42, end_date=date(2026, 6, 30))
    return _connect(out)


def test_row_counts_scale_with_activities(small_run):
    _, counts = small_run
    # 5,000 activities: 60/20/20 split; contacts 5,000/25; users at the floor of 25.
    assert counts["email"] == 3_000
    assert counts["appointment"] == 1_000
    assert counts["phonecall"] == 1_000
    assert counts["systemuser"] == 25
    assert counts["contact"] == 200
    assert counts["account"] == 40
    assert counts["lead"] == 50
    assert counts["opportunity"] == 60
    assert counts["connectionrole"] == 6
    assert 3.0 <= counts["activityparty"] / SMALL <= 4.0


def test_same_seed_gives_identical_bytes_and_another_seed_differs(small_run, tmp_path):
    first, _ = small_run
    again = tmp_path / "again"
    other = tmp_path / "other"
    generate(again, activities=SMALL, seed=7, end_date=END_DATE)
    generate(other, activities=SMALL, seed=8, end_date=END_DATE)
    names = sorted(p.name for p in first.iterdir())
    assert names == sorted(f"{t}.parquet" for t in TABLES)
    match, mismatch, errors = filecmp.cmpfiles(first, again, names, shallow=False)
    assert (mismatch, errors) == ([], [])
    assert not filecmp.cmp(first / "email.parquet", other / "email.parquet", shallow=False)
    assert not filecmp.cmp(first / "account.parquet", other / "account.parquet", shallow=False)


def test_every_contract_column_has_its_type(small):
    for table, contract in TABLES.items():
        described = {
            row[0]: row[1] for row in small.execute(f'describe select * from "{table}"').fetchall()
        }
        for column, kind in contract.columns.items():
            assert described.get(column) == DUCKDB_TYPES[kind], (table, column)
    extra = small.execute("describe select * from opportunity").fetchall()
    assert ("generator_engagement_profile", "VARCHAR") in [(r[0], r[1]) for r in extra]


def test_primary_keys_are_unique_lowercase_guids(small):
    for table, contract in TABLES.items():
        key = contract.primary_key
        rows, distinct, malformed = small.execute(
            f"""select count(*), count(distinct {key}),
                count(*) filter (where not regexp_full_match({key}, '{GUID.pattern[1:-1]}'))
                from "{table}" """
        ).fetchone()
        assert rows == distinct > 0, table
        assert malformed == 0, table


def test_parties_and_regarding_records_exist(small):
    orphans = _one(
        small,
        """select count(*) from activityparty p
           where p.activityid not in (select activityid from email
                                      union all select activityid from appointment
                                      union all select activityid from phonecall)""",
    )
    assert orphans == 0
    unknown_party = _one(
        small,
        """select count(*) from activityparty p where p.partyid is not null and not exists (
             select 1 from (select systemuserid id, 'systemuser' t from systemuser
                            union all select contactid, 'contact' from contact
                            union all select accountid, 'account' from account
                            union all select leadid, 'lead' from lead) r
             where r.id = p.partyid and r.t = p.partyobjecttypecode)""",
    )
    assert unknown_party == 0
    for activity in ("email", "appointment", "phonecall"):
        unknown_regarding = _one(
            small,
            f"""select count(*) from {activity} a where a.regardingobjectid is not null
                and not exists (
                  select 1 from (select opportunityid id, 'opportunity' t from opportunity
                                 union all select leadid, 'lead' from lead
                                 union all select contactid, 'contact' from contact
                                 union all select accountid, 'account' from account) r
                  where r.id = a.regardingobjectid and r.t = a.regardingobjecttypecode)""",
        )
        assert unknown_regarding == 0, activity
    # Unresolved parties: no id, no type, an address; they exist but are few.
    unresolved, with_address, total = small.execute(
        """select count(*) filter (where partyid is null),
                  count(*) filter (where partyid is null and partyobjecttypecode is null
                                   and addressused like '%@%'),
                  count(*) from activityparty"""
    ).fetchone()
    assert 0 < unresolved == with_address < 0.05 * total


def test_records_point_at_coherent_records(small):
    # The primary contact and an opportunity's contact belong to the account.
    assert (
        _one(
            small,
            """select count(*) from account a join contact c on c.contactid = a.primarycontactid
           where c.parentcustomerid is distinct from a.accountid""",
        )
        == 0
    )
    assert (
        _one(
            small,
            """select count(*) from opportunity o join contact c on c.contactid = o.parentcontactid
           where c.parentcustomerid is distinct from o.parentaccountid""",
        )
        == 0
    )
    # Stakeholder connections of an opportunity are contacts of its account.
    assert (
        _one(
            small,
            """select count(*) from connection k
           join connectionrole r on r.connectionroleid = k.record2roleid
           join opportunity o on o.opportunityid = k.record1id
           left join contact c on c.contactid = k.record2id
           where k.record1objecttypecode = 'opportunity' and (
             (r.category = 1000 and (k.record2objecttypecode <> 'contact'
                                     or c.parentcustomerid is distinct from o.parentaccountid))
             or (r.category = 1001 and k.record2objecttypecode <> 'systemuser'))""",
        )
        == 0
    )
    roles = small.execute("select category, count(*) from connectionrole group by 1 order by 1")
    assert roles.fetchall() == [(1000, 4), (1001, 2)]


def test_opportunity_activities_involve_its_people(small):
    # Every e-mail, meeting and call about an opportunity has a seller of the deal (owner
    # or sales-team connection) and one of its customer people (contact, stakeholder,
    # primary contact of the account) as parties.
    missing = small.execute(
        """with acts as (
               select activityid, regardingobjectid from email
               where regardingobjecttypecode = 'opportunity'
               union all select activityid, regardingobjectid from appointment
               where regardingobjecttypecode = 'opportunity'
               union all select activityid, regardingobjectid from phonecall
               where regardingobjecttypecode = 'opportunity'),
           team as (
               select opportunityid, ownerid as person from opportunity
               union all select record1id, record2id from connection
               where record2objecttypecode = 'systemuser'),
           customer as (
               select opportunityid, parentcontactid as person from opportunity
               union all select record1id, record2id from connection
               where record1objecttypecode = 'opportunity' and record2objecttypecode = 'contact'
               union all select o.opportunityid, a.primarycontactid from opportunity o
               join account a on a.accountid = o.parentaccountid)
           select
               count(*) filter (where not exists (
                   select 1 from activityparty p join team t on t.person = p.partyid
                   where p.activityid = acts.activityid
                     and t.opportunityid = acts.regardingobjectid)),
               count(*) filter (where not exists (
                   select 1 from activityparty p join customer c on c.person = p.partyid
                   where p.activityid = acts.activityid
                     and c.opportunityid = acts.regardingobjectid)),
               count(*)
           from acts"""
    ).fetchone()
    assert missing[:2] == (0, 0)
    assert missing[2] > 0.5 * SMALL


def test_lead_activities_involve_owner_and_lead_people(small):
    missing_owner, missing_customer, total = small.execute(
        """with acts as (
               select activityid, regardingobjectid from email
               where regardingobjecttypecode = 'lead'
               union all select activityid, regardingobjectid from appointment
               where regardingobjecttypecode = 'lead'
               union all select activityid, regardingobjectid from phonecall
               where regardingobjecttypecode = 'lead'),
           customer as (
               select leadid, leadid as person from lead
               union all select leadid, parentcontactid from lead
               union all select record1id, record2id from connection
               where record1objecttypecode = 'lead')
           select
               count(*) filter (where not exists (
                   select 1 from activityparty p join lead l on l.ownerid = p.partyid
                   where p.activityid = acts.activityid and l.leadid = acts.regardingobjectid)),
               count(*) filter (where not exists (
                   select 1 from activityparty p join customer c on c.person = p.partyid
                   where p.activityid = acts.activityid and c.leadid = acts.regardingobjectid)),
               count(*)
           from acts"""
    ).fetchone()
    assert (missing_owner, missing_customer) == (0, 0)
    assert total > 0.03 * SMALL
    as_lead = _one(small, "select count(*) from activityparty where partyobjecttypecode = 'lead'")
    assert as_lead > 0


def test_one_organizer_per_meeting_and_callers_match_direction(small):
    organizers = small.execute(
        """select count(p.activitypartyid), count(*) from appointment a
           left join activityparty p
             on p.activityid = a.activityid and p.participationtypemask = 7
           group by a.activityid"""
    ).fetchall()
    assert {row[0] for row in organizers} == {1}
    callers = small.execute(
        """select c.directioncode, coalesce(p.partyobjecttypecode = 'systemuser', false),
                  count(*)
           from phonecall c join activityparty p
             on p.activityid = c.activityid and p.participationtypemask = 1
           group by all order by all"""
    ).fetchall()
    assert [(made, team) for made, team, _ in callers] == [(False, False), (True, True)]
    assert sum(n for _, _, n in callers) == 1_000


def test_email_direction_matches_sender_and_masks_are_used(small):
    senders = small.execute(
        """select e.directioncode, p.partyobjecttypecode = 'systemuser', count(*)
           from email e join activityparty p
             on p.activityid = e.activityid and p.participationtypemask = 1
           group by all order by all"""
    ).fetchall()
    by_key = {(direction, team): n for direction, team, n in senders}
    assert by_key.get((True, False), 0) == 0  # outgoing is sent by a user
    assert by_key.get((False, True), 0) == 0  # incoming is sent by a customer
    assert by_key[(None, True)] + by_key[(None, False)] > 0  # the sender decides
    one_sender = _one(
        small,
        """select count(*) from (select e.activityid from email e left join activityparty p
             on p.activityid = e.activityid and p.participationtypemask = 1
             group by 1 having count(p.activitypartyid) <> 1)""",
    )
    assert one_sender == 0
    masks = small.execute(
        """select distinct 'email', participationtypemask from activityparty p
           join email using (activityid)
           union select distinct 'appointment', participationtypemask from activityparty p
           join appointment using (activityid)
           union select distinct 'phonecall', participationtypemask from activityparty p
           join phonecall using (activityid)
           order by all"""
    ).fetchall()
    assert masks == [
        ("appointment", 5),
        ("appointment", 6),
        ("appointment", 7),
        ("email", 1),
        ("email", 2),
        ("email", 3),
        ("email", 4),
        ("phonecall", 1),
        ("phonecall", 2),
    ]


def test_replies_point_at_their_parent(small):
    linked, extends, later = small.execute(
        """select count(*),
                  count(*) filter (where starts_with(c.conversationindex, p.conversationindex)
                                   and length(c.conversationindex)
                                       = length(p.conversationindex) + 10),
                  count(*) filter (where c.senton > p.senton or c.senton is null)
           from email c join email p on c.inreplyto = p.messageid"""
    ).fetchone()
    assert linked > 300
    assert extends == later == linked  # unsent replies (drafts) have no senton
    dangling = _one(
        small,
        """select count(*) from email where inreplyto is not null
           and inreplyto not in (select messageid from email where messageid is not null)""",
    )
    assert dangling == 0
    roots, replies, unthreaded, orphan_index = small.execute(
        """select count(*) filter (where length(conversationindex) = 44),
                  count(*) filter (where length(conversationindex) > 44),
                  count(*) filter (where length(conversationindex) > 44 and inreplyto is null),
                  count(*) filter (where length(conversationindex) > 44 and not exists (
                      select 1 from email p
                      where p.conversationindex = left(e.conversationindex,
                                                       length(e.conversationindex) - 10)))
           from email e"""
    ).fetchone()
    assert roots > 0 and replies == linked + unthreaded
    assert 0.05 < unthreaded / replies < 0.15  # ~10% linked only by conversationindex
    assert orphan_index == 0
    assert (
        _one(small, "select count(*) from email where messageid not like '<%@mail.example.com>'")
        == 0
    )


def test_email_statuses(small):
    shares = dict(
        small.execute(
            "select statuscode, count(*) / 3000 from email group by 1 order by 1"
        ).fetchall()
    )
    assert shares[3] > 0.4 and shares[4] > 0.25
    assert 0.025 <= shares[1] <= 0.035  # drafts
    assert 0.005 <= shares[8] <= 0.015  # failed
    assert 0.015 <= shares[5] <= 0.025  # canceled
    inconsistent = _one(
        small,
        """select count(*) from email where
             (statuscode in (2, 3, 4) and (statecode <> 1 or senton is null))
             or (statuscode in (1, 8) and (statecode <> 0 or senton is not null))
             or (statuscode = 5 and (statecode <> 2 or senton is not null))
             or (not isemailfollowed and (opencount > 0 or lastopenedtime is not null))
             or (opencount > 0) <> (lastopenedtime is not null)
             or (isemailfollowed and directioncode is distinct from true
                 and statuscode not in (3, 2))""",
    )
    assert inconsistent == 0
    followed = _one(
        small,
        """select avg(isemailfollowed::int) from email
           where directioncode and statuscode in (2, 3)""",
    )
    assert 0.25 < followed < 0.35


def test_times_are_ordered_and_windows_respected(small):
    for table in ("account", "contact", "lead", "opportunity", "email", "appointment", "phonecall"):
        assert _one(small, f"select count(*) from {table} where createdon > modifiedon") == 0
        assert _one(small, f"select max(modifiedon) from {table}").isoformat() < END_DATE
    # Activities of a deal fall between its creation and its close.
    outside = _one(
        small,
        """with acts as (
               select regardingobjectid id, senton t from email where senton is not null
               union all select regardingobjectid, scheduledstart from appointment
               union all select regardingobjectid, coalesce(actualstart, scheduledstart)
               from phonecall)
           select count(*) from acts join opportunity o on o.opportunityid = acts.id
           where acts.t < o.createdon
              or (o.statecode > 0 and acts.t >= o.actualclosedate + interval 1 day)""",
    )
    assert outside == 0
    assert _one(small, "select max(senton) from email").isoformat() < END_DATE


def test_future_activities_are_scheduled_not_done(small):
    appointments = small.execute(
        """select statecode, count(*), count(actualstart), count(actualdurationminutes),
                  min(scheduledstart), max(scheduledstart)
           from appointment where scheduledstart >= date '2026-07-01'
           group by 1 order by 1"""
    ).fetchall()
    assert [row[0] for row in appointments] == [0, 2, 3]
    assert all(row[2] == row[3] == 0 for row in appointments)
    assert min(row[4] for row in appointments).isoformat() >= "2026-07-01"
    assert max(row[5] for row in appointments).isoformat() <= "2026-08-14"
    calls = small.execute(
        """select statecode, directioncode, count(*), count(actualstart)
           from phonecall where scheduledstart >= date '2026-07-01' group by all"""
    ).fetchall()
    assert [(state, made, done) for state, made, _, done in calls] == [(0, True, 0)]
    assert calls[0][2] == 50  # 5% of 1,000 calls
    future_meetings = "select count(*) from appointment where scheduledstart >= date '2026-07-01'"
    assert _one(small, future_meetings) == 80  # 8% of 1,000 meetings
    # No completed meeting ends on or after the end date.
    done_late = (
        "select count(*) from appointment where statecode = 1 and scheduledend >= date '2026-06-30'"
    )
    assert _one(small, done_late) == 0


def test_default_size_has_enough_won_lost_and_open(default_size):
    states = dict(
        default_size.execute("select statecode, count(*) from opportunity group by 1").fetchall()
    )
    assert states[1] >= 30 and states[2] >= 30 and states[0] >= 60
    profiles = default_size.execute(
        """select statecode, generator_engagement_profile, count(*) from opportunity
           group by all order by all"""
    ).fetchall()
    assert {(s, p) for s, p, _ in profiles} == {
        (0, "lost_like"),
        (0, "won_like"),
        (1, "won_like"),
        (2, "lost_like"),
    }
    won_value = _one(
        default_size,
        "select count(*) from opportunity where statecode = 1 and (actualvalue is null "
        "or actualclosedate is null)",
    )
    assert won_value == 0
    open_future = _one(
        default_size,
        "select count(*) from opportunity where statecode = 0 and "
        "(estimatedclosedate <= date '2026-06-30' or actualclosedate is not null)",
    )
    assert open_future == 0


def test_won_deals_are_more_engaged_than_lost(default_size):
    rows = default_size.execute(
        """with acts as (
               select regardingobjectid id, not directioncode as by_customer from email
               where regardingobjecttypecode = 'opportunity'
               union all select regardingobjectid, null from appointment
               where regardingobjecttypecode = 'opportunity'
               union all select regardingobjectid, not directioncode from phonecall
               where regardingobjecttypecode = 'opportunity')
           select o.statecode,
                  count(acts.id) / count(distinct o.opportunityid) as per_deal,
                  avg(acts.by_customer::int) as customer_share
           from opportunity o left join acts on acts.id = o.opportunityid
           where o.statecode > 0 group by 1 order by 1"""
    ).fetchall()
    (_, won_per_deal, won_customer), (_, lost_per_deal, lost_customer) = rows
    assert won_per_deal > 2 * lost_per_deal
    assert won_customer > lost_customer + 0.15
    replies = default_size.execute(
        """select o.statecode, median(date_diff('minute', p.senton, c.senton)) / 60
           from email c join email p on c.inreplyto = p.messageid
           join opportunity o on o.opportunityid = c.regardingobjectid
           where not c.directioncode and p.directioncode and o.statecode > 0
           group by 1 order by 1"""
    ).fetchall()
    (_, won_hours), (_, lost_hours) = replies
    assert won_hours < 24 < lost_hours
    opened = default_size.execute(
        """select o.statecode, avg((e.opencount > 0)::int)
           from email e join opportunity o on o.opportunityid = e.regardingobjectid
           where e.isemailfollowed and o.statecode > 0 group by 1 order by 1"""
    ).fetchall()
    assert opened[0][1] > opened[1][1] + 0.2


def test_csv_output_matches_parquet(small, tmp_path):
    counts = generate(tmp_path, activities=SMALL, seed=7, end_date=END_DATE, fmt="csv")
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(f"{t}.csv" for t in TABLES)
    with open(tmp_path / "email.csv", newline="") as handle:
        reader = csv.DictReader(handle)
        assert reader.fieldnames[: len(TABLES["email"].columns)] == list(TABLES["email"].columns)
        first = next(reader)
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", first["createdon"])
    assert first["isemailfollowed"] in ("true", "false")
    from_csv = _connect(tmp_path, "csv")
    assert _one(from_csv, "select count(*) from email") == counts["email"] == 3_000
    for table in ("email", "activityparty", "opportunity", "appointment"):
        columns = ", ".join(TABLES[table].columns)
        csv_rows = from_csv.execute(f"select {columns} from {table} order by all").fetchall()
        parquet_rows = small.execute(f"select {columns} from {table} order by all").fetchall()
        assert csv_rows == parquet_rows, table


def test_activityparty_as_folder_of_parts(tmp_path, monkeypatch):
    monkeypatch.setattr(generator, "PARTY_FOLDER_THRESHOLD", 0)
    monkeypatch.setattr(generator, "PARTY_CHUNK_ROWS", 1_000)
    counts = generate(tmp_path, activities=1_000, seed=3, end_date=END_DATE)
    parts = sorted(p.name for p in (tmp_path / "activityparty").iterdir())
    assert parts[0] == "part-0000.parquet" and len(parts) >= 3
    assert not (tmp_path / "activityparty.parquet").exists()
    con = _connect(tmp_path)
    assert (
        _one(con, "select count(distinct activitypartyid) from activityparty")
        == counts["activityparty"]
    )


def test_cli_writes_files(tmp_path, capsys):
    assert (
        main(
            [
                "--activities",
                "500",
                "--seed",
                "1",
                "--out",
                str(tmp_path),
                "--format",
                "csv",
                "--end-date",
                END_DATE,
            ]
        )
        == 0
    )
    assert "email" in capsys.readouterr().out
    assert (tmp_path / "activityparty.csv").exists()


def test_bad_arguments_are_rejected(tmp_path):
    with pytest.raises(ValueError, match="fmt"):
        generate(tmp_path, activities=1_000, fmt="xlsx")
    with pytest.raises(ValueError, match="at least"):
        generate(tmp_path, activities=10)
