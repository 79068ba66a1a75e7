"""Answering "what happened to X lately": rank a company's stories, search text.

What a typed name means is the company directory's one resolver (`briefings.companies`); this module
cleans the query and answers for the company found. A group's answer rolls up its affiliates' primary
stories, each labelled with the company it is about.

Top stories come from one index range (`story_companies (company_id, is_primary, story_id)`), bounded
below by the first story id of the window, and are ranked by the database, so only one page of rows
comes back and the answer stays fast on millions of articles (see bench/lookup.py for the plans).
"""

from __future__ import annotations

import re
import threading
import time
import unicodedata
from collections import defaultdict
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any, TypeVar

from sqlalchemy import (
    ColumnElement,
    Select,
    Table,
    any_,
    case,
    except_,
    exists,
    func,
    intersect,
    literal,
    or_,
    select,
    text,
    union,
)
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from briefings.companies.index import CompanyRef, OrdinaryWords, Registry
from briefings.companies.records import nfc
from briefings.db import in_chunks
from briefings.digest.nlp import Tokenizer as Tokenizer  # what the bot passes in
from briefings.digest.terms import STOP_NOUNS, index_terms
from briefings.models import (
    Article,
    ArticleTerm,
    ArticleTheme,
    Company,
    HourFirstIds,
    Story,
    StoryCompany,
)
from briefings.phrases import LEAD_CHARS, article_texts, has_run, phrase_key, read_forms
from briefings.query import Query, Word
from briefings.ranking import AGE_PENALTY_PER_DAY, search_score, search_score_ceiling, search_score_sql
from briefings.timeutil import as_utc

MAX_QUERY_CHARS = 200


class QueryError(ValueError):
    """Input that cannot be a query; the message is a short Korean explanation."""


_SPACES = re.compile(r"\s+")


def clean_query(text: str | None) -> str:
    """The query with whitespace collapsed, or `QueryError` for empty, too long or control characters."""
    raw = nfc(text or "")
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
    # In a group's answer, the company the story is about (LG전자 under LG그룹); "" otherwise.
    company: str = ""
    summary: str | None = None
    # (headline, url) of the earlier story this one follows up (digest/follow_ups.py), when known.
    follows: tuple[str, str] | None = None


def _first_story_id(session: Session, since: datetime) -> int | None:
    """A lower bound of the ids of stories updated since `since`: every candidate's id is at least this.

    Story ids grow as stories are created, so this bound lets the (company_id, is_primary, story_id)
    index skip a busy company's older stories instead of reading each one to check its date.
    """
    return _first_id(session, HourFirstIds.story_id, since)


def _first_article_id(session: Session, since: datetime) -> int | None:
    """The same bound for articles published since `since`: articles get growing ids as they are
    gathered, so the (term, article_id) key of `article_terms` reads only the window's postings."""
    return _first_id(session, HourFirstIds.article_id, since)


# A bound is kept a few minutes: an answer reads several windows, and the next answers the same
# hours. A story that took an article meanwhile may be missed by a window it entered that long.
_FIRST_ID_TTL = 300.0
_first_ids: dict[tuple[str, str, datetime], tuple[int, float]] = {}
_first_ids_lock = threading.Lock()


def _first_id(session: Session, bound: Any, since: datetime) -> int | None:
    """The least bound the database keeps for the hour of `since` and every later hour (None: no row
    since then), a lower bound of the ids of the rows dated since.

    `min(id)` over the rows themselves would read each (20-60 ms for a day or two, 150-400 ms for
    30 days on PostgreSQL at 1 M articles) for every hour a window starts at, first asked; this
    reads an hour's row per hour of the window. Taken at the hour, it is a little wider than the
    window, so still a bound: the stories found are the same.
    """
    hour = as_utc(since).replace(minute=0, second=0, microsecond=0)
    key = (bound.key, str(session.get_bind().engine.url), hour)
    with _first_ids_lock:
        cached = _first_ids.get(key)
    if cached is not None and time.monotonic() - cached[1] < _FIRST_ID_TTL:
        return cached[0]
    first = session.scalar(select(func.min(bound)).where(HourFirstIds.hour >= hour))
    if first is None:  # "nothing yet" must not be remembered
        return None
    with _first_ids_lock:
        if len(_first_ids) > 256:
            _first_ids.clear()
        _first_ids[key] = (int(first), time.monotonic())
    return int(first)


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
        .order_by(search_score_sql(dialect, now).desc(), Story.id.desc())
        .limit(limit)
        .offset(offset)
    )


def top_stories(
    session: Session,
    company_id: int | Sequence[int],
    *,
    now: datetime,
    days: int = 7,
    limit: int = 5,
    offset: int = 0,
) -> list[StoryView]:
    """The company's primary stories of the last `days`, best first, one page of them.

    Given several ids (a group and its affiliates, `Registry.rollup_ids`), the stories of any of
    them, each once, labelled with the company it is about (an affiliate before the group itself).
    """
    ids = [company_id] if isinstance(company_id, int) else list(dict.fromkeys(company_id))
    now = as_utc(now)
    since = now - timedelta(days=days)
    first_id = _first_story_id(session, since)
    if first_id is None or not ids:
        return []
    if len(ids) > 1:
        return _rolled_up(session, ids, now=now, since=since, first_id=first_id, limit=limit, offset=offset)
    dialect = session.get_bind().dialect.name
    try:
        stmt = ranked_statement(
            dialect, ids[0], now=now, since=since, first_id=first_id, limit=limit, offset=offset
        )
        return [story_view(row) for row in session.execute(stmt)]
    except OperationalError as exc:  # an SQLite built without math functions: rank in Python instead
        if "no such function" not in str(exc):
            raise
    candidates = session.execute(
        select(Story.id, Story.outlets_count, Story.last_published_at, Story.exclusive)
        .join(StoryCompany, StoryCompany.story_id == Story.id)
        .where(*_where(dialect, ids[0], since, first_id))
    ).all()
    return _rank_in_python(session, candidates, {}, now=now, limit=limit, offset=offset)


