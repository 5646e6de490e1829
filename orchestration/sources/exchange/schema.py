"""Graph entities -> rows of the raw Exchange tables (pure functions, no I/O).

A stream is one folder of one mailbox: Inbox and Sent Items through the messages delta
query (`/users/{mailbox}/mailFolders/{folder}/messages/delta`, `$select` of header
properties only: never a body), the calendar through the calendarView delta query over a
window (`/users/{mailbox}/calendarView/delta?startDateTime=&endDateTime=`). Each stream
has its own delta link (orchestration.sources.state, stream `exchange:<mailbox>/<folder>`).

Why the window is anchored on the first day of the as-of month: a delta link encodes
its query, window included, so a window that moved every day would force a full read of
every calendar every day. Anchored, the query (and so the link) stays the same for a
month; the window still covers at least RA_EXCHANGE_DAYS_BACK days before the as-of
instant and RA_EXCHANGE_DAYS_AHEAD days after it.

In-Reply-To is not read: it is only in `internetMessageHeaders`, the transport headers,
which Graph does not return for Sent Items (reported in microsoftgraph/msgraph-sdk-
javascript#1891 and OfficeDev/office-js#5413) and which are not among the basic
properties Mail.ReadBasic.All is documented to cover. Threads come from
`conversationIndex` (base64 bytes of the Outlook thread index), whose prefix rule
(KPI_SPEC section 4) finds the parent without it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import quote

from orchestration.sources.exchange.client import GraphError

__all__ = [
    "CALENDAR",
    "EVENT_COLUMNS",
    "MESSAGE_FOLDERS",
    "MESSAGE_SELECT",
    "Stream",
    "Window",
    "event_rows",
    "message_rows",
    "removed_key",
    "streams_for",
]

MESSAGE_FOLDERS = ("inbox", "sentitems")  # well-known folder names
CALENDAR = "calendar"
STREAM_PREFIX = "exchange:"
MESSAGE_SELECT = (
    "id,internetMessageId,conversationId,conversationIndex,subject,from,toRecipients,"
    "ccRecipients,bccRecipients,sentDateTime,receivedDateTime,isDraft,createdDateTime,"
    "lastModifiedDateTime"
)
MESSAGE_COLUMNS = (
    "messagekey", "mailbox", "folder", "id", "internetmessageid", "conversationid",
    "conversationindex", "subject", "sentdatetime", "receiveddatetime", "isdraft",
    "createddatetime", "lastmodifieddatetime",
)  # fmt: skip
RECIPIENT_COLUMNS = ("recipientkey", "messagekey", "recipienttype", "address")
EVENT_COLUMNS = (
    "eventkey", "mailbox", "folder", "id", "icaluid", "subject", "startdatetime",
    "enddatetime", "isallday", "iscancelled", "isorganizer", "type", "createddatetime",
    "lastmodifieddatetime",
)  # fmt: skip
ATTENDEE_COLUMNS = ("attendeekey", "eventkey", "attendeetype", "address", "response")
_RECIPIENT_PROPERTIES = (("from", "from"), ("to", "toRecipients"), ("cc", "ccRecipients"),
                         ("bcc", "bccRecipients"))  # fmt: skip


@dataclass(frozen=True)
class Window:
    """The period read: mail received from `start`, meetings between `start` and `end`."""

    start: datetime
    end: datetime

    @classmethod
    def around(cls, as_of: datetime, days_back: int, days_ahead: int) -> Window:
        """Anchored on the first day of `as_of`'s month (see the module docstring)."""
        anchor = as_of.replace(day=1, hour=0, minute=0, second=0, microsecond=0)
        return cls(anchor - timedelta(days=days_back), anchor + timedelta(days=days_ahead + 31))


