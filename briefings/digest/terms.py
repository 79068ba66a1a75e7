"""Lemmas and index terms read off Kiwi's morphemes: what themes, keywords and search are built from.

Kiwi already gives verb stems as the form of VV/VA morphemes (밝혔다 → 밝히) and splits particles
off nouns (화웨이는 → 화웨이 + 는), so a lemma is the morpheme's form, lower-cased for Latin script.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from briefings.digest.nlp import Morph, columns

# Nouns, foreign words, hanja, numbers, verb and adjective stems, roots, noun suffixes (상용+화).
_LEMMA_PREFIXES = ("NN", "SL", "SH", "SN", "VV", "VA", "XR", "XSN")
# Symbols that are part of names and phrases (M&A, LGU+).
JOINING_SYMBOLS = frozenset({"&", "+"})
# Nouns that say nothing about the subject of a news story (dates, units, outlet chrome).
STOP_NOUNS = frozenset(
    " ".join(
        (
            "기자 뉴스 사진 제공 자료 오늘 내일 어제 올해 지난해 작년 이번 지난 당시",
            "최근 이날 현지 시간 시각 오전 오후 전날 관계자 업계 측 등 것 수 때 중 말",
            "년 월 일 개 명 원 달러 억 조 만 천 위 곳 건 회 차 번 대 분 초 가운데",
            "이후 이전 경우 관련 대해 통해 위해 대한 가량 정도 이상 이하 미만 기준 전년",
            "동기 대비 가능 예정 계획 전망 발표 설명 강조 밝히 단독 속보 종합 포토 영상",
            "인터뷰 보도 기사 단신 특파원 연합 뉴시스 뉴스1 연합뉴스",
        )
    ).split()
)
INDEX_TAGS = ("NNG", "NNP", "SL", "SH", "XR")


def is_lemma(tag: str) -> bool:
    return tag.startswith(_LEMMA_PREFIXES)


def lemma_of(m: Morph) -> str:
    form = m.form
    return form.lower() if m.tag == "SL" else form


def lemma_runs(morphs: Sequence[Morph]) -> list[tuple[str, int, int]]:
    """(lemma, start, end) for the content morphemes of a text, in order; end is a character offset."""
    out: list[tuple[str, int, int]] = []
    for m in morphs:
        tag = m.tag
        if tag.startswith(_LEMMA_PREFIXES) or (tag == "SW" and m.form in JOINING_SYMBOLS):
            form = m.form.lower() if tag == "SL" else m.form
            out.append((form, m.start, m.start + m.len))
    return out


def index_terms(morphs: Iterable[Morph]) -> set[str]:
    """Distinct search terms of a text: noun lemmas without particles, lower-cased, at most 64 chars.

    Two-syllable words index as themselves (반도체, 수출, 제재), so `/news 제재` finds 제재가/제재를.
    """
    out: set[str] = set()
    for m in morphs:
        if m.tag.startswith(INDEX_TAGS):
            form = m.form.lower()
            if form and len(form) <= 64 and not (len(form) == 1 and m.tag == "SL"):
                out.add(form)
    return out


def topic_nouns(morphs: Iterable[Morph], *, end: int | None = None) -> list[str]:
    """Nouns that can carry a subject (no stop words, no single Latin letters), up to offset `end`."""
    out: list[str] = []
    for m in morphs:
        if end is not None and m.start >= end:
            break
        tag = m.tag
        if tag in ("NNG", "NNP", "SL", "SH"):
            form = m.form.lower() if tag == "SL" else m.form
            if form in STOP_NOUNS or (tag == "SL" and len(form) < 2) or (tag == "NNG" and len(form) < 2):
                continue
            out.append(form)
    return out


# What a tag makes of its morpheme in `MorphScan`, as bits, read from one dict per morpheme rather
# than from a chain of prefix tests: Kiwi's tags are a few dozen strings (VV-R, VA-I included).
_LEMMA, _TERM, _NOUN, _LATIN, _SHORT_DROPPED = 1, 2, 4, 8, 16
_NOUN_TAGS = ("NNG", "NNP", "SL", "SH")


def _kind_of(tag: str) -> int:
    kind = 0
    if tag.startswith(_LEMMA_PREFIXES):
        kind |= _LEMMA
        if tag.startswith(INDEX_TAGS):
            kind |= _TERM
            if tag in _NOUN_TAGS:
                kind |= _NOUN
        if tag == "SL":
            kind |= _LATIN
        if tag in ("SL", "NNG"):
            kind |= _SHORT_DROPPED  # a single Latin letter or one-syllable common noun is no topic
    return kind


class _Kinds(dict[str, int]):
    def __missing__(self, tag: str) -> int:
        kind = self[tag] = _kind_of(tag)
        return kind


_KINDS = _Kinds()


class MorphScan:
    """Everything the digester reads off one text's morphemes, gathered in a single pass."""

    __slots__ = ("lead_nouns", "nouns", "runs", "terms")

    def __init__(self, morphs: Sequence[Morph], lead_end: int | None = None) -> None:
        self.runs: list[tuple[str, int, int]] = []
        self.terms: set[str] = set()
        self.nouns: list[str] = []
        runs, terms, nouns = self.runs, self.terms, self.nouns
        kinds = _KINDS
        lead_nouns = 0  # how many of `nouns` lie before lead_end
        lead_end = lead_end if lead_end is not None else 1 << 62
        cols = columns(morphs)
        for tag, form, start, end in zip(cols.tags, cols.forms, cols.starts, cols.ends, strict=True):
            kind = kinds[tag]
            if not kind:
                if tag == "SW" and form in JOINING_SYMBOLS:
                    runs.append((form, start, end))
                continue
            if kind & _LATIN:
                form = form.lower()
            runs.append((form, start, end))
            if kind & _TERM:
                short = len(form) < 2
                if len(form) <= 64 and not (short and kind & _LATIN):
                    terms.add(form)
                if kind & _NOUN and not (short and kind & _SHORT_DROPPED) and form not in STOP_NOUNS:
                    nouns.append(form)
                    if start < lead_end:
                        lead_nouns += 1
        self.lead_nouns = lead_nouns
