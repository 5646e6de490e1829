"""Extract contract tables from a Dynamics 365 / Dataverse organisation over the Web API.

One read per table: the first run (and any run whose delta link can no longer be
trusted) reads the whole entity set with `Prefer: odata.track-changes` and keeps the
`@odata.deltaLink` of its last page; later runs follow that link and receive only rows
created or changed since, plus `$deletedEntity` entries for rows deleted since. Pages
are followed through `@odata.nextLink` (`$skip` does not exist in Dataverse).

Why the pieces are shaped as they are:

- Rows are spooled to Parquet in a temporary folder while pages arrive, and the
  warehouse is opened only to read the stored delta link and, at the end, to load. A
  network read can take minutes; DuckDB's write lock blocks every other process (BI
  readers included) for as long as it is held.
- Values are staged as text, as a CSV would be, so `load_raw_table` validates them with
  the same rules and names the table, column and record of a bad value. An incremental
  round stages the untouched rows of `raw.<table>` (cast to text) together with the
  changed rows, and `load_raw_table` swaps the whole table in one transaction: a failed
  round leaves raw exactly as it was, never half-applied.
- The delta link is stored only after raw committed (see `orchestration.sources.state`);
  in the extract step (`into=raw.<table>__next`) it is stored by the swap that puts the
  run's staged tables in place, in the same transaction.
- Lookups arrive as `_<name>_value`; the table a lookup points to arrives as the
  annotation `_<name>_value@Microsoft.Dynamics.CRM.lookuplogicalname`, which is only sent
  when asked for in `Prefer: odata.include-annotations`. The contract's `*typecode`
  columns are filled from that annotation, so they hold logical names as the contract
  says, for polymorphic lookups (regarding, party, connection ends) included.
- `activityparty` has no change tracking and no `modifiedon`. Its extract keeps its own
  delta links on emails, appointments and phone calls (selecting only `activityid`) and
  re-reads, in batches filtered on `_activityid_value`, the parties of every activity
  created, changed or deleted since; the parties of other activities are kept. Editing
  an activity's parties (to, cc, attendees) changes the activity row, so it shows up in
  the activity's change feed. A first run, or an expired link, reads all parties.
- Throttling (429, and 502/503/504) is retried after `Retry-After` seconds, or with
  exponential backoff when the header is absent, at most `max_retries` times; then the
  extract fails and raw is untouched.
- The client secret and bearer tokens never reach a message or a log: every text from
  the network passes through `Redactor` (orchestration.sources.redaction), whole and
  before it is cut, which knows each spelling a server can echo them in; bodies of
  authentication failures and token endpoint error texts are never shown
  (orchestration.sources.dataverse_errors); errors are raised outside `except` blocks
  (no chained `requests` exception, whose request object carries the Authorization
  header), and links that point to another host are refused, so the token is only ever
  sent to the organisation.
"""

from __future__ import annotations

import json
import logging
import re
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass
from email.utils import parsedate_to_datetime
from pathlib import Path
from typing import Any, Protocol
from urllib.parse import quote, urlsplit

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
import requests

from orchestration.contract import TABLES, TableContract
from orchestration.sources.dataverse_errors import (
    DataverseError,
    DeltaLinkExpired,
    HttpAnswer,
    error_detail,
    http_error,
    token_error_summary,
    unreadable_page,
)
from orchestration.sources.files import LandingDataError
from orchestration.sources.raw_loader import (
    RAW_SCHEMA,
    SOURCE_FILE_COLUMN,
    SOURCE_ROW_COLUMN,
    LoadResult,
    load_raw_table,
    quote_identifier,
    quote_literal,
)
from orchestration.sources.redaction import Redactor, redacting_logs
from orchestration.sources.state import (
    DeltaLink,
    PendingLinks,
    forget_delta_links,
    raw_matches,
    read_delta_link,
    save_delta_links,
)

__all__ = [
    "ENTITY_SPECS",
    "DataverseClient",
    "DataverseError",
    "DataverseExtract",
    "DeltaLinkExpired",
    "EntitySpec",
    "MsalToken",
    "Redactor",
    "StaticToken",
    "entry_values",
    "extract_table",
    "service_root",
]

API_VERSION = "v9.2"
DEFAULT_PAGE_SIZE = 5000  # the largest page Dataverse serves
DEFAULT_MAX_RETRIES = 5
MAX_RETRY_WAIT_SECONDS = 300.0  # service protection windows are 5 minutes long
RETRY_STATUSES = frozenset({429, 502, 503, 504})
LOOKUP_ANNOTATION = "Microsoft.Dynamics.CRM.lookuplogicalname"
SOURCE_PREFIX = "dataverse:"
ACTIVITY_ENTITY_SETS = ("emails", "appointments", "phonecalls")
PARTY_FILTER_BATCH = 50  # activity ids per $filter: ~3 KB of URL, far below the limits

