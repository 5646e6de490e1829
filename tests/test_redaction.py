"""Redaction and the error texts of the Dataverse source: pure functions, values by hand."""

from __future__ import annotations

import base64
import json
import logging
from urllib.parse import quote, quote_plus

import pytest

from orchestration.sources.dataverse.errors import (
    DeltaLinkExpired,
    HttpAnswer,
    error_detail,
    http_error,
    safe_code,
    token_error_summary,
    unreadable_page,
)
from orchestration.sources.dataverse.redaction import (
    REDACTED,
    Redactor,
    base64_forms,
    redacting_logs,
    secret_forms,
)

SECRET = "s3cr3t+Key/With=Odd~chars.9"
TRACE = "0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0"


def spellings(secret: str) -> dict[str, str]:
    """How a misbehaving server echoes a secret (the cases of issue 20, section 3)."""
    return {
        "raw": secret,
        "bearer": f"Bearer {secret}",
        "quote": quote(secret, safe=""),
        "quote keeping /": quote(secret),
        "quote_plus": quote_plus(secret),
        "percent lower-case hex": quote(secret, safe="").replace("%2B", "%2b"),
        "base64": base64.b64encode(secret.encode()).decode(),
        "base64 urlsafe": base64.urlsafe_b64encode(secret.encode()).decode(),
        "basic auth": "Basic " + base64.b64encode(f"my-client:{secret}".encode()).decode(),
        "basic auth form-encoded": "Basic "
        + base64.b64encode(f"my-client:{quote_plus(secret)}".encode()).decode(),
        "json": json.dumps(secret)[1:-1].replace("/", "\\/"),
    }


def leaked(text: str, secret: str) -> list[str]:
    """Every 8-character head of the secret or of a spelling of it found in `text`."""
    heads = {secret[:8]} | {form[:8] for form in secret_forms(secret)}
    return sorted(head for head in heads if head in text)


def redactor(*secrets: str) -> Redactor:
    redact = Redactor()
    for secret in secrets:
        redact.add(secret)
    return redact


# --- spellings -------------------------------------------------------------------------


def test_base64_forms_cover_the_three_byte_alignments_by_hand() -> None:
    # "abc" alone is YWJj; after one byte (\0abc = AGFiYw==) only chars 2..4 ("FiY") are
    # made of "abc" alone; after two bytes (\0\0abc = AABhYmM=) chars 3..5 ("hYm").
    assert base64_forms(b"abc") == {"YWJj", "FiY", "hYm"}
    assert base64_forms(b"\xfb\xff") >= {"+/8=", "-_8=", "+/8", "-_8"}


def test_secret_forms_hold_each_escaping() -> None:
    forms = secret_forms(SECRET)
    assert {
        SECRET,
        "s3cr3t%2BKey%2FWith%3DOdd~chars.9",  # quote(safe="") and quote_plus
        "s3cr3t%2BKey/With%3DOdd~chars.9",  # quote() keeps "/"
        "s3cr3t%2bKey%2fWith%3dOdd~chars.9",
        "s3cr3t%252BKey%252FWith%253DOdd~chars.9",  # encoded twice
        "s3cr3t+Key\\/With=Odd~chars.9",  # JSON with "\/"
        "czNjcjN0K0tleS9XaXRoPU9kZH5jaGFycy45",  # base64
    } <= forms
    assert all(len(form) >= 8 for form in forms)


