"""A local stand-in for the Dataverse Web API: real HTTP on 127.0.0.1, for tests.

It serves contract-shaped rows (as the generator writes them) in the Web API's shape,
independently of the client's own mapping: lookups as `_<name>_value` plus their
`@Microsoft.Dynamics.CRM.lookuplogicalname` annotation (only when the request asks for
annotations), no `*typecode` properties, `@odata.etag` on every entity. It pages with
`Prefer: odata.maxpagesize` and `@odata.nextLink`, tracks changes (`odata.track-changes`,
`@odata.deltaLink`, `$deletedEntity`), refuses unknown `$select` properties, `$filter`
with change tracking, and change tracking on `activityparties`, and plays scripted
faults: throttling with Retry-After, malformed pages, expired delta tokens, an error body
echoing the Authorization header (any body a test scripts). It also answers the two
identity-platform calls msal makes for client credentials (OpenID configuration and
token), for the msal test, with a scripted answer of the token endpoint if set.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, quote, urlencode

import pyarrow.parquet as pq

from orchestration.contract import BOOLEAN, DATE, DOUBLE, INTEGER, TABLES, TIMESTAMP
from tests.loopback_http import Answer, LoopbackServer, take_fault

API = "/api/data/v9.2"
ANNOTATION = "Microsoft.Dynamics.CRM.lookuplogicalname"

# Web API shape of each table: entity set, and for each lookup column the table it points
# to ("@column" = the logical name held in that contract column of the same row).
WEB_API: dict[str, tuple[str, dict[str, str]]] = {
    "systemuser": ("systemusers", {"businessunitid": "businessunit"}),
    "account": ("accounts", {"primarycontactid": "contact", "ownerid": "systemuser"}),
    "contact": ("contacts", {"parentcustomerid": "account", "ownerid": "systemuser"}),
    "lead": (
        "leads",
        {"parentaccountid": "account", "parentcontactid": "contact", "ownerid": "systemuser"},
    ),
    "opportunity": (
        "opportunities",
        {"parentaccountid": "account", "parentcontactid": "contact", "ownerid": "systemuser"},
    ),
    "connectionrole": ("connectionroles", {}),
    "connection": (
        "connections",
        {
            "record1id": "@record1objecttypecode",
            "record2id": "@record2objecttypecode",
            "record2roleid": "connectionrole",
        },
    ),
    "email": (
        "emails",
        {"regardingobjectid": "@regardingobjecttypecode", "ownerid": "systemuser"},
    ),
    "appointment": (
        "appointments",
        {"regardingobjectid": "@regardingobjecttypecode", "ownerid": "systemuser"},
    ),
    "phonecall": (
        "phonecalls",
        {"regardingobjectid": "@regardingobjecttypecode", "ownerid": "systemuser"},
    ),
    "activityparty": (
        "activityparties",
        {"activityid": "@activity type", "partyid": "@partyobjecttypecode"},
    ),
}
TYPE_COLUMNS = {
    "regardingobjecttypecode",
    "partyobjecttypecode",
    "record1objecttypecode",
    "record2objecttypecode",
}
UNTRACKED = {"activityparties"}


def read_generated(folder: Path) -> dict[str, list[dict[str, Any]]]:
    """The generator's Parquet tables as lists of plain Python rows."""
    return {table: pq.read_table(folder / f"{table}.parquet").to_pylist() for table in TABLES}


def _json_value(value: Any, kind: str | None) -> Any:
    if value is None:
        return None
    if kind == TIMESTAMP and isinstance(value, datetime):
        return value.strftime("%Y-%m-%dT%H:%M:%SZ")
    if kind == DATE and isinstance(value, date):
        return value.isoformat()
    if kind == INTEGER:
        return int(value)
    if kind == DOUBLE:
        return float(value)
    if kind == BOOLEAN:
        return bool(value)
    return value if isinstance(value, int | float | bool) else str(value)


@dataclass
class Fault:
    """A scripted answer for matching requests, `times` times (None: every time)."""

    entity_set: str | None = None
    when: Callable[[dict[str, str]], bool] | None = None
    status: int = 429
    headers: dict[str, str] = field(default_factory=dict)
    body: str | Callable[[dict[str, str]], str] = ""
    times: int | None = 1


