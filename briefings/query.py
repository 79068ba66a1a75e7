"""The `/news` query language, parsed into a typed tree: words, phrases, exclusions, operators, OR.

    삼성전자 HBM              a company and a word (every word must be in the story)
    "폴더블"                  a quoted phrase: taken as it is, never read as a company or an operator
    -스포츠                   the story must not contain the word (also -"구절", -테마:…, -매체:…)
    기간:30일  테마:반도체  매체:한국경제
    HBM OR 낸드               either word (OR binds its two neighbours, as in web search engines)

Parsing is pure: the vocabulary it checks operator values against (theme words, outlet names) is
passed in, so the same text always gives the same tree or the same one-line Korean explanation. What
the words mean (which one is a company, which morphemes a word is) is decided when the query is
answered (`briefings.lookup.query_stories`), with the one company resolver and the analyser.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Collection, Mapping
from dataclasses import dataclass, field

MAX_DAYS = 365
MAX_CLAUSES = 12  # words, phrases and exclusions together: more is not a query but a paste

OPERATORS: dict[str, str] = {
    "기간": "days",
    "days": "days",
    "period": "days",
    "테마": "theme",
    "theme": "theme",
    "매체": "outlet",
    "언론사": "outlet",
    "outlet": "outlet",
    "source": "outlet",
}
OR_WORDS = frozenset({"OR", "또는", "|"})

_DAYS = re.compile(r"^(\d{1,4})\s*(일|주|개월|달|d|w|m)?$", re.IGNORECASE)
_DAY_UNITS = {"일": 1, "d": 1, "주": 7, "w": 7, "개월": 30, "달": 30, "m": 30}
# `기간:30일`: a key of letters (not `10:30`, not a URL's `https:`), a colon, a value.
_OPERATOR = re.compile(r"^([^\W\d_]+):(.*)$")


class QuerySyntaxError(ValueError):
    """A query that cannot be read; the message is one Korean line saying what was wrong."""


@dataclass(frozen=True, slots=True)
class Word:
    """A word or, quoted, a phrase the story must contain."""

    text: str
    phrase: bool = False


@dataclass(frozen=True, slots=True)
class AnyOf:
    """One requirement of the query: any of its words (more than one only when joined by OR)."""

    options: tuple[Word, ...]


@dataclass(frozen=True, slots=True)
class Query:
    """A parsed query: every `include` group must match and no `exclude` word may appear."""

    include: tuple[AnyOf, ...] = ()
    exclude: tuple[Word, ...] = ()
    days: int | None = None
    themes: tuple[str, ...] = ()  # theme slugs, any of them
    outlets: tuple[str, ...] = ()  # outlet names, any of them
    exclude_themes: tuple[str, ...] = ()
    exclude_outlets: tuple[str, ...] = ()

    @property
    def is_plain(self) -> bool:
        """Only bare words: what `/news 화웨이` always was (a company name, or words to search)."""
        return (
            not self.exclude
            and self.days is None
            and not (self.themes or self.outlets or self.exclude_themes or self.exclude_outlets)
            and all(len(g.options) == 1 and not g.options[0].phrase for g in self.include)
        )

    @property
    def plain_text(self) -> str:
        return " ".join(g.options[0].text for g in self.include)


@dataclass(frozen=True, slots=True)
class Vocabulary:
    """What operator values may be: theme words (slug, label, label part → slug) and outlet names."""

    themes: Mapping[str, str] = field(default_factory=dict)
    outlets: Collection[str] = ()

    def theme(self, value: str) -> str | None:
        return self.themes.get(value.casefold())

    def outlet(self, value: str) -> str | None:
        key = _fold(value)
        for name in self.outlets:
            if _fold(name) == key:
                return name
        return None


def _fold(text: str) -> str:
    return unicodedata.normalize("NFKC", text).casefold().replace(" ", "")


# --- tokens -------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Token:
    text: str
    quoted: bool
    negated: bool


_QUOTES = str.maketrans({"“": '"', "”": '"', "„": '"', "＂": '"', "«": '"', "»": '"'})


def _tokens(text: str) -> list[_Token]:
    """Split on spaces, keeping quoted phrases whole; `-` in front of a token negates it."""
    # Slack turns typed quotes into curly ones on some keyboards (macOS, iOS).
    text = text.translate(_QUOTES)
    out: list[_Token] = []
    i, n = 0, len(text)
    while i < n:
        if text[i].isspace():
            i += 1
            continue
        negated = text[i] == "-" and i + 1 < n and not text[i + 1].isspace()
        if negated:
            i += 1
        if text[i] == '"':
            end = text.find('"', i + 1)
            if end < 0:
                raise QuerySyntaxError('따옴표(")가 닫히지 않았습니다. 예: `/news "폴더블 스마트폰"`')
            inner = " ".join(text[i + 1 : end].split())
            if not inner:
                raise QuerySyntaxError('따옴표 안이 비어 있습니다. 찾을 말을 넣어 주세요. 예: `"폴더블"`')
            out.append(_Token(inner, True, negated))
            i = end + 1
            continue
        start = i
        while i < n and not text[i].isspace():
            if text[i] == '"' and i > start and text[i - 1] == ":":  # 매체:"ZDNet Korea"
                end = text.find('"', i + 1)
                if end < 0:
                    raise QuerySyntaxError('따옴표(")가 닫히지 않았습니다.')
                i = end + 1
                continue
            i += 1
        word = text[start:i]
        if word == "-":
            raise QuerySyntaxError("`-` 뒤에 뺄 말을 붙여 써 주세요. 예: `-스포츠`")
        out.append(_Token(word, False, negated))
    return out


# --- the parser -----------------------------------------------------------------------------------


def _days(value: str) -> int:
    m = _DAYS.match(value.strip())
    if not m:
        raise QuerySyntaxError(
            f"기간은 `기간:30일`, `기간:2주`처럼 숫자와 단위로 입력해 주세요 (입력: `{_show(value)}`)."
        )
    days = int(m.group(1)) * _DAY_UNITS[(m.group(2) or "일").casefold()]
    if days < 1 or days > MAX_DAYS:
        raise QuerySyntaxError(f"기간은 1일부터 {MAX_DAYS}일까지 정할 수 있습니다 (입력: `{_show(value)}`).")
    return days


def _show(text: str, limit: int = 30) -> str:
    """A user's text quoted back inside backticks: short, without backticks of its own."""
    text = text.replace("`", "'")
    return text if len(text) <= limit else text[: limit - 1] + "…"


