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
    # A table lands as <table>.parquet or as a folder <table>/ of parts (the 10M
    # generator writes activityparty in parts); the rewritten table replaces either form.
    written = {_table_name(path) for path in landing.iterdir()}
    for path in base.iterdir():
        if _table_name(path) not in written and path.name != "_SUCCESS":
            (landing / path.name).symlink_to(path)


def _table_name(path: Path) -> str:
    return path.name.removesuffix(".parquet")


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

    def read(table: str) -> str:
        return f"read_parquet('{base / table}.parquet')"

    def slots(table: str, key: str) -> str:
        """The rows of `table` numbered 0..n-1 by `key`: a hashed pick joins on `slot`."""
        return (
            f"select {key} as target_id, row_number() over (order by {key}) - 1 as slot "
            f"from {read(table)}"
        )

    picked = f"% 1000 < {RECORD_CHANGE_SHARE * 1000}"
    for table, key, column, target_table, target_key in (
        ("contact", "contactid", "parentcustomerid", "account", "accountid"),
        ("opportunity", "opportunityid", "ownerid", "systemuser", "systemuserid"),
    ):
        connection.execute(
            f"""
            copy (
                with targets as ({slots(target_table, target_key)}),
                rows as (
                    select *, hash({key}) {picked} as is_changed,
                        hash({key} || '{column}') % (select count(*) from targets) as target_slot
                    from {read(table)}
                )
                select rows.* exclude (is_changed, target_slot) replace (
                    case when is_changed then targets.target_id else {column} end as {column},
                    case when is_changed then modifiedon + interval 1 hour else modifiedon end
                        as modifiedon
                )
                from rows
                left join targets on targets.slot = rows.target_slot
            ) to '{landing / table}.parquet' (format parquet)
            """
        )
    # A stakeholder connection copied onto another opportunity (a new stakeholder there).
    connection.execute(
        f"""
        copy (
            with targets as ({slots("opportunity", "opportunityid")}),
            connections as (
                select *,
                    hash(connectionid || 'gained') % (select count(*) from targets) as target_slot
                from {read("connection")}
            )
            select * exclude (target_slot) from connections
            union all
            select connections.* exclude (target_slot) replace (
                'new-' || connections.connectionid as connectionid,
                targets.target_id as record1id,
                connections.modifiedon + interval 1 hour as modifiedon
            )
            from connections
            inner join targets on targets.slot = connections.target_slot
            where connections.record1objecttypecode = 'opportunity'
                and connections.record2objecttypecode = 'contact'
                and hash(connections.connectionid) {picked}
        ) to '{landing / "connection.parquet"}' (format parquet)
        """
    )
