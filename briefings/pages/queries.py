"""What a story page and a company page show, read in a few indexed queries.

Each loader returns plain frozen data (no ORM objects reach the templates) or None for an unknown id.
A company page reads the company's stories of the window from the (company_id, is_primary, story_id)
index, bounded below by the window's first story id as lookups are (`briefings.lookup`), so a busy
company costs one index range, not a scan.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Subquery, func, select, true
from sqlalchemy.orm import Session, aliased

# The window's first story id: the same bound lookups use, kept in one place.
from briefings.lookup import _first_story_id as first_story_id
from briefings.models import Article, Company, Story, StoryCompany
from briefings.pages.links import safe_link
from briefings.timeutil import as_utc

COMPANY_DAYS = 30
COMPANY_STORIES = 50
PROFILE_STORIES = 1000
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

    @property
    def profile_stories(self) -> int:
        """How many of the window's stories the themes and peers were counted from."""
        return min(self.story_count, PROFILE_STORIES)


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


def _theme_counts(session: Session, sample: Subquery) -> list[tuple[str, int]]:
    """The most frequent theme slugs of the sampled stories, counted by the database.

    Each story's themes are a small JSON list: expanded with the database's own JSON function (a
    function in FROM may name an earlier table on both), so no list is decoded in Python.
    """
    expand = func.json_each if session.get_bind().dialect.name == "sqlite" else func.json_array_elements_text
    items = expand(Story.themes).table_valued("value")
    n = func.count().label("n")
    rows = session.execute(
        select(items.c.value, n)
        .select_from(Story)
        .join(sample, sample.c.story_id == Story.id)
        .join(items, true())
        .group_by(items.c.value)
        .order_by(n.desc(), items.c.value)
        .limit(TOP_THEMES)
    )
    return [(str(slug), int(count)) for slug, count in rows]


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
    # Newest stories first, in the index's own order (story ids grow as stories are created): one page
    # of index entries is read, however many stories a busy company has.
    newest = select(StoryCompany.story_id).where(*window).order_by(StoryCompany.story_id.desc())
    page_ids = newest.limit(COMPANY_STORIES).subquery()
    stories = [
        _ref(row)
        for row in session.execute(
            select(*_REF_COLUMNS).join(page_ids, page_ids.c.story_id == Story.id).order_by(Story.id.desc())
        )
    ]
    story_count = session.scalar(select(func.count()).select_from(StoryCompany).where(*window)) or 0
    # Themes and companies named alongside are read from the newest `PROFILE_STORIES` of the window:
    # a busy company's 20,000 stories a month would otherwise cost a second per page.
    sample = newest.limit(PROFILE_STORIES).subquery()
    themes = _theme_counts(session, sample)
    other = aliased(StoryCompany)
    shared = func.count().label("shared")
    peers = [
        CompanyRef(int(cid), str(name), count=int(count))
        for cid, name, count in session.execute(
            select(other.company_id, Company.name, shared)
            .join(sample, sample.c.story_id == other.story_id)
            .join(Company, Company.id == other.company_id)
            .where(other.company_id != company_id)
            .group_by(other.company_id, Company.name)
            .order_by(shared.desc(), Company.name)
            .limit(TOP_PEERS)
        )
    ]
    return CompanyPage(
        company=ref,
        name_en=company.name_en or "",
        ticker=company.ticker,
        days=days,
        story_count=int(story_count),
        stories=tuple(stories),
        themes=tuple((theme_labels.get(slug, slug), n) for slug, n in themes),
        peers=tuple(peers),
    )
