"""Load contract tables from an Azure Synapse Link for Dataverse export folder (CSV).

The folder is what Synapse Link writes to the lake: a root `model.json` (a CDM model
whose entities list their attributes in column order and their partitions) and one
folder per table of header-less CSV partitions (`account/2025.csv`, ...). Point
RA_LANDING_DIR at that root. Every run reads the export in full: the export is itself
the table's current state, so there is nothing to resume.

What the format asks for, and why it is handled here:

- No header: column names come from `model.json`, by position, so a file is never read
  without its entity's attribute list.
- Rows gain columns mid-file: when a column is added to a Dataverse table, the
  attribute is appended to `model.json` and later rows of the same partition carry one
  more field. Short rows are padded with nulls; a row with more fields than the model
  names (a model.json older than the data) keeps the named ones, and is counted.
- Append-only tables hold every version of a row and mark deletions with `IsDelete`:
  per key the latest version wins (highest `versionnumber`; a version without one,
  such as a bare delete marker, counts as newest; then the later partition and record),
  and a key whose latest version is a delete is dropped. In-place tables have one row
  per key and no `IsDelete`, which the same rule leaves as they are.
- Lookups: the contract's `*typecode` columns hold logical names. Synapse Link writes a
  `<lookup>_entitytype` column next to polymorphic lookups, and some type-code columns
  (connection's `record1objecttypecode`) as option-set numbers: the entity-type column
  wins, and the well-known object type codes of the contract's tables are translated.
- Incremental-update profiles write time-stamped interval folders instead
  (`2026-06-15T00.15.00Z/<table>/*.csv`, each with its own `model.json`; the root
  `model.json` lists no partitions, and a table folder exists only in intervals where the
  table changed). Every interval is read, oldest first, and the rule above picks each
  key's newest version across them, so a later interval's update or delete wins. An
  older interval's model may name fewer attributes: its columns are matched by name to
  the newest model's.
- Only contract columns are staged (Synapse tables have hundreds of attributes); the
  rows then go through `load_raw_table`, which validates them and swaps raw atomically.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from urllib.parse import unquote, urlsplit

import duckdb

from orchestration.contract import TableContract
from orchestration.sources.dataverse.schema import LOOKUP_TYPE_COLUMNS
from orchestration.sources.landing_staging import escape_glob
from orchestration.sources.raw_load_errors import LandingDataError
from orchestration.sources.raw_loader import LoadResult, load_raw_table
from orchestration.sources.raw_sql import (
    SOURCE_FILE_COLUMN,
    SOURCE_ROW_COLUMN,
    quote_identifier,
    quote_literal,
)

__all__ = [
    "MODEL_FILE",
    "ModelEntity",
    "SynapseLinkLoad",
    "interval_folders",
    "load_synapse_link_table",
    "read_model",
    "synapse_link_files",
]

MODEL_FILE = "model.json"
# Object type codes of system tables are fixed across organisations.
OBJECT_TYPE_CODES = {
    "1": "account",
    "2": "contact",
    "3": "opportunity",
    "4": "lead",
    "8": "systemuser",
    "9": "team",
    "10": "businessunit",
    "3234": "connectionrole",
}
_DELETE_COLUMNS = ("isdelete", "isdeleted")
_VERSION_COLUMN = "versionnumber"
_ID_COLUMN = "id"
_OVERFLOW = "_ra_overflow"
# Interval folder names: 2026-06-15T00.15.00Z, with ':' or '.' between the time's parts
# and optional fractions of a second.
_INTERVAL_NAME = re.compile(r"^(\d{4}-\d{2}-\d{2})T(\d{2})[.:](\d{2})[.:](\d{2})(?:[.:](\d+))?Z$")


@dataclass(frozen=True)
class ModelEntity:
    """One entity of model.json: its attributes in column order, its partition files."""

    name: str
    attributes: tuple[str, ...]
    partitions: tuple[str, ...]  # paths relative to the export root, in model order

    def position(self, column: str) -> int | None:
        lowered = [name.lower() for name in self.attributes]
        return lowered.index(column) if column in lowered else None


@dataclass(frozen=True)
class SynapseLinkLoad:
    """What one table's load did, for run metadata."""

    load: LoadResult
    files: tuple[str, ...]
    records: int  # CSV records read, every version of every row
    versions_superseded: int  # older versions of a key dropped
    rows_deleted: int  # keys whose latest version is an IsDelete marker
    records_with_extra_fields: int  # records with more fields than model.json names


