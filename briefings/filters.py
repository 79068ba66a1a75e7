"""What a channel asked not to see (`/news 제외 …`), stored per channel, applied in one place.

A filter hides a story from the channel's briefings, alerts and lookups alike:

* a keyword: one of the story's articles carries every index term of one of the keyword's readings
  (Kiwi morphemes, as `/news` words are matched: `briefings.lookup.word_readings`);
* an outlet: the outlet the story is shown as and linked to (`Story.first_outlet`), so a story the
  channel sees is never one of that outlet's articles;
* a theme: one of the story's themes;
* a story: that one story ("이미 본 소식").

`hidden_by_filters` is the one rule. Lookups put the same rule into their SQL (`filter_conditions`),
so the database pages past hidden stories instead of returning a short page.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal, Protocol, TypeVar

from sqlalchemy import ColumnElement, and_, delete, not_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from briefings.db import in_chunks
from briefings.lookup import StorySearch, count_stories, has_terms, search_conditions
from briefings.models import Article, ArticleTerm, ChannelFilter, Story
from briefings.subscriptions import InvalidSetting, ensure_channel

MAX_FILTERS = 50  # per channel; the App Home and `제외 목록` show them all
MAX_VALUE = 60

Kind = Literal["keyword", "outlet", "theme", "story"]
KIND_LABELS: dict[str, str] = {"keyword": "키워드", "outlet": "매체", "theme": "테마", "story": "기사"}


@dataclass(frozen=True, slots=True)
class FilterView:
    kind: str
    value: str


@dataclass(frozen=True, slots=True)
class ChannelFilters:
    """A channel's filters, ready to apply (keywords as their index-term readings)."""

    keywords: tuple[tuple[str, tuple[tuple[str, ...], ...]], ...] = ()
    outlets: frozenset[str] = frozenset()
    themes: frozenset[str] = frozenset()
    stories: frozenset[int] = frozenset()
    views: tuple[FilterView, ...] = field(default=(), compare=False)

    def __bool__(self) -> bool:
        return bool(self.keywords or self.outlets or self.themes or self.stories)

    @property
    def terms(self) -> frozenset[str]:
        """Every index term a keyword filter looks for (what `story_terms` needs to read)."""
        return frozenset(t for _kw, readings in self.keywords for reading in readings for t in reading)


class Filterable(Protocol):
    """What the rule reads of a story (briefing items, lookup views and alert stories all have it)."""

    @property
    def id(self) -> int: ...
    @property
    def first_outlet(self) -> str: ...
    @property
    def themes(self) -> Sequence[str]: ...


F = TypeVar("F", bound=Filterable)


def hidden_by_filters(story: Filterable, filters: ChannelFilters, terms: Collection[str] = ()) -> bool:
    """Whether the channel's filters hide `story`; `terms` are the story's index terms (or those of
    them its keyword filters look for, as `story_terms` reads them)."""
    if not filters:
        return False
    if story.id in filters.stories or story.first_outlet in filters.outlets:
        return True
    if filters.themes.intersection(story.themes):
        return True
    return any(all(t in terms for t in reading) for _kw, readings in filters.keywords for reading in readings)


def story_terms(session: Session, story_ids: Iterable[int], terms: Collection[str]) -> dict[int, set[str]]:
    """Which of `terms` each story's articles carry: one query for a whole briefing run."""
    ids = sorted(set(story_ids))
    if not ids or not terms:
        return {}
    out: dict[int, set[str]] = {}
    for part in in_chunks(ids, 1000):
        rows = session.execute(
            select(Article.story_id, ArticleTerm.term)
            .join(ArticleTerm, ArticleTerm.article_id == Article.id)
            .where(Article.story_id.in_(part), ArticleTerm.term.in_(sorted(terms)))
        )
        for story_id, term in rows:
            if story_id is not None:
                out.setdefault(story_id, set()).add(term)
    return out


def hiding_rule(session: Session, filters: ChannelFilters, stories: Iterable[F]) -> Callable[[F], bool]:
    """The channel's filters as a rule over these candidate stories (their terms read in one query)."""
    terms = story_terms(session, (s.id for s in stories), filters.terms) if filters.keywords else {}
    return lambda story: hidden_by_filters(story, filters, terms.get(story.id, ()))


def filter_conditions(dialect: str, filters: ChannelFilters) -> list[ColumnElement[bool]]:
    """`hidden_by_filters` as conditions on `Story` that keep what the filters let through."""
    if not filters:
        return []
    # A reading's terms may come from different articles of the story, as in `hidden_by_filters`.
    out = [
        not_(and_(*[has_terms(dialect, [t], story_by_story=True) for t in reading]))
        for _kw, readings in filters.keywords
        for reading in readings
        if reading
    ]
    if filters.outlets:
        out.append(Story.first_outlet.not_in(sorted(filters.outlets)))
    if filters.stories:
        out.append(Story.id.not_in(sorted(filters.stories)))
    for theme in sorted(filters.themes):
        out.extend(search_conditions(dialect, StorySearch(exclude_themes=(theme,))))
    return out


def count_hidden(
    session: Session, search: StorySearch, filters: ChannelFilters, *, now: datetime, days: int
) -> int:
    """How many stories the search finds that the filters hide (the "숨긴 기사" note of a lookup)."""
    if not filters:
        return 0
    keep = filter_conditions(session.get_bind().dialect.name, filters)
    return count_stories(session, search, now=now, days=days, extra=[not_(and_(*keep))])


