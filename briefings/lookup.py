"""Answering "what happened to X lately": resolve a typed name to a company, rank its stories, search text.

Resolution is tolerant the way people type in chat: any alias, English or Chinese name, a ticker such
as 005930, spacing and case variants, and small typos (화훼이 → 화웨이, compared on Hangul jamo so one
wrong vowel is one small edit). A group name (삼성, LG) is ambiguous on purpose: it offers the group and
its main companies instead of guessing one subsidiary.

Top stories come from one index range (`story_companies (company_id, is_primary, story_id)`), bounded
below by the first story id of the window, and are ranked by the database, so only one page of rows
comes back and the answer stays fast on millions of articles (see bench/lookup.py for the plans).
"""

from __future__ import annotations

import math
import re
import threading
import time
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Literal, Protocol

from rapidfuzz import fuzz, process
from sqlalchemy import ColumnElement, Float, Select, case, cast, func, literal, select
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from briefings.digest.nlp import Morph
from briefings.digest.terms import index_terms
from briefings.models import Article, ArticleTerm, Company, CompanyAlias, Story, StoryCompany, UTCDateTime
from briefings.timeutil import as_utc

MAX_QUERY_CHARS = 200
# A typo is accepted only when it is this close (0-100, on jamo) and clearly better than the runner-up.
FUZZY_ACCEPT = 80.0
FUZZY_SUGGEST = 60.0
FUZZY_MARGIN = 6.0
GROUP_CANDIDATES = 6


class QueryError(ValueError):
    """Input that cannot be a query; the message is a short Korean explanation."""


_SPACES = re.compile(r"\s+")


def clean_query(text: str | None) -> str:
    """The query with whitespace collapsed, or `QueryError` for empty, too long or control characters."""
    raw = text or ""
    if any(unicodedata.category(ch) == "Cc" and ch not in "\t\n\r" for ch in raw) or any(
        ch in "\n\r" for ch in raw.strip()
    ):
        raise QueryError("입력에 제어 문자나 줄바꿈이 있습니다. 한 줄로 다시 입력해 주세요.")
    cleaned = _SPACES.sub(" ", raw).strip()
    if not cleaned:
        raise QueryError("찾을 회사 이름을 입력해 주세요. 예: `/news 화웨이` · 사용법: `/news 도움말`")
    if len(cleaned) >= MAX_QUERY_CHARS:
        raise QueryError(
            f"입력이 너무 깁니다 ({len(cleaned)}자). {MAX_QUERY_CHARS}자 미만으로 입력해 주세요."
        )
    return cleaned


# --- companies ------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class CompanyRef:
    id: int
    name: str
    name_en: str
    kind: str
    ticker: str | None
    group_name: str | None

    @property
    def label(self) -> str:
        """`삼성전자 (Samsung Electronics)`: what a button or a heading shows."""
        return f"{self.name} ({self.name_en})" if self.name_en and self.name_en != self.name else self.name


@dataclass(frozen=True, slots=True)
class Resolution:
    """`found` (one company), `ambiguous` (pick one of `candidates`) or `none` (see `suggestions`)."""

    status: Literal["found", "ambiguous", "none"]
    query: str
    company: CompanyRef | None = None
    candidates: tuple[CompanyRef, ...] = ()
    suggestions: tuple[CompanyRef, ...] = ()
    matched_by: str = ""  # name | alias | ticker | fuzzy | group | prefix


_SPACE_PUNCT = re.compile(r"[\s.,·ㆍ\-_'\"’`(){}\[\]]+")
_CORP_MARKERS = ("(주)", "㈜", "주식회사")


def normalize(text: str) -> str:
    """The key names are compared on: NFKC, case-folded, without spaces, dots, hyphens or 주식회사."""
    text = unicodedata.normalize("NFKC", text).casefold()
    for marker in _CORP_MARKERS:
        text = text.replace(unicodedata.normalize("NFKC", marker), "")
    return _SPACE_PUNCT.sub("", text)


def _jamo(text: str) -> str:
    """Hangul syllables split into jamo, so 화훼이 and 화웨이 differ by one letter, not one syllable."""
    return unicodedata.normalize("NFD", text)


@dataclass
class CompanyIndex:
    """Every company name, alias and ticker keyed by its normalised form. Cheap to build (one query)."""

    companies: dict[int, CompanyRef] = field(default_factory=dict)
    keys: dict[str, set[int]] = field(default_factory=dict)
    tickers: dict[str, set[int]] = field(default_factory=dict)
    members: dict[str, list[int]] = field(default_factory=dict)  # group name -> company ids, in order
    fuzzy_keys: list[str] = field(default_factory=list)
    fuzzy_ids: list[int] = field(default_factory=list)

    def add_key(self, key_text: str, company_id: int) -> None:
        key = normalize(key_text)
        if not key:
            return
        if key not in self.keys:
            self.fuzzy_keys.append(_jamo(key))
            self.fuzzy_ids.append(company_id)
        self.keys.setdefault(key, set()).add(company_id)