def top_stories_each(
    session: Session, company_ids: Sequence[int], *, now: datetime, days: int = 7, limit: int = 5
) -> dict[int, list[StoryView]]:
    """Each company's best `limit` primary stories of the last `days`, for many companies at once.

    The same ranking as `top_stories`, numbered per company by the database (`ROW_NUMBER`), so a
    page listing several companies (App Home) costs one query, not one per company.
    """
    ids = list(dict.fromkeys(company_ids))
    now = as_utc(now)
    since = now - timedelta(days=days)
    first_id = _first_story_id(session, since) if ids else None
    out: dict[int, list[StoryView]] = {cid: [] for cid in ids}
    if first_id is None:
        return out
    dialect = session.get_bind().dialect.name
    for part in in_chunks(ids):
        links = (
            StoryCompany.company_id.in_(part),
            StoryCompany.is_primary.is_(True),
            StoryCompany.story_id >= first_id,
            StoryCompany.last_published_at >= since,
        )
        try:
            rank = func.row_number().over(
                partition_by=StoryCompany.company_id,
                order_by=(search_score_sql(dialect, now).desc(), Story.id.desc()),
            )
            numbered = (
                select(*_VIEW_COLUMNS, StoryCompany.company_id, rank.label("rank"))
                .join(StoryCompany, StoryCompany.story_id == Story.id)
                .where(*links)
                .subquery()
            )
            rows = session.execute(
                select(numbered)
                .where(numbered.c.rank <= limit)
                .order_by(numbered.c.company_id, numbered.c.rank)
            )
            for row in rows:
                out[row.company_id].append(story_view(row))
            continue
        except OperationalError as exc:  # an SQLite built without math functions: rank in Python
            if "no such function" not in str(exc):
                raise
        candidates = session.execute(
            select(*_VIEW_COLUMNS, StoryCompany.company_id)
            .join(StoryCompany, StoryCompany.story_id == Story.id)
            .where(*links)
        ).all()
        ranked = sorted(
            candidates,
            key=lambda r: (-search_score(r.outlets_count, r.last_published_at, r.exclusive, now), -r.id),
        )
        for row in ranked:
            if len(out[row.company_id]) < limit:
                out[row.company_id].append(story_view(row))
    return out


def _rank_in_python(
    session: Session,
    candidates: Sequence[Any],
    labels: dict[int, str],
    *,
    now: datetime,
    limit: int,
    offset: int,
) -> list[StoryView]:
    ranked = sorted(
        candidates,
        key=lambda r: (-search_score(r.outlets_count, r.last_published_at, r.exclusive, now), -r.id),
    )
    page = [r.id for r in ranked[offset : offset + limit]]
    rows = {s.id: s for s in session.scalars(select(Story).where(Story.id.in_(page)))} if page else {}
    return [story_view(rows[i], labels.get(i, "")) for i in page if i in rows]


def _rolled_up(
    session: Session,
    ids: list[int],
    *,
    now: datetime,
    since: datetime,
    first_id: int,
    limit: int,
    offset: int,
) -> list[StoryView]:
    """A group's answer: its own and its affiliates' primary stories, each once, ranked together."""
    names = {
        cid: name
        for cid, name in session.execute(select(Company.id, Company.name).where(Company.id.in_(ids)))
    }
    # Which company labels a story several of them share: an affiliate (in registry order) before the group.
    order = [*ids[1:], ids[0]]
    rank = case({cid: i for i, cid in enumerate(order)}, value=StoryCompany.company_id)
    links = (
        select(StoryCompany.story_id.label("story_id"), func.min(rank).label("rank"))
        .where(
            StoryCompany.company_id.in_(ids),
            StoryCompany.is_primary.is_(True),
            StoryCompany.story_id >= first_id,
            StoryCompany.last_published_at >= since,
        )
        .group_by(StoryCompany.story_id)
        .subquery()
    )
    dialect = session.get_bind().dialect.name

    def label(position: int) -> str:
        return names.get(order[int(position)], "")

    try:
        stmt = (
            select(*_VIEW_COLUMNS, links.c.rank)
            .join(links, links.c.story_id == Story.id)
            .order_by(search_score_sql(dialect, now).desc(), Story.id.desc())
            .limit(limit)
            .offset(offset)
        )
        return [story_view(row, label(row.rank)) for row in session.execute(stmt)]
    except OperationalError as exc:
        if "no such function" not in str(exc):
            raise
    candidates = session.execute(
        select(Story.id, Story.outlets_count, Story.last_published_at, Story.exclusive, links.c.rank).join(
            links, links.c.story_id == Story.id
        )
    ).all()
    labels = {r.id: label(r.rank) for r in candidates}
    return _rank_in_python(session, candidates, labels, now=now, limit=limit, offset=offset)


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


def story_view(row: Any, company: str = "") -> StoryView:
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
        company=company,
        summary=row.summary,
    )


# --- full-text fallback -------------------------------------------------------------------------