@dataclass
class Seen:
    method: str
    entity_set: str
    query: dict[str, str]
    headers: dict[str, str]


class FakeDataverse(LoopbackServer):
    """The organisation: rows per entity set, a version counter, faults, a request log."""

    content_type = "application/json; odata.metadata=minimal"

    def __init__(
        self,
        tables: dict[str, list[dict[str, Any]]],
        *,
        token: str = "local-test-token",
        client_id: str = "local-client-id",
        client_secret: str = "local-client-secret",
    ) -> None:
        self.token = token
        self.client_id = client_id
        self.client_secret = client_secret
        super().__init__()
        self.version = 1
        self.rows: dict[str, dict[str, dict[str, Any]]] = {}
        self.versions: dict[str, dict[str, int]] = {}
        self.deleted: dict[str, dict[str, int]] = {}
        self.table_of_set: dict[str, str] = {}
        for table, rows in tables.items():
            entity_set = WEB_API[table][0]
            key = TABLES[table].primary_key
            self.table_of_set[entity_set] = table
            self.rows[entity_set] = {str(row[key]): dict(row) for row in rows}
            self.versions[entity_set] = dict.fromkeys(self.rows[entity_set], 1)
            self.deleted[entity_set] = {}
        self.activity_type = {
            key: table
            for table in ("email", "appointment", "phonecall")
            for key in self.rows.get(WEB_API[table][0], {})
        }
        self.faults: list[Fault] = []
        self.seen: list[Seen] = []
        self.expired: str | None = None  # None, "410" or "stamp"
        self.token_requests: list[dict[str, str]] = []
        # A scripted token endpoint answer, (status, body), instead of the normal one.
        self.token_answer: Callable[[dict[str, str]], tuple[int, Any]] | None = None

    # -- changes made "in the organisation"

    def _bump(self, entity_set: str, key: str) -> None:
        self.version += 1
        self.versions[entity_set][key] = self.version
        self.deleted[entity_set].pop(key, None)

    def update(self, table: str, key: str, **values: Any) -> None:
        with self._lock:
            entity_set = WEB_API[table][0]
            self.rows[entity_set][key].update(values)
            self._bump(entity_set, key)

    def insert(self, table: str, row: dict[str, Any]) -> None:
        with self._lock:
            entity_set = WEB_API[table][0]
            key = str(row[TABLES[table].primary_key])
            self.rows[entity_set][key] = dict(row)
            if table in ("email", "appointment", "phonecall"):
                self.activity_type[key] = table
            self._bump(entity_set, key)

    def delete(self, table: str, key: str) -> None:
        with self._lock:
            entity_set = WEB_API[table][0]
            del self.rows[entity_set][key]
            self.versions[entity_set].pop(key, None)
            self.version += 1
            self.deleted[entity_set][key] = self.version
            if table in ("email", "appointment", "phonecall"):  # parties go with it
                parties = self.rows["activityparties"]
                for party in [k for k, r in parties.items() if r["activityid"] == key]:
                    del parties[party]

    def set_parties(self, activity_table: str, activity_id: str, parties: list[dict]) -> None:
        """Replace an activity's parties; like Dataverse, this changes the activity row."""
        with self._lock:
            rows = self.rows["activityparties"]
            for party in [k for k, r in rows.items() if r["activityid"] == activity_id]:
                del rows[party]
            for party in parties:
                rows[str(party["activitypartyid"])] = dict(party)
            self._bump(WEB_API[activity_table][0], activity_id)

    def table(self, table: str) -> list[dict[str, Any]]:
        """The organisation's current rows of a contract table."""
        return [dict(row) for row in self.rows[WEB_API[table][0]].values()]

    def requests_to(self, entity_set: str) -> list[Seen]:
        return [seen for seen in self.seen if seen.entity_set == entity_set]

    # -- HTTP

    def _handle(
        self, method: str, path: str, query: dict[str, str], headers: dict[str, str], body: bytes
    ) -> Answer:
        return self._answer(method, path, query, headers, body)

    def _answer(
        self, method: str, path: str, query: dict[str, str], headers: dict[str, str], body: bytes
    ) -> Answer:
        if not path.startswith(API + "/"):
            return self._identity(method, path, body)
        entity_set = path[len(API) + 1 :]
        self.seen.append(Seen(method, entity_set, query, headers))
        if headers.get("authorization") != f"Bearer {self.token}":
            return 401, {}, _error("0x80072560", "The user is not a member of the organization.")
        scripted = take_fault(
            self.faults,
            lambda fault: (
                fault.entity_set in (None, entity_set) and (fault.when is None or fault.when(query))
            ),
            headers,
        )
        if scripted is not None:
            return scripted
        if entity_set not in self.rows:
            return (
                404,
                {},
                _error("0x80060888", f"Resource not found for the segment '{entity_set}'."),
            )
        return self._entities(entity_set, query, headers)

    def _identity(self, method: str, path: str, body: bytes) -> tuple[int, dict[str, str], Any]:
        match = re.fullmatch(r"/([^/]+)/v2\.0/\.well-known/openid-configuration", path)
        if method == "GET" and match:
            tenant = match.group(1)
            issuer = f"https://login.microsoftonline.com/{tenant}"
            return (
                200,
                {},
                {
                    "token_endpoint": f"{issuer}/oauth2/v2.0/token",
                    "authorization_endpoint": f"{issuer}/oauth2/v2.0/authorize",
                    "issuer": f"{issuer}/v2.0",
                },
            )
        if method == "GET" and path == "/common/discovery/instance":
            # msal asks after a refused credential; answer as the real endpoint does.
            return 200, {}, {
                "tenant_discovery_endpoint": "https://login.microsoftonline.com/common/v2.0/"
                ".well-known/openid-configuration",
                "api-version": "1.1",
                "metadata": [{"preferred_network": "login.microsoftonline.com",
                              "aliases": ["login.microsoftonline.com"]}],
            }  # fmt: skip
        if method == "POST" and path.endswith("/oauth2/v2.0/token"):
            form = {name: values[-1] for name, values in parse_qs(body.decode()).items()}
            self.token_requests.append(form)
            if self.token_answer is not None:
                status, answer = self.token_answer(form)
                return status, {}, answer
            if (form.get("client_id"), form.get("client_secret")) != (
                self.client_id,
                self.client_secret,
            ):
                return (
                    401,
                    {},
                    {
                        "error": "invalid_client",
                        "error_description": "AADSTS7000215: Invalid client secret provided.",
                    },
                )
            return 200, {}, {"token_type": "Bearer", "expires_in": 3599, "access_token": self.token}
        return 404, {}, {"error": "not_found"}

    def _allowed(self, table: str) -> set[str]:
        """Properties the entity set has: contract columns (lookups as `_x_value`), extras."""
        rows = self.rows[WEB_API[table][0]]
        columns = set(TABLES[table].columns) | set(next(iter(rows.values()), {}))
        lookups = WEB_API[table][1]
        return {
            f"_{column}_value" if column in lookups else column
            for column in columns
            if column not in TYPE_COLUMNS
        }

    def _entity(
        self, table: str, row: dict[str, Any], select: list[str], annotate: bool, version: int
    ) -> dict[str, Any]:
        kinds = TABLES[table].columns
        lookups = WEB_API[table][1]
        entity: dict[str, Any] = {"@odata.etag": f'W/"{version}"'}
        key = TABLES[table].primary_key
        for prop in dict.fromkeys([*select, key]):
            column = prop[1:-6] if prop.startswith("_") and prop.endswith("_value") else prop
            value = _json_value(row.get(column), kinds.get(column))
            entity[prop] = value
            if column in lookups and annotate and value is not None:
                target = lookups[column]
                if target == "@activity type":
                    target = self.activity_type.get(value)
                elif target.startswith("@"):
                    target = row.get(target[1:])
                entity[f"{prop}@{ANNOTATION}"] = target
        return entity

    def _entities(
        self, entity_set: str, query: dict[str, str], headers: dict[str, str]
    ) -> tuple[int, dict[str, str], Any]:
        table = self.table_of_set[entity_set]
        prefer = headers.get("prefer", "")
        page_size = int((re.search(r"odata\.maxpagesize=(\d+)", prefer) or [0, 5000])[1])
        annotate = '"*"' in prefer or ANNOTATION in prefer
        track = "odata.track-changes" in prefer
        select = [name for name in query.get("$select", "").split(",") if name]
        unknown = [name for name in select if name not in self._allowed(table)]
        if unknown:
            return (
                400,
                {},
                _error(
                    "0x80060888",
                    f"Could not find a property named '{unknown[0]}' on type "
                    f"'Microsoft.Dynamics.CRM.{table}'.",
                ),
            )
        context = f"{self.base_url}{API}/$metadata#{entity_set}({','.join(select)})"
        if "$deltatoken" in query:
            if self.expired == "410":
                return 410, {}, _error("0x80044352", "The delta token has expired.")
            if self.expired == "stamp":
                return (
                    400,
                    {},
                    _error(
                        "0x80044352",
                        "Version stamp associated with the client has expired. "
                        "Please perform a full sync.",
                    ),
                )
            since = int(query["$deltatoken"])
            as_of = int(query.get("$asof") or self.version)
            changed = sorted(
                (version, k)
                for k, version in self.versions[entity_set].items()
                if since < version <= as_of
            )
            gone = sorted(
                (version, k)
                for k, version in self.deleted[entity_set].items()
                if since < version <= as_of
            )
            entries = [
                self._entity(table, self.rows[entity_set][k], select, annotate, version)
                for version, k in changed
            ] + [
                {
                    "@odata.context": f"{self.base_url}{API}/$metadata#{entity_set}/$deletedEntity",
                    "id": k,
                    "reason": "deleted",
                }
                for _, k in gone
            ]
            context += "/$delta"
            track = True
        else:
            if track and entity_set in UNTRACKED:
                return (
                    400,
                    {},
                    _error(
                        "0x80072491",
                        f"Change tracking is not enabled for the entity '{table}'.",
                    ),
                )
            rows = list(self.rows[entity_set].items())
            if "$filter" in query:
                if track:
                    return (
                        400,
                        {},
                        _error(
                            "0x0",
                            "The query parameter $filter is not supported when change "
                            "tracking is enabled.",
                        ),
                    )
                clauses = query["$filter"].split(" or ")
                ids = set()
                for clause in clauses:
                    match = re.fullmatch(r"_activityid_value eq ([0-9a-f-]{36})", clause.strip())
                    if match is None or entity_set != "activityparties":
                        return 400, {}, _error("0x0", f"Unsupported filter: {clause}")
                    ids.add(match.group(1))
                rows = [(k, row) for k, row in rows if row["activityid"] in ids]
            as_of = int(query.get("$asof") or self.version)
            entries = [
                self._entity(table, row, select, annotate, self.versions[entity_set].get(k, 1))
                for k, row in rows
            ]
        offset = int(query.get("$skiptoken") or 0)
        page = entries[offset : offset + page_size]
        payload: dict[str, Any] = {"@odata.context": context, "value": page}
        base = {name: value for name, value in query.items() if name not in ("$skiptoken", "$asof")}
        if offset + page_size < len(entries):
            following = {**base, "$skiptoken": str(offset + page_size), "$asof": str(as_of)}
            payload["@odata.nextLink"] = f"{self.base_url}{API}/{entity_set}?{_query(following)}"
        elif track:
            delta = {"$select": query.get("$select", ""), "$deltatoken": str(as_of)}
            payload["@odata.deltaLink"] = f"{self.base_url}{API}/{entity_set}?{_query(delta)}"
        return 200, {"Preference-Applied": prefer}, payload


def _query(values: dict[str, str]) -> str:
    return urlencode(values, safe="$,", quote_via=quote)


def _error(code: str, message: str) -> dict[str, Any]:
    return {"error": {"code": code, "message": message}}