MODE_FULL = "full"
MODE_INCREMENTAL = "incremental"
MODE_EXPIRED = "full (delta link expired)"
MODE_UNTRACKED = "full (change tracking not enabled)"

_GUID = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")
_LOCAL_HOSTS = frozenset({"localhost", "127.0.0.1", "::1"})


# --- contract columns <-> Web API properties ----------------------------------------------

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


def _deleted_key(entry: dict[str, Any]) -> str | None:
    """The id of a `$deletedEntity` (OData 4.0) or `@removed` (4.01) entry, else None."""
    if "$deletedEntity" in str(entry.get("@odata.context", "")) or "@removed" in entry:
        raw = str(entry.get("id") or entry.get("@id") or "")
        match = _GUID.search(raw)
        return (match.group(0) if match else raw).lower() or None
    return None


# --- tokens --------------------------------------------------------------------------------


class TokenProvider(Protocol):
    def token(self) -> str: ...


class StaticToken:
    """A bearer token handed in (RA_DATAVERSE_TOKEN)."""

    def __init__(self, token: str, redactor: Redactor) -> None:
        redactor.add(token)
        self._token = token

    def token(self) -> str:
        return self._token

    def __repr__(self) -> str:
        return "StaticToken(***)"


class MsalToken:
    """OAuth client credentials with msal; msal caches the token and renews it near expiry.

    The msal application is created on first use: its constructor already calls the
    identity platform (tenant discovery), and that failure belongs with the others.
    """

    def __init__(
        self,
        tenant_id: str,
        client_id: str,
        client_secret: str,
        resource: str,
        redactor: Redactor,
        *,
        http_client: Any = None,
        authority_host: str = "https://login.microsoftonline.com",
    ) -> None:
        redactor.add(client_secret)
        self._tenant_id = tenant_id
        self._client_id = client_id
        self._client_secret = client_secret
        self._scope = f"{resource}/.default"
        self._redactor = redactor
        self._http_client = http_client
        self._authority = f"{authority_host.rstrip('/')}/{tenant_id}"
        self._app: Any = None

    def token(self) -> str:
        import msal  # only needed with client credentials

        failure = None
        result: dict[str, Any] = {}
        # msal logs the identity platform's answer verbatim when it is not JSON.
        with redacting_logs(self._redactor, "msal"):
            try:
                if self._app is None:
                    self._app = msal.ConfidentialClientApplication(
                        self._client_id,
                        authority=self._authority,
                        client_credential=self._client_secret,
                        http_client=self._http_client,
                    )
                result = self._app.acquire_token_for_client(scopes=[self._scope]) or {}
            except requests.RequestException as error:
                # A network failure: requests names the URL and the reason, never a body.
                failure = f"{type(error).__name__}: {self._redactor.excerpt(str(error), 300)}"
            except Exception as error:  # msal's ValueError and others may quote a body
                failure = (
                    f"{type(error).__name__} while reading the tenant's OpenID configuration "
                    "or the token (its text may echo the identity platform's answer and is "
                    "not shown); check RA_DATAVERSE_TENANT_ID and that "
                    f"{self._authority} is reachable"
                )
        if failure is None and "access_token" in result:
            self._redactor.add(result["access_token"])
            return result["access_token"]
        if failure is None:
            failure = token_error_summary(result)
        # Raised outside the `except` blocks: no chained exception carries the request.
        raise DataverseError(
            self._redactor(
                f"dataverse extract failed: could not get a token for {self._scope} from "
                f"{self._authority} with client id {self._client_id}: {failure}"
            )
        )

    def __repr__(self) -> str:
        return f"MsalToken(tenant={self._tenant_id!r}, client_id={self._client_id!r})"


# --- the HTTP client -----------------------------------------------------------------------


def service_root(url: str) -> str:
    """`https://org.crm.dynamics.com` -> `https://org.crm.dynamics.com/api/data/v9.2`.

    A URL that already names `/api/data/<version>` is kept. Plain http is refused except
    on this machine: a bearer token must not travel unencrypted.
    """
    parts = urlsplit(url.strip())
    if parts.scheme not in ("https", "http") or not parts.hostname:
        raise DataverseError(
            f"dataverse extract failed: RA_DATAVERSE_URL={url!r} is not an http(s) URL "
            "like https://contoso.crm.dynamics.com"
        )
    if parts.scheme == "http" and parts.hostname not in _LOCAL_HOSTS:
        raise DataverseError(
            f"dataverse extract failed: RA_DATAVERSE_URL={url!r} must use https "
            "(plain http is only accepted for localhost)"
        )
    path = parts.path.rstrip("/")
    if "/api/data/" not in path + "/":
        path = f"{path}/api/data/{API_VERSION}"
    return f"{parts.scheme}://{parts.netloc}{path}"