MAX_SEARCH_TERMS = 6
# Words that frame a query rather than say what it is about ("없는 회사", "삼성 관련 뉴스"), on top of
# the nouns the digester already finds uninformative: as search terms they would match nearly every
# business story, so a query made only of them finds nothing rather than everything.
_FRAMING_WORDS = "회사 기업 업체 업계 그룹 계열사 주식회사 법인 관련 소식 뉴스 기사 정보 내용 이야기 얘기"
_QUESTION_WORDS = "최신 근황 요즘 동향 현황 상황 무엇 뭐 어디 누구"
SEARCH_STOP_WORDS = STOP_NOUNS | frozenset(f"{_FRAMING_WORDS} {_QUESTION_WORDS}".split())


@dataclass(frozen=True, slots=True)
class ArticleHit:
    """A search hit: a story (its headline, link and first outlet) or an article outside any story."""

    id: int
    title: str
    url: str
    outlet: str
    published_at: datetime
    story_id: int | None
    outlets_count: int = 1  # a story reported by several outlets: shown once, as "외 N개 매체"


def query_terms(query: str, nlp: Tokenizer) -> list[str]:
    """The query's search terms, made as the digester indexes articles (`index_terms`), minus stop words."""
    morphs = nlp.tokenize([query])[0] if query.strip() else []
    terms: list[str] = []
    for m in morphs:
        for term in sorted(index_terms([m])):
            if term not in terms and term not in SEARCH_STOP_WORDS:
                terms.append(term)
    return terms[:MAX_SEARCH_TERMS]


def search_articles(
    session: Session, query: str, *, now: datetime, nlp: Tokenizer, days: int = 30, limit: int = 5
) -> list[ArticleHit]:
    """Recent stories whose articles contain every search term of the query, latest match first.

    Reprints of one event are one story: it comes back once, with its outlet count, not once per
    outlet. The (term, article_id) primary key answers each term, the date bound keeps the join small,
    and the database groups and pages, so one page of keys comes back.
    """
    terms = query_terms(query, nlp)
    if not terms:
        return []
    since = as_utc(now) - timedelta(days=days)
    conditions = [Article.published_at >= since]
    conditions += [Article.id.in_(select(ArticleTerm.article_id).where(ArticleTerm.term == t)) for t in terms]
    # A story's articles share its id (positive); an article outside any story stands alone (negative).
    key = func.coalesce(Article.story_id, -Article.id)
    latest = func.max(Article.published_at)
    page = session.execute(
        select(key, latest).where(*conditions).group_by(key).order_by(latest.desc(), key.desc()).limit(limit)
    ).all()
    story_ids = [k for k, _ in page if k > 0]
    article_ids = [-k for k, _ in page if k < 0]
    stories = (
        {
            row.id: row
            for row in session.execute(
                select(
                    Story.id,
                    Story.headline,
                    Story.url,
                    Story.first_outlet,
                    Story.outlets_count,
                    Story.first_published_at,
                    Story.representative_article_id,
                ).where(Story.id.in_(story_ids))
            )
        }
        if story_ids
        else {}
    )
    articles = (
        {
            row.id: row
            for row in session.execute(
                select(Article.id, Article.title, Article.url, Article.outlet, Article.published_at).where(
                    Article.id.in_(article_ids)
                )
            )
        }
        if article_ids
        else {}
    )
    hits: list[ArticleHit] = []
    for k, _latest in page:
        if k > 0 and k in stories:
            s = stories[k]
            hits.append(
                ArticleHit(
                    s.representative_article_id or 0,
                    s.headline,
                    s.url,
                    s.first_outlet,
                    s.first_published_at,
                    s.id,
                    max(s.outlets_count, 1),
                )
            )
        elif k < 0 and -k in articles:
            a = articles[-k]
            hits.append(ArticleHit(a.id, a.title, a.url, a.outlet, a.published_at, None))
    return hits


# --- queries with operators -----------------------------------------------------------------------

# How a query's company is read: only an exact name, alias or ticker (or a group's name, answered with
# its affiliates). A typo is corrected only for a query that is a company name alone (`lookup`), since
# in `삼성전자 HBM` the fuzzy reading of the whole text would silently drop the word.
_NO_ORDINARY = OrdinaryWords()  # exact matches only: no analyser call for each word
_EXACT = frozenset({"alias", "ticker", "group"})
MAX_COMPANY_WORDS = 3  # the longest company name typed as separate words (Samsung Electronics Co)


@dataclass(frozen=True, slots=True)
class StorySearch:
    """A query in the terms the stories are indexed by: companies, analysed words, themes, outlets.

    `include` is a conjunction of alternatives, each alternative the index terms that must all be in
    one story (a phrase or a compound gives several). Built by `plan_search`; `query_stories` answers it.
    """

    company: CompanyRef | None = None
    company_ids: tuple[int, ...] = ()
    include: tuple[tuple[tuple[str, ...], ...], ...] = ()
    exclude: tuple[tuple[str, ...], ...] = ()
    themes: tuple[str, ...] = ()
    outlets: tuple[str, ...] = ()
    exclude_themes: tuple[str, ...] = ()
    exclude_outlets: tuple[str, ...] = ()
    days: int | None = None
    words: tuple[str, ...] = ()  # what the user asked for besides the company, for the heading
    # Readings of quoted phrases whose terms must also stand next to each other in the text, with
    # what the phrase spells (`briefings.phrases`): the index finds candidates, the text decides.
    adjacent: tuple[tuple[tuple[str, ...], str], ...] = ()

    @property
    def empty(self) -> bool:
        return not (self.company_ids or self.include or self.themes or self.outlets)


MAX_SPLIT_WORD = 6


