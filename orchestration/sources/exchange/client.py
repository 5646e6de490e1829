"""The Microsoft Graph client: the Dataverse client's retry loop, paging and redaction,
with Graph's endpoint, preferences, error texts and settings.

What is shared (orchestration.sources.dataverse.client): one GET with retries on 429 and
502/503/504 after `Retry-After` (bounded by `max_retry_wait`, at most `max_retries`
times), paging through `@odata.nextLink`, links confined to the endpoint (the bearer
token is only sent to Graph), every text from the network redacted before it is cut.
What differs: the endpoint (`RA_GRAPH_URL`, default https://graph.microsoft.com/v1.0),
the `Prefer` header (`odata.maxpagesize` and `outlook.timezone="UTC"`, so event times
arrive in UTC), the token's scope (`https://graph.microsoft.com/.default`) and the words
of errors ("exchange extract failed: ...", hints naming RA_GRAPH_*).
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from orchestration.sources.dataverse.client import _LOCAL_HOSTS, DataverseClient
from orchestration.sources.dataverse.errors import ApiFlavour, DataverseError, DeltaLinkExpired
from orchestration.sources.dataverse.redaction import Redactor
from orchestration.sources.dataverse.tokens import MsalToken, StaticToken, TokenProvider

__all__ = [
    "DEFAULT_PAGE_SIZE",
    "GRAPH",
    "GraphClient",
    "GraphDeltaExpired",
    "GraphError",
    "graph_root",
]

DEFAULT_PAGE_SIZE = 200  # messages per page; Graph may send fewer
GRAPH_RESOURCE = "https://graph.microsoft.com"


class GraphError(DataverseError):
    """Microsoft Graph could not be read. The message is redacted and says what to check."""


class GraphDeltaExpired(GraphError, DeltaLinkExpired):
    """A stored delta link is no longer valid (HTTP 410 Gone): that folder is read again."""


_HTTP_HINTS = {
    401: "the token was refused (expired, or issued for another tenant): check "
    "RA_GRAPH_TOKEN, or RA_GRAPH_TENANT_ID, RA_GRAPH_CLIENT_ID and RA_GRAPH_CLIENT_SECRET",
    403: "the app lacks Mail.ReadBasic.All or Calendars.ReadBasic.All (with admin consent), "
    "or an application access policy does not include this mailbox",
    404: "no such mailbox or folder (is the address in RA_EXCHANGE_MAILBOXES or the "
    "systemuser's internalemailaddress an Exchange Online mailbox?)",
    407: "a proxy refused the request: check the proxy settings (HTTPS_PROXY)",
}

GRAPH = ApiFlavour("exchange", "RA_GRAPH", _HTTP_HINTS, GraphError, GraphDeltaExpired)


def graph_root(url: str) -> str:
    """`https://graph.microsoft.com/v1.0/` -> `https://graph.microsoft.com/v1.0`.

    Plain http is refused except on this machine: a bearer token must not travel
    unencrypted. Raises GraphError naming RA_GRAPH_URL.
    """
    parts = urlsplit(url.strip())
    if parts.scheme not in ("https", "http") or not parts.hostname:
        raise GraphError(
            f"exchange extract failed: RA_GRAPH_URL={url!r} is not an http(s) URL "
            "like https://graph.microsoft.com/v1.0"
        )
    if parts.scheme == "http" and parts.hostname not in _LOCAL_HOSTS:
        raise GraphError(
            f"exchange extract failed: RA_GRAPH_URL={url!r} must use https "
            "(plain http is only accepted for localhost)"
        )
    return f"{parts.scheme}://{parts.netloc}{parts.path.rstrip('/')}"


class GraphClient(DataverseClient):
    """GET with retries, paging and redaction against Microsoft Graph; one per extract."""

    flavour = GRAPH

    @staticmethod
    def _root(url: str) -> str:
        return graph_root(url)

    def _prefer(self, track_changes: bool) -> str:
        # Delta queries need no preference to track changes; the link is the state.
        return f'odata.maxpagesize={self.page_size},outlook.timezone="UTC"'

    def __repr__(self) -> str:
        return f"GraphClient({self.service_root!r})"

    @classmethod
    def from_settings(cls, settings: Any, **options: Any) -> GraphClient:
        """RA_GRAPH_TOKEN if set, else msal client credentials for Graph's `.default` scope.

        The tenant, client id and secret fall back to the Dataverse ones (one app
        registration may hold both permissions; orchestration/settings.py).
        """
        redactor = Redactor()
        redactor.add(settings.graph_client_secret)
        redactor.add(settings.graph_token)
        root = graph_root(settings.graph_url)
        if settings.graph_token:
            tokens: TokenProvider = StaticToken(settings.graph_token, redactor)
        else:
            needed = {
                "RA_GRAPH_TENANT_ID": settings.graph_tenant_id,
                "RA_GRAPH_CLIENT_ID": settings.graph_client_id,
                "RA_GRAPH_CLIENT_SECRET": settings.graph_client_secret,
            }
            missing = [name for name, value in needed.items() if not value]
            if missing:
                raise GraphError(
                    "exchange extract failed: RA_EXCHANGE=graph needs RA_GRAPH_TOKEN, or all "
                    f"of {', '.join(needed)} (or their RA_DATAVERSE_* counterparts); "
                    f"missing: {', '.join(missing)}"
                )
            tokens = MsalToken(
                settings.graph_tenant_id,
                settings.graph_client_id,
                settings.graph_client_secret,
                GRAPH_RESOURCE,
                redactor,
                flavour=GRAPH,
            )
        options.setdefault("page_size", DEFAULT_PAGE_SIZE)
        return cls(root, tokens, redactor, **options)
