"""Keep secrets out of error messages and logs, in every form a server can echo them.

A misbehaving proxy or API can put the request's credentials in its error body, and not
always as they were sent: percent-encoded (a URL or form echoed back), base64 (a `Basic`
header, or any encoded blob that contains the secret), JSON- or HTML-escaped, or cut off
by its own truncation. So `Redactor` replaces, for every known secret:

- each spelling from `secret_forms` (raw, percent-encoded by `quote` and `quote_plus`
  with upper- or lower-case hex, doubly percent-encoded, base64 standard and URL-safe at
  each of the three byte alignments, of the secret and of its form-encoded spelling as
  Basic auth sends it, JSON, HTML and Python-repr escaped);
- any fragment of such a spelling of `MIN_FRAGMENT` (8) or more characters that starts
  where the spelling starts or ends where it ends (a secret someone else truncated);

and, whatever their origin, `Bearer`/`Basic` credentials, JWTs and `access_token=`-like
fields. Text is redacted whole and cut afterwards (`Redactor.excerpt`): cutting first
would leave the head of a secret that straddles the cut unrecognised.

Pure functions, no I/O; `RedactingFilter` applies a redactor to log records of libraries
(msal logs the identity platform's answer verbatim when it is not JSON).
"""

from __future__ import annotations

import base64
import html
import json
import logging
import re
import sys
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from urllib.parse import quote, quote_plus

__all__ = [
    "MIN_FRAGMENT",
    "REDACTED",
    "RedactingFilter",
    "Redactor",
    "base64_forms",
    "redact",
    "redacting_logs",
    "secret_forms",
]

REDACTED = "***"
MIN_FRAGMENT = 8  # a run of 8+ characters of a secret's spelling counts as the secret
MIN_SECRET = 4  # shorter values are not secrets worth hiding (and would hide too much)
_EXCERPT_MARGIN = 4096  # redact this far past a cut: covers every spelling and any JWT

_PERCENT_HEX = re.compile(r"%[0-9A-F]{2}")
_URLSAFE = str.maketrans("+/", "-_")
_GENERIC = (
    (re.compile(r"(?i)\bbearer\s+[A-Za-z0-9._~+/=-]+"), "Bearer " + REDACTED),
    (re.compile(r"(?i)\bbasic\s+[A-Za-z0-9+/=_-]{8,}"), "Basic " + REDACTED),
    (re.compile(r"\beyJ[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.?[A-Za-z0-9_-]*"), REDACTED),
    (
        re.compile(
            r"(?i)\b(access_token|refresh_token|id_token|client_secret|client_assertion"
            r"|assertion|password)(=|%3D)[^&\s\"'<>]+"
        ),
        r"\1\2" + REDACTED,
    ),
    (
        re.compile(
            r"(?i)(\"(?:access_token|refresh_token|id_token|client_secret|password)\""
            r"\s*:\s*\")(?:[^\"\\]|\\.)*\""
        ),
        r"\1" + REDACTED + '"',
    ),
)


