"""A story's summary: one or two sentences of its own articles, the ones most central across outlets.

Candidates are the lead sentences of each article, as Kiwi splits them (the `sent_position` of the
tokens of the digester's one Kiwi pass: the same segmentation as `Kiwi.split_into_sents`, without
analysing the text a second time). A candidate must be a whole sentence (it ends in a final ending and
punctuation, and is not the cut-off end of an RSS lead), not a byline, a photo caption or a headline
repeated. The chosen one shares most with the centroid of the story: the nouns counted once per
article, so a word every outlet uses weighs more than one outlet's repetition. A story whose articles
have no lead (title-only outlets) gets no summary: the headline is not repeated as one.
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

from briefings.digest.nlp import NOUN_TAGS, Morph, columns

# Only the lead is read: that is where a news report says what happened, and it bounds the cost.
LEAD_CHARS = 600
MIN_CHARS = 20
MAX_CHARS = 220
# A first sentence this short is followed by the next one of the same article.
SHORT_CHARS = 45
# How similar to a headline a sentence may be before it counts as the headline repeated.
HEADLINE_OVERLAP = 0.8
LEAD_BONUS = 0.1

# Datelines and bylines that open leads: "[서울=뉴시스]홍길동 기자 =", "[파이낸셜뉴스]",
# "(서울=연합뉴스) 김 기자 =", "【파이낸셜뉴스 뉴욕=이병철 특파원】", "[헤럴드경제=박성준 기자]",
# "[사진=KGM]".
_BYLINE = re.compile(
    r"^\s*(?:[\[【(<][^\]】)>]{0,40}[\]】)>]\s*)+"
    r"|^\s*[가-힣]{2,4}\s?(?:기자|특파원|선임기자)\s*=\s*"
    r"|^\s*[가-힣]{2,4}\s?(?:기자|특파원)\s+(?=[가-힣])"
)
_BOILERPLATE = re.compile(
    r"무단\s?전재|재배포|저작권자|구독|@[\w.-]+\.\w+|기자\s?=|사진\s?=|\[사진|뉴스1\s|▶|ⓒ|©|<저작권"
)
_CAPTION_AFTER = re.compile(r"\s*[\[(<【]\s*(?:사진|그래픽|자료|영상)\s*[=:]")
_TERMINAL = ("다.", "다", ".", "?", "!", "다”", '다"', "다’", "요.", "…다.")
_CUT = ("..", "…", "...")


@dataclass(frozen=True, slots=True)
class LeadSentence:
    """A candidate summary sentence of one article."""

    text: str
    nouns: frozenset[str]
    position: int  # 0 = the lead's first sentence


# Everything str.isalnum() rejects, and the underscore \w lets through.
_NOT_ALNUM = re.compile(r"[\W_]+")


def _squeeze(text: str) -> str:
    return _NOT_ALNUM.sub("", unicodedata.normalize("NFKC", text).casefold())


def _bigrams(text: str) -> set[str]:
    s = _squeeze(text)
    return {s[i : i + 2] for i in range(len(s) - 1)}


def repeats_headline(sentence: str, title: str) -> bool:
    """Whether a sentence is the headline again: it says (almost) nothing the headline does not.

    A lead that restates the headline as a sentence and adds who said it and when ("…돌파했다고 12일
    밝혔다") is not a repeat; the headline with a full stop is.
    """
    return _repeats(_bigrams(sentence), _bigrams(title))


def _repeats(sentence_grams: set[str], title_grams: set[str]) -> bool:
    if not sentence_grams or not title_grams:
        return False
    return len(sentence_grams & title_grams) / len(sentence_grams) >= HEADLINE_OVERLAP


_CLOSING = frozenset("’”\"')」』]")
# Tags of particles, endings and suffixes: a piece that begins with one is the tail of a sentence.
_CONTINUING = frozenset("JEX")


@dataclass(slots=True)
class _Piece:
    """One sentence of the lead as Kiwi's morphemes mark it, with what the candidate rules read."""

    start: int
    end: int
    first_tag: str
    final_ending: bool  # an EF morpheme: a sentence, not a noun phrase or a caption
    nouns: list[str]


def _sentences(morphs: Sequence[Morph]) -> list[_Piece]:
    """The sentences of the lead, in order, read off the morphemes in one pass.

    Kiwi's sentence numbers (`sent_position`) decide, with two repairs: Kiwi sometimes ends a sentence
    at a closing quote ("‘올해의 KAIST인상’" | "은 …"), so a piece that begins with a particle or an
    ending continues the one before; and it sometimes runs on past a full stop into an opening quote
    ("…밝혔다. ‘올해의…"), so a full stop followed by anything but a closing mark ends a sentence.
    Each morpheme's fields are read once (`columns`): Kiwi makes a new object on every read of a field.
    """
    out: list[_Piece] = []
    if not morphs:
        return out
    numbered = hasattr(morphs[0], "sent_position")  # hand-made morphemes: only full stops end sentences
    cols = columns(morphs)
    forms, ends = cols.forms, cols.ends
    piece: _Piece | None = None
    current = 0
    prev_tag = ""
    last = 0  # the piece's last morpheme so far: the piece ends where it does
    for k, (start, tag) in enumerate(zip(cols.starts, cols.tags, strict=False)):
        if start >= LEAD_CHARS:
            break
        pos = morphs[k].sent_position if numbered else current  # type: ignore[attr-defined]
        if (
            piece is not None
            and tag[:1] not in _CONTINUING
            and (pos != current or (prev_tag == "SF" and tag != "SF" and forms[k] not in _CLOSING))
        ):
            piece.end = ends[last]
            out.append(piece)
            piece = None
        if piece is None:
            piece = _Piece(start, start, tag, False, [])
        last = k
        if tag == "EF":
            piece.final_ending = True
        elif tag in NOUN_TAGS:
            form = forms[k]
            if len(form) > 1:
                piece.nouns.append(form)
        current = pos
        prev_tag = tag
    if piece is not None:
        piece.end = ends[last]
        out.append(piece)
    return out


def clean_sentence(text: str) -> str:
    """A sentence without the dateline or byline that opens a lead."""
    previous = None
    while previous != text:
        previous = text
        text = _BYLINE.sub("", text, count=1)
    return " ".join(text.split())


def lead_sentences(title: str, body: str, morphs: Sequence[Morph]) -> tuple[LeadSentence, ...]:
    """The lead's sentences that could stand as the story's summary."""
    body_end = body.rstrip()
    title_grams: set[str] | None = None  # read once per article, and only if a sentence gets that far
    out: list[LeadSentence] = []
    for position, piece in enumerate(_sentences(morphs)):
        # The cheap tests first: most of what a lead holds passes them, and the rest costs more.
        if piece.first_tag[:1] in _CONTINUING:
            continue  # begins with a particle or an ending: the tail of a sentence split at a quote
        if not piece.final_ending or not piece.nouns:
            continue
        end = piece.end
        # Closing quotes and brackets belong to the sentence they end.
        while end < len(body) and body[end] in "”’\"')」』":
            end += 1
        if end >= len(body_end) and body_end.endswith(_CUT):
            continue  # the RSS lead was cut here: not a whole sentence
        raw = body[piece.start : end]
        # Cleaning only takes a dateline or byline off the front and folds spaces, so the end of
        # the raw piece is the end of the sentence.
        if len(raw) < MIN_CHARS or not raw.endswith(_TERMINAL):
            continue
        if _CAPTION_AFTER.match(body, end):
            continue  # a photo caption: "… 기념촬영을 하고 있다. [사진=KAI]"
        text = clean_sentence(raw)
        if not (MIN_CHARS <= len(text) <= MAX_CHARS):
            continue
        if _BOILERPLATE.search(text):
            continue
        if title_grams is None:
            title_grams = _bigrams(title)
        if _repeats(_bigrams(text), title_grams):
            continue
        out.append(LeadSentence(text, frozenset(piece.nouns), position))
    return tuple(out)


def summary_sentences(
    articles: Sequence[Sequence[LeadSentence]], titles: Sequence[str] = ()
) -> list[LeadSentence]:
    """The one or two sentences that summarise a story, or [] when its articles offer none.

    Centrality: cosine between a sentence's nouns and the story's noun centroid (each article counts a
    noun once), plus a little for being a lead's first sentence. Ties go to the earlier article. A
    short sentence is followed by the next one of its article.
    """
    centroid: Counter[str] = Counter()
    every: set[str] = set()  # the nouns of all the story's sentences
    for sentences in articles:
        if sentences:
            mine = set().union(*(s.nouns for s in sentences))
            centroid.update(mine)
            every |= mine
    for title in titles:  # the headlines tell what the story is about, too
        centroid.update([n for n in every if n in title])
    if not centroid:
        return []
    norm = math.sqrt(sum(v * v for v in centroid.values()))
    best: tuple[float, int, int] | None = None
    for a, sentences in enumerate(articles):
        for k, s in enumerate(sentences):
            score = sum(centroid[n] for n in s.nouns) / (norm * math.sqrt(len(s.nouns)))
            score += LEAD_BONUS if s.position == 0 else 0.0
            if best is None or score > best[0] + 1e-9:
                best = (score, a, k)
    if best is None:
        return []
    _, a, k = best
    chosen = articles[a][k]
    following = articles[a][k + 1] if k + 1 < len(articles[a]) else None
    if len(chosen.text) < SHORT_CHARS and following is not None and following.position == chosen.position + 1:
        return [chosen, following]
    return [chosen]


def choose_summary(articles: Sequence[Sequence[LeadSentence]], titles: Sequence[str] = ()) -> str | None:
    """The summary of a story as text, or None when none of its articles has a lead sentence."""
    chosen = summary_sentences(articles, titles)
    return " ".join(s.text for s in chosen) if chosen else None