def parse_query(text: str, vocabulary: Vocabulary | None = None) -> Query:
    """The query's tree, or `QuerySyntaxError` with what was wrong (never a silent empty query)."""
    vocab = vocabulary or Vocabulary()
    groups: list[list[Word]] = []
    exclude: list[Word] = []
    days: int | None = None
    themes: list[str] = []
    outlets: list[str] = []
    no_themes: list[str] = []
    no_outlets: list[str] = []
    pending_or = False  # the previous token was OR: the next word joins the last group
    for tok in _tokens(text):
        if not tok.quoted and not tok.negated and tok.text in OR_WORDS:
            if not groups or pending_or:
                raise QuerySyntaxError("`OR`는 두 단어 사이에 써 주세요. 예: `/news HBM OR 낸드`")
            pending_or = True
            continue
        op = None if tok.quoted else _OPERATOR.match(tok.text)
        if op is not None:
            key, value = op.group(1), op.group(2).strip().strip('"').strip()
            kind = OPERATORS.get(key.casefold())
            if kind is None:
                raise QuerySyntaxError(
                    f"`{_show(key)}:`는 알 수 없는 연산자입니다. 쓸 수 있는 것: `기간:`, `테마:`, `매체:`"
                )
            if pending_or:
                raise QuerySyntaxError("`OR`는 단어끼리만 이을 수 있습니다. 예: `/news HBM OR 낸드`")
            if not value:
                raise QuerySyntaxError(
                    f"`{key}:` 뒤에 값을 붙여 써 주세요. 예: `기간:30일`, `테마:반도체`, `매체:한국경제`"
                )
            if kind == "days":
                if tok.negated:
                    raise QuerySyntaxError("기간은 뺄 수 없습니다. `기간:30일`처럼 써 주세요.")
                if days is not None:
                    raise QuerySyntaxError("기간은 한 번만 정할 수 있습니다.")
                days = _days(value)
            elif kind == "theme":
                slug = vocab.theme(value)
                if slug is None:
                    raise QuerySyntaxError(
                        f"`{_show(value)}`라는 테마가 없습니다. 예: `테마:반도체`, `테마:AI`, `테마:실적`"
                    )
                (no_themes if tok.negated else themes).append(slug)
            else:
                name = vocab.outlet(value)
                if name is None:
                    raise QuerySyntaxError(
                        f"`{_show(value)}`라는 매체를 모릅니다. 이름을 확인해 주세요. 예: `매체:한국경제`"
                    )
                (no_outlets if tok.negated else outlets).append(name)
            continue
        word = Word(tok.text, phrase=tok.quoted)
        if tok.negated:
            if pending_or:
                raise QuerySyntaxError("`OR` 뒤에는 뺄 말(-)이 아닌 찾을 말을 써 주세요.")
            exclude.append(word)
        elif pending_or:
            groups[-1].append(word)
            pending_or = False
        else:
            groups.append([word])
    if pending_or:
        raise QuerySyntaxError("`OR` 뒤에 단어가 없습니다. 예: `/news HBM OR 낸드`")
    if len(groups) + len(exclude) > MAX_CLAUSES:
        raise QuerySyntaxError(f"찾을 말과 뺄 말은 모두 {MAX_CLAUSES}개까지 쓸 수 있습니다.")
    if not groups and not themes and not outlets:
        raise QuerySyntaxError(
            "찾을 말이 없습니다. 뺄 말(-)이나 기간만으로는 찾을 수 없어요. 예: `/news 삼성전자 -스포츠`"
        )
    return Query(
        include=tuple(AnyOf(tuple(dict.fromkeys(g))) for g in groups),
        exclude=tuple(dict.fromkeys(exclude)),
        days=days,
        themes=tuple(dict.fromkeys(themes)),
        outlets=tuple(dict.fromkeys(outlets)),
        exclude_themes=tuple(dict.fromkeys(no_themes)),
        exclude_outlets=tuple(dict.fromkeys(no_outlets)),
    )