def word_readings(text: str, nlp: Tokenizer) -> list[tuple[str, ...]]:
    """The ways an article's index may hold a query word: each a set of terms one article must carry.

    Kiwi reads a word by its context: 폴더블 alone is one noun, but in 삼성전자 폴더블 스마트폰 it is
    폴 + 더블. A Hangul word the analyser reads as one noun therefore also matches its two-part
    readings, the way a company name is found as a run of morphemes in text.
    """
    terms = tuple(query_terms(text, nlp))
    if not terms:
        return []
    readings = [terms]
    word = terms[0]
    if len(terms) == 1 and 3 <= len(word) <= MAX_SPLIT_WORD and all("가" <= ch <= "힣" for ch in word):
        readings += [(word[:i], word[i:]) for i in range(1, len(word))]
    return readings


MAX_PHRASE_READINGS = 8


def phrase_readings(text: str, nlp: Tokenizer) -> list[tuple[str, ...]]:
    """A quoted phrase's readings: the whole phrase as the analyser reads it, then each word's own
    readings combined (in a headline Kiwi may read a word of the phrase differently than alone)."""
    words = text.split()
    if len(words) < 2:
        return word_readings(text, nlp)
    readings: list[tuple[str, ...]] = [()]
    for options in (word_readings(w, nlp) for w in words):
        if options:
            readings = [r + o for r in readings for o in options][:MAX_PHRASE_READINGS]
    whole = tuple(query_terms(text, nlp))
    distinct = (tuple(dict.fromkeys(r)) for r in [whole, *readings] if r)
    return list(dict.fromkeys(distinct))[:MAX_PHRASE_READINGS]


def _company_of(registry: Registry, text: str) -> tuple[CompanyRef, list[int]] | None:
    res = registry.resolve(text, ordinary=_NO_ORDINARY)
    if res.matched_by not in _EXACT:
        return None
    if res.status == "found" and res.company is not None:
        return res.company, registry.rollup_ids(res.company.id)
    if res.status == "ambiguous" and res.matched_by == "group" and res.candidates:
        group = res.candidates[0]  # a group's bare name (삼성 HBM): the group with its affiliates
        return group, registry.rollup_ids(group.id)
    return None


def plan_search(query: Query, *, registry: Registry, nlp: Tokenizer) -> StorySearch:
    """The parsed query read against the registry and the analyser (`QueryError` if nothing is left).

    The first run of bare words that is exactly a company's name, alias or ticker is the company; every
    other word is analysed the way articles are indexed (Kiwi morphemes, `index_terms`), so `HBM을`
    matches HBM and a compound matches its parts, as company names are matched in text.
    """
    groups = list(query.include)
    company: tuple[CompanyRef, list[int]] | None = None
    singles = [i for i, g in enumerate(groups) if len(g.options) == 1 and not g.options[0].phrase]
    for width in range(min(MAX_COMPANY_WORDS, len(singles)), 0, -1):
        for k in range(len(singles) - width + 1):
            span = singles[k : k + width]
            if span[-1] - span[0] != width - 1:  # only words typed next to each other
                continue
            company = _company_of(registry, " ".join(groups[i].options[0].text for i in span))
            if company is not None:
                groups = [g for i, g in enumerate(groups) if i not in span]
                break
        if company is not None:
            break

    include: list[tuple[tuple[str, ...], ...]] = []
    adjacent: dict[tuple[str, ...], str] = {}

    def readings(word: Word) -> list[tuple[str, ...]]:
        found = phrase_readings(word.text, nlp) if word.phrase else word_readings(word.text, nlp)
        if word.phrase:
            key = phrase_key(word.text, nlp)
            adjacent.update({terms: key for terms in found if len(terms) > 1})
        return found

    for group in groups:
        options = tuple(t for w in group.options for t in readings(w))
        if options:
            include.append(options)
    exclude = tuple(t for w in query.exclude for t in readings(w))
    words = tuple(" OR ".join(f'"{w.text}"' if w.phrase else w.text for w in g.options) for g in groups)
    search = StorySearch(
        company=company[0] if company else None,
        company_ids=tuple(company[1]) if company else (),
        include=tuple(include),
        exclude=exclude,
        themes=query.themes,
        outlets=query.outlets,
        exclude_themes=query.exclude_themes,
        exclude_outlets=query.exclude_outlets,
        days=query.days,
        words=words,
        adjacent=tuple(adjacent.items()),
    )
    if search.empty:
        raise QueryError(
            "찾을 수 있는 말이 남지 않았습니다 ('뉴스', '관련' 같은 말은 검색어가 되지 않아요). "
            "회사 이름이나 다른 낱말로 다시 찾아 주세요."
        )
    return search


def _in_json_list(dialect: str, column: Any, value: str) -> ColumnElement[bool]:
    """`value` is an element of the JSON list in `column` (stories' themes and outlets)."""
    if dialect == "sqlite":
        each = func.json_each(column).table_valued("value")
    else:
        each = func.json_array_elements_text(column).table_valued("value")
    return exists(select(literal(1)).select_from(each).where(each.c.value == value))


def has_terms(dialect: str, terms: Sequence[str], *, story_by_story: bool = False) -> ColumnElement[bool]:
    """One article of the story carries every term (read off the (term, article_id) primary key).

    Built on the plain tables: sibling subqueries need no aliases, and an ORM alias per term cost
    more to build than the database took to answer. `story_by_story` (exclusions, alternatives) keeps
    it a check of each candidate story (an `OFFSET 0` subquery, which PostgreSQL does not flatten): it
    would otherwise sometimes answer with a hash of every article that ever carried the word, which
    takes seconds for a common one.

    PostgreSQL finds the story's postings of the first term by their `story_id` (one probe of the
    (term, story_id) index, where going through the story's articles costs one per article); the
    other terms, if any, must be in one of those articles. SQLite goes through the articles: its
    (story_id) index and rowid table make that as cheap, and its plans stay as measured.
    """
    postings = _TERMS
    if dialect == "postgresql" and terms:
        lead = postings.alias("lead")
        others = [
            exists(
                select(literal(1)).where(postings.c.article_id == lead.c.article_id, postings.c.term == term)
            )
            for term in terms[1:]
        ]
        found = select(literal(1)).where(lead.c.story_id == _STORIES.c.id, lead.c.term == terms[0], *others)
    else:
        articles = _ARTICLES
        conditions = [
            exists(select(literal(1)).where(postings.c.article_id == articles.c.id, postings.c.term == term))
            for term in terms
        ]
        found = select(literal(1)).where(articles.c.story_id == _STORIES.c.id, *conditions)
    return exists(found.offset(0) if story_by_story else found)