@pytest.mark.parametrize("name", list(spellings(SECRET)))
@pytest.mark.parametrize("cut", [200, 300])
def test_a_secret_across_the_cut_is_redacted_before_cutting(name: str, cut: int) -> None:
    echoed = spellings(SECRET)[name]
    text = "<html>proxy error: " + "x" * (cut - 19 - len(echoed) // 2) + echoed + " end"
    assert text.index(echoed) < cut < text.index(echoed) + len(echoed)  # straddles
    excerpt = redactor(SECRET).excerpt(text, cut)
    assert leaked(excerpt, SECRET) == []
    replacement = {"bearer": "Bearer ***", "basic auth": "Basic bXktY2xpZW50On***"}.get(
        name, "Basic bXktY2xpZW50On***" if "basic" in name else "***"
    )
    # Base64 keeps the characters that mix the secret's last bits with what follows.
    rest = excerpt.removeprefix(text[: text.index(echoed)] + replacement)
    assert rest == " end" or ("basic" in name and rest.endswith(("en...", " end"))), rest
    assert len(rest) <= len(" end") + len("Q==...")
    if "basic" not in name:  # cutting first, as before, would have shown the head
        assert leaked(text[:cut], SECRET) != []


@pytest.mark.parametrize("name", list(spellings(SECRET)))
def test_every_spelling_is_redacted_anywhere_in_a_text(name: str) -> None:
    echoed = spellings(SECRET)[name]
    result = redactor(SECRET)(f'{{"message": "you sent {echoed}", "n": 1}}')
    assert leaked(result, SECRET) == []
    assert result.startswith('{"message": "you sent ') and result.endswith('", "n": 1}')


def test_a_secret_someone_else_cut_off_is_still_redacted() -> None:
    redact = redactor(SECRET)
    assert redact(f"echo: {SECRET[:11]}") == "echo: ***"  # its head, cut by the server
    assert redact(f"{SECRET[-9:]} was sent") == "*** was sent"  # its tail
    assert redact(f"echo: {SECRET[:7]}") == f"echo: {SECRET[:7]}"  # 7 characters: too short


def test_the_secret_inside_a_longer_base64_blob_is_unreadable() -> None:
    for prefix in (b"", b"u", b"us", b"user:"):
        blob = base64.b64encode(prefix + SECRET.encode() + b":tail").decode()
        kept = redactor(SECRET)(blob)
        before = kept.split(REDACTED)[0]
        decoded = base64.b64decode(before[: len(before) // 4 * 4])
        # What is left before "***" decodes to the prefix and at most one byte of the secret.
        assert REDACTED in kept and len(decoded) <= len(prefix) + 1, (prefix, kept)


def test_tokens_of_unknown_origin_are_redacted_by_shape() -> None:
    redact = Redactor()
    jwt = "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiIxIn0.c2lnbmF0dXJl"
    assert redact(f"Authorization: Bearer {jwt}") == "Authorization: Bearer ***"
    assert redact(f"token {jwt} refused") == "token *** refused"
    assert redact("Basic dXNlcjpwYXNzd29yZA==") == "Basic ***"
    assert redact("grant_type=x&client_secret=abc%2Bdef&scope=y") == (
        "grant_type=x&client_secret=***&scope=y"
    )
    assert redact('{"access_token": "a\\"b", "expires_in": 3599}') == (
        '{"access_token": "***", "expires_in": 3599}'
    )


def test_ordinary_text_and_short_values_are_left_alone() -> None:
    redact = redactor(SECRET, "abc")  # "abc": shorter than 4, not a secret
    text = "HTTP 400 0x80060888: Resource not found for the segment 'emails' (abc)."
    assert redact(text) == text
    assert repr(redact) == "Redactor(1 secrets)"


def test_excerpt_cuts_after_redacting_and_marks_the_cut() -> None:
    redact = redactor(SECRET)
    assert redact.excerpt("a" * 10, 10) == "a" * 10
    assert redact.excerpt("a" * 11, 10) == "a" * 10 + "..."
    assert redact.excerpt("a" * 5 + SECRET, 10) == "aaaaa***"


def test_library_logs_are_redacted_with_their_arguments_and_traceback(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    logger = logging.getLogger(__name__)  # this module's logger, as a library's would be
    with redacting_logs(redactor(SECRET), __name__):
        try:
            raise ValueError(f"body was {SECRET}")
        except ValueError:
            logger.exception("Token response is not in json format: %s", quote_plus(SECRET))
    logger.warning("after: %s", "plain")
    assert leaked(caplog.text, SECRET) == []
    assert "Token response is not in json format: ***" in caplog.text
    assert "ValueError: body was ***" in caplog.text
    assert caplog.records[-1].getMessage() == "after: plain"  # the filter is gone again


# --- error texts -----------------------------------------------------------------------


def test_safe_code_keeps_codes_and_drops_free_text() -> None:
    assert safe_code("0x80072560") == "0x80072560"
    assert safe_code(" invalid_client ") == "invalid_client"
    assert safe_code(f"Bearer {SECRET}") == ""
    assert safe_code(None) == ""


def test_token_errors_show_codes_ids_and_what_to_check_never_the_description() -> None:
    answer = {
        "error": "invalid_client",
        "error_description": f"AADSTS7000215: Invalid client secret provided: {SECRET}",
        "error_codes": [7000215],
        "trace_id": TRACE,
        "correlation_id": "not-a-guid " + SECRET,
    }
    assert token_error_summary(answer) == (
        f"invalid_client (AADSTS7000215, trace id {TRACE}); check RA_DATAVERSE_CLIENT_ID and "
        "RA_DATAVERSE_CLIENT_SECRET (a wrong or expired secret) (the answer's text is not "
        "shown: it can echo credentials)"
    )
    assert token_error_summary({"error": SECRET}).startswith("no token in the answer; check ")


@pytest.mark.parametrize("status", [401, 403, 407])
def test_auth_failures_never_show_the_body(status: int) -> None:
    body = json.dumps({"error": {"code": "0x80072560", "message": f"you sent x{SECRET}"}})
    error = http_error(HttpAnswer(status, {}, body), "email", "page 1", redactor())
    assert str(error).startswith(f"dataverse extract failed: table 'email': page 1: HTTP {status} ")
    assert "0x80072560" in str(error) and "not shown" in str(error)
    assert "you sent" not in str(error) and leaked(str(error), SECRET) == []
    assert (error.status, error.code, error.retryable) == (status, "0x80072560", False)
    detail = error_detail(HttpAnswer(status, {}, f"<p>{SECRET}</p>"), redactor())
    assert detail == " (no code; the answer's text is not shown: it can echo credentials)"


def test_other_errors_show_their_message_redacted_then_cut() -> None:
    message = "y" * 290 + quote(SECRET, safe="") + " tail" + "z" * 20
    body = json.dumps({"error": {"code": "0x0", "message": message}})
    error = http_error(HttpAnswer(400, {}, body), "email", "page 1", redactor(SECRET))
    assert str(error) == (
        f"dataverse extract failed: table 'email': page 1: HTTP 400 0x0: {'y' * 290}*** tailzz..."
    )
    expired = http_error(
        HttpAnswer(410, {}, json.dumps({"error": {"code": "0x80044352", "message": "gone"}})),
        "email",
        "page 1",
        redactor(),
    )
    assert isinstance(expired, DeltaLinkExpired)
    page = unreadable_page(HttpAnswer(200, {}, "z" * 195 + SECRET), "lead", "page 2", "is not "
                           "valid JSON", redactor(SECRET))  # fmt: skip
    assert str(page).endswith(f"response starts: '{'z' * 195}***'")
