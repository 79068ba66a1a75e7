"""A run's recent stories held in memory by term, company, theme and outlet.

A delivery run composes briefings for every channel from the same few days of stories. Each channel's
saved queries (`/news 구독 "HBM"`) and keyword filters (`/news 제외 …`) are answered here, over
stories already read, with the lookup's own rule (`briefings.lookup.story_matches`): the database is
asked for the index terms once for the whole run, not once per query or per channel.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection, Iterable, Mapping, Sequence
from datetime import datetime
from typing import Generic, Protocol, TypeVar

from sqlalchemy import ColumnElement, select
from sqlalchemy.orm import Session, aliased

from briefings.db import in_chunks
from briefings.lookup import StorySearch, story_matches
from briefings.models import Article, ArticleTerm, Story
from briefings.timeutil import as_utc


class Recent(Protocol):
    """What is read of a story here (`briefings.brief.StoryItem` has it)."""

    @property
    def id(self) -> int: ...
    @property
    def themes(self) -> Sequence[str]: ...
    @property
    def outlets(self) -> Sequence[str]: ...
    @property
    def last_published_at(self) -> datetime: ...


S = TypeVar("S", bound=Recent)


def article_terms(
    session: Session, where: ColumnElement[bool], terms: Collection[str]
) -> dict[int, dict[int, set[str]]]:
    """Which of `terms` each article carries, by story, for the stories matching `where` on `Story`."""
    out: dict[int, dict[int, set[str]]] = defaultdict(lambda: defaultdict(set))
    wanted = sorted(terms)
    # Aliases: `where` may hold the lookup's term conditions, whose own articles and terms must not
    # be taken for these.
    article, posting = aliased(Article), aliased(ArticleTerm)
    for part in in_chunks(wanted):
        rows = session.execute(
            select(article.story_id, article.id, posting.term)
            .join(posting, posting.article_id == article.id)
            .join(Story, Story.id == article.story_id)
            .where(where, posting.term.in_(part))
        )
        for story_id, article_id, term in rows:
            if story_id is not None:
                out[story_id][article_id].add(term)
    return out


class RecentStories(Generic[S]):
    """Stories by id with their primary companies and the index terms their articles carry."""

    def __init__(
        self,
        items: Mapping[int, S],
        companies: Mapping[int, Sequence[int]],
        terms: Mapping[int, Mapping[int, Collection[str]]],
        known_terms: Collection[str],
    ) -> None:
        self.items = items
        self.known_terms = frozenset(known_terms)
        self._companies = {sid: frozenset(cids) for sid, cids in companies.items()}
        self._articles = {sid: [frozenset(ts) for ts in arts.values()] for sid, arts in terms.items()}
        self._by_term: dict[str, set[int]] = defaultdict(set)
        for sid, arts in self._articles.items():
            for ts in arts:
                for t in ts:
                    self._by_term[t].add(sid)
        self._by_company: dict[int, set[int]] = defaultdict(set)
        for sid, cids in self._companies.items():
            for cid in cids:
                self._by_company[cid].add(sid)
        self._by_theme: dict[str, set[int]] = defaultdict(set)
        self._by_outlet: dict[str, set[int]] = defaultdict(set)
        for sid, item in items.items():
            for theme in item.themes:
                self._by_theme[theme].add(sid)
            for outlet in item.outlets:
                self._by_outlet[outlet].add(sid)
        self._found: dict[tuple[StorySearch, datetime], list[S]] = {}

    def covers(self, search: StorySearch) -> bool:
        """Whether every term the search names was read (else its answer would be short)."""
        return all(t in self.known_terms for options in search.include for r in options for t in r) and all(
            t in self.known_terms for r in search.exclude for t in r
        )

    def terms_of(self, story_id: int) -> set[str]:
        """The index terms read for a story, across its articles (what keyword filters look at)."""
        return set().union(*self._articles.get(story_id, ()))

    def find(self, search: StorySearch, since: datetime) -> list[S]:
        """The stories updated since `since` that the search finds; the same search is answered once."""
        key = (search, as_utc(since))
        found = self._found.get(key)
        if found is None:
            found = [
                self.items[sid]
                for sid in sorted(self._candidates(search))
                if sid in self.items
                and as_utc(self.items[sid].last_published_at) >= key[1]
                and self._matches(search, sid)
            ]
            self._found[key] = found
        return found

    def _matches(self, search: StorySearch, sid: int) -> bool:
        item = self.items[sid]
        return story_matches(
            search,
            companies=self._companies.get(sid, frozenset()),
            themes=item.themes,
            outlets=item.outlets,
            articles=self._articles.get(sid, ()),
        )

    def _candidates(self, search: StorySearch) -> Iterable[int]:
        """A superset of the search's stories from the smallest posting it has (as SQL starts)."""
        if search.company_ids:
            return set().union(*(self._by_company.get(c, set()) for c in search.company_ids))
        if search.include:
            return set().union(
                *(
                    set.intersection(*(self._by_term.get(t, set()) for t in reading))
                    for reading in search.include[0]
                    if reading
                )
            )
        if search.themes:
            return set().union(*(self._by_theme.get(t, set()) for t in search.themes))
        if search.outlets:
            return set().union(*(self._by_outlet.get(o, set()) for o in search.outlets))
        return self.items.keys()
