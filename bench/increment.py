"""The landing of an incremental run: the base landing with a day's worth of changes.

What a daily refresh meets (issue 15, "Targets"): 1% of activities new or updated, a few
deleted, and a few records changed in ways that move links: contacts moving to another
account, opportunities with a new owner, opportunities gaining a stakeholder. Rows are
chosen by hashing their ids, so the same base landing always gives the same changes.

Two shapes land the same changes (`SHAPES`):

- `parts` (what `make bench` lands): what change-landing tools (Synapse Link incremental
  folders, Fivetran, a nightly change file) produce. Each changed table becomes a folder
  `<table>/` holding the base landing's parts as they were (symlinks) and one new part,
  `changes-<day>.parquet`, with the new and updated rows (newer `modifiedon`) and the
  deleted activities flagged `IsDelete = true` (a newer version; the loader drops a key
  whose newest version is flagged, raw_keys.py). The extract appends that part alone.
  activityparty has no `modifiedon`, so a delete cannot be a newer version of a party: its
  change part holds the new parties only, and the parties of the deleted activities stay
  (orphans, which int_activity_parties_sided drops by its join to the activities, so the
  marts equal the snapshot's; dbt's `relationships` test on activity_id warns of them).
- `snapshot`: each changed table rewritten whole as one `<table>.parquet` (a full
  export); the extract reloads it.
"""

from __future__ import annotations

from pathlib import Path

import duckdb

ACTIVITY_TABLES = ("email", "appointment", "phonecall")
INCREMENT_SHARE = 0.01  # new plus updated activities, half each
DELETED_SHARE = 0.0005  # activities deleted in the CRM (their parties with them)
RECORD_CHANGE_SHARE = 0.002  # contacts moved, opportunities re-owned or gaining a stakeholder
PARTS, SNAPSHOT = "parts", "snapshot"
SHAPES = (PARTS, SNAPSHOT)
CHANGE_PART = "changes-2026-06-30.parquet"  # the day the bench's changes land (AS_OF)


def write_incremental_landing(
    base: Path, landing: Path, activities: int, shape: str = PARTS
) -> None:
    """Write `landing` from `base`: changed tables in `shape`, the others as symlinks.

    Per activity table, of about activities/3 rows: updated rows keep their id with a later
    modifiedon and a new subject; new rows copy existing ones with fresh ids ('new-' +
    id), their parties copied with them; deleted rows are gone with their parties (in the
    `parts` shape: flagged IsDelete, their parties left, see the module docstring).
    Raises ValueError for an unknown shape.
    """
    if shape not in SHAPES:
        raise ValueError(f"unknown landing shape '{shape}'; use one of {', '.join(SHAPES)}")
    base = base.resolve()
    landing.mkdir(parents=True)
    per_table = max(1, int(activities * INCREMENT_SHARE / 2 / len(ACTIVITY_TABLES)))
    deleted_per_table = max(1, int(activities * DELETED_SHARE / len(ACTIVITY_TABLES)))
    connection = duckdb.connect()
    try:
        for table in ACTIVITY_TABLES:
            target = _target(landing, table, shape)
            _change_activities(connection, base, target, table, per_table, deleted_per_table)
        _change_parties(connection, base, landing, shape)
        _change_records(connection, base, landing, shape)
    finally:
        connection.close()
    # A table lands as <table>.parquet or as a folder <table>/ of parts (the 10M
    # generator writes activityparty in parts); the rewritten table replaces either form.
    written = {_table_name(path) for path in landing.iterdir()}
    for path in base.iterdir():
        if path.name == "_SUCCESS":
            continue
        if _table_name(path) not in written:
            (landing / path.name).symlink_to(path)
        elif shape == PARTS:
            _link_base_parts(path, landing / _table_name(path))


def _table_name(path: Path) -> str:
    return path.name.removesuffix(".parquet")


def _target(landing: Path, table: str, shape: str) -> Path:
    """Where a changed table's rows go: the whole table, or its change part."""
    if shape == SNAPSHOT:
        return landing / f"{table}.parquet"
    (landing / table).mkdir(exist_ok=True)
    return landing / table / CHANGE_PART