def load_index(session: Session) -> CompanyIndex:
    index = CompanyIndex()
    rows = session.execute(
        select(
            Company.id, Company.name, Company.name_en, Company.kind, Company.ticker, Company.group_name
        ).order_by(Company.id)
    ).all()
    for cid, name, name_en, kind, ticker, group_name in rows:
        ref = CompanyRef(cid, name, name_en or "", kind or "company", ticker, group_name)
        index.companies[cid] = ref
        index.add_key(name, cid)
        if name_en:
            index.add_key(name_en, cid)
        if ticker:
            index.tickers.setdefault(normalize(ticker), set()).add(cid)
        if group_name and kind != "group":
            index.members.setdefault(normalize(group_name), []).append(cid)
    for cid, alias in session.execute(select(CompanyAlias.company_id, CompanyAlias.alias)):
        index.add_key(alias, cid)
    return index


class CachedIndex:
    """The company index of a long-running process, rebuilt at most every `ttl` seconds.

    Operators add companies and aliases while the bot runs; a minute's delay before a new alias
    answers is fine, a query over all aliases per slash command is not.
    """

    def __init__(self, ttl: float = 60.0) -> None:
        self.ttl = ttl
        self._index: CompanyIndex | None = None
        self._at = 0.0
        self._lock = threading.Lock()

    def get(self, session: Session) -> CompanyIndex:
        with self._lock:
            if self._index is None or time.monotonic() - self._at > self.ttl:
                self._index = load_index(session)
                self._at = time.monotonic()
            return self._index

    def invalidate(self) -> None:
        with self._lock:
            self._index = None

    def prime(self, index: CompanyIndex) -> None:
        """Start from an index built elsewhere (it is still refreshed after `ttl`)."""
        with self._lock:
            self._index = index
            self._at = time.monotonic()


def _members(index: CompanyIndex, group: CompanyRef) -> list[int]:
    """The group's companies, in registry order (the main ones first), by the group's own group name."""
    for key in (group.group_name, group.name, group.name_en):
        if key and index.members.get(normalize(key)):
            return index.members[normalize(key)]
    return []


def _group_candidates(index: CompanyIndex, group: CompanyRef) -> tuple[CompanyRef, ...]:
    refs = [group] + [index.companies[i] for i in _members(index, group)[:GROUP_CANDIDATES]]
    return tuple(refs)


def _fuzzy(index: CompanyIndex, key: str, limit: int) -> list[tuple[CompanyRef, float]]:
    if not index.fuzzy_keys:
        return []
    hits = process.extract(
        _jamo(key), index.fuzzy_keys, scorer=fuzz.ratio, limit=limit * 4, score_cutoff=FUZZY_SUGGEST
    )
    best: dict[int, float] = {}
    for _choice, score, pos in hits:
        cid = index.fuzzy_ids[pos]
        best[cid] = max(best.get(cid, 0.0), float(score))
    ranked = sorted(best.items(), key=lambda kv: (-kv[1], kv[0]))[:limit]
    return [(index.companies[cid], score) for cid, score in ranked]


def _from_ids(index: CompanyIndex, query: str, ids: Iterable[int], how: str) -> Resolution:
    refs = sorted((index.companies[i] for i in set(ids)), key=lambda r: (r.kind != "group", r.id))
    if len(refs) == 1:
        ref = refs[0]
        if ref.kind == "group" and _members(index, ref):
            return Resolution(
                "ambiguous", query, candidates=_group_candidates(index, ref), matched_by="group"
            )
        return Resolution("found", query, company=ref, matched_by=how)
    groups = [r for r in refs if r.kind == "group"]
    cands = list(_group_candidates(index, groups[0])) if groups else []
    cands += [r for r in refs if r not in cands]
    return Resolution("ambiguous", query, candidates=tuple(cands[: GROUP_CANDIDATES + 1]), matched_by=how)


