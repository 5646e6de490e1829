"""Bring the raw Exchange tables up to date with the team's mailboxes (delta per folder).

For each mailbox (the active systemusers' `internalemailaddress`, narrowed by
RA_EXCHANGE_MAILBOXES) three streams are read: Inbox and Sent Items (messages delta) and
the calendar (calendarView delta over the window, orchestration.sources.exchange.schema).
A stream with a usable stored link (same Graph root, same query, and raw still holding
the row count the link's round left) follows it and receives changes only; otherwise,
or when Graph answers 410 Gone for the link, the folder is read in full. Pages are
spooled to Parquet while they arrive, so the warehouse stays unlocked during the reads;
the warehouse is opened briefly before (mailboxes, links) and at the end (load).

The four tables are loaded into `raw.<table>__next` (validated by `load_raw_table`) and
their new links returned as `PendingLinks`: the extract step stores them in the
transaction that swaps the staged tables in (orchestration.sources.raw_swap), so a
failure anywhere keeps raw and its links as they were.
"""

from __future__ import annotations

import logging
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb

from orchestration.sources.dataverse.load import Connect
from orchestration.sources.dataverse.redaction import Redactor
from orchestration.sources.dataverse.spool import Spool
from orchestration.sources.exchange.client import GraphClient, GraphDeltaExpired, GraphError
from orchestration.sources.exchange.contract import GRAPH_TABLES
from orchestration.sources.exchange.merge import merge_sql
from orchestration.sources.exchange.schema import (
    ATTENDEE_COLUMNS,
    EVENT_COLUMNS,
    MESSAGE_COLUMNS,
    RECIPIENT_COLUMNS,
    STREAM_PREFIX,
    Stream,
    Window,
    event_rows,
    message_rows,
    removed_key,
    streams_for,
)
from orchestration.sources.files import LandingDataError
from orchestration.sources.raw_loader import LoadResult, load_raw_table
from orchestration.sources.raw_sql import RAW_SCHEMA, SOURCE_FILE_COLUMN, quote_identifier
from orchestration.sources.state import (
    DELTA_LINKS,
    STATE_SCHEMA,
    DeltaLink,
    PendingLinks,
    read_delta_link,
)

__all__ = ["MODE_EXPIRED", "MODE_FULL", "MODE_INCREMENTAL", "ExchangeExtract", "extract_exchange"]

MODE_FULL = "full"
MODE_INCREMENTAL = "incremental"
MODE_EXPIRED = "full (delta link expired)"

_PARENT = {False: "graph_message", True: "graph_event"}
_CHILD = {False: "graph_message_recipient", True: "graph_event_attendee"}
_COLUMNS = {
    "graph_message": MESSAGE_COLUMNS,
    "graph_message_recipient": RECIPIENT_COLUMNS,
    "graph_event": EVENT_COLUMNS,
    "graph_event_attendee": ATTENDEE_COLUMNS,
}


@dataclass
class ExchangeExtract:
    """What one extract did, for run metadata."""

    loads: dict[str, LoadResult]
    mailboxes: int
    streams: dict[str, str]  # stream name -> MODE_*
    entries_read: int = 0  # messages and events read (changed ones in a delta round)
    entries_removed: int = 0  # `@removed` entries applied
    pages: int = 0
    requests: int = 0
    pending_links: list[PendingLinks] = field(default_factory=list)

    def modes(self) -> dict[str, int]:
        counts: dict[str, int] = {}
        for mode in self.streams.values():
            counts[mode] = counts.get(mode, 0) + 1
        return counts


def active_mailboxes(
    connection: duckdb.DuckDBPyConnection, allow_list: Sequence[str], log: Any
) -> list[str]:
    """Lower-cased `internalemailaddress` of enabled systemusers, narrowed by `allow_list`.

    Raises GraphError when raw.systemuser is missing or no mailbox remains (an empty list
    would empty the Exchange tables without a word).
    """
    try:
        found = connection.execute(
            f"select distinct lower(trim(internalemailaddress)) from {RAW_SCHEMA}.systemuser "
            "where not coalesce(isdisabled, false) "
            "and nullif(trim(internalemailaddress), '') is not null order by 1"
        ).fetchall()
    except duckdb.CatalogException:
        found = None
    if found is None:
        raise GraphError(
            "exchange extract failed: raw.systemuser does not exist; the mailboxes read are "
            "the systemusers' internalemailaddress, so load the CRM tables first (the extract "
            "step of RA_SOURCE runs before this one in a full run)",
            table="graph_message",
        )
    addresses = [address for (address,) in found]
    if allow_list:
        unknown = sorted(set(allow_list) - set(addresses))
        if unknown:
            log.warning(
                "RA_EXCHANGE_MAILBOXES names address(es) that are no enabled systemuser's "
                f"internalemailaddress, not read: {', '.join(unknown)}"
            )
        addresses = [address for address in addresses if address in allow_list]
    if not addresses:
        raise GraphError(
            "exchange extract failed: no mailbox to read: no enabled systemuser in raw.systemuser "
            "has an internalemailaddress"
            + (" listed in RA_EXCHANGE_MAILBOXES" if allow_list else "")
            + "; fix the list or the systemusers, or unset RA_EXCHANGE",
            table="graph_message",
        )
    return addresses


