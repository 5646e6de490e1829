"""A small Exchange scenario on top of the hand-written CRM fixture (tests/fixtures/handmade).

Sellers una (u1), ugo (u2) and uma (u3) @ourco.example; customer contact Cora (c3,
cora@beta.example, account a2), who has no CRM mail. Mail and meetings in June 2026, as
of 2026-06-30 00:00 UTC (docs/kpi_definitions.md, "Exchange Online"):

- X1 cora -> una, cc ugo, 06-10 09:00, thread root R1; in una's and ugo's Inbox (once).
- X2 una -> cora, 06-10 12:00, index R1 + 5 bytes: answers X1 after 3 hours.
- X3 ugo -> cora, 06-12 08:00, root R2; in ugo's Sent Items.
- X4 cora -> ugo, 06-13 10:00, index R2 + 5 bytes: answers X3 after 26 hours.
- X5 una -> cora, a draft (never counts).
- X6 una -> cleo, the CRM's tracked email e1 (message id <e1@ourco>): the CRM row wins.
- X7 support@ourco.example (no systemuser, a company domain: team side) -> cora, cc una,
  06-15 10:00, root R3; in una's Inbox.
- M1 una organizes, ugo required (accepted), uma optional (declined), cora required,
  06-20 14:00-15:00, in all three calendars (once; uma is no attendee).
- M2 canceled meeting with cora, 06-22 (never counts).
- M3 cora organizes, una required, 07-05 10:00-10:30: future.
"""

from __future__ import annotations

import base64
from typing import Any

from tests.graph_server import FakeGraph, address

UNA, UGO, UMA = "una@ourco.example", "ugo@ourco.example", "uma@ourco.example"
CORA, CLEO, SUPPORT = "cora@beta.example", "cleo@acme.example", "support@ourco.example"
_ROOT = bytes.fromhex("01DAB36F12407C1E9A4B2F3D4E5FA0B1C2D3E4F50617")
_CHILD = bytes.fromhex("0002193A11")


def index(root: int, replies: int = 0) -> str:
    """Base64 conversation index: root `root` (1, 2, 3 differ in byte 4), `replies` deep."""
    data = _ROOT[:3] + bytes([_ROOT[3] + root]) + _ROOT[4:]
    return base64.b64encode(data + _CHILD * replies).decode()


def message(
    graph_id: str,
    message_id: str | None,
    sender: str,
    to: list[str],
    sent: str | None,
    *,
    cc: list[str] = (),
    conversation_index: str | None = None,
    draft: bool = False,
    subject: str = "Pilot",
) -> dict[str, Any]:
    return {
        "id": graph_id,
        "internetMessageId": message_id,
        "conversationId": "conv",
        "conversationIndex": conversation_index,
        "subject": subject,
        "from": address(sender),
        "toRecipients": [address(person) for person in to],
        "ccRecipients": [address(person) for person in cc],
        "bccRecipients": [],
        "sentDateTime": sent,
        "receivedDateTime": sent or "2026-06-16T00:00:00Z",
        "isDraft": draft,
        "createdDateTime": sent or "2026-06-16T00:00:00Z",
        "lastModifiedDateTime": sent or "2026-06-16T00:00:00Z",
        "body": {"contentType": "text", "content": "never read"},
    }


def event(
    graph_id: str,
    ical_uid: str,
    organizer: str,
    attendees: list[tuple[str, str, str]],
    start: str,
    end: str,
    *,
    cancelled: bool = False,
    is_organizer: bool = False,
) -> dict[str, Any]:
    return {
        "id": graph_id,
        "iCalUId": ical_uid,
        "subject": "Pilot meeting",
        "start": start,
        "end": end,
        "isAllDay": False,
        "isCancelled": cancelled,
        "isOrganizer": is_organizer,
        "type": "singleInstance",
        "organizer": address(organizer),
        "attendees": [
            {**address(person), "type": kind, "status": {"response": response, "time": start}}
            for person, kind, response in attendees
        ],
        "createdDateTime": "2026-06-01T00:00:00Z",
        "lastModifiedDateTime": "2026-06-01T00:00:00Z",
    }


def load_scenario(graph: FakeGraph) -> None:
    x1 = message("x1-una", "<x1@beta>", CORA, [UNA], "2026-06-10T09:00:00Z", cc=[UGO],
                 conversation_index=index(1))  # fmt: skip
    graph.put(UNA, "inbox", x1)
    graph.put(UGO, "inbox", {**x1, "id": "x1-ugo"})
    graph.put(UNA, "sentitems", message("x2", "<x2@ourco>", UNA, [CORA], "2026-06-10T12:00:00Z",
                                        conversation_index=index(1, replies=1)))  # fmt: skip
    graph.put(UGO, "sentitems", message("x3", "<x3@ourco>", UGO, [CORA], "2026-06-12T08:00:00Z",
                                        conversation_index=index(2)))  # fmt: skip
    graph.put(UGO, "inbox", message("x4", "<x4@beta>", CORA, [UGO], "2026-06-13T10:00:00Z",
                                    conversation_index=index(2, replies=1)))  # fmt: skip
    graph.put(UNA, "sentitems", message("x5", None, UNA, [CORA], None, draft=True))
    graph.put(UNA, "sentitems", message("x6", "<e1@ourco>", UNA, [CLEO], "2026-06-01T10:00:00Z",
                                        conversation_index="AAAA"))  # fmt: skip
    graph.put(UNA, "inbox", message("x7", "<x7@ourco>", SUPPORT, [CORA], "2026-06-15T10:00:00Z",
                                    cc=[UNA], conversation_index=index(3)))  # fmt: skip
    m1_attendees = [(UGO, "required", "accepted"), (UMA, "optional", "declined"),
                    (CORA, "required", "accepted")]  # fmt: skip
    for mailbox, graph_id in ((UNA, "m1-una"), (UGO, "m1-ugo"), (UMA, "m1-uma")):
        graph.put(mailbox, "calendar", event(graph_id, "ICAL-M1", UNA, m1_attendees,
                                             "2026-06-20T14:00:00", "2026-06-20T15:00:00",
                                             is_organizer=mailbox == UNA))  # fmt: skip
    graph.put(UNA, "calendar", event("m2", "ICAL-M2", UNA, [(CORA, "required", "none")],
                                     "2026-06-22T14:00:00", "2026-06-22T15:00:00",
                                     cancelled=True, is_organizer=True))  # fmt: skip
    graph.put(UNA, "calendar", event("m3", "ICAL-M3", CORA, [(UNA, "required", "accepted")],
                                     "2026-07-05T10:00:00", "2026-07-05T10:30:00"))  # fmt: skip
