"""Score emails' text: English or Swedish per email, then VADER's compound in [-1, 1].

Language: py3langid (BSD-3-Clause; a naive Bayes model over byte n-grams that ships in the
wheel, offline) restricted to English and Swedish, the two languages with a lexicon. It
chooses the closer of the two for every text with letters: text in a third language is
scored with that lexicon, whose words it mostly lacks (a compound near 0). An open
detector was measured on the benchmark's subjects and sent 17% of short English subjects
to other languages (docs/kpi_definitions.md section 6).

English uses the `vaderSentiment` package's lexicon (MIT); Swedish the Swedish VADER
lexicon vendored in lexicons/vader_lexicon_sv.txt (MIT, see lexicons/NOTICE.md) with the
same rules (VADER's negation and booster words stay English). Text without letters is not
scored (None): absent, never a fake neutral 0.

Deterministic: the detector is a fixed model with no sampling (ties go to the first
language), and VADER is rule-based. `score_texts` scores each distinct text once, which is
what makes a run cost seconds: subjects repeat ("Re: ..." threads, templates). Many distinct
texts (a full refresh) are scored in worker processes, one per core: VADER and the detector
are pure Python, one core each.
"""

from __future__ import annotations

import multiprocessing
import os
import re
from collections.abc import Iterable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from functools import cache
from html.parser import HTMLParser
from pathlib import Path

from py3langid.langid import MODEL_FILE, LanguageIdentifier
from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

SWEDISH_LEXICON = Path(__file__).parent / "lexicons" / "vader_lexicon_sv.txt"

# Fewer distinct texts than this are scored in this process: a worker takes about a second
# to start (it imports VADER and loads the language model). Measured 2026-11-30 on 2 cores:
# the 1M benchmark's 100k distinct texts take 3.8 s in one process (workers would not pay);
# the 10M benchmark's 2.6M candidate emails 36.1 s in one process, 23.3 s in two workers.
PARALLEL_MIN_TEXTS = 200_000
# Texts per task sent to a worker: large enough that pickling is a small share of the time.
TEXTS_PER_TASK = 5_000

# ISO 639-1 codes scored, and the lexicon file each uses (None: the package's English one).
LEXICONS: dict[str, Path | None] = {"en": None, "sv": SWEDISH_LEXICON}


@dataclass(frozen=True)
class Score:
    """language: ISO 639-1 code ('en', 'sv'); compound: VADER's normalised sum, -1..1."""

    language: str
    compound: float


class _TextOnly(HTMLParser):
    """Collects the text of an HTML fragment (tags dropped, entities decoded)."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []

    def handle_data(self, data: str) -> None:
        self.parts.append(data)


def strip_html(text: str) -> str:
    """The text of an HTML (or plain) string, whitespace collapsed; stdlib html.parser.

    Plain text (no `<` or `&`) skips the parser: most subjects are plain.
    """
    if "<" in text or "&" in text:
        parser = _TextOnly()
        parser.feed(text)
        parser.close()
        text = " ".join(parser.parts)
    return re.sub(r"\s+", " ", text).strip()


@cache
def _identifier() -> LanguageIdentifier:
    """py3langid's model (loaded once per process, ~0.3 s), restricted to LEXICONS."""
    identifier = LanguageIdentifier.from_model_file(MODEL_FILE)
    identifier.set_languages(sorted(LEXICONS))
    return identifier


@cache
def _analyzer(language: str) -> SentimentIntensityAnalyzer:
    lexicon = LEXICONS[language]
    if lexicon is None:
        return SentimentIntensityAnalyzer()
    # VADER joins lexicon_file onto its own folder; an absolute path wins in os.path.join.
    return SentimentIntensityAnalyzer(lexicon_file=str(lexicon))


def detect_language(text: str) -> str | None:
    """'en' or 'sv', whichever the text is closer to; None when it has no letters."""
    if not any(character.isalpha() for character in text):
        return None
    language, _ = _identifier().classify(text)
    return language


def email_text(subject: str | None, description: str | None = None) -> str:
    """What is scored: the subject and the HTML-stripped body, joined by '. '."""
    parts = [strip_html(part) for part in (subject, description) if part]
    return ". ".join(part for part in parts if part)


def score_one(text: str) -> Score | None:
    """The language and compound of one text (as `email_text` makes it); None: no letters."""
    language = detect_language(text)
    if language is None:
        return None
    compound = _analyzer(language).polarity_scores(text)["compound"]
    return Score(language=language, compound=float(compound))


def score_text(subject: str | None, description: str | None = None) -> Score | None:
    """The email's language and compound, from the subject and the HTML-stripped body."""
    return score_one(email_text(subject, description))


def score_texts(
    emails: Iterable[tuple[str | None, str | None]], workers: int | None = None
) -> list[Score | None]:
    """`score_text` for each (subject, description), in order; each distinct text once.

    `workers`: processes to score in when there are at least PARALLEL_MIN_TEXTS distinct
    texts (default: the cores this process may use); 1 scores everything here. The scores
    are the same either way (each text's score depends on that text alone).
    """
    texts = [email_text(subject, description) for subject, description in emails]
    distinct = list(dict.fromkeys(texts))
    scores = dict(zip(distinct, _score_distinct(distinct, workers), strict=True))
    return [scores[text] for text in texts]


def _score_distinct(texts: list[str], workers: int | None) -> list[Score | None]:
    workers = workers or len(os.sched_getaffinity(0))
    if workers < 2 or len(texts) < PARALLEL_MIN_TEXTS:
        return _score_many(texts)
    tasks = [
        texts[start : start + TEXTS_PER_TASK] for start in range(0, len(texts), TEXTS_PER_TASK)
    ]
    # spawn, not fork: the calling process runs DuckDB's and Dagster's threads, and a forked
    # child of a multi-threaded process can inherit a lock held by a thread it lacks.
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(max_workers=workers, mp_context=context) as pool:
        return [score for scores in pool.map(_score_many, tasks) for score in scores]


def _score_many(texts: list[str]) -> list[Score | None]:
    return [score_one(text) for text in texts]
