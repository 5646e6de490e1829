"""Exchange Online through Microsoft Graph: the team's mail and meetings (RA_EXCHANGE=graph).

A second activity source next to any RA_SOURCE. One module per concern:

- `client`: the Graph client (the Dataverse client's retries, paging and redaction with
  Graph's endpoint, preferences and error texts), tokens via msal or RA_GRAPH_TOKEN.
- `contract`: the four raw tables (graph_message, graph_message_recipient, graph_event,
  graph_event_attendee).
- `schema`: streams (Inbox, Sent Items, calendar per mailbox), their delta queries and
  window, Graph entities as raw rows.
- `merge`: the SQL that applies a run's reads (full or delta per stream) to raw.
- `extract`: `extract_exchange`, mailboxes from raw.systemuser, one round per stream.
"""

from orchestration.sources.exchange.client import (
    GRAPH,
    GraphClient,
    GraphDeltaExpired,
    GraphError,
    graph_root,
)
from orchestration.sources.exchange.contract import GRAPH_TABLE_NAMES, GRAPH_TABLES
from orchestration.sources.exchange.extract import (
    MODE_EXPIRED,
    MODE_FULL,
    MODE_INCREMENTAL,
    ExchangeExtract,
    active_mailboxes,
    extract_exchange,
)
from orchestration.sources.exchange.schema import Stream, Window, streams_for

__all__ = [
    "GRAPH",
    "GRAPH_TABLES",
    "GRAPH_TABLE_NAMES",
    "MODE_EXPIRED",
    "MODE_FULL",
    "MODE_INCREMENTAL",
    "ExchangeExtract",
    "GraphClient",
    "GraphDeltaExpired",
    "GraphError",
    "Stream",
    "Window",
    "active_mailboxes",
    "extract_exchange",
    "graph_root",
    "streams_for",
]
