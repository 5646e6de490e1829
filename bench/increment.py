"""The landing of an incremental run: the base landing with a day's worth of changes.

What a daily refresh meets (issue 15, "Targets"): 1% of activities new or updated, a few
deleted, and a few records changed in ways that move links: contacts moving to another
account, opportunities with a new owner, opportunities gaining a stakeholder. Rows are
chosen by hashing their ids, so the same base landing always gives the same changes.
"""

from __future__ import annotations

from pathlib import Path

import duckdb

ACTIVITY_TABLES = ("email", "appointment", "phonecall")
INCREMENT_SHARE = 0.01  # new plus updated activities, half each
DELETED_SHARE = 0.0005  # activities deleted in the CRM (their parties with them)
RECORD_CHANGE_SHARE = 0.002  # contacts moved, opportunities re-owned or gaining a stakeholder


def write_incremental_landing(base: Path, landing: Path, activities: int) -> None:
    """Write `landing` from `base`: changed tables as Parquet, the others as symlinks.

    Per activity table, of about activities/3 rows: updated rows keep their id with a later
    modifiedon and a new subject; new rows copy existing ones with fresh ids ('new-' +
    id), their parties copied with them; deleted rows are gone with their parties.
    """
    base = base.resolve()
    landing.mkdir(parents=True)
    per_table = max(1, int(activities * INCREMENT_SHARE / 2 / len(ACTIVITY_TABLES)))
    deleted_per_table = max(1, int(activities * DELETED_SHARE / len(ACTIVITY_TABLES)))
    connection = duckdb.connect()
    try:
        for table in ACTIVITY_TABLES:
            _change_activities(connection, base, landing, table, per_table, deleted_per_table)
        _change_parties(connection, base, landing)
        _change_records(connection, base, landing)
    finally:
        connection.close()
    written = {path.name for path in landing.iterdir()}
    for path in base.iterdir():
        if path.name not in written and path.name != "_SUCCESS":
            (landing / path.name).symlink_to(path)


def _change_activities(
    connection: duckdb.DuckDBPyConnection,
    base: Path,
    landing: Path,
    table: str,
    changed: int,
    deleted: int,
) -> None:
    source = f"read_parquet('{base / table}.parquet')"
    connection.execute(
        f"""
        copy (
            with ranked as (
                select *, row_number() over (order by hash(activityid), activityid) as pick
                from {source}
            ),
            updated as (
                select * exclude (pick) replace (
                    modifiedon + interval 1 hour as modifiedon,
                    subject || ' (updated)' as subject
                )
                from ranked where pick <= {changed}
            ),
            added as (
                select * exclude (pick) replace (
                    'new-' || activityid as activityid,
                    modifiedon + interval 2 hour as modifiedon
                )
                from ranked where pick > {changed} and pick <= {2 * changed}
            )
            select * exclude (pick) from ranked where pick > {2 * changed + deleted}
            union all select * exclude (pick) from ranked
                where pick > {changed} and pick <= {2 * changed}
            union all select * from updated
            union all select * from added
        ) to '{landing / table}.parquet' (format parquet)
        """
    )


def _change_parties(connection: duckdb.DuckDBPyConnection, base: Path, landing: Path) -> None:
    """Parties of kept activities; new activities' parties copied with fresh ids."""
    parties = (
        f"read_parquet('{base}/activityparty/*.parquet')"
        if (base / "activityparty").is_dir()
        else f"read_parquet('{base}/activityparty.parquet')"
    )
    activity_ids = " union all ".join(
        f"select activityid from read_parquet('{landing / table}.parquet')"
        for table in ACTIVITY_TABLES
    )
    connection.execute(
        f"""
        copy (
            with current_ids as ({activity_ids}),
            copied as (
                select substr(activityid, 5) as original_id
                from current_ids
                where activityid like 'new-%'
            )
            select parties.* from {parties} as parties
            semi join current_ids on parties.activityid = current_ids.activityid
            union all
            select parties.* replace (
                'new-' || parties.activitypartyid as activitypartyid,
                'new-' || parties.activityid as activityid
            )
            from {parties} as parties
            inner join copied on parties.activityid = copied.original_id
        ) to '{landing}/activityparty.parquet' (format parquet)
        """
    )


def _change_records(connection: duckdb.DuckDBPyConnection, base: Path, landing: Path) -> None:
    """Contacts move account, opportunities change owner or gain a stakeholder."""
    share = RECORD_CHANGE_SHARE

    def read(table: str) -> str:
        return f"read_parquet('{base / table}.parquet')"

    connection.execute(
        f"""
        copy (
            with accounts as (
                select accountid, row_number() over (order by accountid) - 1 as slot
                from {read("account")}
            ),
            contacts as (
                select *, hash(contactid) % 1000 < {share * 1000} as moves,
                    hash(contactid || 'moved') % (select count(*) from accounts) as target_slot
                from {read("contact")}
            )
            select contacts.* exclude (moves, target_slot) replace (
                case when moves then accounts.accountid else parentcustomerid end
                    as parentcustomerid,
                case when moves then modifiedon + interval 1 hour else modifiedon end
                    as modifiedon
            )
            from contacts
            left join accounts
                on accounts.slot = contacts.target_slot
        ) to '{landing / "contact.parquet"}' (format parquet)
        """
    )
    connection.execute(
        f"""
        copy (
            with users as (
                select systemuserid, row_number() over (order by systemuserid) - 1 as slot
                from {read("systemuser")}
            ),
            opportunities as (
                select *, hash(opportunityid) % 1000 < {share * 1000} as reowned,
                    hash(opportunityid || 'owner') % (select count(*) from users) as target_slot
                from {read("opportunity")}
            )
            select opportunities.* exclude (reowned) replace (
                case when reowned then users.systemuserid else ownerid end as ownerid,
                case when reowned then modifiedon + interval 1 hour else modifiedon end
                    as modifiedon
            )
            from opportunities
            left join users
                on users.slot = opportunities.target_slot
        ) to '{landing / "opportunity.parquet"}' (format parquet)
        """
    )
    # A stakeholder connection copied onto another opportunity (a new stakeholder there).
    connection.execute(
        f"""
        copy (
            with opportunities as (
                select opportunityid, row_number() over (order by opportunityid) - 1 as slot
                from {read("opportunity")}
            ),
            connections as (
                select *,
                    hash(connectionid || 'gained') % (select count(*) from opportunities)
                        as target_slot
                from {read("connection")}
            )
            select * exclude (target_slot) from connections
            union all
            select connections.* exclude (target_slot) replace (
                'new-' || connections.connectionid as connectionid,
                opportunities.opportunityid as record1id,
                connections.modifiedon + interval 1 hour as modifiedon
            )
            from connections
            inner join opportunities
                on opportunities.slot = connections.target_slot
            where connections.record1objecttypecode = 'opportunity'
                and connections.record2objecttypecode = 'contact'
                and hash(connections.connectionid) % 1000 < {share * 1000}
        ) to '{landing / "connection.parquet"}' (format parquet)
        """
    )
