"""`make erase PERSON=<id or e-mail address>`: a person out of the warehouse for good.

1. Every id and address the warehouse knows for the person (a contact, lead or systemuser
   row whose id or address is the one given) is added to the erasure register as salted
   hashes: from then on every extract keeps them out, whatever the source still holds.
2. The privacy filter is applied to `raw` at once, with the same rules as an extract
   (orchestration/privacy/raw_filter.py), in one transaction.
3. One audit line is appended: time, the salted hash of what was given, rows removed and
   pseudonymised per table; no id, name or address.
The Makefile then rebuilds every model with --full-refresh (the incremental models and the
marts hold copies) and publishes new exports, and `prune-exports` removes every older
export set, which still names the person (docs/privacy.md, "Erasure").
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import duckdb

from orchestration.defs.resources import open_warehouse
from orchestration.privacy.policy import PrivacyPolicy
from orchestration.privacy.raw_filter import apply_privacy_filter, raw_relations
from orchestration.privacy.register import ErasureRegister, normalize_person
from orchestration.publishing.export_set import remove_unpublished_sets
from orchestration.settings import Settings
from orchestration.sources.raw_sql import normalized_sql

# The rows that name a person, and the columns that hold their id and address.
PERSON_TABLES = {
    "contact": ("contactid", "emailaddress1"),
    "lead": ("leadid", "emailaddress1"),
    "systemuser": ("systemuserid", "internalemailaddress"),
}


@dataclass(frozen=True)
class Erasure:
    """What one erasure did: the audit line written, and how many values were registered."""

    audit_line: dict
    values_registered: int


def identities(connection: duckdb.DuckDBPyConnection, person: str) -> set[str]:
    """`person` (normalised) plus the id and address of every row in raw that it names."""
    found = {normalize_person(person)}
    relations = raw_relations(connection, {})
    for table, (key, address) in PERSON_TABLES.items():
        if table not in relations:
            continue
        rows = connection.execute(
            f"select {normalized_sql(key)}, {normalized_sql(address)} from {relations[table]} "
            f"where ? in ({normalized_sql(key)}, {normalized_sql(address)})",
            [normalize_person(person)],
        ).fetchall()
        found.update(value for row in rows for value in row if value)
    return found


def erase_person(settings: Settings, person: str, now: datetime | None = None) -> Erasure:
    """Register `person` as erased, remove them from raw now, write the audit line.

    Raises ValueError for an empty `person`. The register is written first: should the
    clean-up of raw fail, the next extract still keeps the person out.
    """
    register = ErasureRegister.open(settings.privacy_folder)
    with open_warehouse(settings) as connection:
        values = identities(connection, person)
        register.add(sorted(values))
        policy = PrivacyPolicy(salt=register.salt, erased=register.hashes())
        relations = raw_relations(connection, {})
        result = apply_privacy_filter(connection, policy, relations, relations)
    removed = {**result.rows_removed, **result.rows_pseudonymised}
    line = register.audit(now or datetime.now(UTC), person, removed)
    return Erasure(line, len(values))


def prune_exports(export_dir: Path) -> list[Path]:
    """Remove every export set but the published one (run after the rebuild)."""
    return remove_unpublished_sets(export_dir)
