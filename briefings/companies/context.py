"""Context rules: when a name read in a text is the company, and whether the article is about it.

An alias that is also an ordinary word (애플, 아마존, 라인, 기아 …) counts only with company context:
never next to words of its ordinary sense (기아 with 인구, 빈곤, 식량, 난민 is hunger), otherwise with the
company's own cue words, in a headline, as a proper noun, or near a business word or another company.
In a game report team names (삼성, LG, KIA, 한국전력) are teams; a broker quoted as the source of an
analyst note is not what the note is about; a share button ([카카오 친구맺기]) names no subject.

Word lists live in `briefings/data/company_words.json`, per-company context words in the registry.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from importlib import resources

from briefings.companies.records import AliasRecord, CompanyRecord
from briefings.digest.nlp import Morph, columns


def _load_words() -> dict[str, tuple[str, ...]]:
    """The matcher's word lists (briefings/data/company_words.json): data, tuned without code."""
    text = resources.files("briefings").joinpath("data/company_words.json").read_text(encoding="utf-8")
    data = json.loads(text)
    return {k: tuple(v) for k, v in data.items() if not k.startswith("_")}


_WORDS = _load_words()
# Near an ambiguous alias (애플, 아마존, 기아 …) these make it read as a company.
BUSINESS_CUES = frozenset(_WORDS["business_cues"])
# Company news proper: a text with one of them is never taken for a game report.
BUSINESS_STRONG = frozenset(_WORDS["business_strong"])
# Sports reports name teams by their owners (삼성, LG, KIA, 한국전력 …); these words give them away,
# the "title" ones only in a headline (한화 감독, 두산 수비), the suffixes as one word (두산베어스, 광주구장).
_SPORTS_STRONG = frozenset(_WORDS["sports_strong"])
_SPORTS_WEAK = frozenset(_WORDS["sports_weak"])
_SPORTS_TITLE = frozenset(_WORDS["sports_title"])
_SPORTS_SUFFIXES = _WORDS["sports_suffixes"]
# Words that continue a company name into an affiliate's (IBK투자, KB증권, SK텔레콤).
AFFILIATE_WORDS = frozenset(_WORDS["affiliate_words"])
# Analyst notes ("대신증권 삼성물산 시총 극대화할 것", "…배당확대 기대-SK"): the broker is not the subject.
ANALYST_CUES = frozenset(_WORDS["analyst_cues"])
_LEAD_CHARS = 150
_CONTEXT_WINDOW = 60
_ANTI_WINDOW = 20
_BROKER_SUFFIXES = ("증권", "투자증권", "금융투자")


def is_word_char(ch: str) -> bool:
    """Letters and digits that continue a word (circled numbers, symbols and punctuation do not)."""
    return ch.isalpha() or ("0" <= ch <= "9")


@dataclass(slots=True)
class Mention:
    record: CompanyRecord
    alias: AliasRecord
    in_title: bool
    start: int
    end: int
    tag: str


@dataclass(slots=True)
class Tally:
    record: CompanyRecord
    first: tuple[int, int]  # (0 title / 1 body, offset): a stable order
    in_title: bool = False
    in_lead: bool = False
    count: int = 0
    # Whether every mention was a bare group name (삼성, LG), not "삼성그룹".
    bare_group: bool = True
    title_positions: list[tuple[int, int]] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class Article:
    title: str
    body: str
    title_morphs: Sequence[Morph]
    body_morphs: Sequence[Morph]
    folded: str  # title and body, case-folded, for cue look-ups
    forms: frozenset[str]


def in_context(mt: Mention, art: Article, sure: set[str], cues: Mapping[str, tuple[str, ...]]) -> bool:
    """Whether an ambiguous alias (애플, 기아, 라인 …) reads as the company here.

    Words that show the ordinary sense near the mention (퇴치 after 기아, 열대우림 after 아마존)
    always win. Otherwise a `strict` company needs its own cue words somewhere in the article;
    the others count in a headline, when Kiwi reads the word as a proper noun, or with a
    business word near the mention or another company in the article.
    """
    rec = mt.record
    text = art.title if mt.in_title else art.body
    window = text[max(0, mt.start - _ANTI_WINDOW) : mt.end + _ANTI_WINDOW].casefold()
    if any(anti.casefold() in window for anti in rec.anti_cues):
        return False
    if any(cue in art.folded for cue in cues.get(rec.name, ())):
        return True
    if rec.strict_context:
        return False
    if mt.in_title or mt.tag in ("NNP", "SL", "SH"):
        return True
    if sure - {rec.name}:
        return True
    cols = columns(art.title_morphs if mt.in_title else art.body_morphs)
    lo, hi = mt.start - _CONTEXT_WINDOW, mt.end + _CONTEXT_WINDOW
    return any(lo <= s <= hi and f in BUSINESS_CUES for s, f in zip(cols.starts, cols.forms, strict=True))