def resolve_company(session: Session, query: str, *, registry: CompanyIndex | None = None) -> Resolution:
    """Resolve what a user typed to one company, a short list of candidates, or nothing (with hints)."""
    index = registry if registry is not None else load_index(session)
    key = normalize(query)
    if not key:
        return Resolution("none", query)
    if key in index.tickers:
        return _from_ids(index, query, index.tickers[key], "ticker")
    if key in index.keys:
        return _from_ids(index, query, index.keys[key], "alias")
    fuzzy = _fuzzy(index, key, 5)
    if fuzzy and len(key) >= 2:
        top, score = fuzzy[0]
        runner_up = fuzzy[1][1] if len(fuzzy) > 1 else 0.0
        if score >= FUZZY_ACCEPT and score - runner_up >= FUZZY_MARGIN:
            return _from_ids(index, query, [top.id], "fuzzy")
    # A prefix of several names ("삼성" when no group entry exists): offer them rather than guess.
    prefixed = sorted({cid for k, ids in index.keys.items() if k.startswith(key) for cid in ids})
    if len(key) >= 2 and 1 < len(prefixed) <= 12:
        refs = tuple(index.companies[i] for i in prefixed[: GROUP_CANDIDATES + 1])
        return Resolution("ambiguous", query, candidates=refs, matched_by="prefix")
    if len(prefixed) == 1 and len(key) >= 2:
        return Resolution("found", query, company=index.companies[prefixed[0]], matched_by="prefix")
    return Resolution("none", query, suggestions=tuple(ref for ref, _ in fuzzy[:3]))


# --- stories ------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class StoryView:
    id: int
    headline: str
    url: str
    outlets_count: int
    first_outlet: str
    first_published_at: datetime
    last_published_at: datetime
    themes: tuple[str, ...]
    exclusive: bool
    summary: str | None = None


# Ranking weights, shared by the SQL ranking and its Python twin.
EXCLUSIVE_BONUS = 0.75
AGE_PENALTY_PER_DAY = 0.9


def story_score(outlets_count: int, last_published_at: datetime, exclusive: bool, now: datetime) -> float:
    """More outlets, more recent and exclusive rank higher; a day of age costs about a doubling of outlets."""
    age_days = (as_utc(now) - as_utc(last_published_at)).total_seconds() / 86400.0
    bonus = EXCLUSIVE_BONUS if exclusive else 0.0
    return math.log2(1 + max(outlets_count, 1)) + bonus - AGE_PENALTY_PER_DAY * age_days


def _score_sql(dialect: str, now: datetime) -> ColumnElement[float]:
    """`story_score` as SQL, so the database ranks and only one page of rows comes back."""
    if dialect == "sqlite":
        age = func.julianday(literal(now, UTCDateTime())) - func.julianday(Story.last_published_at)
    else:
        age = func.extract("epoch", literal(now, UTCDateTime()) - Story.last_published_at) / 86400.0
    outlets = func.ln(
        1 + func.max(Story.outlets_count, 1)
        if dialect == "sqlite"
        else 1 + func.greatest(Story.outlets_count, 1)
    ) / math.log(2)
    bonus = case((Story.exclusive.is_(True), EXCLUSIVE_BONUS), else_=0.0)
    return cast(outlets + bonus - AGE_PENALTY_PER_DAY * age, Float)


_FIRST_ID_TTL = 300.0
_first_ids: dict[tuple[str, datetime], tuple[int, float]] = {}
_first_ids_lock = threading.Lock()


def _first_story_id(session: Session, since: datetime) -> int | None:
    """A lower bound of the ids of stories updated since `since`: every candidate's id is at least this.

    Story ids grow as stories are created, so this bound lets the (company_id, is_primary, story_id)
    index skip a busy company's older stories instead of reading each one to check its date. The bound
    is taken for the start of the hour (a little wider, so still a bound) and kept a few minutes: a
    story older than the window cannot come back into it, since stories only grow within ~2 days.
    """
    hour = since.replace(minute=0, second=0, microsecond=0)
    key = (str(session.get_bind().engine.url), hour)
    with _first_ids_lock:
        cached = _first_ids.get(key)
    if cached is not None and time.monotonic() - cached[1] < _FIRST_ID_TTL:
        return cached[0]
    # `id + 0`: SQLite would otherwise walk the primary key in order to find min(id).
    first = session.scalar(select(func.min(Story.id + 0)).where(Story.last_published_at >= hour))
    if first is not None:  # "no stories yet" must not be remembered
        with _first_ids_lock:
            if len(_first_ids) > 64:
                _first_ids.clear()
            _first_ids[key] = (first, time.monotonic())
    return first


def _where(dialect: str, company_id: int, since: datetime, first_id: int) -> tuple[ColumnElement[bool], ...]:
    # The window is checked on the date copied to story_companies or on the story itself (equal values),
    # whichever each database answers best (plans measured by bench/lookup.py): SQLite then reads the
    # link table from the (company_id, is_primary, story_id) index alone and the story row once;
    # PostgreSQL keeps a nested loop over the company's links instead of hashing the week's stories.
    published = Story.last_published_at if dialect == "sqlite" else StoryCompany.last_published_at
    return (
        StoryCompany.company_id == company_id,
        StoryCompany.is_primary.is_(True),
        StoryCompany.story_id >= first_id,
        published >= since,
    )