def read_model(export_dir: Path) -> dict[str, ModelEntity]:
    """The entities of `<export_dir>/model.json`, keyed by lower-case name."""
    path = Path(export_dir) / MODEL_FILE
    where = f"raw load failed: Synapse Link export '{export_dir}'"
    if not path.is_file():
        raise LandingDataError(
            f"{where}: no {MODEL_FILE} (RA_LANDING_DIR must be the export's root folder)",
            table="*",
            file=str(path),
        )
    try:
        model = json.loads(path.read_text(encoding="utf-8-sig"))
        entities = {}
        for entity in model["entities"]:
            name = str(entity["name"])
            attributes = tuple(str(attribute["name"]) for attribute in entity["attributes"])
            partitions = tuple(
                _relative_partition(name, str(partition["location"]))
                for partition in entity.get("partitions") or []
                if partition.get("location")
            )
            entities[name.lower()] = ModelEntity(name, attributes, partitions)
    except (OSError, ValueError, KeyError, TypeError) as error:
        raise LandingDataError(
            f"{where}: {MODEL_FILE} is not a readable CDM model ({type(error).__name__}: {error})",
            table="*",
            file=str(path),
        ) from error
    return entities


def _relative_partition(entity: str, location: str) -> str:
    # https://<account>.dfs.core.windows.net/<container>/account/2025.csv -> account/2025.csv
    path = PurePosixPath(unquote(urlsplit(location).path))
    folder = path.parent.name or entity
    return f"{folder}/{path.name}"


def synapse_link_files(export_dir: Path, entity: ModelEntity) -> tuple[Path, ...]:
    """The entity's CSV partitions: those model.json lists, else the folder's `*.csv`."""
    export_dir = Path(export_dir)
    if entity.partitions:
        files = tuple(export_dir / partition for partition in entity.partitions)
        missing = [path for path in files if not path.is_file()]
        if missing:
            raise LandingDataError(
                f"raw load failed: table '{entity.name.lower()}', file '{missing[0]}': "
                f"the partition listed in {MODEL_FILE} is missing from the export folder",
                table=entity.name.lower(),
                file=str(missing[0]),
            )
        return files
    folder = export_dir / entity.name
    if not folder.is_dir():
        return ()
    return tuple(
        sorted(
            (
                path
                for path in folder.iterdir()
                if path.is_file()
                and path.suffix.lower() == ".csv"
                and not path.name.startswith((".", "_"))
            ),
            key=lambda path: path.name,
        )
    )


def interval_folders(export_dir: Path) -> tuple[Path, ...]:
    """The time-stamped interval folders of an incremental-update export, oldest first."""
    folders = []
    for path in Path(export_dir).iterdir():
        match = _INTERVAL_NAME.match(path.name)
        if match and path.is_dir():
            date, hours, minutes, seconds, fraction = match.groups()
            moment = (date, hours, minutes, seconds, (fraction or "").ljust(9, "0"))
            folders.append((moment, path))
    return tuple(path for _, path in sorted(folders))


def _interval_partitions(
    export_dir: Path, table: str
) -> tuple[ModelEntity | None, list[tuple[Path, ModelEntity]]]:
    """The table's partitions in every interval folder, oldest first, each with its model.

    Returns the newest interval's entity (None when no interval names the table) and
    (file, entity) pairs. An interval whose model.json lacks the table, or that has no
    folder for it, did not change the table.
    """
    newest = None
    files: list[tuple[Path, ModelEntity]] = []
    for folder in interval_folders(export_dir):
        entity = read_model(folder).get(table)
        if entity is None:
            continue
        newest = entity
        files += [(path, entity) for path in synapse_link_files(folder, entity)]
    return newest, files


