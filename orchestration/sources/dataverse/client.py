"""The Web API client: one GET with retries, paging through `@odata.nextLink`, redaction.

Throttling (429, and 502/503/504) and network failures are retried after `Retry-After`
seconds (a number or an HTTP date), or with exponential backoff (1, 2, 4, ... s, at most
60 s) when the header is absent, each wait bounded by `max_retry_wait` (300 s: service
protection windows are 5 minutes long), at most `max_retries` times; then the extract
fails with `DataverseError(retryable=True)` and raw is untouched.

Why not urllib3's `Retry` behind requests' `HTTPAdapter` (which does honour and, since
urllib3 2.x, bound `Retry-After`): the retries would happen inside the adapter, unseen.
The run log would lose the per-attempt warning ("retry 2 of 5 in 1 s" with the redacted
reason, which the Dagster UI shows while a table waits out a throttling window), the
extract's `requests` metadata would stop counting retries, every retry would resend the
same Authorization header instead of asking the token provider again (msal renews a token
near expiry; a throttled read can wait 25 minutes), `Retry-After` would be ignored on
502/504, and the first retry without the header would not wait at all (urllib3 waits 0 s
after the first error). tests/test_dataverse_source.py checks the first two. The loop is
`get_json` below (about 40 lines).

Secrets: every text from the network passes through the `Redactor` whole, before it is
cut; errors are raised outside `except` blocks (a chained `requests` exception carries the
request and its Authorization header); links to another host or path are refused, so the
bearer token is only ever sent to the organisation.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable, Iterator
from email.utils import parsedate_to_datetime
from typing import Any
from urllib.parse import urlsplit

import requests

from orchestration.sources.dataverse.errors import (
    DATAVERSE,
    ApiFlavour,
    DataverseError,
    HttpAnswer,
    error_detail,
    http_error,
    unreadable_page,
)
from orchestration.sources.dataverse.redaction import Redactor
from orchestration.sources.dataverse.schema import LOOKUP_ANNOTATION
from orchestration.sources.dataverse.tokens import MsalToken, StaticToken, TokenProvider

API_VERSION = "v9.2"
DEFAULT_PAGE_SIZE = 5000  # the largest page Dataverse serves
DEFAULT_MAX_RETRIES = 5
MAX_RETRY_WAIT_SECONDS = 300.0  # service protection windows are 5 minutes long
RETRY_STATUSES = frozenset({429, 502, 503, 504})
_LOCAL_HOSTS = frozenset({"localhost", "127.0.0.1", "::1"})


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
    """GET with retries, paging and redaction; one per extract step.

    `flavour` and `_root`/`_prefer` are what the Microsoft Graph client
    (orchestration.sources.exchange.client) overrides; the retry loop and paging are shared.
    """

    flavour: ApiFlavour = DATAVERSE

    @staticmethod
    def _root(url: str) -> str:
        return service_root(url)

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
        self.service_root = self._root(url)
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
            raise self.flavour.error(
                f"{self.flavour.label} extract failed: refused to follow a link outside "
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
                raise self.flavour.error(
                    self.redact(
                        f"{self.flavour.label} extract failed: table '{table}': {what}: "
                        f"gave up after {attempt} attempt{'s' if attempt > 1 else ''}: {failure}"
                    ),
                    table=table,
                    status=response.status if response is not None else None,
                    retryable=True,
                )
            wait = self._retry_wait(response, attempt)
            self._log.warning(
                f"{self.flavour.label} {table}: {what}: {failure}; retry {attempt} of "
                f"{self.max_retries} in {wait:g} s"
            )
            self._sleep(wait)

        if response.status >= 400:
            raise http_error(response, table, what, self.redact, self.flavour)
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
            raise unreadable_page(response, table, what, failure, self.redact, self.flavour)
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
                raise self.flavour.error(
                    f"{self.flavour.label} extract failed: table '{table}': {what}: "
                    "the server sent the same next link twice",
                    table=table,
                )
            seen.add(url)
            number += 1
            payload = self.get_json(
                url, prefer=prefer, what=f"page {number} of {what}", table=table
            )
            yield number, payload
            url = payload.get("@odata.nextLink") or ""
