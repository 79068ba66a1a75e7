"""Answering "what happened to X lately": rank a company's stories, search text.

What a typed name means is the company directory's one resolver (`briefings.companies`); this module
cleans the query and answers for the company found. A group's answer rolls up its affiliates' primary
stories, each labelled with the company it is about.

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
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Protocol

from sqlalchemy import ColumnElement, Float, Select, case, cast, func, literal, select
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from briefings.companies.records import nfc
from briefings.digest.nlp import Morph
from briefings.digest.terms import STOP_NOUNS, index_terms
from briefings.models import Article, ArticleTerm, Company, Story, StoryCompany, UTCDateTime
from briefings.timeutil import as_utc

MAX_QUERY_CHARS = 200
# Company ids per `IN (...)`: far below any database's parameter limit.
IDS_PER_QUERY = 500


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
        return [_view(row) for row in session.execute(stmt)]
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
    for start in range(0, len(ids), IDS_PER_QUERY):
        part = ids[start : start + IDS_PER_QUERY]
        links = (
            StoryCompany.company_id.in_(part),
            StoryCompany.is_primary.is_(True),
            StoryCompany.story_id >= first_id,
            StoryCompany.last_published_at >= since,
        )
        try:
            rank = func.row_number().over(
                partition_by=StoryCompany.company_id,
                order_by=(_score_sql(dialect, now).desc(), Story.id.desc()),
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
                out[row.company_id].append(_view(row))
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
            key=lambda r: (-story_score(r.outlets_count, r.last_published_at, r.exclusive, now), -r.id),
        )
        for row in ranked:
            if len(out[row.company_id]) < limit:
                out[row.company_id].append(_view(row))
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
        key=lambda r: (-story_score(r.outlets_count, r.last_published_at, r.exclusive, now), -r.id),
    )
    page = [r.id for r in ranked[offset : offset + limit]]
    rows = {s.id: s for s in session.scalars(select(Story).where(Story.id.in_(page)))} if page else {}
    return [_view(rows[i], labels.get(i, "")) for i in page if i in rows]


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
            .order_by(_score_sql(dialect, now).desc(), Story.id.desc())
            .limit(limit)
            .offset(offset)
        )
        return [_view(row, label(row.rank)) for row in session.execute(stmt)]
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


def _view(row: Any, company: str = "") -> StoryView:
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


class Tokenizer(Protocol):
    """What the search needs from the analyser (`briefings.digest.nlp.KoreanNLP` satisfies it)."""

    def tokenize(self, texts: Sequence[str]) -> Sequence[Sequence[Morph]]: ...


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