class DataverseClient:
    """GET with retries, paging and redaction; one per extract step."""

    def __init__(
        self,
        url: str,
        tokens: TokenProvider,
        redactor: Redactor,
        *,
        page_size: int = DEFAULT_PAGE_SIZE,
        max_retries: int = DEFAULT_MAX_RETRIES,
        max_retry_wait: float = MAX_RETRY_WAIT_SECONDS,
        timeout: tuple[float, float] = (10.0, 120.0),
        sleep: Callable[[float], None] = time.sleep,
        log: Any = None,
        session: requests.Session | None = None,
    ) -> None:
        self.service_root = service_root(url)
        parts = urlsplit(self.service_root)
        self.resource = f"{parts.scheme}://{parts.netloc}"
        self._tokens = tokens
        self.redact = redactor  # every text from the network passes through it
        self.page_size = page_size
        self.max_retries = max_retries
        self._max_retry_wait = max_retry_wait
        self._timeout = timeout
        self._sleep = sleep
        self._log = log or logging.getLogger(__name__)
        self._session = session or requests.Session()
        self.requests = 0

    @classmethod
    def from_settings(cls, settings: Any, **options: Any) -> DataverseClient:
        """Build from `Settings`: RA_DATAVERSE_TOKEN if set, else msal client credentials."""
        redactor = Redactor()
        redactor.add(settings.dataverse_client_secret)
        redactor.add(settings.dataverse_token)
        if not settings.dataverse_url:
            raise DataverseError(
                "dataverse extract failed: RA_SOURCE=dataverse needs RA_DATAVERSE_URL, "
                "the organisation's base URL (e.g. https://contoso.crm.dynamics.com)"
            )
        root = service_root(settings.dataverse_url)
        parts = urlsplit(root)
        if settings.dataverse_token:
            tokens: TokenProvider = StaticToken(settings.dataverse_token, redactor)
        else:
            needed = {
                "RA_DATAVERSE_TENANT_ID": settings.dataverse_tenant_id,
                "RA_DATAVERSE_CLIENT_ID": settings.dataverse_client_id,
                "RA_DATAVERSE_CLIENT_SECRET": settings.dataverse_client_secret,
            }
            missing = [name for name, value in needed.items() if not value]
            if missing:
                raise DataverseError(
                    "dataverse extract failed: set RA_DATAVERSE_TOKEN, or all of "
                    f"{', '.join(needed)} (missing: {', '.join(missing)})"
                )
            tokens = MsalToken(
                settings.dataverse_tenant_id,
                settings.dataverse_client_id,
                settings.dataverse_client_secret,
                f"{parts.scheme}://{parts.netloc}",
                redactor,
            )
        return cls(root, tokens, redactor, **options)

    def __enter__(self) -> DataverseClient:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def close(self) -> None:
        self._session.close()

    def __repr__(self) -> str:
        return f"DataverseClient({self.service_root!r})"

    # -- requests

    def _check_link(self, url: str) -> None:
        root, link = urlsplit(self.service_root), urlsplit(url)
        same_origin = (link.scheme, link.netloc.lower()) == (root.scheme, root.netloc.lower())
        if not same_origin or not link.path.lower().startswith(root.path.lower()):
            got = self.redact.excerpt(f"{link.scheme}://{link.netloc}{link.path}", 200)
            raise DataverseError(
                f"dataverse extract failed: refused to follow a link outside "
                f"{self.service_root} (got {got}); "
                "the bearer token is only sent to the organisation"
            )

    def _prefer(self, track_changes: bool) -> str:
        preferences = [
            f"odata.maxpagesize={self.page_size}",
            f'odata.include-annotations="{LOOKUP_ANNOTATION}"',
        ]
        if track_changes:
            preferences.append("odata.track-changes")
        return ",".join(preferences)

    def _send(self, url: str, prefer: str) -> tuple[HttpAnswer | None, str | None]:
        """One attempt: the response, or a redacted description of the network failure."""
        failure = None
        try:
            headers = {
                "Authorization": f"Bearer {self._tokens.token()}",
                "Accept": "application/json",
                "OData-MaxVersion": "4.0",
                "OData-Version": "4.0",
                "Cache-Control": "no-cache",
                "Prefer": prefer,
            }
            self.requests += 1
            response = self._session.get(url, headers=headers, timeout=self._timeout)
            return HttpAnswer(response.status_code, response.headers, response.text), None
        except requests.RequestException as error:
            failure = f"{type(error).__name__}: {error}"
        # Only text leaves this method: the exception (and its request, which carries the
        # Authorization header) is dropped here, so no later error can chain it.
        return None, self.redact.excerpt(failure, 500)

    def _retry_wait(self, response: HttpAnswer | None, attempt: int) -> float:
        header = response.headers.get("Retry-After") if response is not None else None
        wait: float | None = None
        if header:
            try:
                wait = float(header)
            except ValueError:
                try:
                    wait = parsedate_to_datetime(header).timestamp() - time.time()
                except (TypeError, ValueError):
                    wait = None
        if wait is None:
            wait = float(min(2 ** (attempt - 1), 60))
        return min(max(wait, 0.0), self._max_retry_wait)

    def get_json(self, url: str, *, prefer: str, what: str, table: str) -> dict[str, Any]:
        """GET one page; retry throttling and network failures; fail with a clear message."""
        self._check_link(url)
        attempt = 0
        while True:
            attempt += 1
            response, failure = self._send(url, prefer)
            if response is not None and response.status not in RETRY_STATUSES:
                break
            if response is not None:
                failure = f"HTTP {response.status}{error_detail(response, self.redact)}"
            if attempt > self.max_retries:
                raise DataverseError(
                    self.redact(
                        f"dataverse extract failed: table '{table}': {what}: gave up after "
                        f"{attempt} attempt{'s' if attempt > 1 else ''}: {failure}"
                    ),
                    table=table,
                    status=response.status if response is not None else None,
                    retryable=True,
                )
            wait = self._retry_wait(response, attempt)
            self._log.warning(
                f"dataverse {table}: {what}: {failure}; retry {attempt} of "
                f"{self.max_retries} in {wait:g} s"
            )
            self._sleep(wait)

        if response.status >= 400:
            raise http_error(response, table, what, self.redact)
        payload, failure = None, None
        try:
            payload = json.loads(response.text)
        except ValueError as error:
            failure = f"is not valid JSON ({error.args[0] if error.args else error})"
        if failure is None and not isinstance(payload, dict):
            failure = "is not a JSON object"
        elif failure is None and not isinstance(payload.get("value"), list):
            failure = "has no 'value' list of rows"
        elif failure is None and not all(isinstance(row, dict) for row in payload["value"]):
            failure = "has a 'value' entry that is not an object"
        if failure is not None:
            raise unreadable_page(response, table, what, failure, self.redact)
        return payload

    def pages(
        self, url: str, *, track_changes: bool, what: str, table: str
    ) -> Iterator[tuple[int, dict[str, Any]]]:
        """Every page from `url` on, following `@odata.nextLink`; the last one is last."""
        prefer = self._prefer(track_changes)
        seen: set[str] = set()
        number = 0
        while url:
            if url in seen:
                raise DataverseError(
                    f"dataverse extract failed: table '{table}': {what}: the server sent "
                    "the same next link twice",
                    table=table,
                )
            seen.add(url)
            number += 1
            payload = self.get_json(
                url, prefer=prefer, what=f"page {number} of {what}", table=table
            )
            yield number, payload
            url = payload.get("@odata.nextLink") or ""