def _instant(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass(frozen=True)
class Stream:
    """One folder of one mailbox (`mailbox` lower-case, as keys and links name it)."""

    mailbox: str
    folder: str

    @property
    def name(self) -> str:
        return f"{STREAM_PREFIX}{self.mailbox}/{self.folder}"

    @property
    def is_calendar(self) -> bool:
        return self.folder == CALENDAR

    def query(self, window: Window) -> str:
        """The delta query relative to the Graph root (what a stored link is checked against)."""
        user = quote(self.mailbox, safe="@")
        if self.is_calendar:
            return (
                f"users/{user}/calendarView/delta?startDateTime={_instant(window.start)}"
                f"&endDateTime={_instant(window.end)}"
            )
        since = quote(f"receivedDateTime ge {_instant(window.start)}", safe=":")
        return (
            f"users/{user}/mailFolders/{self.folder}/messages/delta"
            f"?$select={MESSAGE_SELECT}&$filter={since}"
        )

    def key(self, graph_id: str) -> str:
        return f"{self.mailbox}/{self.folder}/{graph_id}"


def streams_for(mailboxes: list[str]) -> list[Stream]:
    """Inbox, Sent Items and calendar of each mailbox, in a stable order."""
    return [
        Stream(mailbox, folder)
        for mailbox in sorted(mailboxes)
        for folder in (*MESSAGE_FOLDERS, CALENDAR)
    ]


def removed_key(stream: Stream, entry: Mapping[str, Any]) -> str | None:
    """The raw key of an `@removed` entry (deleted or moved out of the folder), else None."""
    if "@removed" not in entry:
        return None
    return stream.key(_required_id(stream, entry))


def _required_id(stream: Stream, entry: Mapping[str, Any]) -> str:
    graph_id = entry.get("id")
    if not isinstance(graph_id, str) or not graph_id:
        raise GraphError(
            f"exchange extract failed: {stream.name}: an entry has no 'id' "
            "(is RA_GRAPH_URL a Microsoft Graph endpoint?)",
            table="graph_event" if stream.is_calendar else "graph_message",
        )
    return graph_id


def _text(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _address(recipient: Any) -> str | None:
    """`{"emailAddress": {"address": "A@B"}}` -> "a@b" (trimmed, lower-case)."""
    if not isinstance(recipient, Mapping):
        return None
    address = (recipient.get("emailAddress") or {}).get("address")
    address = address.strip().lower() if isinstance(address, str) else ""
    return address or None


def message_rows(
    stream: Stream, entry: Mapping[str, Any]
) -> tuple[list[str | None], list[list[str | None]]]:
    """One message -> its graph_message row and its graph_message_recipient rows."""
    key = stream.key(_required_id(stream, entry))
    values = {
        "messagekey": key,
        "mailbox": stream.mailbox,
        "folder": stream.folder,
        "id": entry["id"],
        "internetmessageid": entry.get("internetMessageId"),
        "conversationid": entry.get("conversationId"),
        "conversationindex": entry.get("conversationIndex"),
        "subject": entry.get("subject"),
        "sentdatetime": entry.get("sentDateTime"),
        "receiveddatetime": entry.get("receivedDateTime"),
        "isdraft": entry.get("isDraft"),
        "createddatetime": entry.get("createdDateTime"),
        "lastmodifieddatetime": entry.get("lastModifiedDateTime"),
    }
    recipients = []
    for kind, prop in _RECIPIENT_PROPERTIES:
        found = entry.get(prop)
        people = [found] if kind == "from" else (found or [])
        for position, person in enumerate(people, start=1):
            address = _address(person)
            if address:
                recipients.append([f"{key}/{kind}/{position}", key, kind, address])
    return [_text(values[column]) for column in MESSAGE_COLUMNS], recipients


def _utc(stream: Stream, value: Any, what: str) -> str | None:
    """Graph's `{"dateTime": "2026-06-10T10:00:00.0000000", "timeZone": "UTC"}` -> text.

    The request asks for UTC (`Prefer: outlook.timezone="UTC"`); another zone would be
    misread as UTC, so it fails the extract instead.
    """
    if not isinstance(value, Mapping) or not value.get("dateTime"):
        return None
    zone = str(value.get("timeZone") or "UTC")
    if zone.upper() not in ("UTC", "ETC/UTC"):
        raise GraphError(
            f"exchange extract failed: {stream.name}: an event's {what} is in time zone "
            f"{zone!r}, not UTC (the request asks for UTC with Prefer outlook.timezone; "
            "is RA_GRAPH_URL a Microsoft Graph endpoint?)",
            table="graph_event",
        )
    text = str(value["dateTime"])
    if "." in text:  # seven fractional digits: keep microseconds
        head, fraction = text.split(".", 1)
        text = f"{head}.{fraction[:6]}"
    return text + "Z"


def event_rows(
    stream: Stream, entry: Mapping[str, Any]
) -> tuple[list[str | None], list[list[str | None]]]:
    """One event -> its graph_event row and its graph_event_attendee rows.

    The organizer comes first (`attendeetype` organizer), then each attendee with its
    type (required, optional, resource) and `status.response` (e.g. declined).
    """
    key = stream.key(_required_id(stream, entry))
    values = {
        "eventkey": key,
        "mailbox": stream.mailbox,
        "folder": stream.folder,
        "id": entry["id"],
        "icaluid": entry.get("iCalUId"),
        "subject": entry.get("subject"),
        "startdatetime": _utc(stream, entry.get("start"), "start"),
        "enddatetime": _utc(stream, entry.get("end"), "end"),
        "isallday": entry.get("isAllDay"),
        "iscancelled": entry.get("isCancelled"),
        "isorganizer": entry.get("isOrganizer"),
        "type": entry.get("type"),
        "createddatetime": entry.get("createdDateTime"),
        "lastmodifieddatetime": entry.get("lastModifiedDateTime"),
    }
    attendees = []
    organizer = _address(entry.get("organizer"))
    if organizer:
        attendees.append([f"{key}/organizer/1", key, "organizer", organizer, "organizer"])
    for position, attendee in enumerate(entry.get("attendees") or [], start=1):
        address = _address(attendee)
        if address:
            kind = str(attendee.get("type") or "required").lower()
            response = (attendee.get("status") or {}).get("response")
            attendees.append([f"{key}/{kind}/{position}", key, kind, address, _text(response)])
    return [_text(values[column]) for column in EVENT_COLUMNS], attendees