_ARTICLES: Table = Article.__table__  # type: ignore[assignment]
_TERMS: Table = ArticleTerm.__table__  # type: ignore[assignment]
_STORIES: Table = Story.__table__  # type: ignore[assignment]


def _driven_by_words(search: StorySearch) -> bool:
    """Whether the window's postings of the first word (`_driver`) are exactly that word's condition:
    each of its readings one term, so a story the postings bring already carries it."""
    return not search.company_ids and bool(search.include) and all(len(r) == 1 for r in search.include[0])


def _checked_groups(search: StorySearch) -> tuple[tuple[tuple[str, ...], ...], ...]:
    """The include groups checked on each story: all but the first when its postings drive."""
    return search.include[1:] if _driven_by_words(search) else search.include


def _checked_exclusions(search: StorySearch) -> list[tuple[str, ...]]:
    """Excluded readings checked in the index: an excluded phrase hides only the stories that have it
    as a phrase, which the text decides (`with_phrases`)."""
    adjacent = dict(search.adjacent)
    return [terms for terms in search.exclude if terms not in adjacent]


def _words_as_sets(dialect: str, search: StorySearch) -> bool:
    """Whether a search's words are answered as sets of postings (`_word_stories`), not per story.

    On PostgreSQL without a company, checking each of the first word's candidates for the other
    words costs a probe per candidate and word (1,200 candidates a day for a common word); the
    words' postings of the window's stories, read in `(term, story_id)` order and intersected,
    cost a few thousand index entries each. With a company, its links are far fewer candidates;
    a single word's postings are the answer's candidates already, with nothing to intersect.
    """
    return (
        dialect == "postgresql"
        and not search.company_ids
        and bool(search.include)
        and bool(_checked_groups(search) or _checked_exclusions(search))
    )


def _reading_stories(terms: Sequence[str], first_story: int) -> Select[Any]:
    """The stories of id `first_story` or more with an article carrying every one of `terms`."""
    lead = _TERMS.alias("lead")
    others = [
        exists(select(literal(1)).where(_TERMS.c.article_id == lead.c.article_id, _TERMS.c.term == term))
        for term in terms[1:]
    ]
    return select(lead.c.story_id).where(lead.c.term == terms[0], lead.c.story_id >= first_story, *others)


def _word_stories(search: StorySearch, driver: Select[Any] | None, first_story: int) -> ColumnElement[bool]:
    """`Story.id` is among the stories the search's words allow, as one set expression: the first
    word's postings in the window (`driver`) intersected with each other group's stories (any
    reading), minus the stories of each exclusion, each set bounded below by the window's first
    story id. The same stories `has_terms` finds one by one; the database hashes the sets, so the
    smallest bounds the work and no candidate is probed per word."""
    sets: list[Any] = [] if driver is None else [driver]
    for options in _checked_groups(search):
        readings = [_reading_stories(terms, first_story) for terms in options]
        sets.append(readings[0] if len(readings) == 1 else union(*readings))
    allowed: Any = sets[0] if len(sets) == 1 else intersect(*sets)
    exclusions = [_reading_stories(terms, first_story) for terms in _checked_exclusions(search)]
    if exclusions:
        allowed = except_(allowed, *exclusions)
    # As `IN (...)`, PostgreSQL takes the set for as large as its largest part (it cannot estimate an
    # intersection) and hashes every story of the window's dates instead (7,000 rows a day for ~100 ids).
    return _read_by_key(allowed)


def _read_by_key(story_ids: Any) -> ColumnElement[bool]:
    """`Story.id` is among `story_ids` as `= ANY(ARRAY(...))`: the set is computed once, then its
    stories are read by their key (PostgreSQL)."""
    return Story.id == any_(func.array(story_ids.scalar_subquery()))


def search_conditions(dialect: str, search: StorySearch) -> list[ColumnElement[bool]]:
    """The SQL conditions on `Story` a search puts (its company range is added by `query_stories`).

    Without a company, the stories come from the postings of the first word (`search_where`); when
    those postings are the first word's condition itself, it is not checked a second time.
    """
    out: list[ColumnElement[bool]] = []
    if not _words_as_sets(dialect, search):  # else `search_where` intersects the words' postings
        for options in _checked_groups(search):
            # Alternatives (a compound's readings, OR) also go story by story: under OR, PostgreSQL
            # would otherwise hash every article that ever carried a reading's rarer part.
            out.append(
                or_(*[has_terms(dialect, terms, story_by_story=len(options) > 1) for terms in options])
            )
        for terms in _checked_exclusions(search):
            out.append(~has_terms(dialect, terms, story_by_story=True))
    if search.themes:
        out.append(or_(*[_in_json_list(dialect, Story.themes, t) for t in search.themes]))
    if search.outlets:
        out.append(or_(*[_in_json_list(dialect, Story.outlets, o) for o in search.outlets]))
    for theme in search.exclude_themes:
        out.append(~_in_json_list(dialect, Story.themes, theme))
    for outlet in search.exclude_outlets:
        out.append(~_in_json_list(dialect, Story.outlets, outlet))
    return out