def _stream_rows(connection: duckdb.DuckDBPyConnection, table: str, stream: str) -> int | None:
    try:
        (count,) = connection.execute(
            f"select count(*) from {RAW_SCHEMA}.{quote_identifier(table)} "
            f"where {SOURCE_FILE_COLUMN} = ?",
            [stream],
        ).fetchone()
    except duckdb.CatalogException:
        return None
    return count


def _stored_streams(connection: duckdb.DuckDBPyConnection) -> list[str]:
    (exists,) = connection.execute(
        "select count(*) from information_schema.tables where table_schema = ? "
        "and table_name = 'delta_links'",
        [STATE_SCHEMA],
    ).fetchone()
    if not exists:
        return []
    return [
        stream
        for (stream,) in connection.execute(
            f"select stream from {DELTA_LINKS} where starts_with(stream, ?) order by stream",
            [STREAM_PREFIX],
        ).fetchall()
    ]


@dataclass
class _Round:
    delta_link: str | None = None
    pages: int = 0
    entries: int = 0
    removed: int = 0


def _read_stream(
    client: GraphClient, stream: Stream, url: str, folder: Path, source_table: str
) -> _Round:
    """Follow `url` page by page into two spools in `folder` (parent rows + removed keys,
    child rows)."""
    parent_table = _PARENT[stream.is_calendar]
    parents = Spool(folder / "parent", _COLUMNS[parent_table])
    children = Spool(folder / "child", _COLUMNS[_CHILD[stream.is_calendar]])
    parse = event_rows if stream.is_calendar else message_rows
    result = _Round()
    position = 0
    last: dict[str, Any] = {}
    try:
        for _, payload in client.pages(
            url, track_changes=False, what=f"{stream.name} ({source_table})", table=parent_table
        ):
            result.pages += 1
            rows, row_positions, keys, key_positions = [], [], [], []
            child_rows, child_positions = [], []
            for entry in payload["value"]:
                position += 1
                key = removed_key(stream, entry)
                if key is not None:
                    keys.append(key)
                    key_positions.append(position)
                    continue
                row, entry_children = parse(stream, entry)
                rows.append(row)
                row_positions.append(position)
                child_rows.extend(entry_children)
                child_positions.extend([position] * len(entry_children))
            parents.add_rows(rows, row_positions, stream.name)
            parents.add_keys(keys, key_positions)
            children.add_rows(child_rows, child_positions, stream.name)
            result.entries += len(rows)
            result.removed += len(keys)
            last = payload
    finally:
        parents.close()
        children.close()
    result.delta_link = last.get("@odata.deltaLink")
    return result