def ranked_statement(
    dialect: str, company_id: int, *, now: datetime, since: datetime, first_id: int, limit: int, offset: int
) -> Select[*tuple[Any, ...]]:
    """The SQL `top_stories` runs (exposed so the benchmark can show its plan on each database)."""
    return (
        select(*_VIEW_COLUMNS)
        .join(StoryCompany, StoryCompany.story_id == Story.id)
        .where(*_where(dialect, company_id, since, first_id))
        .order_by(_score_sql(dialect, now).desc(), Story.id.desc())
        .limit(limit)
        .offset(offset)
    )


def top_stories(
    session: Session, company_id: int, *, now: datetime, days: int = 7, limit: int = 5, offset: int = 0
) -> list[StoryView]:
    """The company's primary stories of the last `days`, best first, one page of them."""
    now = as_utc(now)
    since = now - timedelta(days=days)
    first_id = _first_story_id(session, since)
    if first_id is None:
        return []
    dialect = session.get_bind().dialect.name
    try:
        stmt = ranked_statement(
            dialect, company_id, now=now, since=since, first_id=first_id, limit=limit, offset=offset
        )
        return [_view(row) for row in session.execute(stmt)]
    except OperationalError as exc:  # an SQLite built without math functions: rank in Python instead
        if "no such function" not in str(exc):
            raise
    candidates = session.execute(
        select(Story.id, Story.outlets_count, Story.last_published_at, Story.exclusive)
        .join(StoryCompany, StoryCompany.story_id == Story.id)
        .where(*_where(dialect, company_id, since, first_id))
    ).all()
    ranked = sorted(
        candidates,
        key=lambda r: (-story_score(r.outlets_count, r.last_published_at, r.exclusive, now), -r.id),
    )
    page = [r.id for r in ranked[offset : offset + limit]]
    rows = {s.id: s for s in session.scalars(select(Story).where(Story.id.in_(page)))} if page else {}
    return [_view(rows[i]) for i in page if i in rows]


# Plain columns, not ORM objects: a lookup needs values only, and skipping the identity map is cheaper.
_VIEW_COLUMNS = (
    Story.id,
    Story.headline,
    Story.url,
    Story.outlets_count,
    Story.first_outlet,
    Story.first_published_at,
    Story.last_published_at,
    Story.themes,
    Story.exclusive,
    Story.summary,
)


def _view(row: Any) -> StoryView:
    """A StoryView from a Story, or from a result row carrying the same columns."""
    return StoryView(
        id=row.id,
        headline=row.headline,
        url=row.url,
        outlets_count=row.outlets_count,
        first_outlet=row.first_outlet,
        first_published_at=row.first_published_at,
        last_published_at=row.last_published_at,
        themes=tuple(row.themes or ()),
        exclusive=bool(row.exclusive),
        summary=row.summary,
    )


# --- full-text fallback -------------------------------------------------------------------------


class Tokenizer(Protocol):
    """What the search needs from the analyser (`briefings.digest.nlp.KoreanNLP` satisfies it)."""

    def tokenize(self, texts: Sequence[str]) -> Sequence[Sequence[Morph]]: ...


MAX_SEARCH_TERMS = 6


@dataclass(frozen=True, slots=True)
class ArticleHit:
    id: int
    title: str
    url: str
    outlet: str
    published_at: datetime
    story_id: int | None


def query_terms(query: str, nlp: Tokenizer) -> list[str]:
    """The query's search terms, made exactly as the digester indexes articles (`index_terms`)."""
    morphs = nlp.tokenize([query])[0] if query.strip() else []
    terms: list[str] = []
    for m in morphs:
        for term in sorted(index_terms([m])):
            if term not in terms:
                terms.append(term)
    return terms[:MAX_SEARCH_TERMS]


def search_articles(
    session: Session, query: str, *, now: datetime, nlp: Tokenizer, days: int = 30, limit: int = 5
) -> list[ArticleHit]:
    """Recent articles containing every searchable morpheme of the query, newest first.

    The (term, article_id) primary key answers each term, and the date bound keeps the join small.
    """
    terms = query_terms(query, nlp)
    if not terms:
        return []
    since = as_utc(now) - timedelta(days=days)
    stmt = select(
        Article.id, Article.title, Article.url, Article.outlet, Article.published_at, Article.story_id
    )
    for term in terms:
        stmt = stmt.where(Article.id.in_(select(ArticleTerm.article_id).where(ArticleTerm.term == term)))
    stmt = stmt.where(Article.published_at >= since).order_by(Article.published_at.desc()).limit(limit)
    return [ArticleHit(*row) for row in session.execute(stmt).all()]
