"""Score one email's text: language per email, then VADER's compound in [-1, 1].

English uses the `vaderSentiment` package's lexicon (MIT); Swedish the Swedish VADER
lexicon vendored in lexicons/vader_lexicon_sv.txt (MIT, see lexicons/NOTICE.md) with the
same rules (VADER's negation and booster words stay English). Any other language, or text
without letters, is not scored (None): absent, never a fake neutral 0.

Deterministic: langdetect's detector is seeded (DetectorFactory.seed = 0) before each
detection's first use, and VADER is rule-based.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from html.parser import HTMLParser
from pathlib import Path

from langdetect import DetectorFactory, LangDetectException, detect
from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

SWEDISH_LEXICON = Path(__file__).parent / "lexicons" / "vader_lexicon_sv.txt"

# langdetect codes scored, and the lexicon file each uses (None: the package's English one).
LEXICONS: dict[str, Path | None] = {"en": None, "sv": SWEDISH_LEXICON}


@dataclass(frozen=True)
class Score:
    """language: langdetect's code ('en', 'sv'); compound: VADER's normalised sum, -1..1."""

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
    """The text of an HTML (or plain) string, whitespace collapsed; stdlib html.parser."""
    parser = _TextOnly()
    parser.feed(text)
    parser.close()
    return re.sub(r"\s+", " ", " ".join(parser.parts)).strip()


@cache
def _analyzer(language: str) -> SentimentIntensityAnalyzer:
    lexicon = LEXICONS[language]
    if lexicon is None:
        return SentimentIntensityAnalyzer()
    # VADER joins lexicon_file onto its own folder; an absolute path wins in os.path.join.
    return SentimentIntensityAnalyzer(lexicon_file=str(lexicon))


def detect_language(text: str) -> str | None:
    """langdetect's code for the text, or None when it has no letters to go on."""
    DetectorFactory.seed = 0
    try:
        return detect(text)
    except LangDetectException:
        return None


def score_text(subject: str | None, description: str | None = None) -> Score | None:
    """The email's language and compound, from the subject and the HTML-stripped body.

    None when there is no text or the language is neither English nor Swedish.
    """
    parts = [strip_html(part) for part in (subject, description) if part]
    text = ". ".join(part for part in parts if part)
    if not any(character.isalpha() for character in text):
        return None
    language = detect_language(text)
    if language not in LEXICONS:
        return None
    compound = _analyzer(language).polarity_scores(text)["compound"]
    return Score(language=language, compound=float(compound))
