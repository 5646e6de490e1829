"""A changed list of people kept out rebuilds the incremental activity models.

The incremental models (int_activities_unioned, int_activity_parties_sided,
int_activity_participants_summarized, int_activity_people_deduplicated,
int_activity_person_pairs, int_activities_classified, the links,
int_activities_linked_to_records, and their join, int_record_activities_joined) rebuild
an activity only when its `(activityid, modifiedon)` is new (the links also when a
record's fingerprint changes). Removing a customer deletes activities from raw, which
they follow; but a seller newly listed or erased changes ids inside rows they have built
(the pseudonym) without a new `modifiedon`. So when the set of people listed or erased
differs from the last run's, the extract drops those tables and dbt builds them in full
(an incremental model without its table is a full build). The last run's set is kept as
one fingerprint (a salted hash; no person) in `privacy.policy_state`.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import duckdb

from orchestration.privacy.policy import PrivacyPolicy
from orchestration.settings import REPO_ROOT
from orchestration.sources.raw_sql import quote_identifier

MANIFEST = REPO_ROOT / "dbt_project" / "target" / "manifest.json"
STATE_TABLE = "privacy.policy_state"


def people_fingerprint(policy: PrivacyPolicy) -> str:
    """'' when nobody is listed or erased, else a salted hash of both sets."""
    if not policy.lists_anyone:
        return ""
    text = "\n".join([policy.salt, *sorted(policy.listed), "|", *sorted(policy.erased)])
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def incremental_tables(manifest: Path = MANIFEST) -> list[str]:
    """`schema.table` of every incremental dbt model (none when there is no manifest)."""
    if not manifest.exists():
        return []
    nodes = json.loads(manifest.read_text())["nodes"].values()
    return sorted(
        f"{quote_identifier(node['schema'])}.{quote_identifier(node['alias'])}"
        for node in nodes
        if node["resource_type"] == "model"
        and node.get("config", {}).get("materialized") == "incremental"
    )


def reset_when_people_change(
    connection: duckdb.DuckDBPyConnection, policy: PrivacyPolicy, tables: list[str]
) -> list[str]:
    """Drop `tables` when the people kept out changed since the last run; return those
    dropped. The first run with a state table compares with "nobody"."""
    has_state = connection.execute(
        "select count(*) from information_schema.tables "
        "where table_schema = 'privacy' and table_name = 'policy_state'"
    ).fetchall()[0][0]
    rows = (
        connection.execute(f"select people_fingerprint from {STATE_TABLE}").fetchall()
        if has_state
        else []
    )
    previous = rows[0][0] if rows else ""
    current = people_fingerprint(policy)
    if current == previous:
        return []  # a run that never listed anyone writes no state
    dropped = []
    connection.execute("begin transaction")
    try:
        connection.execute("create schema if not exists privacy")
        connection.execute(f"create table if not exists {STATE_TABLE} (people_fingerprint varchar)")
        for table in tables:
            schema = table.split(".", 1)[0].strip('"')
            exists = connection.execute(
                "select count(*) from information_schema.tables "
                "where table_schema = ? and '\"' || table_name || '\"' = ?",
                [schema, table.split(".", 1)[1]],
            ).fetchall()[0][0]
            if exists:
                connection.execute(f"drop table {table}")
                dropped.append(table)
        connection.execute(f"delete from {STATE_TABLE}")
        connection.execute(f"insert into {STATE_TABLE} values (?)", [current])
        connection.execute("commit")
    except BaseException:
        connection.execute("rollback")
        raise
    return dropped
