"""Email sentiment: the scorer (language, sign) and raw.email_sentiment's incremental update."""

from __future__ import annotations

from datetime import datetime

import dagster as dg
import duckdb
import pytest

from orchestration.defs.resources import run_settings_resource
from orchestration.defs.sentiment import email_sentiment_asset
from orchestration.sentiment import scorer
from orchestration.sentiment.scorer import Score, score_text, strip_html
from orchestration.sentiment.table import update_email_sentiment


@pytest.mark.parametrize(
    ("subject", "language", "sign"),
    [
        ("Thank you, great meeting, very happy with the proposal", "en", 1),
        ("This is terrible, we are very disappointed with the delays", "en", -1),
        ("Tack för ett bra möte, mycket nöjda", "sv", 1),
        ("Tyvärr är vi missnöjda, dålig service", "sv", -1),
    ],
)
def test_english_and_swedish_subjects_score_with_the_expected_sign(subject, language, sign):
    score = score_text(subject)
    assert score is not None
    assert score.language == language
    assert (score.compound > 0.5) if sign > 0 else (score.compound < -0.5)


def test_text_without_letters_is_absent_not_neutral():
    assert score_text("12345") is None
    assert score_text("<p>&nbsp;</p>") is None
    assert score_text(None, None) is None


def test_other_languages_get_the_closer_lexicon_and_mostly_no_sentiment():
    # The detector chooses between English and Swedish only (docs/kpi_definitions.md 6):
    # Italian falls to English, whose lexicon has none of its words.
    assert score_text("Grazie mille per la riunione di ieri, a presto") == Score("en", 0.0)


def test_each_distinct_text_is_scored_once_and_answers_keep_their_order(monkeypatch):
    calls: list[str] = []

    def counting(text: str) -> Score | None:
        calls.append(text)
        return real(text)

    real = scorer.score_one
    monkeypatch.setattr(scorer, "score_one", counting)
    emails = [("Great, thanks", None), ("Tyvärr", None), ("Great, thanks", None), (None, None)]
    scores = scorer.score_texts(emails)
    assert calls == ["Great, thanks", "Tyvärr", ""]
    assert scores[0] == scores[2] == score_text("Great, thanks")
    assert scores[1] is not None and scores[1].language == "sv"
    assert scores[3] is None


def test_html_body_is_stripped_and_scored_with_the_subject():
    assert strip_html("<p>Thanks, <b>excellent</b>&nbsp;work!</p>") == "Thanks, excellent work!"
    plain = score_text("Thanks, excellent work!")
    with_body = score_text("Re: delivery", "<p>Thanks, <b>excellent</b> work!</p>")
    assert with_body is not None and plain is not None
    assert with_body.compound == plain.compound  # "Re: delivery" carries no sentiment


def test_scoring_is_deterministic():
    subject = "Bra jobbat, tack så mycket"
    assert {score_text(subject) for _ in range(5)} == {score_text(subject)}


def _warehouse(rows, description=False):
    connection = duckdb.connect()
    connection.execute("create schema raw")
    extra = ", description varchar" if description else ""
    connection.execute(
        "create table raw.email (activityid varchar, directioncode boolean,"
        f" subject varchar, modifiedon timestamp{extra})"
    )
    for row in rows:
        connection.execute(f"insert into raw.email values ({', '.join('?' * len(row))})", row)
    return connection


DAY1 = datetime(2026, 6, 1, 9, 0)
DAY2 = datetime(2026, 6, 2, 9, 0)


