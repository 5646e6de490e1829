"""The privacy filter: excluded people, erased people and expired activities out of raw.

Runs on the tables a run has staged (`raw.<table>__next`) before they are swapped in, and
on `raw.<table>` itself when `make erase` cleans the warehouse at once. It reads the other
contract tables where they are (staged, else raw) and changes only the tables it is given,
in one transaction. The rules (docs/privacy.md, "What each control removes"):

Customer side (a contact or lead opted out, listed or erased; an address listed or erased):
  *excluded*. Its row is deleted; every activity regarding it or in which it (or the
  address) is a party is deleted with all its parties, so no subject, address or id of
  it remains, and the records it belonged to count those activities no more; connections
  naming it are deleted; lookups naming it (account.primarycontactid,
  contact.parentcustomerid, lead and opportunity parentcontactid) become empty.
Team side (a systemuser listed or erased): *counted, not attributed*. Its row is deleted
  and its id, wherever it appears (owners, parties, connections, regarding), becomes the
  pseudonym `withheld-<16 hex>` (salted hash: stable across runs, not reversible without
  the salt); the address a party row used for it becomes empty. Its activities keep
  counting, under the pseudonym.
Personal mail domains: the address of a party that matched no record (empty partyid) at
  a consumer mail domain becomes empty (the party still counts as a customer).
Retention: an activity whose KPI time (email senton, else modifiedon; appointment and
  phone call start, else end, else modifiedon) is before the cut-off is deleted with its
  parties.
Derived from activities: every activity deleted here also loses its rows in the tables the
  pipeline derives from raw activities (`DERIVED_ACTIVITY_TABLES`: raw.email_sentiment,
  scored from an email's text), in raw itself, in the same transaction, whenever the
  activity table is among the tables changed (an extract of it, or `make erase`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import duckdb

from orchestration.contract import TABLES
from orchestration.privacy.policy import OPT_OUT_COLUMN, PrivacyPolicy
from orchestration.privacy.register import hash_sql
from orchestration.sources.raw_sql import (
    RAW_SCHEMA,
    normalized_sql,
    quote_identifier,
    quote_literal,
)

ACTIVITY_TABLES = ("email", "appointment", "phonecall")

# The KPI time of each activity table (KPI_SPEC section 2), for retention.
ACTIVITY_TIME_COLUMNS = {
    "email": ("senton", "modifiedon"),
    "appointment": ("actualstart", "scheduledstart", "actualend", "scheduledend", "modifiedon"),
    "phonecall": ("actualstart", "actualend", "scheduledstart", "modifiedon"),
}


def activity_time_sql(table: str) -> str:
    """The first of the table's KPI time columns that is set, as a timestamp."""
    columns = ", ".join(f"try_cast({c} as timestamp)" for c in ACTIVITY_TIME_COLUMNS[table])
    return f"coalesce({columns})"


# Lookups that may name a contact or lead: emptied when it is excluded.
CUSTOMER_LOOKUPS = {
    "account": ("primarycontactid",),
    "contact": ("parentcustomerid",),
    "lead": ("parentcontactid",),
    "opportunity": ("parentcontactid",),
}

# Columns that may hold a systemuser id: replaced by its pseudonym.
USER_ID_COLUMNS = {
    "account": ("ownerid",),
    "contact": ("ownerid",),
    "lead": ("ownerid",),
    "opportunity": ("ownerid",),
    "connection": ("record1id", "record2id"),
    "email": ("ownerid", "regardingobjectid"),
    "appointment": ("ownerid", "regardingobjectid"),
    "phonecall": ("ownerid", "regardingobjectid"),
    "activityparty": ("partyid",),
}

PSEUDONYM_PREFIX = "withheld-"

# Tables in schema raw that are not extracted but derived from an activity table:
# table -> (activity table it is derived from, its activity id column). Its rows go when
# that activity table is among the tables changed.
DERIVED_ACTIVITY_TABLES = {"email_sentiment": ("email", "activityid")}


