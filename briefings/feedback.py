"""👍/👎 on briefing stories: stored per channel (a DM is one user's), weighed into that channel's ranking.

A 👍 raises the story's themes, a 👎 sinks its themes and its outlet. `Preferences.boost` is the one
adjustment the briefing's ranking (`briefings.ranking.story_score`) adds for a channel; each theme or
outlet moves by at most `MAX_STEPS` votes' worth, so a few clicks reorder a briefing without burying
a big story for good.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from briefings.models import Story, StoryFeedback

# One vote is worth one and a half more outlets reporting a story (ranking.story_score counts outlets):
# enough that a click visibly moves a story past its neighbour, not enough to bury a story everyone ran.
VOTE_WEIGHT = 1.5
MAX_STEPS = 3


class Rankable(Protocol):
    @property
    def first_outlet(self) -> str: ...
    @property
    def themes(self) -> Sequence[str]: ...


@dataclass(frozen=True)
class Preferences:
    """A channel's net votes per theme and per outlet (only 👎 counts for outlets)."""

    themes: Mapping[str, int] = field(default_factory=dict)
    outlets: Mapping[str, int] = field(default_factory=dict)

    def __bool__(self) -> bool:
        return bool(self.themes or self.outlets)

    def boost(self, story: Rankable) -> float:
        """What the channel's votes add to a story's score (negative: it sinks)."""
        steps = sum(self.themes.get(t, 0) for t in story.themes) + self.outlets.get(story.first_outlet, 0)
        return VOTE_WEIGHT * max(-MAX_STEPS, min(MAX_STEPS, steps))


def preferences_of(rows: Iterable[tuple[int, Sequence[str], str]]) -> Preferences:
    themes: dict[str, int] = defaultdict(int)
    outlets: dict[str, int] = defaultdict(int)
    for vote, story_themes, outlet in rows:
        for theme in story_themes or ():
            themes[theme] += vote
        if vote < 0 and outlet:
            outlets[outlet] += vote
    return Preferences({k: v for k, v in themes.items() if v}, {k: v for k, v in outlets.items() if v})


def load_preferences(session: Session, team_id: str, channel_id: str) -> Preferences:
    rows = session.execute(
        select(StoryFeedback.vote, StoryFeedback.themes, StoryFeedback.outlet).where(
            StoryFeedback.team_id == team_id, StoryFeedback.channel_id == channel_id
        )
    )
    return preferences_of((v, t, o) for v, t, o in rows)


def load_all_preferences(session: Session) -> dict[tuple[str, str], Preferences]:
    """Every channel's preferences in one query (a delivery run composes for many channels)."""
    grouped: dict[tuple[str, str], list[tuple[int, Sequence[str], str]]] = defaultdict(list)
    for team, channel, vote, themes, outlet in session.execute(
        select(
            StoryFeedback.team_id,
            StoryFeedback.channel_id,
            StoryFeedback.vote,
            StoryFeedback.themes,
            StoryFeedback.outlet,
        )
    ):
        grouped[(team, channel)].append((vote, themes, outlet))
    return {key: preferences_of(rows) for key, rows in grouped.items()}


def record_vote(
    session: Session, team_id: str, channel_id: str, user_id: str, story: Story, vote: int, *, now: datetime
) -> int | None:
    """Store the user's vote on the story (a second click replaces the first); returns the previous one."""
    vote = 1 if vote > 0 else -1
    row = session.scalar(
        select(StoryFeedback).where(
            StoryFeedback.team_id == team_id,
            StoryFeedback.channel_id == channel_id,
            StoryFeedback.user_id == user_id,
            StoryFeedback.story_id == story.id,
        )
    )
    if row is not None:
        previous = row.vote
        row.vote = vote
        row.created_at = now
        return previous
    session.add(
        StoryFeedback(
            team_id=team_id,
            channel_id=channel_id,
            user_id=user_id,
            story_id=story.id,
            vote=vote,
            themes=list(story.themes or []),
            outlet=story.first_outlet or "",
            created_at=now,
        )
    )
    session.flush()
    return None


def remove_vote(session: Session, team_id: str, channel_id: str, user_id: str, story_id: int) -> bool:
    result = session.execute(
        delete(StoryFeedback).where(
            StoryFeedback.team_id == team_id,
            StoryFeedback.channel_id == channel_id,
            StoryFeedback.user_id == user_id,
            StoryFeedback.story_id == story_id,
        )
    )
    return bool(getattr(result, "rowcount", 0))