# --- spooling pages to Parquet -------------------------------------------------------------


class _Spool:
    """Rows (contract columns as text) and keys of one read, written page by page."""

    def __init__(self, folder: Path, columns: Sequence[str]) -> None:
        self.folder = folder
        folder.mkdir(parents=True, exist_ok=True)
        self.columns = tuple(columns)
        self.rows_path = folder / "rows.parquet"
        self.keys_path = folder / "keys.parquet"
        self._row_schema = pa.schema(
            [pa.field(column, pa.string()) for column in self.columns]
            + [pa.field(SOURCE_FILE_COLUMN, pa.string()), pa.field(SOURCE_ROW_COLUMN, pa.int64())]
        )
        self._key_schema = pa.schema(
            [pa.field("key", pa.string()), pa.field(SOURCE_ROW_COLUMN, pa.int64())]
        )
        self._rows = pq.ParquetWriter(self.rows_path, self._row_schema)
        self._keys = pq.ParquetWriter(self.keys_path, self._key_schema)
        self.row_count = 0
        self.key_count = 0

    def add_rows(self, rows: list[list[str | None]], positions: list[int], source: str) -> None:
        if not rows:
            return
        columns = [pa.array(list(values), pa.string()) for values in zip(*rows, strict=True)]
        columns += [pa.array([source] * len(rows), pa.string()), pa.array(positions, pa.int64())]
        self._rows.write_table(pa.Table.from_arrays(columns, schema=self._row_schema))
        self.row_count += len(rows)

    def add_keys(self, keys: Sequence[str], positions: Sequence[int]) -> None:
        if not keys:
            return
        self._keys.write_table(
            pa.Table.from_arrays(
                [pa.array(list(keys), pa.string()), pa.array(list(positions), pa.int64())],
                schema=self._key_schema,
            )
        )
        self.key_count += len(keys)

    def close(self) -> None:
        self._rows.close()
        self._keys.close()