# --- storage ------------------------------------------------------------------------------------


def load_filters(session: Session, team_id: str, channel_id: str) -> ChannelFilters:
    rows = session.scalars(
        select(ChannelFilter)
        .where(ChannelFilter.team_id == team_id, ChannelFilter.channel_id == channel_id)
        .order_by(ChannelFilter.id)
    ).all()
    return filters_of(rows)


def filters_of(rows: Iterable[ChannelFilter]) -> ChannelFilters:
    keywords: list[tuple[str, tuple[tuple[str, ...], ...]]] = []
    outlets: set[str] = set()
    themes: set[str] = set()
    stories: set[int] = set()
    views: list[FilterView] = []
    for row in rows:
        views.append(FilterView(row.kind, row.value))
        if row.kind == "keyword":
            keywords.append((row.value, tuple(tuple(r) for r in row.readings or [])))
        elif row.kind == "outlet":
            outlets.add(row.value)
        elif row.kind == "theme":
            themes.add(row.value)
        elif row.kind == "story" and row.value.isdigit():
            stories.add(int(row.value))
    return ChannelFilters(
        tuple(keywords), frozenset(outlets), frozenset(themes), frozenset(stories), tuple(views)
    )


def load_all_filters(
    session: Session, *, team_id: str | None = None, channel_ids: Collection[str] | None = None
) -> dict[tuple[str, str], ChannelFilters]:
    """Every channel's filters in one query (a delivery run composes for many channels; App Home
    reads a user's channels of one workspace)."""
    stmt = select(ChannelFilter).order_by(ChannelFilter.id)
    if team_id is not None:
        stmt = stmt.where(ChannelFilter.team_id == team_id)
    if channel_ids is not None:
        stmt = stmt.where(ChannelFilter.channel_id.in_(list(channel_ids)))
    grouped: dict[tuple[str, str], list[ChannelFilter]] = {}
    for row in session.scalars(stmt):
        grouped.setdefault((row.team_id, row.channel_id), []).append(row)
    return {key: filters_of(rows) for key, rows in grouped.items()}


def add_filter(
    session: Session,
    team_id: str,
    channel_id: str,
    kind: Kind,
    value: str,
    *,
    now: datetime,
    readings: Sequence[Sequence[str]] = (),
    user_id: str | None = None,
    is_dm: bool = False,
) -> bool:
    """Store a filter; False if the channel already has it. `InvalidSetting` when the channel is full."""
    value = value.strip()
    if not value or len(value) > MAX_VALUE:
        raise InvalidSetting(f"제외할 말은 1~{MAX_VALUE}자로 입력해 주세요.")
    ensure_channel(session, team_id, channel_id, now=now, is_dm=is_dm)
    existing = _find(session, team_id, channel_id, kind, value)
    if existing is not None:
        return False
    count = len(load_filters(session, team_id, channel_id).views)
    if count >= MAX_FILTERS and kind != "story":
        raise InvalidSetting(
            f"제외 설정은 채널마다 {MAX_FILTERS}개까지입니다. "
            "`/news 제외 해제 …`로 몇 개를 지운 뒤 추가해 주세요."
        )
    row = ChannelFilter(
        team_id=team_id,
        channel_id=channel_id,
        kind=kind,
        value=value,
        readings=[list(r) for r in readings],
        created_by=user_id,
        created_at=now,
    )
    try:
        with session.begin_nested():
            session.add(row)
    except IntegrityError:  # the same filter added by a double click at the same moment
        return False
    return True


def remove_filter(session: Session, team_id: str, channel_id: str, kind: Kind, value: str) -> bool:
    result = session.execute(
        delete(ChannelFilter).where(
            ChannelFilter.team_id == team_id,
            ChannelFilter.channel_id == channel_id,
            ChannelFilter.kind == kind,
            ChannelFilter.value == value.strip(),
        )
    )
    return bool(getattr(result, "rowcount", 0))


def clear_filters(session: Session, team_id: str, channel_id: str) -> int:
    result = session.execute(
        delete(ChannelFilter).where(
            ChannelFilter.team_id == team_id,
            ChannelFilter.channel_id == channel_id,
            ChannelFilter.kind != "story",
        )
    )
    return int(getattr(result, "rowcount", 0) or 0)


def _find(session: Session, team_id: str, channel_id: str, kind: str, value: str) -> ChannelFilter | None:
    return session.scalar(
        select(ChannelFilter).where(
            ChannelFilter.team_id == team_id,
            ChannelFilter.channel_id == channel_id,
            ChannelFilter.kind == kind,
            ChannelFilter.value == value,
        )
    )


def describe(view: FilterView, theme_labels: Mapping[str, str]) -> str:
    label = KIND_LABELS.get(view.kind, view.kind)
    value = theme_labels.get(view.value, view.value) if view.kind == "theme" else view.value
    return f"{label}: {value}"


__all__ = [
    "MAX_FILTERS",
    "ChannelFilters",
    "FilterView",
    "add_filter",
    "clear_filters",
    "count_hidden",
    "describe",
    "filter_conditions",
    "hidden_by_filters",
    "load_all_filters",
    "load_filters",
    "remove_filter",
    "story_terms",
]