def story_matches(
    search: StorySearch,
    *,
    companies: Collection[int],
    themes: Collection[str],
    outlets: Collection[str],
    articles: Iterable[Collection[str]],
) -> bool:
    """`search_conditions` (and the company range) as a rule over one story's facts: its primary
    companies, themes, outlets and each article's index terms (those of them the search names).

    A delivery run answers every channel's saved queries over the stories it has read already, so
    the database is asked once for all of them rather than once per query (`briefings.recent`).
    """
    if search.company_ids and not any(c in companies for c in search.company_ids):
        return False
    if search.themes and not any(t in themes for t in search.themes):
        return False
    if search.outlets and not any(o in outlets for o in search.outlets):
        return False
    if any(t in themes for t in search.exclude_themes) or any(o in outlets for o in search.exclude_outlets):
        return False
    arts = list(articles)

    def carried(terms: tuple[str, ...]) -> bool:
        return any(all(t in a for t in terms) for a in arts)

    adjacent = dict(search.adjacent)
    if not all(any(carried(r) for r in options) for options in search.include):
        return False
    return not any(carried(r) for r in search.exclude if r not in adjacent)


def search_terms(search: StorySearch) -> frozenset[str]:
    """Every index term a search's words name (what `story_matches` needs to know of each article)."""
    return frozenset(t for options in search.include for r in options for t in r) | frozenset(
        t for r in search.exclude for t in r
    )


def _driver(session: Session, search: StorySearch, since: datetime) -> Select[Any] | None:
    first_article = _first_article_id(session, since)
    if first_article is None:
        return None
    if search.include:
        leads = sorted({terms[0] for terms in search.include[0]})
        postings = (ArticleTerm.term.in_(leads), ArticleTerm.article_id >= first_article)
        if session.get_bind().dialect.name == "postgresql":  # the story is in the primary key's index
            return select(ArticleTerm.story_id).where(*postings)
        return (
            select(Article.story_id).join(ArticleTerm, ArticleTerm.article_id == Article.id).where(*postings)
        )
    if search.themes:  # a story's themes are some of its articles' (`story_themes`)
        return (
            select(Article.story_id)
            .join(ArticleTheme, ArticleTheme.article_id == Article.id)
            .where(ArticleTheme.theme.in_(search.themes), ArticleTheme.article_id >= first_article)
        )
    return None


def search_where(
    session: Session,
    search: StorySearch,
    *,
    since: datetime,
    until: datetime | None = None,
    extra: Sequence[ColumnElement[bool]] = (),
    conditions: Sequence[ColumnElement[bool]] | None = None,
    fenced: bool = False,
) -> list[ColumnElement[bool]] | None:
    """The conditions on `Story` for stories updated since `since` (and before `until`), or None when
    no story is in the window at all.

    `conditions` are the search's own (`search_conditions`) when the caller built them already: one
    answer asks for several windows of the same search. `fenced` (one search answered on its own,
    not OR-ed with others) lets PostgreSQL find the window's candidates first and check the words on
    those alone (`_fence`).
    """
    first_id = _first_story_id(session, since)
    if first_id is None:
        return None
    dialect = session.get_bind().dialect.name
    if conditions is None:
        conditions = search_conditions(dialect, search)
    id_bound = Story.id >= first_id
    start: list[ColumnElement[bool]] = [id_bound, Story.last_published_at >= since]
    if until is not None:
        start.append(Story.last_published_at < until)
    pg = dialect == "postgresql"
    if _words_as_sets(dialect, search):
        driver = _driver(session, search, since)
        if driver is None and _driven_by_words(search):  # no article in the window carries the word
            return None
        # The date alone: with the id bound too, PostgreSQL multiplies two selectivities that go
        # together and misjudges the window (see below). The sets hold the id bound instead.
        start.remove(id_bound)
        return [*start, _word_stories(search, driver, first_id), *conditions, *extra]
    if not search.company_ids:
        # No company range to start from: start from the postings of the first word (or of the first
        # theme, in `article_themes`) in the window, a superset the conditions above then narrow.
        driver = _driver(session, search, since)
        if driver is not None:
            if pg:
                # PostgreSQL multiplies the selectivities of the id bound and the date, which go
                # together: it then expects a hundred stories in the window instead of thousands and
                # checks each against the postings. The date alone gives it the true count.
                start.remove(id_bound)
                if fenced:
                    # The postings' stories computed once and read by their key (`= ANY(ARRAY(...))`),
                    # the date and the checks on those rows alone: joined instead, it reads every
                    # story of the window by date to hash them against the postings (7,000 story
                    # rows a day for ~1,100 candidates, 30 ms where this takes 12).
                    return [*start, _read_by_key(driver), *conditions, *extra]
            start.append(Story.id.in_(driver))
        elif _driven_by_words(search):  # no article in the window: no story can carry the word
            return None
    else:
        links = select(StoryCompany.story_id).where(
            StoryCompany.company_id.in_(search.company_ids),
            StoryCompany.is_primary.is_(True),
            StoryCompany.story_id >= first_id,
            StoryCompany.last_published_at >= since,
        )
        if pg and fenced:
            # The company's links are the candidates, bounded by their copy of the story's date (the
            # same values): each candidate story is then read once, and only those are checked. With
            # the id bound on stories too, the misestimate above would have it check every story of
            # the window instead.
            if until is not None:
                links = links.where(StoryCompany.last_published_at < until)
            start.remove(id_bound)
            return [*start, Story.id.in_(links.offset(0)), *conditions, *extra]
        start.append(Story.id.in_(links))
    if pg and fenced and (search.include or search.exclude):  # words to check: each costs probes
        return [_fence(start), *conditions, *extra]
    return [*start, *conditions, *extra]