@dataclass
class _Read:
    delta_link: str | None
    pages: int
    rows: int
    deleted: int
    page_starts: list[int]


def _read_into(
    client: DataverseClient,
    spec: EntitySpec,
    url: str,
    spool: _Spool,
    *,
    track_changes: bool,
    source: str,
    what: str,
    position: int = 0,
) -> tuple[_Read, int]:
    """Follow `url` page by page into `spool`; deleted entries become keys."""
    read = _Read(None, 0, 0, 0, [])
    last: dict[str, Any] = {}
    for _, payload in client.pages(url, track_changes=track_changes, what=what, table=spec.table):
        read.pages += 1
        read.page_starts.append(position + 1)
        rows, row_positions, keys, key_positions = [], [], [], []
        for entry in payload["value"]:
            position += 1
            key = _deleted_key(entry)
            if key is None:
                rows.append(entry_values(spec, entry))
                row_positions.append(position)
            else:
                keys.append(key)
                key_positions.append(position)
        spool.add_rows(rows, row_positions, source)
        spool.add_keys(keys, key_positions)
        read.rows += len(rows)
        read.deleted += len(keys)
        last = payload
    read.delta_link = last.get("@odata.deltaLink")
    return read, position


# --- staging SQL ---------------------------------------------------------------------------


def _latest_changes(spool: _Spool, key: str) -> str:
    # A key seen twice in one feed (changed while pages were read): the later entry wins.
    # Rows stay in feed order, so raw's physical order (which float sums downstream
    # follow) does not depend on how the window was computed.
    return (
        f"select * from read_parquet({quote_literal(str(spool.rows_path))}) "
        f"qualify row_number() over (partition by lower({quote_identifier(key)}) "
        f"order by {SOURCE_ROW_COLUMN} desc) = 1 order by {SOURCE_ROW_COLUMN}"
    )


def _keep_raw_rows(
    connection: duckdb.DuckDBPyConnection, spec: EntitySpec, ctes: str, where: str
) -> str:
    """Copy the rows of `raw.<table>` a round keeps into a temp table; return its name.

    The staged rows cannot read `raw.<table>` itself: `load_raw_table` replaces that
    table before it reads the staged rows. Cast to text, they are validated like the rest.
    """
    name = f"_dataverse_kept_{spec.table}"
    columns = ", ".join(
        f"cast({quote_identifier(column)} as varchar) as {quote_identifier(column)}"
        for column in spec.columns
    )
    connection.execute(
        f"create or replace temp table {name} as {ctes} "
        f"select {columns}, {SOURCE_FILE_COLUMN}, {SOURCE_ROW_COLUMN} "
        f"from {RAW_SCHEMA}.{quote_identifier(spec.table)} as old where {where}"
    )
    return name


def _incremental_sql(
    connection: duckdb.DuckDBPyConnection, spool: _Spool, spec: EntitySpec
) -> tuple[str, str]:
    """Raw minus changed and deleted keys, plus changed rows not deleted after they changed.

    Returns the staged SQL and the temp table it reads (drop it after the load).
    """
    key = quote_identifier(spec.primary_key)
    keys = f"read_parquet({quote_literal(str(spool.keys_path))})"
    ctes = f"""
        with changes as ({_latest_changes(spool, spec.primary_key)}),
        removals as (
            select lower(key) as key, max({SOURCE_ROW_COLUMN}) as removed_at
            from {keys} group by 1
        )
    """
    kept = _keep_raw_rows(
        connection,
        spec,
        ctes,
        f"not exists (select 1 from changes where lower(changes.{key}) = lower(old.{key})) "
        f"and not exists (select 1 from removals where removals.key = lower(old.{key}))",
    )
    return (
        f"""
        {ctes},
        kept_changes as (
            select changes.* from changes
            left join removals on lower(changes.{key}) = removals.key
            where removals.key is null or changes.{SOURCE_ROW_COLUMN} > removals.removed_at
        )
        select * from {kept}
        union all by name
        select * from kept_changes
        """,
        kept,
    )


