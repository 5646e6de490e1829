"""Contract columns <-> Dataverse Web API properties, and one entity as a contract row.

A contract column (orchestration.contract) is read from the Web API property of the same
name, except:

- lookups (`LOOKUP_COLUMNS`), which the Web API sends as `_<column>_value`;
- the contract's `*typecode` columns (`LOOKUP_TYPE_COLUMNS`), which hold the logical name
  of the table a polymorphic lookup points to. The Web API sends it only as the annotation
  `_<lookup>_value@Microsoft.Dynamics.CRM.lookuplogicalname`, and only when the request
  asks for it in `Prefer: odata.include-annotations` (the client does).

Values are turned into landing text (`entry_values`), as a CSV export of the same row
would hold them, so `load_raw_table` validates every source with the same rules.
A new source column: add it to the contract; only a lookup needs an entry here.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from orchestration.contract import TABLES, TableContract
from orchestration.sources.dataverse.errors import DataverseError

LOOKUP_ANNOTATION = "Microsoft.Dynamics.CRM.lookuplogicalname"
GUID = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")

ENTITY_SETS = {
    "systemuser": "systemusers",
    "account": "accounts",
    "contact": "contacts",
    "lead": "leads",
    "opportunity": "opportunities",
    "connectionrole": "connectionroles",
    "connection": "connections",
    "email": "emails",
    "appointment": "appointments",
    "phonecall": "phonecalls",
    "activityparty": "activityparties",
}
# Contract columns that are lookups, read from `_<column>_value`.
_ACTIVITY_LOOKUPS = ("regardingobjectid", "ownerid")
LOOKUP_COLUMNS: dict[str, tuple[str, ...]] = {
    "systemuser": ("businessunitid",),
    "account": ("primarycontactid", "ownerid"),
    "contact": ("parentcustomerid", "ownerid"),
    "lead": ("parentaccountid", "parentcontactid", "ownerid"),
    "opportunity": ("parentaccountid", "parentcontactid", "ownerid"),
    "connectionrole": (),
    "connection": ("record1id", "record2id", "record2roleid"),
    "email": _ACTIVITY_LOOKUPS,
    "appointment": _ACTIVITY_LOOKUPS,
    "phonecall": _ACTIVITY_LOOKUPS,
    "activityparty": ("activityid", "partyid"),
}
# Contract columns holding the logical name of the table a lookup points to.
LOOKUP_TYPE_COLUMNS = {
    "regardingobjecttypecode": "regardingobjectid",
    "partyobjecttypecode": "partyid",
    "record1objecttypecode": "record1id",
    "record2objecttypecode": "record2id",
}


@dataclass(frozen=True)
class Field:
    """Where one contract column comes from in a Web API entity."""

    column: str
    property: str  # e.g. "subject" or "_ownerid_value"
    annotation: bool = False  # read the lookup's logical-name annotation, not its value

    @property
    def key(self) -> str:
        return f"{self.property}@{LOOKUP_ANNOTATION}" if self.annotation else self.property


@dataclass(frozen=True)
class EntitySpec:
    table: str
    entity_set: str
    primary_key: str
    fields: tuple[Field, ...]

    @property
    def columns(self) -> tuple[str, ...]:
        return tuple(field.column for field in self.fields)

    @property
    def select(self) -> str:
        return ",".join(dict.fromkeys(field.property for field in self.fields))

    @property
    def query(self) -> str:
        """The defining query, relative to the service root (stored with the delta link)."""
        return f"{self.entity_set}?$select={self.select}"


def _entity_spec(contract: TableContract) -> EntitySpec:
    lookups = LOOKUP_COLUMNS[contract.name]
    fields = []
    for column in contract.columns:
        if column in LOOKUP_TYPE_COLUMNS:
            fields.append(Field(column, f"_{LOOKUP_TYPE_COLUMNS[column]}_value", annotation=True))
        elif column in lookups:
            fields.append(Field(column, f"_{column}_value"))
        else:
            fields.append(Field(column, column))
    return EntitySpec(
        contract.name, ENTITY_SETS[contract.name], contract.primary_key, tuple(fields)
    )


ENTITY_SPECS: dict[str, EntitySpec] = {
    name: _entity_spec(contract) for name, contract in TABLES.items()
}


def _text(value: Any) -> str | None:
    """A JSON value as landing text: what a CSV export of the same row would hold."""
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return value
    if isinstance(value, int | float):
        return repr(value)
    raise TypeError(type(value).__name__)


def entry_values(spec: EntitySpec, entry: dict[str, Any]) -> list[str | None]:
    """One Web API entity as the contract row, in `spec.columns` order, as text."""
    values = []
    for field in spec.fields:
        value = entry.get(field.key)
        if value is not None and not isinstance(value, str | bool | int | float):
            raise DataverseError(
                f"dataverse extract failed: table '{spec.table}': property '{field.key}' "
                f"holds a JSON {type(value).__name__}, expected a plain value",
                table=spec.table,
            )
        values.append(_text(value))
    return values


def deleted_key(entry: dict[str, Any]) -> str | None:
    """The id of a `$deletedEntity` (OData 4.0) or `@removed` (4.01) entry, else None."""
    if "$deletedEntity" in str(entry.get("@odata.context", "")) or "@removed" in entry:
        raw = str(entry.get("id") or entry.get("@id") or "")
        match = GUID.search(raw)
        return (match.group(0) if match else raw).lower() or None
    return None