def _fence(start: Sequence[ColumnElement[bool]]) -> ColumnElement[bool]:
    """The window's candidates (its dates and the first word's postings) as one subquery PostgreSQL
    plans on its own (`OFFSET 0`), so the checks of words run on those alone.

    Planned together, it evaluates the checks while it reads the stories of the window by date, before
    joining the postings that would have ruled most of them out: a few hundred candidates cost what
    thousands do. Checks of themes and outlets (a story's own JSON) are cheaper than that detour.
    """
    candidates = select(_STORIES.c.id).where(*start).offset(0)
    return Story.id.in_(candidates)


def count_stories(
    session: Session,
    search: StorySearch,
    *,
    now: datetime,
    days: int = 7,
    extra: Sequence[ColumnElement[bool]] = (),
) -> int:
    """How many stories of the window a search (with `extra` conditions) finds."""
    since = as_utc(now) - timedelta(days=search.days or days)
    where = search_where(session, search, since=since, extra=extra, fenced=True)
    if where is None:
        return 0
    return int(session.scalar(select(func.count()).select_from(Story).where(*where)) or 0)


def query_stories(
    session: Session,
    search: StorySearch,
    *,
    now: datetime,
    days: int = 7,
    limit: int = 5,
    offset: int = 0,
    extra: Sequence[ColumnElement[bool]] = (),
    nlp: Tokenizer | None = None,
) -> list[StoryView]:
    """The stories a search finds in the last `days` (the query's own 기간 wins), best first.

    A company's range of the (company_id, is_primary, story_id) index is read first and each of its
    stories checked against the words; without a company, the window's stories are. `extra` adds
    conditions on `Story` (a channel's filters). A search with quoted phrases needs `nlp`: the
    index's candidates are read again to check that the phrase's words stand together.
    """
    if search.adjacent and nlp is None:
        raise ValueError("a search with phrases needs the analyser")
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql":
        # A search reads a few thousand postings, but its per-story subqueries make PostgreSQL's
        # estimate large: it would compile the statement with JIT (about 0.4 s, for a 40 ms query)
        # and hand the postings to parallel workers, whose start-up costs more than they save on a
        # small, busy machine (an answer took twice as long under load). For this transaction only.
        session.execute(_PG_SEARCH_SETTINGS)
    extra = [*search_conditions(dialect, search), *extra]
    now = as_utc(now)
    window = timedelta(days=search.days or days)
    # Age costs a story AGE_PENALTY_PER_DAY of score and no story scores more than `_score_ceiling`, so
    # once the last day's best `offset + limit` stories are known, anything older than the age at which
    # the ceiling falls below the last of them cannot make the page: the window is cut to that age.
    # The answer is the same; a 30-day query reads two or three days of stories, not thirty.
    need = offset + limit
    if window > 1.5 * _PROBE:
        probe_start = now - _PROBE
        probe = _best(session, search, now=now, since=probe_start, need=need, extra=extra, nlp=nlp)
        if probe is not None:
            since = now - window
            if len(probe) >= need:
                kth = probe[need - 1][1]
                reach = timedelta(days=(_score_ceiling(session) - kth) / AGE_PENALTY_PER_DAY) + _MARGIN
                if reach <= _PROBE:
                    return _labelled(session, search, [v for v, _ in probe[offset:need]])
                since = now - min(window, reach)
            # The probe ranked every story of its day: only older ones are read, then both merged.
            rest = _best(
                session, search, now=now, since=since, until=probe_start, need=need, extra=extra, nlp=nlp
            )
            merged = sorted([*probe, *(rest or [])], key=lambda p: (-p[1], -p[0].id))
            return _labelled(session, search, [v for v, _ in merged[offset:need]])
    if not search.adjacent:
        page = _ranked_page(
            session, search, now=now, since=now - window, limit=limit, offset=offset, extra=extra
        )
    else:
        page = (_best(session, search, now=now, since=now - window, need=need, extra=extra, nlp=nlp) or [])[
            offset:
        ]
    return _labelled(session, search, [v for v, _ in page or []])


_PG_SEARCH_SETTINGS = text(
    "SELECT set_config('jit', 'off', true), set_config('max_parallel_workers_per_gather', '0', true)"
)

# How many of the index's candidates a phrase search reads again at most, best first: a phrase whose
# words are common but never together must not make one answer read the whole window.
MAX_PHRASE_CANDIDATES = 400


def _best(
    session: Session,
    search: StorySearch,
    *,
    now: datetime,
    since: datetime,
    until: datetime | None = None,
    need: int,
    extra: Sequence[ColumnElement[bool]],
    nlp: Tokenizer | None,
) -> list[tuple[StoryView, float]] | None:
    """The best `need` stories updated since `since` (and before `until`); phrases checked in the
    text, page by page of candidates."""

    def ranked(limit: int, offset: int) -> list[tuple[StoryView, float]] | None:
        return _ranked_page(
            session, search, now=now, since=since, until=until, limit=limit, offset=offset, extra=extra
        )

    if not search.adjacent or nlp is None:
        return ranked(need, 0)
    kept: list[tuple[StoryView, float]] = []
    read, size = 0, need * 2 + 8
    while True:
        page = ranked(size, read)
        if page is None:
            return None
        kept += with_phrases(session, search, page, nlp)
        read += len(page)
        if len(kept) >= need or len(page) < size or read >= MAX_PHRASE_CANDIDATES:
            return kept[:need]
        size = min(size * 2, MAX_PHRASE_CANDIDATES - read)