def _parties_sql(
    connection: duckdb.DuckDBPyConnection, spool: _Spool, spec: EntitySpec
) -> tuple[str, str]:
    """Raw parties of untouched activities plus the re-read parties of changed ones."""
    key = quote_identifier(spec.primary_key)
    activities = f"read_parquet({quote_literal(str(spool.keys_path))})"
    ctes = f"with changes as ({_latest_changes(spool, spec.primary_key)})"
    kept = _keep_raw_rows(
        connection,
        spec,
        ctes,
        f"not exists (select 1 from {activities} as changed "
        f"where changed.key = lower(old.activityid)) "
        f"and not exists (select 1 from changes where lower(changes.{key}) = lower(old.{key}))",
    )
    return f"{ctes} select * from {kept} union all by name select * from changes", kept


def _load(
    connect: Connect,
    contract: TableContract,
    spool: _Spool,
    spec: EntitySpec,
    stage: Callable[..., tuple[str, str]] | None,
    source: str,
    read: _Read,
    links: Callable[[int], list[DeltaLink]],
    streams: Sequence[str],
    redact: Redactor,
    allow_empty: bool = False,
    into: str | None = None,
) -> tuple[LoadResult, PendingLinks | None]:
    """Load the spooled rows (merged into raw by `stage`, or alone), then store the links.

    Only a full read that returns nothing counts as empty input (see load_raw_table): a
    delta round keeps raw's rows, and one that deletes them all is the CRM's own word.
    A bad value is quoted in the LandingDataError's message and `value`: both pass
    through `redact`, since the value is whatever the server sent.
    With `into` (a staged `raw.<into>`), the links are returned instead, for the swap.
    """
    with connect() as connection:
        kept = None
        try:
            if stage is None:
                staged = _latest_changes(spool, spec.primary_key)
            else:
                staged, kept = stage(connection, spool, spec)
            result = load_raw_table(
                connection,
                contract,
                staged,
                describe_row=_describer(source, read.page_starts),
                source_files=[source],
                allow_empty=allow_empty or stage is not None,
                looked_in=f"a full read of {source}",
                into=into,
            )
        except LandingDataError as error:
            error.args = tuple(redact(str(arg)) for arg in error.args)
            error.value = None if error.value is None else redact(error.value)
            # A chained database error would quote the value unredacted.
            error.__cause__ = error.__context__ = None
            error.__suppress_context__ = True
            raise
        finally:
            if kept is not None:
                connection.execute(f"drop table if exists {kept}")
        new_links = links(result.rows_loaded)  # they record the row count raw now has
        if into is not None:
            return result, PendingLinks(tuple(new_links), tuple(streams))
        if new_links:
            save_delta_links(connection, new_links)
        else:
            forget_delta_links(connection, streams)
    return result, None


# --- extraction ----------------------------------------------------------------------------


@dataclass(frozen=True)
class DataverseExtract:
    """What one extract did, for run metadata."""

    load: LoadResult
    mode: str
    rows_changed: int  # rows read: every row in a full read, changed rows in a delta round
    rows_deleted: int | None  # deleted entries applied (None for activityparty)
    pages: int
    requests: int  # HTTP requests sent, retries included
    activities_rechecked: int | None = None  # activityparty: activities whose parties were re-read
    pending_links: PendingLinks | None = None  # staged loads: links to store with the swap


Connect = Callable[[], AbstractContextManager[duckdb.DuckDBPyConnection]]


def _describer(source: str, page_starts: list[int]) -> Callable[[str, int], str]:
    def describe(source_file: str, row: int) -> str:
        if source_file != source or not page_starts:
            return f"row {row}"
        page = sum(1 for start in page_starts if start <= row)
        return f"record {row} of the response (page {page})"

    return describe


def _usable(
    connection: duckdb.DuckDBPyConnection,
    link: DeltaLink | None,
    client: DataverseClient,
    query: str,
    table: str,
) -> bool:
    return (
        link is not None
        and link.service == client.service_root
        and link.query == query
        and raw_matches(connection, table, link, SOURCE_PREFIX)
    )