@dataclass
class FilterResult:
    """Rows deleted and rows whose ids were pseudonymised, per table changed."""

    rows_removed: dict[str, int] = field(default_factory=dict)
    rows_pseudonymised: dict[str, int] = field(default_factory=dict)

    def rows_removed_from(self, table: str) -> int:
        """Rows of `table` deleted (lookups emptied not included)."""
        return self.rows_removed.get(table, 0)

    def add(self, counts: dict[str, int], table: str, rows: int) -> None:
        if rows:
            counts[table] = counts.get(table, 0) + rows


def raw_relations(
    connection: duckdb.DuckDBPyConnection, staged: Mapping[str, str]
) -> dict[str, str]:
    """Where each contract table is read: `staged[table]` (a name in schema raw), else
    `raw.<table>` when it exists; tables in neither are left out."""
    existing = {
        name
        for (name,) in connection.execute(
            "select table_name from information_schema.tables where table_schema = ?",
            [RAW_SCHEMA],
        ).fetchall()
    }
    relations = {}
    for table in TABLES:
        name = staged.get(table, table)
        if name in existing:
            relations[table] = f"{RAW_SCHEMA}.{quote_identifier(name)}"
    return relations


def _has_column(connection: duckdb.DuckDBPyConnection, relation: str, column: str) -> bool:
    schema, name = relation.split(".", 1)
    return bool(
        connection.execute(
            "select count(*) from information_schema.columns "
            "where table_schema = ? and table_name = ? and column_name = ?",
            [schema, name.strip('"').replace('""', '"'), column],
        ).fetchall()[0][0]
    )


def _table_exists(connection: duckdb.DuckDBPyConnection, table: str) -> bool:
    """Whether `raw.<table>` exists."""
    return bool(
        connection.execute(
            "select 1 from information_schema.tables where table_schema = ? and table_name = ?",
            [RAW_SCHEMA, table],
        ).fetchall()
    )


def _count(connection: duckdb.DuckDBPyConnection, sql: str) -> int:
    rows = connection.execute(sql).fetchall()
    return int(rows[0][0]) if rows else 0


