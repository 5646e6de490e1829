"""Bearer tokens for the Web API: one handed in, or OAuth client credentials with msal.

Every token and the client secret are added to the run's `Redactor` as soon as they are
known, so no message or log line can quote them.
"""

from __future__ import annotations

from typing import Any, Protocol

import requests

from orchestration.sources.dataverse.errors import DATAVERSE, ApiFlavour, token_error_summary
from orchestration.sources.dataverse.redaction import Redactor, redacting_logs


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
        flavour: ApiFlavour = DATAVERSE,
    ) -> None:
        self._flavour = flavour
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
                    f"not shown); check {self._flavour.variables}_TENANT_ID and that "
                    f"{self._authority} is reachable"
                )
        if failure is None and "access_token" in result:
            self._redactor.add(result["access_token"])
            return result["access_token"]
        if failure is None:
            failure = token_error_summary(result, self._flavour.variables)
        # Raised outside the `except` blocks: no chained exception carries the request.
        raise self._flavour.error(
            self._redactor(
                f"{self._flavour.label} extract failed: could not get a token for "
                f"{self._scope} from {self._authority} with client id {self._client_id}: {failure}"
            )
        )

    def __repr__(self) -> str:
        return f"MsalToken(tenant={self._tenant_id!r}, client_id={self._client_id!r})"