_T = TypeVar("_T")


def with_phrases(
    session: Session, search: StorySearch, page: Sequence[tuple[StoryView, _T]], nlp: Tokenizer
) -> list[tuple[StoryView, _T]]:
    """The candidates whose articles hold the search's phrases as phrases (and none it excludes).

    Two statements for the page: which articles carry the phrases' terms (the index), and those
    articles' headline and lead, read by the analyser as the digester reads them.
    """
    adjacent = dict(search.adjacent)
    groups = [g for g in search.include if any(r in adjacent for r in g)]
    negated = [r for r in search.exclude if r in adjacent]
    if not page or not (groups or negated):
        return list(page)
    wanted = sorted({t for g in groups for r in g for t in r} | {t for r in negated for t in r})
    carried: dict[int, set[str]] = defaultdict(set)
    of_story: dict[int, set[int]] = defaultdict(set)
    for article_id, story_id, term in session.execute(
        select(Article.id, Article.story_id, ArticleTerm.term)
        .join(ArticleTerm, ArticleTerm.article_id == Article.id)
        .where(Article.story_id.in_([v.id for v, _ in page]), ArticleTerm.term.in_(wanted))
    ):
        carried[article_id].add(term)
        if story_id is not None:
            of_story[story_id].add(article_id)
    phrased = [r for g in groups for r in g if r in adjacent] + negated
    # Only articles that carry every term of some phrase reading can hold that phrase.
    to_read = sorted(a for a, ts in carried.items() if any(ts.issuperset(r) for r in phrased))
    texts: dict[int, tuple[str, str]] = {}
    for part in in_chunks(to_read):
        for article_id, title, summary, lead in session.execute(
            select(
                Article.id, Article.title, Article.summary, func.substr(Article.body, 1, LEAD_CHARS)
            ).where(Article.id.in_(part))
        ):
            texts[article_id] = article_texts(title, summary, lead)
    forms = read_forms([t for pair in texts.values() for t in pair], nlp)

    def holds(article_id: int, reading: tuple[str, ...]) -> bool:
        if not carried[article_id].issuperset(reading):
            return False
        if reading not in adjacent:
            return True
        return any(has_run(forms.get(t, ()), adjacent[reading]) for t in texts.get(article_id, ()))

    out = []
    for view, extra in page:
        articles = of_story.get(view.id, set())
        if all(any(holds(a, r) for a in articles for r in g) for g in groups) and not any(
            holds(a, r) for a in articles for r in negated
        ):
            out.append((view, extra))
    return out


_PROBE = timedelta(days=1)
_MARGIN = timedelta(hours=1)


def _score_ceiling(session: Session) -> float:
    """No story scores more: the most outlets any story has, brand new, exclusive.

    Read for every answer (the end of the `outlets_count` index: a few pages), so it is the bound of
    the moment; a bound kept for minutes would have to be loose, and every unit of score it gives away
    is more than a day of stories read for nothing.
    """
    return search_score_ceiling(session.scalar(select(func.max(Story.outlets_count))) or 1)


def _ranked_page(
    session: Session,
    search: StorySearch,
    *,
    now: datetime,
    since: datetime,
    until: datetime | None = None,
    limit: int,
    offset: int,
    extra: Sequence[ColumnElement[bool]],
) -> list[tuple[StoryView, float]] | None:
    """One page of the search's stories updated since `since` (and before `until`), best first, with
    their scores.

    `extra` holds the search's own conditions too (built once by `query_stories`)."""
    where = search_where(session, search, since=since, until=until, extra=extra, conditions=(), fenced=True)
    if where is None:
        return None
    dialect = session.get_bind().dialect.name
    score = search_score_sql(dialect, now)
    try:
        stmt = (
            select(*_VIEW_COLUMNS, score.label("score"))
            .where(*where)
            .order_by(score.desc(), Story.id.desc())
            .limit(limit)
            .offset(offset)
        )
        return [(story_view(row), float(row.score)) for row in session.execute(stmt)]
    except OperationalError as exc:  # an SQLite built without math functions: rank in Python instead
        if "no such function" not in str(exc):
            raise
    candidates = session.execute(
        select(Story.id, Story.outlets_count, Story.last_published_at, Story.exclusive).where(*where)
    ).all()
    views = _rank_in_python(session, candidates, {}, now=now, limit=limit, offset=offset)
    return [(v, search_score(v.outlets_count, v.last_published_at, v.exclusive, now)) for v in views]


def _labelled(session: Session, search: StorySearch, views: list[StoryView]) -> list[StoryView]:
    """A group's answer labels each story with the company it is about (an affiliate before the group)."""
    if len(search.company_ids) < 2 or not views:
        return views
    names = {
        cid: name
        for cid, name in session.execute(
            select(Company.id, Company.name).where(Company.id.in_(search.company_ids))
        )
    }
    if names:
        order = [*search.company_ids[1:], search.company_ids[0]]
        about: dict[int, int] = {}
        for sid, cid in session.execute(
            select(StoryCompany.story_id, StoryCompany.company_id).where(
                StoryCompany.story_id.in_([v.id for v in views]),
                StoryCompany.company_id.in_(order),
                StoryCompany.is_primary.is_(True),
            )
        ):
            if sid not in about or order.index(cid) < order.index(about[sid]):
                about[sid] = cid
        labels = {sid: names.get(cid, "") for sid, cid in about.items()}
        views = [replace(v, company=labels.get(v.id, "")) for v in views]
    return views