class _Filter:
    """One application of a policy; `read` maps every contract table to where it is."""

    def __init__(
        self,
        connection: duckdb.DuckDBPyConnection,
        policy: PrivacyPolicy,
        read: Mapping[str, str],
        change: Mapping[str, str],
    ) -> None:
        self.connection = connection
        self.policy = policy
        self.read = read
        self.change = change
        self.result = FilterResult()

    def matches(self, column: str) -> str:
        """SQL: the column names a listed or erased id or address."""
        terms = []
        if self.policy.listed:
            terms.append(f"{normalized_sql(column)} in (select value from privacy_listed)")
        if self.policy.erased:
            terms.append(
                f"{hash_sql(self.policy.salt, column)} in (select digest from privacy_erased)"
            )
        return "(" + " or ".join(terms) + ")" if terms else "false"

    def execute(self, sql: str) -> int:
        return _count(self.connection, sql)

    def load_lists(self) -> None:
        c = self.connection
        c.execute("create or replace temp table privacy_listed (value varchar)")
        c.execute("create or replace temp table privacy_erased (digest varchar)")
        if self.policy.listed:
            c.executemany(
                "insert into privacy_listed values (?)", [[v] for v in self.policy.listed]
            )
        if self.policy.erased:
            c.executemany(
                "insert into privacy_erased values (?)", [[v] for v in self.policy.erased]
            )

    def find_people(self) -> None:
        """Temp tables privacy_customers(person_id, address) and privacy_users(person_id)."""
        customers = []
        for table, key in (("contact", "contactid"), ("lead", "leadid")):
            if table not in self.read:
                continue
            relation = self.read[table]
            opted_out = (
                f"coalesce(try_cast(cast({OPT_OUT_COLUMN} as varchar) as boolean), false)"
                if _has_column(self.connection, relation, OPT_OUT_COLUMN)
                else "false"
            )
            customers.append(
                f"select {normalized_sql(key)} as person_id, "
                f"{normalized_sql('emailaddress1')} as address from {relation} "
                f"where {opted_out} or {self.matches(key)} or {self.matches('emailaddress1')}"
            )
        self.connection.execute(
            "create or replace temp table privacy_customers as "
            + (
                " union ".join(customers)
                if customers
                else "select null::varchar as person_id, null::varchar as address where false"
            )
        )
        users = [
            f"select {normalized_sql(column)} as person_id from {self.read[table]} "
            f"where {self.matches(column)}"
            for table, columns in USER_ID_COLUMNS.items()
            if table in self.read and table != "activityparty"
            for column in columns
            if column == "ownerid"
        ]
        if "systemuser" in self.read:
            users.append(
                f"select {normalized_sql('systemuserid')} as person_id "
                f"from {self.read['systemuser']} "
                f"where {self.matches('systemuserid')} or {self.matches('internalemailaddress')}"
            )
        if "activityparty" in self.read:
            users.append(
                f"select {normalized_sql('partyid')} as person_id "
                f"from {self.read['activityparty']} "
                f"where lower(trim(partyobjecttypecode)) = 'systemuser' "
                f"and {self.matches('partyid')}"
            )
        self.connection.execute(
            "create or replace temp table privacy_users as select distinct person_id from ("
            + (" union all ".join(users) if users else "select null::varchar as person_id")
            + ") where person_id is not null"
        )

    def find_dropped_activities(self) -> None:
        """Temp table privacy_dropped(activity_id): customer exclusions and retention."""
        customer_ids = "(select person_id from privacy_customers where person_id is not null)"
        customer_addresses = "(select address from privacy_customers where address is not null)"
        parts = []
        if "activityparty" in self.read:
            parts.append(
                f"select {normalized_sql('activityid')} from {self.read['activityparty']} "
                f"where {normalized_sql('partyid')} in {customer_ids} "
                f"or {normalized_sql('addressused')} in {customer_addresses} "
                f"or (coalesce(lower(trim(partyobjecttypecode)), '') <> 'systemuser' "
                f"and ({self.matches('partyid')} or {self.matches('addressused')}))"
            )
        for table in ACTIVITY_TABLES:
            if table not in self.read:
                continue
            condition = (
                f"{normalized_sql('regardingobjectid')} in {customer_ids} "
                f"or (lower(trim(regardingobjecttypecode)) in ('contact', 'lead') "
                f"and {self.matches('regardingobjectid')})"
            )
            if self.policy.retention_cutoff is not None:
                cutoff = self.policy.retention_cutoff.strftime("%Y-%m-%d %H:%M:%S")
                condition += f" or {activity_time_sql(table)} < timestamp {quote_literal(cutoff)}"
            parts.append(
                f"select {normalized_sql('activityid')} from {self.read[table]} where {condition}"
            )
        self.connection.execute(
            "create or replace temp table privacy_dropped as select distinct activity_id from ("
            + (" union all ".join(parts) if parts else "select null::varchar")
            + ") as dropped(activity_id) where activity_id is not null"
        )

    def delete(self, table: str, condition: str) -> None:
        if table in self.change:
            rows = self.execute(f"delete from {self.change[table]} where {condition}")
            self.result.add(self.result.rows_removed, table, rows)

    def anyone_to_remove(self) -> bool:
        """Whether the removal rules have work: someone found, listed or erased, or retention."""
        found = _count(
            self.connection,
            "select (select count(*) from privacy_customers) "
            "+ (select count(*) from privacy_users)",
        )
        return bool(found or self.policy.lists_anyone or self.policy.retention_cutoff)

    def minimise_addresses(self) -> None:
        """Unresolved addresses at personal mail domains become empty."""
        if "activityparty" in self.change and self.policy.personal_domains:
            domains = ", ".join(quote_literal(d) for d in sorted(self.policy.personal_domains))
            rows = self.execute(
                f"update {self.change['activityparty']} set addressused = null "
                f"where {normalized_sql('partyid')} is null "
                f"and lower(trim(split_part(addressused, '@', 2))) in ({domains})"
            )
            self.result.add(self.result.rows_removed, "activityparty.addressused", rows)

    def remove(self) -> None:
        """Delete what the customer rules and retention drop; pseudonymise sellers."""
        customer_ids = "(select person_id from privacy_customers where person_id is not null)"
        user_ids = "(select person_id from privacy_users)"
        dropped = "(select activity_id from privacy_dropped)"
        for table in ACTIVITY_TABLES + ("activityparty",):
            self.delete(table, f"{normalized_sql('activityid')} in {dropped}")
        for table, (activities, key) in DERIVED_ACTIVITY_TABLES.items():
            if activities in self.change and _table_exists(self.connection, table):
                rows = self.execute(
                    f"delete from {RAW_SCHEMA}.{quote_identifier(table)} "
                    f"where {normalized_sql(key)} in {dropped}"
                )
                self.result.add(self.result.rows_removed, table, rows)
        self.delete("contact", f"{normalized_sql('contactid')} in {customer_ids}")
        self.delete("lead", f"{normalized_sql('leadid')} in {customer_ids}")
        self.delete(
            "connection",
            f"{normalized_sql('record1id')} in {customer_ids} "
            f"or {normalized_sql('record2id')} in {customer_ids}",
        )
        self.delete("systemuser", f"{normalized_sql('systemuserid')} in {user_ids}")
        for table, columns in CUSTOMER_LOOKUPS.items():
            for column in columns:
                if table in self.change:
                    self.result.add(
                        self.result.rows_removed,
                        f"{table}.{column}",
                        self.execute(
                            f"update {self.change[table]} set {column} = null "
                            f"where {normalized_sql(column)} in {customer_ids}"
                        ),
                    )
        salt = quote_literal(self.policy.salt)
        for table, columns in USER_ID_COLUMNS.items():
            if table not in self.change:
                continue
            for column in columns:
                extra = ", addressused = null" if table == "activityparty" else ""
                rows = self.execute(
                    f"update {self.change[table]} set {column} = "
                    f"'{PSEUDONYM_PREFIX}' || left(sha256({salt} || {normalized_sql(column)}), 16)"
                    f"{extra} where {normalized_sql(column)} in {user_ids}"
                )
                self.result.add(self.result.rows_pseudonymised, f"{table}.{column}", rows)