def _records_sql(entity: ModelEntity, files: list[tuple[Path, ModelEntity]]) -> str:
    """Every record of every partition, with columns c0..cN of `entity` and lineage.

    Each file is read with its own model's attributes and its columns are placed by name
    at their position in `entity` (the newest model), null where its model lacks one.
    """
    width = len(entity.attributes)
    columns = [f"c{i}" for i in range(width)]
    lowered = [name.lower() for name in entity.attributes]
    selects = []
    for index, (path, own) in enumerate(files):
        own_columns = {f"c{i}": "VARCHAR" for i in range(len(own.attributes))}
        own_columns[_OVERFLOW] = "VARCHAR"
        spec = "{" + ", ".join(f"{quote_literal(n)}: 'VARCHAR'" for n in own_columns) + "}"
        placed = []
        for column, name in zip(columns, lowered, strict=True):
            position = own.position(name)
            placed.append(
                f"c{position} as {column}"
                if position is not None
                else f"cast(null as varchar) as {column}"
            )
        selects.append(
            f"select {index} as _file_index, {quote_literal(str(path))} as {SOURCE_FILE_COLUMN}, "
            f"row_number() over () as {SOURCE_ROW_COLUMN}, {', '.join(placed + [_OVERFLOW])} "
            f"from read_csv({quote_literal(escape_glob(str(path)))}, header = false, "
            f"auto_detect = false, delim = ',', quote = '\"', escape = '\"', columns = {spec}, "
            f"null_padding = true, strict_mode = false, parallel = false)"
        )
    if not selects:
        nulls = ", ".join(f"cast(null as varchar) as {name}" for name in [*columns, _OVERFLOW])
        return (
            f"select 0 as _file_index, '' as {SOURCE_FILE_COLUMN}, "
            f"cast(0 as bigint) as {SOURCE_ROW_COLUMN}, {nulls} where false"
        )
    return "\nunion all\n".join(selects)


def _column(entity: ModelEntity, name: str) -> str | None:
    position = entity.position(name)
    return f"c{position}" if position is not None else None


def _first_filled(columns: list[str]) -> str:
    return "coalesce(" + ", ".join(f"nullif({column}, '')" for column in columns) + ")"


def _contract_expressions(contract: TableContract, entity: ModelEntity) -> dict[str, str]:
    """SQL per contract column found in the export (absent ones are left to the loader)."""
    expressions = {}
    for column in contract.columns:
        found = _column(entity, column)
        if column == contract.primary_key:
            candidates = [c for c in (found, _column(entity, _ID_COLUMN)) if c]
            if candidates:
                expressions[column] = _first_filled(candidates)
            continue
        if column in LOOKUP_TYPE_COLUMNS:
            entity_type = _column(entity, f"{LOOKUP_TYPE_COLUMNS[column]}_entitytype")
            candidates = [c for c in (entity_type, found) if c]
            if candidates:
                value = f"lower(trim({_first_filled(candidates)}))"
                codes = " ".join(
                    f"when {quote_literal(code)} then {quote_literal(name)}"
                    for code, name in OBJECT_TYPE_CODES.items()
                )
                expressions[column] = f"coalesce(case {value} {codes} end, {value})"
            continue
        if found:
            expressions[column] = found
    return expressions