def extract_table(
    connect: Connect,
    contract: TableContract,
    client: DataverseClient,
    *,
    log: Any = None,
    allow_empty: bool = False,
    into: str | None = None,
) -> DataverseExtract:
    """Bring `raw.<table>` up to date with the organisation (see the module docstring).

    `connect()` opens the warehouse (a context manager); it is called twice, briefly:
    to read the stored delta link and to load. Raises DataverseError (network, HTTP,
    malformed page) or LandingDataError (a value that breaks the contract), and in both
    cases leaves raw and the stored delta link as they were. `allow_empty`: a full read
    may empty a table that holds rows (RA_ALLOW_EMPTY_TABLES). With `into`, the rows go to
    `raw.<into>` and the new links come back in `pending_links` (stored by the swap).
    """
    log = log or logging.getLogger(__name__)
    if contract.name == "activityparty":
        return _extract_activity_parties(connect, contract, client, log, allow_empty, into)
    spec = ENTITY_SPECS[contract.name]
    requests_before = client.requests
    with connect() as connection:
        link = read_delta_link(connection, contract.name)
        usable = _usable(connection, link, client, spec.query, contract.name)

    with tempfile.TemporaryDirectory(prefix="ra-dataverse-") as folder:
        read: _Read | None = None
        mode = MODE_FULL
        if usable:
            spool = _Spool(Path(folder) / "delta", spec.columns)
            source = f"{SOURCE_PREFIX}{spec.entity_set} delta"
            try:
                read, _ = _read_into(
                    client,
                    spec,
                    link.delta_link,
                    spool,
                    track_changes=False,
                    source=source,
                    what=f"{spec.entity_set} (changes)",
                )
                mode = MODE_INCREMENTAL
            except DeltaLinkExpired as error:
                log.warning(f"{error}; reading {spec.entity_set} in full instead")
                mode = MODE_EXPIRED
            finally:
                spool.close()
        if read is None:
            source = f"{SOURCE_PREFIX}{spec.entity_set}"
            read, mode, spool = _read_all(client, spec, Path(folder), source, mode, log)

        delta_link = read.delta_link
        result, pending = _load(
            connect,
            contract,
            spool,
            spec,
            _incremental_sql if mode == MODE_INCREMENTAL else None,
            source,
            read,
            lambda rows: (
                [DeltaLink(contract.name, client.service_root, spec.query, delta_link, rows)]
                if delta_link
                else []
            ),
            [contract.name],
            client.redact,
            allow_empty,
            into,
        )
    return DataverseExtract(
        result,
        mode,
        read.rows,
        read.deleted,
        read.pages,
        client.requests - requests_before,
        pending_links=pending,
    )


def _read_all(
    client: DataverseClient, spec: EntitySpec, folder: Path, source: str, mode: str, log: Any
) -> tuple[_Read, str, _Spool]:
    """Read the whole entity set with change tracking; without, if the table refuses it."""
    url = f"{client.service_root}/{spec.query}"
    what = f"{spec.entity_set} (full read)"
    spool = _Spool(folder / "full", spec.columns)
    try:
        read, _ = _read_into(client, spec, url, spool, track_changes=True, source=source, what=what)
        return read, mode, spool
    except DataverseError as error:
        message = str(error).lower()
        if error.status != 400 or "track" not in message or "change" not in message:
            raise
        log.warning(f"{error}; reading {spec.entity_set} in full on every run")
    finally:
        spool.close()
    # Reached only when the table refused change tracking: read again, plainly, into a
    # fresh spool (the refused read may have spooled nothing or part of a page).
    spool = _Spool(folder / "untracked", spec.columns)
    try:
        read, _ = _read_into(
            client, spec, url, spool, track_changes=False, source=source, what=what
        )
    finally:
        spool.close()
    return read, MODE_UNTRACKED, spool


def _activity_ids_spec(entity_set: str) -> EntitySpec:
    return EntitySpec(
        "activityparty", entity_set, "activityid", (Field("activityid", "activityid"),)
    )


def _party_filters(activity_ids: Sequence[str]) -> Iterator[str]:
    ids = sorted(set(activity_ids))
    for start in range(0, len(ids), PARTY_FILTER_BATCH):
        batch = ids[start : start + PARTY_FILTER_BATCH]
        yield " or ".join(f"_activityid_value eq {activity_id}" for activity_id in batch)