def policy_is_empty(
    connection: duckdb.DuckDBPyConnection, policy: PrivacyPolicy, read: Mapping[str, str]
) -> bool:
    """Nothing to do: nobody listed or erased, no retention, no opt-out column in sight."""
    if policy.lists_anyone or policy.retention_cutoff is not None or policy.personal_domains:
        return False
    return not any(
        table in read and _has_column(connection, read[table], OPT_OUT_COLUMN)
        for table in ("contact", "lead")
    )


def reads_across_tables(
    connection: duckdb.DuckDBPyConnection, policy: PrivacyPolicy, read: Mapping[str, str]
) -> bool:
    """Whether the filter's result for one table depends on other tables' rows.

    Someone listed or erased, a retention cut-off or an opt-out column makes it so: an
    activity goes when a party or the record it regards is excluded, and a person found in
    one table is pseudonymised in all. The personal-mail-domain rule alone reads one row
    at a time. An extract that skips unchanged tables must then load every table, since
    raw holds only what an earlier filter kept (an opted-out contact's row is gone).
    """
    if policy.lists_anyone or policy.retention_cutoff is not None:
        return True
    return any(
        table in read and _has_column(connection, read[table], OPT_OUT_COLUMN)
        for table in ("contact", "lead")
    )


def apply_privacy_filter(
    connection: duckdb.DuckDBPyConnection,
    policy: PrivacyPolicy,
    read: Mapping[str, str],
    change: Mapping[str, str],
) -> FilterResult:
    """Apply `policy` to the tables of `change` (table -> `schema."name"`), in one transaction.

    `read` gives where every contract table is read from (the changed ones included);
    a table absent from it is not consulted. Returns the rows removed and pseudonymised
    per table (a lookup emptied counts as `<table>.<column>`). Must be called outside a
    transaction; any error rolls every change back.
    """
    if policy_is_empty(connection, policy, read):
        return FilterResult()
    connection.execute("begin transaction")
    try:
        step = _Filter(connection, policy, read, change)
        step.load_lists()
        step.find_people()
        if step.anyone_to_remove():  # else skip the scans of every activity table
            step.find_dropped_activities()
            step.remove()
        step.minimise_addresses()
        result = step.result
        connection.execute("commit")
    except BaseException:
        connection.execute("rollback")
        raise
    finally:
        for name in ("listed", "erased", "customers", "users", "dropped"):
            connection.execute(f"drop table if exists temp.privacy_{name}")
    return result
