"""The raw tables of the Exchange Online source, as data (an optional contract).

They are not landing tables of KPI_SPEC section 1: only `RA_EXCHANGE=graph` writes them,
and the dbt models read them only then (var `exchange_source`; without it the staging
models of models/staging/graph are empty). Property names are Graph's, lower-cased.
Keys are built by the extract (orchestration.sources.exchange.schema):

- graph_message: one row per message per mailbox folder read (Inbox, Sent Items);
  `messagekey` = `<mailbox>/<folder>/<Graph id>`. No body is read.
- graph_message_recipient: sender and recipients of each message, `recipienttype`
  from, to, cc or bcc; `recipientkey` = `<messagekey>/<type>/<position>`.
- graph_event: one row per event (occurrence) per calendar read, within the window;
  `eventkey` = `<mailbox>/calendar/<Graph id>`. Times are UTC.
- graph_event_attendee: the organizer (`attendeetype` organizer) and the attendees
  (required, optional, resource) with their `response` (status.response).
"""

from __future__ import annotations

from orchestration.contract import BOOLEAN, TIMESTAMP, VARCHAR, TableContract

__all__ = ["GRAPH_TABLES", "GRAPH_TABLE_NAMES"]

GRAPH_TABLES: dict[str, TableContract] = {
    contract.name: contract
    for contract in [
        TableContract(
            "graph_message",
            "messagekey",
            {
                "messagekey": VARCHAR,
                "mailbox": VARCHAR,
                "folder": VARCHAR,
                "id": VARCHAR,
                "internetmessageid": VARCHAR,
                "conversationid": VARCHAR,
                "conversationindex": VARCHAR,
                "subject": VARCHAR,
                "sentdatetime": TIMESTAMP,
                "receiveddatetime": TIMESTAMP,
                "isdraft": BOOLEAN,
                "createddatetime": TIMESTAMP,
                "lastmodifieddatetime": TIMESTAMP,
            },
        ),
        TableContract(
            "graph_message_recipient",
            "recipientkey",
            {
                "recipientkey": VARCHAR,
                "messagekey": VARCHAR,
                "recipienttype": VARCHAR,
                "address": VARCHAR,
            },
        ),
        TableContract(
            "graph_event",
            "eventkey",
            {
                "eventkey": VARCHAR,
                "mailbox": VARCHAR,
                "folder": VARCHAR,
                "id": VARCHAR,
                "icaluid": VARCHAR,
                "subject": VARCHAR,
                "startdatetime": TIMESTAMP,
                "enddatetime": TIMESTAMP,
                "isallday": BOOLEAN,
                "iscancelled": BOOLEAN,
                "isorganizer": BOOLEAN,
                "type": VARCHAR,
                "createddatetime": TIMESTAMP,
                "lastmodifieddatetime": TIMESTAMP,
            },
        ),
        TableContract(
            "graph_event_attendee",
            "attendeekey",
            {
                "attendeekey": VARCHAR,
                "eventkey": VARCHAR,
                "attendeetype": VARCHAR,
                "address": VARCHAR,
                "response": VARCHAR,
            },
        ),
    ]
}

GRAPH_TABLE_NAMES: tuple[str, ...] = tuple(GRAPH_TABLES)