def extract_exchange(
    connect: Connect,
    client: GraphClient,
    window: Window,
    *,
    allow_list: Sequence[str] = (),
    into: dict[str, str] | None = None,
    log: Any = None,
) -> ExchangeExtract:
    """Read every stream (see the module docstring) and load the four raw tables.

    `into` maps each table to the raw table to write (the extract step passes
    `<table>__next`; default: the table itself, then the links are returned all the same
    and the caller stores them). Raises GraphError (network, HTTP, malformed page, no
    mailbox) or LandingDataError (a value that breaks the table's types); raw and the
    stored links are then untouched.
    """
    log = log or logging.getLogger(__name__)
    into = into or {table: table for table in GRAPH_TABLES}
    requests_before = client.requests
    with connect() as connection:
        mailboxes = active_mailboxes(connection, allow_list, log)
        streams = streams_for(mailboxes)
        usable: dict[str, DeltaLink] = {}
        for stream in streams:
            link = read_delta_link(connection, stream.name)
            held = _stream_rows(connection, _PARENT[stream.is_calendar], stream.name)
            if (
                link is not None
                and link.service == client.service_root
                and link.query == stream.query(window)
                and held == link.raw_rows
            ):
                usable[stream.name] = link
        stored = _stored_streams(connection)

    extract = ExchangeExtract({}, len(mailboxes), {})
    rounds: dict[str, _Round] = {}
    with tempfile.TemporaryDirectory(prefix="ra-exchange-") as temporary:
        root = Path(temporary)
        files: dict[str, tuple[list[str], list[str]]] = {table: ([], []) for table in GRAPH_TABLES}
        for number, stream in enumerate(streams):
            parent_table = _PARENT[stream.is_calendar]
            link = usable.get(stream.name)
            mode = MODE_FULL
            folder = root / f"{number}"
            read: _Round | None = None
            if link is not None:
                try:
                    read = _read_stream(
                        client, stream, link.delta_link, folder / "delta", "changes"
                    )
                    mode = MODE_INCREMENTAL
                except GraphDeltaExpired as error:
                    log.warning(f"{error}; reading {stream.name} in full instead")
                    mode = MODE_EXPIRED
            if read is None:
                folder = folder / "full"
                url = f"{client.service_root}/{stream.query(window)}"
                read = _read_stream(client, stream, url, folder, "full read")
            else:
                folder = folder / "delta"
            extract.streams[stream.name] = mode
            rounds[stream.name] = read
            extract.pages += read.pages
            extract.entries_read += read.entries
            extract.entries_removed += read.removed
            files[parent_table][0].append(str(folder / "parent" / "rows.parquet"))
            files[parent_table][1].append(str(folder / "parent" / "keys.parquet"))
            files[_CHILD[stream.is_calendar]][0].append(str(folder / "child" / "rows.parquet"))
        for table in GRAPH_TABLES:  # a table no stream fed still needs a (typed) file
            if not files[table][0]:
                spool = Spool(root / "empty" / table, _COLUMNS[table])
                spool.close()
                files[table] = ([str(spool.rows_path)], [str(spool.keys_path)])
        incremental = [name for name, mode in extract.streams.items() if mode == MODE_INCREMENTAL]
        with connect() as connection:
            _load_tables(connection, files, incremental, into, extract, client.redact)
            links = []
            for stream in streams:
                table = into[_PARENT[stream.is_calendar]]
                read = rounds[stream.name]
                if read.delta_link:
                    links.append(
                        DeltaLink(
                            stream.name,
                            client.service_root,
                            stream.query(window),
                            read.delta_link,
                            _stream_rows(connection, table, stream.name) or 0,
                        )
                    )
    extract.requests = client.requests - requests_before
    names = {stream.name for stream in streams}
    without_link = tuple(sorted(names - {link.stream for link in links}))
    dropped = tuple(stream for stream in stored if stream not in names)
    extract.pending_links = [PendingLinks(tuple(links), tuple(sorted(names)))]
    if without_link or dropped:
        extract.pending_links.append(PendingLinks((), without_link + dropped))
    return extract


def _load_tables(
    connection: duckdb.DuckDBPyConnection,
    files: dict[str, tuple[list[str], list[str]]],
    incremental: list[str],
    into: dict[str, str],
    extract: ExchangeExtract,
    redact: Redactor,
) -> None:
    """Load messages with recipients, then events with attendees (orchestration.sources.
    exchange.merge). A bad value is quoted in the LandingDataError: it is whatever the
    server sent, so message and value pass through `redact`."""
    for parent, child in (
        ("graph_message", "graph_message_recipient"),
        ("graph_event", "graph_event_attendee"),
    ):
        parent_contract, child_contract = GRAPH_TABLES[parent], GRAPH_TABLES[child]
        parent_sql, child_sql, temporary = merge_sql(
            connection,
            (parent, parent_contract.primary_key, _COLUMNS[parent]),
            (child, child_contract.primary_key, _parent_column(child), _COLUMNS[child]),
            files,
            incremental,
        )
        try:
            for contract, sql in ((parent_contract, parent_sql), (child_contract, child_sql)):
                extract.loads[contract.name] = load_raw_table(
                    connection,
                    contract,
                    sql,
                    describe_row=lambda file, row: f"entry {row} of {file}",
                    source_files=["exchange (Microsoft Graph)"],
                    allow_empty=True,
                    into=into[contract.name],
                )
        except LandingDataError as error:
            error.args = tuple(redact(str(arg)) for arg in error.args)
            error.value = None if error.value is None else redact(error.value)
            error.__cause__ = error.__context__ = None  # a database error quotes the value
            error.__suppress_context__ = True
            raise
        finally:
            for name in temporary:
                connection.execute(f"drop table if exists {name}")


def _parent_column(child: str) -> str:
    return "messagekey" if child == "graph_message_recipient" else "eventkey"
