"""A local stand-in for Microsoft Graph's mail and calendar delta queries: real HTTP on
127.0.0.1, for tests.

Per mailbox it holds Inbox and Sent Items messages and calendar events in Graph's JSON
shape, and answers, independently of the client's own mapping:

- `GET /v1.0/users/{mailbox}/mailFolders/{inbox|sentitems}/messages/delta` (`$select`
  honoured: only the properties asked for come back; `$filter=receivedDateTime ge ...`);
- `GET /v1.0/users/{mailbox}/calendarView/delta?startDateTime=&endDateTime=` (events
  overlapping the window, times as `{"dateTime", "timeZone": "UTC"}`);

paging by `Prefer: odata.maxpagesize` with `@odata.nextLink` (`$skiptoken`), a round
ending in `@odata.deltaLink` (`$deltatoken`); following that link gives only items
changed since, and `{"id": ..., "@removed": {"reason": "deleted"}}` for items deleted.
Scripted faults: throttling (429/503 with Retry-After), an expired delta token (410 Gone,
`SyncStateNotFound`), any body a test scripts. Every request is logged (`seen`), so a
test can count what a second run asked for.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote, unquote

from tests.loopback_http import Answer, LoopbackServer, take_fault

API = "/v1.0"
FOLDERS = ("inbox", "sentitems")


@dataclass
class Fault:
    """A scripted answer for requests whose path contains `path` (None: any), `times` times."""

    path: str | None = None
    status: int = 429
    headers: dict[str, str] = field(default_factory=dict)
    body: str | Callable[[dict[str, str]], str] = ""
    times: int | None = 1
    only_delta_tokens: bool = False


@dataclass
class Seen:
    path: str
    query: dict[str, str]
    headers: dict[str, str]


@dataclass
class _Item:
    body: dict[str, Any]
    version: int
    removed: bool = False


def address(text: str) -> dict[str, Any]:
    return {"emailAddress": {"address": text, "name": text.split("@")[0].title()}}


class FakeGraph(LoopbackServer):
    """Mailboxes of items with versions, delta tokens, faults and a request log."""

    path_prefix = API

    def __init__(self, *, token: str = "local-graph-token") -> None:
        super().__init__()
        self.token = token
        self.version = 1
        self.items: dict[tuple[str, str], dict[str, _Item]] = {}
        self.faults: list[Fault] = []
        self.seen: list[Seen] = []
        self.expired_tokens: set[str] = set()
        self._rounds: dict[str, tuple[tuple[str, str], list[dict[str, Any]], str]] = {}
        self._delta_tokens: dict[str, tuple[tuple[str, str], int, str]] = {}
        self._counter = itertools.count(1)

    # -- changes made "in the mailboxes"

    def put(self, mailbox: str, folder: str, item: dict[str, Any]) -> None:
        """Add or change a message (folder inbox/sentitems) or an event (folder calendar)."""
        with self._lock:
            self.version += 1
            self.items.setdefault((mailbox.lower(), folder), {})[item["id"]] = _Item(
                dict(item), self.version
            )

    def remove(self, mailbox: str, folder: str, item_id: str) -> None:
        with self._lock:
            self.version += 1
            entry = self.items[(mailbox.lower(), folder)][item_id]
            entry.removed, entry.version = True, self.version

    def expire_delta_tokens(self, mailbox: str | None = None, folder: str | None = None) -> None:
        """Delta tokens handed out so far (of one mailbox and/or folder) answer 410 Gone."""
        with self._lock:
            self.expired_tokens |= {
                token
                for token, (stream, _, _) in self._delta_tokens.items()
                if mailbox in (None, stream[0]) and folder in (None, stream[1])
            }

    def requests_to(self, fragment: str) -> list[Seen]:
        return [seen for seen in self.seen if fragment in seen.path]

    # -- HTTP

    def _handle(
        self, method: str, path: str, query: dict[str, str], headers: dict[str, str], body: bytes
    ) -> Answer:
        return self._answer(unquote(path), query, headers)

    def _answer(self, path: str, query: dict[str, str], headers: dict[str, str]) -> Answer:
        self.seen.append(Seen(path, query, headers))
        if headers.get("authorization") != f"Bearer {self.token}":
            return 401, {}, _error("InvalidAuthenticationToken", "Access token is empty.")
        scripted = take_fault(
            self.faults,
            lambda fault: (
                (fault.path is None or fault.path in path)
                and (not fault.only_delta_tokens or "$deltatoken" in query)
            ),
            headers,
        )
        if scripted is not None:
            return scripted
        stream, select = self._stream(path, query)
        if stream is None:
            return 404, {}, _error("ErrorInvalidUser", f"The requested user '{path}' is invalid.")
        page_size = 10
        for preference in headers.get("prefer", "").split(","):
            name, _, value = preference.strip().partition("=")
            if name == "odata.maxpagesize":
                page_size = int(value)
        if "$skiptoken" in query:
            return self._page(query["$skiptoken"], page_size)
        if "$deltatoken" in query:
            token = query["$deltatoken"]
            if token in self.expired_tokens or token not in self._delta_tokens:
                return 410, {}, _error("SyncStateNotFound", "The sync state is not found.")
            stream, since, base = self._delta_tokens[token]
            entries = [
                {"id": item_id, "@removed": {"reason": "deleted"}}
                if item.removed
                else self._shape(stream, item.body, select)
                for item_id, item in sorted(
                    self.items.get(stream, {}).items(), key=lambda pair: pair[1].version
                )
                if item.version > since
            ]
            return self._start(stream, entries, base, page_size)
        entries = [
            self._shape(stream, item.body, select)
            for item in sorted(self.items.get(stream, {}).values(), key=lambda item: item.version)
            if not item.removed and self._in_window(stream, item.body, query)
        ]
        base = path.split(API, 1)[1]
        return self._start(stream, entries, base, page_size)

    def _stream(
        self, path: str, query: dict[str, str]
    ) -> tuple[tuple[str, str] | None, list[str] | None]:
        parts = path.split("/")
        # /v1.0/users/<mailbox>/mailFolders/<folder>/messages/delta
        if len(parts) == 8 and parts[2] == "users" and parts[4] == "mailFolders":
            if parts[5] in FOLDERS and parts[6:] == ["messages", "delta"]:
                select = query.get("$select")
                return (parts[3].lower(), parts[5]), select.split(",") if select else None
        # /v1.0/users/<mailbox>/calendarView/delta
        if len(parts) == 6 and parts[2] == "users" and parts[4:] == ["calendarView", "delta"]:
            return (parts[3].lower(), "calendar"), None
        return None, None

    def _in_window(self, stream: tuple[str, str], body: dict[str, Any], query: dict) -> bool:
        if stream[1] != "calendar":
            since = query.get("$filter", "").removeprefix("receivedDateTime ge ")
            return not since or body.get("receivedDateTime", "") >= since
        start = query["startDateTime"].removesuffix("Z")
        end = query["endDateTime"].removesuffix("Z")
        return body["start"] < end and body["end"] > start

    def _shape(
        self, stream: tuple[str, str], body: dict[str, Any], select: list[str] | None
    ) -> dict[str, Any]:
        if stream[1] == "calendar":
            shaped = dict(body)
            for name in ("start", "end"):
                shaped[name] = {"dateTime": body[name] + ".0000000", "timeZone": "UTC"}
            shaped["@odata.etag"] = f'W/"{body["id"]}"'
            return shaped
        shaped = {name: value for name, value in body.items() if select is None or name in select}
        shaped["id"] = body["id"]
        shaped["@odata.etag"] = f'W/"{body["id"]}"'
        return shaped

    def _start(
        self, stream: tuple[str, str], entries: list[dict[str, Any]], base: str, page_size: int
    ) -> tuple[int, dict[str, str], Any]:
        token = f"r{next(self._counter)}"
        self._rounds[token] = (stream, entries, base)
        return self._page(token, page_size, version=self.version)

    def _page(
        self, token: str, page_size: int, version: int | None = None
    ) -> tuple[int, dict[str, str], Any]:
        stream, entries, base = self._rounds.pop(token)
        page, rest = entries[:page_size], entries[page_size:]
        payload: dict[str, Any] = {"value": page}
        if rest:
            following = f"r{next(self._counter)}"
            self._rounds[following] = (stream, rest, base)
            payload["@odata.nextLink"] = f"{self.base_url}{base}?$skiptoken={following}"
        else:
            delta = f"d{next(self._counter)}"
            self._delta_tokens[delta] = (stream, self.version, base)
            payload["@odata.deltaLink"] = f"{self.base_url}{base}?$deltatoken={quote(delta)}"
        return 200, {}, payload


def _error(code: str, message: str) -> dict[str, Any]:
    return {"error": {"code": code, "message": message}}