def _link_base_parts(base_form: Path, folder: Path) -> None:
    """The base landing's parts of a table (one file or a folder's), linked into `folder`
    unchanged, so the extract finds every part it loaded before and appends the new one."""
    if base_form.is_dir():
        for part in sorted(base_form.iterdir()):
            if part.suffix == ".parquet" and not part.name.startswith((".", "_")):
                (folder / part.name).symlink_to(part)
    else:
        (folder / f"base-{base_form.name}").symlink_to(base_form)


def _change_activities(
    connection: duckdb.DuckDBPyConnection,
    base: Path,
    target: Path,
    table: str,
    changed: int,
    deleted: int,
) -> None:
    """The day's `table`: the whole table at `target` (`<table>.parquet`), or at a change
    part only the updated, added and deleted (flagged IsDelete) rows."""
    source = f"read_parquet('{base / table}.parquet')"
    choices = f"""
        ranked as (
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
    """
    if target.name == CHANGE_PART:
        rows = f"""
            select *, false as IsDelete from updated
            union all select *, false as IsDelete from added
            union all select * exclude (pick) replace (
                modifiedon + interval 1 hour as modifiedon
            ), true as IsDelete
            from ranked where pick > {2 * changed} and pick <= {2 * changed + deleted}
        """
    else:
        rows = f"""
            select * exclude (pick) from ranked where pick > {2 * changed + deleted}
            union all select * exclude (pick) from ranked
                where pick > {changed} and pick <= {2 * changed}
            union all select * from updated
            union all select * from added
        """
    connection.execute(f"copy (with {choices} {rows}) to '{target}' (format parquet)")


def _change_parties(
    connection: duckdb.DuckDBPyConnection, base: Path, landing: Path, shape: str
) -> None:
    """Parties of kept activities; new activities' parties copied with fresh ids. As a
    change part: the new parties only (see the module docstring on deletes)."""
    parties = (
        f"read_parquet('{base}/activityparty/*.parquet')"
        if (base / "activityparty").is_dir()
        else f"read_parquet('{base}/activityparty.parquet')"
    )
    activity_ids = " union all ".join(
        f"select activityid from read_parquet('{_target(landing, table, shape)}')"
        for table in ACTIVITY_TABLES
    )
    kept = f"""
        select parties.* from {parties} as parties
        semi join current_ids on parties.activityid = current_ids.activityid
        union all
    """
    connection.execute(
        f"""
        copy (
            with current_ids as ({activity_ids}),
            copied as (
                select substr(activityid, 5) as original_id
                from current_ids
                where activityid like 'new-%'
            )
            {kept if shape == SNAPSHOT else ""}
            select parties.* replace (
                'new-' || parties.activitypartyid as activitypartyid,
                'new-' || parties.activityid as activityid
            )
            from {parties} as parties
            inner join copied on parties.activityid = copied.original_id
        ) to '{_target(landing, "activityparty", shape)}' (format parquet)
        """
    )


def _change_records(
    connection: duckdb.DuckDBPyConnection, base: Path, landing: Path, shape: str
) -> None:
    """Contacts move account, opportunities change owner or gain a stakeholder. As a
    change part: the changed contacts and opportunities, the new connections."""
    only_changed = "where is_changed" if shape == PARTS else ""

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
                {only_changed}
            ) to '{_target(landing, table, shape)}' (format parquet)
            """
        )
    # A stakeholder connection copied onto another opportunity (a new stakeholder there).
    kept_connections = "select * exclude (target_slot) from connections union all"
    connection.execute(
        f"""
        copy (
            with targets as ({slots("opportunity", "opportunityid")}),
            connections as (
                select *,
                    hash(connectionid || 'gained') % (select count(*) from targets) as target_slot
                from {read("connection")}
            )
            {kept_connections if shape == SNAPSHOT else ""}
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
        ) to '{_target(landing, "connection", shape)}' (format parquet)
        """
    )