def load_synapse_link_table(
    connection: duckdb.DuckDBPyConnection,
    contract: TableContract,
    export_dir: Path,
    model: dict[str, ModelEntity] | None = None,
    *,
    allow_empty: bool = False,
    into: str | None = None,
) -> SynapseLinkLoad:
    """Replace `raw.<table>` with the table's current rows in a Synapse Link export.

    `into` as for `load_raw_table` (the raw table to write instead of `<table>`).

    Raises LandingDataError (raw untouched) when model.json lacks the table, a listed
    partition is missing, a CSV cannot be parsed, a row breaks the contract, or no row
    is found for a table that holds rows (unless `allow_empty`, RA_ALLOW_EMPTY_TABLES).
    """
    table = contract.name
    model = model if model is not None else read_model(export_dir)
    entity = model.get(table)
    files: list[tuple[Path, ModelEntity]] = []
    looked_in = f"the Synapse Link export '{export_dir}' (folder {table}/ and {MODEL_FILE})"
    if interval_folders(export_dir) and not (entity and entity.partitions):
        newest, files = _interval_partitions(export_dir, table)
        entity = newest or entity
        looked_in = (
            f"the interval folders of the Synapse Link export '{export_dir}' "
            f"({len(interval_folders(export_dir))} interval(s), folder <interval>/{table}/)"
        )
    elif entity is not None:
        files = [(path, entity) for path in synapse_link_files(export_dir, entity)]
    if entity is None:
        raise LandingDataError(
            f"raw load failed: table '{table}', file '{Path(export_dir) / MODEL_FILE}': "
            f"{MODEL_FILE} has no entity '{table}' (is the table in the Synapse Link profile?)",
            table=table,
            file=str(Path(export_dir) / MODEL_FILE),
        )
    key = _contract_expressions(contract, entity).get(contract.primary_key, "null")
    version = _column(entity, _VERSION_COLUMN)
    delete = next((c for c in (_column(entity, name) for name in _DELETE_COLUMNS) if c), None)
    is_delete = f"coalesce(lower(trim({delete})) in ('true', '1'), false)" if delete else "false"
    staging = f"_synapse_link_{table}"
    ranked = f"""
        with records as ({_records_sql(entity, files)}),
        keyed as (
            select *,
                lower({key}) as _key,
                {f"try_cast({version} as hugeint)" if version else "cast(null as hugeint)"}
                    as _version,
                {is_delete} as _is_delete
            from records
        )
        select *, row_number() over (
            partition by _key
            order by _version desc nulls first, _file_index desc, {SOURCE_ROW_COLUMN} desc
        ) as _rank
        from keyed
    """
    failure = None
    try:
        connection.execute(f"create or replace temp table {staging} as {ranked}")
    except duckdb.Error as error:
        failure = str(error)
    paths = tuple(str(path) for path, _ in files)
    if failure is not None:
        names = ", ".join(f"'{path}'" for path in paths)
        raise LandingDataError(
            f"raw load failed: table '{table}', files {names}: the CSV could not be read: "
            f"{failure}",
            table=table,
            file=", ".join(paths) or None,
        )
    try:
        records, superseded, deleted, overflowing = connection.execute(
            f"select count(*), count(*) filter (where _rank > 1), "
            f"count(*) filter (where _rank = 1 and _is_delete), "
            f"count(*) filter (where {_OVERFLOW} is not null) from {staging}"
        ).fetchone()
        expressions = _contract_expressions(contract, entity)
        select_list = ", ".join(
            f"{expression} as {quote_identifier(column)}"
            for column, expression in expressions.items()
        )
        result = load_raw_table(
            connection,
            contract,
            f"select {select_list}, {SOURCE_FILE_COLUMN}, {SOURCE_ROW_COLUMN} "
            f"from {staging} where _rank = 1 and not _is_delete "
            f"order by _file_index, {SOURCE_ROW_COLUMN}",
            describe_row=lambda _file, row: f"record {row}",
            source_files=list(paths),
            allow_empty=allow_empty,
            looked_in=looked_in,
            into=into,
        )
    finally:
        connection.execute(f"drop table if exists {staging}")
    return SynapseLinkLoad(
        load=result,
        files=paths,
        records=records,
        versions_superseded=superseded,
        rows_deleted=deleted,
        records_with_extra_fields=overflowing,
    )