def base64_forms(data: bytes) -> set[str]:
    """Base64 spellings of `data`, standard and URL-safe, alone or inside a longer blob.

    Inside a blob the encoding of `data` depends on its byte offset modulo 3; for each
    offset only the characters made of `data`'s bits alone are kept (`ceil(8 * offset /
    6)` to `floor(8 * (offset + len) / 6)`), so `base64("client_id:" + secret)` contains
    one of them whatever the prefix. The padded encoding of `data` alone is kept too.
    """
    forms = set()
    whole = base64.b64encode(data).decode("ascii")
    forms |= {whole, whole.rstrip("=")}
    for offset in range(3):
        encoded = base64.b64encode(b"\0" * offset + data).decode("ascii")
        start = -(-8 * offset // 6)
        end = 8 * (offset + len(data)) // 6
        forms.add(encoded[start:end])
    forms |= {form.translate(_URLSAFE) for form in forms}
    return forms


def secret_forms(secret: str) -> frozenset[str]:
    """Every spelling of `secret` a message can hold (see the module docstring).

    Spellings shorter than MIN_FRAGMENT are dropped, except the secret itself: a short
    base64 core would match ordinary words.
    """
    escaped = {
        quote(secret, safe=""),
        quote(secret),  # keeps "/"
        quote_plus(secret),
        quote_plus(secret, safe="/"),
        quote(quote(secret, safe=""), safe=""),  # a URL inside a URL
        json.dumps(secret)[1:-1],
        json.dumps(secret, ensure_ascii=False)[1:-1],
        json.dumps(secret)[1:-1].replace("/", "\\/"),
        html.escape(secret),
        repr(secret)[1:-1],
    }
    escaped |= {_PERCENT_HEX.sub(lambda m: m.group(0).lower(), form) for form in escaped}
    # Basic auth (RFC 6749 2.3.1) base64-encodes the form-encoded secret.
    encoded = base64_forms(secret.encode("utf-8")) | base64_forms(quote_plus(secret).encode())
    forms = {secret} | escaped | encoded
    return frozenset(form for form in forms if form == secret or len(form) >= MIN_FRAGMENT)


def _fragment_spans(text: str, form: str) -> Iterator[tuple[int, int]]:
    """Spans of `text` holding `form`, or a head or tail of it of MIN_FRAGMENT+ characters."""
    size = len(form)
    probe = min(size, MIN_FRAGMENT)
    head, tail = form[:probe], form[-probe:]
    start = text.find(head)
    while start != -1:
        end = start + probe
        while end < len(text) and end - start < size and text[end] == form[end - start]:
            end += 1
        yield start, end
        start = text.find(head, start + 1)
    end_of_tail = text.find(tail)
    while end_of_tail != -1:
        end = end_of_tail + probe
        start = end_of_tail
        while start > 0 and end - start < size:
            if text[start - 1] != form[size - (end - start) - 1]:
                break
            start -= 1
        yield start, end
        end_of_tail = text.find(tail, end_of_tail + 1)


def redact(text: str, forms: Iterable[str]) -> str:
    """`text` with every span holding one of `forms` (or a head or tail of one) replaced."""
    spans = sorted(span for form in forms for span in _fragment_spans(text, form))
    if spans:
        parts, position = [], 0
        for start, end in spans:
            if end <= position:
                continue
            if start >= position:
                parts.append(text[position:start])
                parts.append(REDACTED)
            position = end
        parts.append(text[position:])
        text = "".join(parts)
    for pattern, replacement in _GENERIC:
        text = pattern.sub(replacement, text)
    return text


class Redactor:
    """The secrets of one extract, and the function that removes them from text.

    Tokens obtained during the run (msal's access tokens) are added as they arrive.
    """

    def __init__(self) -> None:
        self._secrets: set[str] = set()
        self._forms: frozenset[str] = frozenset()

    def add(self, secret: str | None) -> None:
        """Hide `secret` from now on; values shorter than MIN_SECRET characters are ignored."""
        if secret and len(secret) >= MIN_SECRET and secret not in self._secrets:
            self._secrets.add(secret)
            self._forms = self._forms | secret_forms(secret)

    def __call__(self, text: str) -> str:
        return redact(text, self._forms)

    def excerpt(self, text: str, limit: int) -> str:
        """At most `limit` characters of `text`, redacted before the cut ("..." marks a cut)."""
        longest = max((len(form) for form in self._forms), default=0)
        cleaned = self(text[: limit + longest + _EXCERPT_MARGIN])
        return cleaned if len(cleaned) <= limit else cleaned[:limit] + "..."

    def __repr__(self) -> str:
        return f"Redactor({len(self._secrets)} secrets)"


class RedactingFilter(logging.Filter):
    """Redacts a record's message (arguments merged in) and its formatted traceback."""

    def __init__(self, redactor: Redactor) -> None:
        super().__init__()
        self._redact = redactor

    def filter(self, record: logging.LogRecord) -> bool:
        record.msg = self._redact(record.getMessage())
        record.args = None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = self._redact(record.exc_text)
        record.exc_info = None  # a handler would format it again, unredacted
        return True


@contextmanager
def redacting_logs(redactor: Redactor, package: str) -> Iterator[None]:
    """Redact every record that `package`'s modules log (loggers named by `__name__`).

    A filter acts only on records of the logger it is attached to, not of its children,
    so it is attached to the logger of each imported module of the package.
    """
    names = {name for name in sys.modules if name == package or name.startswith(package + ".")}
    loggers = [logging.getLogger(name) for name in sorted(names)]
    log_filter = RedactingFilter(redactor)
    for logger in loggers:
        logger.addFilter(log_filter)
    try:
        yield
    finally:
        for logger in loggers:
            logger.removeFilter(log_filter)
