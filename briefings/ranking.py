"""How stories are ordered for readers: every ranking rule, in one place.

Two rules, both led by how many outlets carried a story (an exclusive weighs a little more):
- the briefing rule (`Rank`): what a briefing or an alert shows. It ranks the new stories of one short
  window, so outlets count one for one and freshness only breaks near-ties (`Rank.FRESH`); a weekly
  briefing ranks its week by coverage alone, outlets then articles (`Rank.WEEK`). A channel's 👍/👎
  (`briefings.feedback.Preferences`) move a story within this rule rather than through another one.
- the search rule (`search_score`): what `/news` and the pages list over days or weeks. Outlets count
  on a log scale and a day of age costs `AGE_PENALTY_PER_DAY`, so an old story needs about twice the
  outlets per day of age to stay above a new one; it is also written as SQL (`search_score_sql`) so
  the database ranks and returns one page, and its ceiling (`search_score_ceiling`) lets a long window
  stop reading once older stories can no longer reach the page.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Protocol, TypeVar

from sqlalchemy import ColumnElement, Float, case, cast, func, literal

from briefings.feedback import Preferences, Rankable
from briefings.models import Story, UTCDateTime
from briefings.timeutil import as_utc

# --- the briefing rule -------------------------------------------------------------------------

# An exclusive counts as one and a half more outlets in a briefing.
EXCLUSIVE_BONUS = 1.5


class Ranked(Rankable, Protocol):
    """What the ranking reads of a story: a briefing's `StoryItem` and an alert's `StoryView` alike."""

    @property
    def id(self) -> int: ...
    @property
    def outlets_count(self) -> int: ...
    @property
    def exclusive(self) -> bool: ...
    @property
    def last_published_at(self) -> datetime: ...


R = TypeVar("R", bound=Ranked)


class Rank(StrEnum):
    """The briefing rule's two orders.

    FRESH (every briefing but the weekly one, and alerts): plus up to one outlet's worth for freshness
    within the window, then the latest first.
    WEEK (a weekly cadence's briefing): the week's coverage alone, outlets then articles, so Monday's
    story that every outlet followed all week stays above Friday's smaller one.
    """

    FRESH = "fresh"
    WEEK = "week"


def story_score(story: Ranked, now: datetime, window: timedelta, rule: Rank = Rank.FRESH) -> float:
    """More outlets first; an exclusive weighs a little more, and under FRESH a fresher story (in [0, 1])."""
    score = story.outlets_count + (EXCLUSIVE_BONUS if story.exclusive else 0.0)
    if rule is Rank.WEEK:
        return score
    age = max((as_utc(now) - as_utc(story.last_published_at)).total_seconds(), 0.0)
    span = max(window.total_seconds(), 3600.0)
    return score + max(0.0, 1.0 - age / span)


def _rank_key(story: Ranked, now: datetime, window: timedelta, rule: Rank) -> tuple[float, float, float, int]:
    latest = -as_utc(story.last_published_at).timestamp()
    # An alert's story has no article count; alerts rank by FRESH, which never reads it.
    articles = -float(getattr(story, "articles_count", 1)) if rule is Rank.WEEK else 0.0
    return (-story_score(story, now, window, rule), articles, latest, story.id)


def rank_stories(
    stories: Iterable[R],
    now: datetime,
    window: timedelta,
    preferences: Preferences | None = None,
    rule: Rank = Rank.FRESH,
) -> list[R]:
    """Best first. The key is computed once per story of the call (a sort asks for it once) and never
    cached beyond it: a cache across calls would keep every story of a long-running process alive.

    A channel's 👍/👎 (`preferences`) add their boost to the same score, so feedback moves a story
    within the one ranking rather than through a second one (briefings and alerts alike).
    """
    if not preferences:
        return sorted(stories, key=lambda s: _rank_key(s, now, window, rule))

    def key(story: R) -> tuple[float, float, float, int]:
        score, articles, latest, sid = _rank_key(story, now, window, rule)
        return (score - preferences.boost(story), articles, latest, sid)

    return sorted(stories, key=key)


# --- the search rule ---------------------------------------------------------------------------

SEARCH_EXCLUSIVE_BONUS = 0.75
AGE_PENALTY_PER_DAY = 0.9


def search_score(outlets_count: int, last_published_at: datetime, exclusive: bool, now: datetime) -> float:
    """More outlets, more recent and exclusive rank higher; a day of age costs about a doubling of outlets."""
    age_days = (as_utc(now) - as_utc(last_published_at)).total_seconds() / 86400.0
    bonus = SEARCH_EXCLUSIVE_BONUS if exclusive else 0.0
    return math.log2(1 + max(outlets_count, 1)) + bonus - AGE_PENALTY_PER_DAY * age_days


def search_score_sql(dialect: str, now: datetime) -> ColumnElement[float]:
    """`search_score` as SQL, so the database ranks and only one page of rows comes back."""
    if dialect == "sqlite":
        age = func.julianday(literal(now, UTCDateTime())) - func.julianday(Story.last_published_at)
    else:
        age = func.extract("epoch", literal(now, UTCDateTime()) - Story.last_published_at) / 86400.0
    outlets = func.ln(
        1 + func.max(Story.outlets_count, 1)
        if dialect == "sqlite"
        else 1 + func.greatest(Story.outlets_count, 1)
    ) / math.log(2)
    bonus = case((Story.exclusive.is_(True), SEARCH_EXCLUSIVE_BONUS), else_=0.0)
    return cast(outlets + bonus - AGE_PENALTY_PER_DAY * age, Float)


def search_score_ceiling(most_outlets: int) -> float:
    """No story scores more than one with the most outlets any story has, brand new and exclusive."""
    return math.log2(1 + max(most_outlets, 1)) + SEARCH_EXCLUSIVE_BONUS
