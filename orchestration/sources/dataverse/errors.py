"""Errors of the Dataverse source, and what of a server's error answer they may show.

Every text taken from an answer is redacted whole and only then cut (`Redactor.excerpt`),
so a secret that straddles the cut is still recognised. The body of an authentication
failure (401, 403, 407) and the description of a token endpoint's error are never shown:
they are where a misbehaving server or proxy echoes the request's credentials, and they
hold nothing an operator needs that the status, a well-formed error code and a hint about
which setting to check do not say.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from orchestration.sources.dataverse.redaction import Redactor

__all__ = [
    "AUTH_FAILURES",
    "DATAVERSE",
    "ApiFlavour",
    "DataverseError",
    "DeltaLinkExpired",
    "HttpAnswer",
    "error_detail",
    "http_error",
    "safe_code",
    "token_error_summary",
]

EXPIRED_VERSION_STAMP = "0x80044352"  # ExpiredVersionStamp: "please perform a full sync"
AUTH_FAILURES = frozenset({401, 403, 407})
MESSAGE_LIMIT = 300  # characters of a server's error message shown
BODY_LIMIT = 200  # characters of an unreadable page shown

_GUID = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")
_CODE = re.compile(r"0x[0-9A-Fa-f]{1,8}|[A-Za-z][A-Za-z0-9_.]{0,63}")
_HTTP_HINTS = {
    401: "the token was refused (expired, or issued for another organisation): check "
    "RA_DATAVERSE_TOKEN, or RA_DATAVERSE_TENANT_ID, RA_DATAVERSE_CLIENT_ID and "
    "RA_DATAVERSE_CLIENT_SECRET, and that the application user exists in the organisation",
    403: "the application user lacks a security role that can read this table: give it "
    "one with read access",
    404: "no such entity set or link (is the organisation URL right?)",
    407: "a proxy refused the request: check the proxy settings (HTTPS_PROXY)",
}
_TOKEN_HINTS = {
    "invalid_client": "check RA_DATAVERSE_CLIENT_ID and RA_DATAVERSE_CLIENT_SECRET "
    "(a wrong or expired secret)",
    "unauthorized_client": "check RA_DATAVERSE_CLIENT_ID: the application is not known in "
    "the tenant or may not use client credentials",
    "invalid_scope": "check RA_DATAVERSE_URL: the token is asked for <url>/.default",
    "invalid_resource": "check RA_DATAVERSE_URL: the tenant has no such organisation",
    "invalid_request": "check RA_DATAVERSE_TENANT_ID and RA_DATAVERSE_CLIENT_ID",
}
_TOKEN_HINT = "check RA_DATAVERSE_TENANT_ID, RA_DATAVERSE_CLIENT_ID and RA_DATAVERSE_CLIENT_SECRET"
NOT_SHOWN = "the answer's text is not shown: it can echo credentials"


class DataverseError(Exception):
    """The Web API could not be read. The message is redacted and says what to check.

    `retryable` is true when a later attempt may succeed (throttling, network, 5xx).
    """

    def __init__(
        self,
        message: str,
        *,
        table: str | None = None,
        status: int | None = None,
        code: str | None = None,
        retryable: bool = False,
    ) -> None:
        super().__init__(message)
        self.table = table
        self.status = status
        self.code = code
        self.retryable = retryable


class DeltaLinkExpired(DataverseError):
    """The stored delta link is too old (or the table's tracking was reset): resync."""


@dataclass(frozen=True)
class ApiFlavour:
    """What differs between the OData APIs read with this client (Dataverse, Microsoft
    Graph): the word errors start with, the settings hints name, the hints per HTTP status
    and the error classes raised. orchestration.sources.exchange defines Graph's."""

    label: str  # "dataverse" -> "dataverse extract failed: ..."
    variables: str  # prefix of the settings named in hints, e.g. "RA_DATAVERSE"
    http_hints: Mapping[int, str]
    error: type[DataverseError]
    expired: type[DeltaLinkExpired]


@dataclass
class HttpAnswer:
    """What is kept of an HTTP response: no request, so no Authorization header."""

    status: int
    headers: Any
    text: str


def safe_code(value: object) -> str:
    """`value` if it is shaped like an error code (`0x80072560`, `invalid_client`), else "".

    A free-text "code" could echo a credential; a code of this shape cannot hold a
    secret of the length tokens and client secrets have.
    """
    text = str(value or "").strip()
    return text if _CODE.fullmatch(text) else ""


def _code_and_message(answer: HttpAnswer) -> tuple[str, str]:
    """The OData error's code and message; for a body that is not OData JSON, the body."""
    try:
        error = json.loads(answer.text).get("error") or {}
        return str(error.get("code") or ""), str(error.get("message") or "")
    except (ValueError, AttributeError):
        return "", answer.text.strip()


def error_detail(answer: HttpAnswer, redact: Redactor) -> str:
    """` (code message)` of an error answer for a retry message, redacted, then cut."""
    code, message = _code_and_message(answer)
    if answer.status in AUTH_FAILURES:
        return f" ({safe_code(code) or 'no code'}; {NOT_SHOWN})"
    detail = " ".join(part for part in (code, message) if part)
    return f" ({redact.excerpt(detail, MESSAGE_LIMIT)})" if detail else ""


def http_error(
    answer: HttpAnswer,
    table: str,
    what: str,
    redact: Redactor,
    flavour: ApiFlavour | None = None,
) -> DataverseError:
    """The error for a 4xx/5xx answer: status, code, message (redacted, cut) and a hint.

    410, the code ExpiredVersionStamp or an "expired ... delta/version stamp" message
    make a DeltaLinkExpired. Authentication failures show the status, a well-formed
    code and the hint only.
    """
    flavour = flavour or DATAVERSE
    code, message = _code_and_message(answer)
    lowered = message.lower()
    expired = answer.status not in AUTH_FAILURES and (
        answer.status == 410
        or code.lower() == EXPIRED_VERSION_STAMP
        or ("expired" in lowered and ("version stamp" in lowered or "delta" in lowered))
    )
    hint = flavour.http_hints.get(answer.status, "")
    text = f"{flavour.label} extract failed: table '{table}': {what}: HTTP {answer.status}"
    if answer.status in AUTH_FAILURES:
        code = safe_code(code)
        text += f" {code}" if code else ""
        text += f" ({hint}; {NOT_SHOWN})"
    else:
        text += f" {redact.excerpt(code, 80)}" if code else ""
        text += f": {redact.excerpt(message, MESSAGE_LIMIT)}" if message else ""
        text += f" ({hint})" if hint else ""
    kind = flavour.expired if expired else flavour.error
    return kind(
        redact(text),
        table=table,
        status=answer.status,
        code=code or None,
        retryable=answer.status >= 500,
    )


def unreadable_page(
    answer: HttpAnswer,
    table: str,
    what: str,
    failure: str,
    redact: Redactor,
    flavour: ApiFlavour | None = None,
):
    """The error for a 2xx page that is not the JSON expected; shows its redacted start."""
    flavour = flavour or DATAVERSE
    return flavour.error(
        redact(
            f"{flavour.label} extract failed: table '{table}': {what} {failure}; "
            f"response starts: {redact.excerpt(answer.text, BODY_LIMIT)!r}"
        ),
        table=table,
        status=answer.status,
        retryable=True,
    )


def token_error_summary(result: dict[str, Any], variables: str = "RA_DATAVERSE") -> str:
    """What a token endpoint's error answer may show: codes, ids and what to check.

    `error_description` is never shown (see the module docstring). `error` (OAuth 2.0,
    RFC 6749 section 5.2), the AADSTS numbers in `error_codes` and the trace and
    correlation ids (GUIDs, for a support request) are enough to look the failure up.
    """
    error = safe_code(result.get("error")) or "no token in the answer"
    codes = [f"AADSTS{code}" for code in result.get("error_codes") or [] if isinstance(code, int)]
    ids = [
        f"{name} {result[key]}"
        for key, name in (("trace_id", "trace id"), ("correlation_id", "correlation id"))
        if isinstance(result.get(key), str) and _GUID.fullmatch(result[key])
    ]
    details = ", ".join([*codes, *ids])
    hint = _TOKEN_HINTS.get(error, _TOKEN_HINT).replace("RA_DATAVERSE", variables)
    return f"{error}{f' ({details})' if details else ''}; {hint} ({NOT_SHOWN})"


DATAVERSE = ApiFlavour("dataverse", "RA_DATAVERSE", _HTTP_HINTS, DataverseError, DeltaLinkExpired)
