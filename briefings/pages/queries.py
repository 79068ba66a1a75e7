"""What a story page and a company page show, read in a few indexed queries.

Each loader returns plain frozen data (no ORM objects reach the templates) or None for an unknown id.
A company page reads the company's stories of the window from the (company_id, is_primary, story_id)
index, bounded below by the window's first story id as lookups are (`briefings.lookup`), so a busy
company costs one index range, not a scan.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session, aliased

# The window's first story id: the same bound lookups use, kept in one place.
from briefings.lookup import _first_story_id as first_story_id
from briefings.models import Article, Company, Story, StoryCompany
from briefings.pages.links import safe_link
from briefings.timeutil import as_utc

COMPANY_DAYS = 30
COMPANY_STORIES = 50
TOP_THEMES = 8
TOP_PEERS = 10
MAX_ARTICLES = 200
MAX_FOLLOW_UPS = 20


@dataclass(frozen=True, slots=True)
class StoryRef:
    id: int
    headline: str
    url: str | None
    first_outlet: str
    outlets_count: int
    first_published_at: datetime
    last_published_at: datetime


@dataclass(frozen=True, slots=True)
class ArticleRef:
    outlet: str
    title: str
    url: str | None
    published_at: datetime


@dataclass(frozen=True, slots=True)
class CompanyRef:
    id: int
    name: str
    primary: bool = False
    count: int = 0


@dataclass(frozen=True, slots=True)
class StoryPage:
    story: StoryRef
    summary: str | None
    exclusive: bool
    articles: tuple[ArticleRef, ...]
    companies: tuple[CompanyRef, ...]
    themes: tuple[str, ...]
    follows: StoryRef | None
    follow_ups: tuple[StoryRef, ...]


@dataclass(frozen=True, slots=True)
class CompanyPage:
    company: CompanyRef
    name_en: str
    ticker: str | None
    days: int
    story_count: int
    stories: tuple[StoryRef, ...]
    themes: tuple[tuple[str, int], ...]
    peers: tuple[CompanyRef, ...]


_REF_COLUMNS = (
    Story.id,
    Story.headline,
    Story.url,
    Story.first_outlet,
    Story.outlets_count,
    Story.first_published_at,
    Story.last_published_at,
)


def _ref(row: Any) -> StoryRef:
    """From a `Story` or a row of `_REF_COLUMNS`."""
    return StoryRef(
        id=int(row.id),
        headline=str(row.headline),
        url=safe_link(row.url),
        first_outlet=str(row.first_outlet),
        outlets_count=max(int(row.outlets_count), 1),
        first_published_at=as_utc(row.first_published_at),
        last_published_at=as_utc(row.last_published_at),
    )


def load_story(session: Session, story_id: int, *, theme_labels: Mapping[str, str]) -> StoryPage | None:
    story = session.get(Story, story_id)
    if story is None:
        return None
    articles = [
        ArticleRef(str(outlet), str(title), safe_link(url), as_utc(published))
        for outlet, title, url, published in session.execute(
            select(Article.outlet, Article.title, Article.url, Article.published_at)
            .where(Article.story_id == story_id)
            .order_by(Article.published_at, Article.id)
            .limit(MAX_ARTICLES)
        )
    ]
    companies = [
        CompanyRef(int(cid), str(name), bool(primary))
        for cid, name, primary in session.execute(
            select(Company.id, Company.name, StoryCompany.is_primary)
            .join(StoryCompany, StoryCompany.company_id == Company.id)
            .where(StoryCompany.story_id == story_id)
            .order_by(StoryCompany.is_primary.desc(), Company.name)
        )
    ]
    follows = None
    if story.follow_up_of_id is not None:
        row = session.execute(select(*_REF_COLUMNS).where(Story.id == story.follow_up_of_id)).first()
        follows = _ref(row) if row is not None else None
    follow_ups = [
        _ref(row)
        for row in session.execute(
            select(*_REF_COLUMNS)
            .where(Story.follow_up_of_id == story_id)
            .order_by(Story.first_published_at, Story.id)
            .limit(MAX_FOLLOW_UPS)
        )
    ]
    return StoryPage(
        story=_ref(story),
        summary=story.summary,
        exclusive=bool(story.exclusive),
        articles=tuple(articles),
        companies=tuple(companies),
        themes=tuple(theme_labels.get(t, t) for t in (story.themes or [])),
        follows=follows,
        follow_ups=tuple(follow_ups),
    )


def company_name(session: Session, company_id: int) -> str | None:
    name = session.scalar(select(Company.name).where(Company.id == company_id))
    return str(name) if name is not None else None


def load_company(
    session: Session,
    company_id: int,
    *,
    now: datetime,
    theme_labels: Mapping[str, str],
    days: int = COMPANY_DAYS,
) -> CompanyPage | None:
    company = session.execute(
        select(Company.id, Company.name, Company.name_en, Company.ticker).where(Company.id == company_id)
    ).first()
    if company is None:
        return None
    since = as_utc(now) - timedelta(days=days)
    first_id = first_story_id(session, since)
    ref = CompanyRef(int(company.id), str(company.name))
    if first_id is None:
        return CompanyPage(ref, company.name_en or "", company.ticker, days, 0, (), (), ())
    window = (
        StoryCompany.company_id == company_id,
        StoryCompany.is_primary.is_(True),
        StoryCompany.story_id >= first_id,
        StoryCompany.last_published_at >= since,
    )
    stories = [
        _ref(row)
        for row in session.execute(
            select(*_REF_COLUMNS)
            .join(StoryCompany, StoryCompany.story_id == Story.id)
            .where(*window)
            .order_by(Story.last_published_at.desc(), Story.id.desc())
            .limit(COMPANY_STORIES)
        )
    ]
    # Themes of every story of the window: one column of small JSON lists, counted here because the
    # two databases spell JSON array functions differently.
    themes: Counter[str] = Counter()
    for (slugs,) in session.execute(
        select(Story.themes).join(StoryCompany, StoryCompany.story_id == Story.id).where(*window)
    ):
        themes.update(slugs or ())
    story_count = session.scalar(select(func.count()).select_from(StoryCompany).where(*window)) or 0
    other = aliased(StoryCompany)
    shared = func.count().label("shared")
    peers = [
        CompanyRef(int(cid), str(name), count=int(count))
        for cid, name, count in session.execute(
            select(other.company_id, Company.name, shared)
            .join(StoryCompany, StoryCompany.story_id == other.story_id)
            .join(Company, Company.id == other.company_id)
            .where(*window, other.company_id != company_id)
            .group_by(other.company_id, Company.name)
            .order_by(shared.desc(), Company.name)
            .limit(TOP_PEERS)
        )
    ]
    top = sorted(themes.items(), key=lambda kv: (-kv[1], kv[0]))[:TOP_THEMES]
    return CompanyPage(
        company=ref,
        name_en=company.name_en or "",
        ticker=company.ticker,
        days=days,
        story_count=int(story_count),
        stories=tuple(stories),
        themes=tuple((theme_labels.get(slug, slug), n) for slug, n in top),
        peers=tuple(peers),
    )