def _extract_activity_parties(
    connect: Connect,
    contract: TableContract,
    client: DataverseClient,
    log: Any,
    allow_empty: bool,
    into: str | None,
) -> DataverseExtract:
    spec = ENTITY_SPECS["activityparty"]
    streams = {entity_set: f"activityparty:{entity_set}" for entity_set in ACTIVITY_ENTITY_SETS}
    id_specs = {entity_set: _activity_ids_spec(entity_set) for entity_set in ACTIVITY_ENTITY_SETS}
    requests_before = client.requests
    with connect() as connection:
        links = {es: read_delta_link(connection, stream) for es, stream in streams.items()}
        usable = all(
            _usable(connection, links[es], client, id_specs[es].query, contract.name)
            for es in ACTIVITY_ENTITY_SETS
        )

    with tempfile.TemporaryDirectory(prefix="ra-dataverse-") as folder:
        mode = MODE_FULL
        new_links: dict[str, str | None] = {}
        changed: list[str] = []
        if usable:
            try:
                for entity_set in ACTIVITY_ENTITY_SETS:
                    ids, new_links[entity_set] = _activity_ids(
                        client,
                        id_specs[entity_set],
                        links[entity_set].delta_link,
                        Path(folder) / f"ids-{entity_set}",
                        track_changes=False,
                    )
                    changed += ids
                mode = MODE_INCREMENTAL
            except DeltaLinkExpired as error:
                log.warning(f"{error}; reading every activity party instead")
                mode, new_links, changed = MODE_EXPIRED, {}, []
        if mode != MODE_INCREMENTAL:
            # Links first: a party changed while all parties are read shows up next run.
            for entity_set in ACTIVITY_ENTITY_SETS:
                _, new_links[entity_set] = _activity_ids(
                    client,
                    id_specs[entity_set],
                    f"{client.service_root}/{id_specs[entity_set].query}",
                    Path(folder) / f"all-ids-{entity_set}",
                    track_changes=True,
                )

        spool = _Spool(Path(folder) / "parties", spec.columns)
        source = f"{SOURCE_PREFIX}{spec.entity_set}"
        source += " delta" if mode == MODE_INCREMENTAL else ""
        position = 0
        read = _Read(None, 0, 0, 0, [])
        try:
            if mode == MODE_INCREMENTAL:
                for number, condition in enumerate(_party_filters(changed), start=1):
                    url = f"{client.service_root}/{spec.query}&$filter={quote(condition, safe='')}"
                    batch, position = _read_into(
                        client,
                        spec,
                        url,
                        spool,
                        track_changes=False,
                        source=source,
                        what=f"{spec.entity_set} of changed activities (batch {number})",
                        position=position,
                    )
                    read.pages += batch.pages
                    read.rows += batch.rows
                    read.page_starts += batch.page_starts
                spool.add_keys(sorted(set(changed)), [0] * len(set(changed)))
            else:
                read, position = _read_into(
                    client,
                    spec,
                    f"{client.service_root}/{spec.query}",
                    spool,
                    track_changes=False,
                    source=source,
                    what=f"{spec.entity_set} (full read)",
                )
        finally:
            spool.close()

        complete = all(new_links.get(es) for es in ACTIVITY_ENTITY_SETS)
        result, pending = _load(
            connect,
            contract,
            spool,
            spec,
            _parties_sql if mode == MODE_INCREMENTAL else None,
            source,
            read,
            lambda rows: (
                [
                    DeltaLink(
                        streams[es], client.service_root, id_specs[es].query, new_links[es], rows
                    )
                    for es in ACTIVITY_ENTITY_SETS
                ]
                if complete
                else []
            ),
            list(streams.values()),
            client.redact,
            allow_empty,
            into,
        )
    return DataverseExtract(
        result,
        mode,
        read.rows,
        None,
        read.pages,
        client.requests - requests_before,
        activities_rechecked=len(set(changed)) if mode == MODE_INCREMENTAL else None,
        pending_links=pending,
    )


def _activity_ids(
    client: DataverseClient, spec: EntitySpec, url: str, folder: Path, *, track_changes: bool
) -> tuple[list[str], str | None]:
    """Ids of the activities in a feed (changed and deleted alike) and its next delta link."""
    spool = _Spool(folder, spec.columns)
    try:
        read, _ = _read_into(
            client,
            spec,
            url,
            spool,
            track_changes=track_changes,
            source=f"{SOURCE_PREFIX}{spec.entity_set}",
            what=f"{spec.entity_set} (activity ids)",
        )
    finally:
        spool.close()
    if track_changes:
        return [], read.delta_link  # a first read: only its delta link is wanted
    changed = pq.read_table(spool.rows_path, columns=["activityid"]).column(0).to_pylist()
    deleted = pq.read_table(spool.keys_path, columns=["key"]).column(0).to_pylist()
    ids = [key.lower() for key in changed + deleted if key]
    bad = next((key for key in ids if not _GUID.fullmatch(key)), None)
    if bad is not None:
        raise DataverseError(
            f"dataverse extract failed: table 'activityparty': {spec.entity_set} returned "
            f"an activity id that is not a GUID: {client.redact.excerpt(bad, 60)!r}",
            table="activityparty",
        )
    return ids, read.delta_link