def drop_brokers(tallies: dict[str, Tally], title: str, analyst: bool) -> None:
    """A broker quoted as the source of an analyst note is not what the article is about."""
    if not analyst and not title:
        return
    suffix = attribution_suffix(title)
    for name, t in list(tallies.items()):
        if not name.endswith(_BROKER_SUFFIXES) and not (
            suffix and t.title_positions and t.title_positions[-1][1] == len(title.rstrip())
        ):
            continue
        leading = bool(t.title_positions) and t.title_positions[0][0] == 0 and len(tallies) > 1
        trailing = bool(suffix) and any(end == len(title.rstrip()) for _, end in t.title_positions)
        # "NH투자증권, 삼성증권 목표가 상향": the second broker is the note's subject.
        subject = bool(t.title_positions) and not leading and not trailing
        if leading or trailing or (analyst and not subject):
            del tallies[name]


def analyst_holdings(tallies: dict[str, Tally], analyst: bool, holding: Mapping[str, CompanyRecord]) -> None:
    """In an analyst note a bare group name is the listed holding company ("한화" = ㈜한화).

    Elsewhere a group name alone (삼성, LG, SK) stays the group, whatever subsidiaries the
    article also names.
    """
    if not analyst:
        return
    for name, t in list(tallies.items()):
        rec = t.record
        if rec.kind != "group" or not t.bare_group or not t.in_title or not rec.group_name:
            continue
        holding_rec = holding.get(rec.group_name)
        if holding_rec is None or any(
            m.record.group_name == rec.group_name for m in tallies.values() if m is not t
        ):
            continue
        target = tallies.setdefault(holding_rec.name, Tally(holding_rec, t.first))
        target.count += t.count
        target.in_title |= t.in_title
        target.in_lead |= t.in_lead
        target.first = min(target.first, t.first)
        del tallies[name]


_PROMO_BRACKET = re.compile(r"\[[^\[\]\n]{0,20}\]")
_PROMO_WORDS = ("친구", "구독", "채널", "제보", "바로가기", "다운", "클릭", "공유", "팔로우")


def in_promo(text: str, start: int, end: int) -> bool:
    """Share buttons and promotions left in a body ([카카오 친구맺기], [페이스북]) name no subject."""
    for m in _PROMO_BRACKET.finditer(text, max(0, start - 21), min(len(text), end + 21)):
        if m.start() < start and end < m.end():
            inner = m.group()[1:-1].strip()
            return len(inner) == end - start or any(w in inner for w in _PROMO_WORDS)
    return False


def is_gloss(text: str, start: int, end: int) -> bool:
    """A name in brackets straight after a word glosses that word: 엘지(LG)전자, 에스케이텔레콤(SK)."""
    return (
        start >= 2
        and text[start - 1] in "(（"
        and end < len(text)
        and text[end] in ")）"
        and is_word_char(text[start - 2])
    )


def is_sports(title: str, body: str, title_forms: frozenset[str], forms: frozenset[str]) -> bool:
    """A game report: a sports word in the headline, or several in the text (one stray 농구 is not)."""
    strong = len(forms & _SPORTS_STRONG) + sum(1 for f in forms if f.endswith(_SPORTS_SUFFIXES))
    strong += len(_SPORTS_RECORD.findall(body))
    weak = len(forms & _SPORTS_WEAK)
    in_title = title_forms & (_SPORTS_STRONG | _SPORTS_TITLE) or _SPORTS_RECORD.search(title)
    return bool(in_title) or strong >= 2 or (strong >= 1 and weak >= 1) or weak >= 3


# A win-loss record (2승, 3연패, 24승 23패): 승 and 패 alone are too common a morpheme to count.
_SPORTS_RECORD = re.compile(r"\d+\s*(?:연승|연패|승|패)(?=[은는이가을를도째,.…]|\s|$)")
# Technology words Kiwi splits (5G → 5 + G): written so, they mark company news, not a game report.
TECH_TEXT = re.compile(r"\b(?:[56]G|LTE|IPTV|ICT|IoT|AI)\b")


_ATTRIBUTION = re.compile(r"[-–—]\s*([A-Za-z0-9가-힣]{1,12})\s*$")


def attribution_suffix(title: str) -> str | None:
    """The source named after a final dash ("…배당확대 기대-SK"), as analyst notes are titled."""
    m = _ATTRIBUTION.search(title)
    return m.group(1) if m else None


# Sentence ends, also where a crawl glued sentences together ("…밝혔다.SKT는"), but not in 1.5.
_SENTENCE_END = re.compile(r"(?<=[다요음임])\.(?!\d)|[.?!](?=\s)|\n")


def lead_end(body: str) -> int:
    """Where the lead ends: the first sentence, but at least 40 and at most 150 characters."""
    if not body:
        return 0
    m = _SENTENCE_END.search(body, 40)
    end = m.end() if m else len(body)
    return min(end, _LEAD_CHARS)