def test_incremental_run_scores_only_new_and_changed_emails_and_drops_deleted():
    connection = _warehouse(
        [
            ("a", False, "Great news, thank you!", DAY1),
            ("b", None, "Tyvärr är vi missnöjda", DAY1),
            ("c", True, "Great offer from the team", DAY1),  # outgoing: not a candidate
            ("d", False, "#4711 - 2026-06-01", DAY1),  # no letters: a row, no score
        ]
    )
    first = update_email_sentiment(connection)
    assert (first.candidates, first.scored, first.dropped, first.rows) == (3, 3, 0, 3)
    rows = connection.execute(
        "select activityid, language, compound > 0 from raw.email_sentiment order by 1"
    ).fetchall()
    assert rows == [("a", "en", True), ("b", "sv", False), ("d", None, None)]

    again = update_email_sentiment(connection)
    assert (again.scored, again.dropped, again.rows) == (0, 0, 3)

    connection.execute("delete from raw.email where activityid = 'a'")
    connection.execute(
        "update raw.email set subject = 'Mycket bra, tack', modifiedon = ? where activityid = 'b'",
        [DAY2],
    )
    connection.execute(
        "insert into raw.email values ('e', false, 'This is awful, we are very disappointed', ?)",
        [DAY2],
    )
    third = update_email_sentiment(connection)
    assert (third.candidates, third.scored, third.dropped, third.rows) == (3, 2, 2, 3)
    rows = connection.execute(
        "select activityid, modifiedon, compound > 0 from raw.email_sentiment order by 1"
    ).fetchall()
    assert rows == [("b", DAY2, True), ("d", DAY1, None), ("e", DAY2, False)]


def test_description_column_is_read_when_present():
    connection = _warehouse(
        [("a", False, "Re: delivery", DAY1, "<div>We are <i>very unhappy</i> with it</div>")],
        description=True,
    )
    update_email_sentiment(connection)
    [(compound,)] = connection.execute("select compound from raw.email_sentiment").fetchall()
    assert compound < -0.3


def test_missing_email_table_names_the_table_and_the_fix():
    connection = duckdb.connect()
    with pytest.raises(LookupError, match=r"raw\.email .*run the extract"):
        update_email_sentiment(connection)


def test_the_step_mirrors_its_table_as_parquet_for_spark(tmp_path, monkeypatch):
    # With RA_RAW_PARQUET_DIR set, Spark reads raw.email_sentiment from this folder
    # (macros/register_raw_parquet_tables.sql), like every extracted table.
    warehouse = tmp_path / "warehouse.duckdb"
    with duckdb.connect(str(warehouse)) as connection:
        connection.execute("create schema raw")
        connection.execute(
            "create table raw.email as select * from (values"
            " ('a', false, 'Great news, thank you!', timestamp '2026-06-01 09:00'),"
            " ('b', true, 'Our offer', timestamp '2026-06-01 09:00'))"
            " as email(activityid, directioncode, subject, modifiedon)"
        )
    monkeypatch.setenv("RA_WAREHOUSE", str(warehouse))
    monkeypatch.setenv("RA_RAW_PARQUET_DIR", str(tmp_path / "raw_parquet"))
    result = dg.materialize(
        [email_sentiment_asset], resources={"run_settings": run_settings_resource}
    )
    assert result.success
    [event] = result.asset_materializations_for_node("raw__email_sentiment")
    path = tmp_path / "raw_parquet" / "email_sentiment" / "data.parquet"
    assert event.metadata["raw_parquet_path"].value == str(path)
    assert event.metadata["raw_parquet_rows"].value == 1
    rows = duckdb.sql(f"select activityid, language from read_parquet('{path}')").fetchall()
    assert rows == [("a", "en")]


def test_worker_processes_give_the_scores_of_one_process(monkeypatch):
    # Many distinct texts are scored in spawned workers, a few per task (here 2 workers,
    # 2 texts per task, 4 tasks); each score depends on its text alone, so they agree.
    monkeypatch.setattr(scorer, "PARALLEL_MIN_TEXTS", 1)
    monkeypatch.setattr(scorer, "TEXTS_PER_TASK", 2)
    emails = [
        ("Great meeting, thanks!", None),
        ("Tyvärr kan vi inte", None),
        ("Re: invoice overdue, very disappointed", None),
        ("Great meeting, thanks!", None),
        (None, "<p>Excellent <b>work</b></p>"),
        ("1234", None),
        ("Bra jobbat, tack så mycket", None),
        ("Cancelled", None),
    ]
    in_workers = scorer.score_texts(emails, workers=2)
    assert in_workers == scorer.score_texts(emails, workers=1)
    assert in_workers[0] == in_workers[3] == score_text("Great meeting, thanks!")
    assert in_workers[5] is None
    assert in_workers[1] is not None and in_workers[1].language == "sv"
