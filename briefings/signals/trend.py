"""A company's coverage over the last weeks, as the chart and the company page show it.

The daily counts (`counts.daily_counts`), each day judged by the one spike detector against the days
before it, and for each spike day the story that drove it (the one carried by the most outlets that
day). Reads the database; deciding stays in `spikes`, drawing in `chart`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from briefings.models import Article, Mention, Story
from briefings.signals.chart import SpikeMark, render_coverage_chart
from briefings.signals.counts import KST_OFFSET, daily_counts, kst_day
from briefings.signals.spikes import (
    BASELINE_DAYS,
    DEFAULT_SENSITIVITY,
    DayCount,
    Sensitivity,
    detect_spike,
)

TREND_DAYS = 28


@dataclass(frozen=True, slots=True)
class TrendSpike:
    day: date
    stories: int
    expected: float
    story_id: int | None
    headline: str


@dataclass(frozen=True, slots=True)
class Trend:
    company: str
    days: tuple[DayCount, ...]
    spikes: tuple[TrendSpike, ...]

    @property
    def stories(self) -> int:
        return sum(d.stories for d in self.days)

    @property
    def busiest(self) -> DayCount | None:
        return max(self.days, key=lambda d: (d.stories, d.day)) if self.days else None

    def marks(self) -> list[SpikeMark]:
        return [SpikeMark(s.day, s.headline) for s in self.spikes]

    def png(self) -> bytes:
        return render_coverage_chart(self.company, self.days, self.marks())


def _utc(day: date) -> datetime:
    return datetime.combine(day, time(), UTC) - KST_OFFSET


def _observed_since(session: Session, first_day: date) -> date:
    """The first complete KST day of gathered news: no baseline is guessed before anything was gathered."""
    earliest: datetime | None = session.scalar(select(func.min(Article.published_at)))
    return first_day if earliest is None else max(first_day, kst_day(earliest))


def top_story_of_day(session: Session, company_ids: Sequence[int], day: date) -> tuple[int, str] | None:
    """The story carried by the most outlets among the day's articles about the companies.

    Read from the same articles and mentions the daily counts are (`counts.daily_counts`), so the
    label always names one of the stories the spike counted.
    """
    outlets = func.count(func.distinct(Article.outlet)).label("outlets")
    row = session.execute(
        select(Article.story_id, outlets)
        .join(Mention, Mention.article_id == Article.id)
        .where(
            Mention.company_id.in_(list(company_ids)),
            Mention.is_primary.is_(True),
            Article.published_at >= _utc(day),
            Article.published_at < _utc(day + timedelta(days=1)),
            Article.story_id.is_not(None),
        )
        .group_by(Article.story_id)
        .order_by(outlets.desc(), Article.story_id)
        .limit(1)
    ).first()
    if row is None:
        return None
    headline = session.scalar(select(Story.headline).where(Story.id == row.story_id))
    return (int(row.story_id), str(headline)) if headline is not None else None


def load_trend(
    session: Session,
    company_id: int,
    name: str,
    *,
    last_day: date,
    days: int = TREND_DAYS,
    sensitivity: Sensitivity = DEFAULT_SENSITIVITY,
) -> Trend:
    """`days` KST days ending with `last_day`, spikes judged against each day's own trailing baseline."""
    first_day = last_day - timedelta(days=days - 1)
    since = first_day - timedelta(days=BASELINE_DAYS)
    series = daily_counts(session, [company_id], since, last_day)[company_id]
    observed = _observed_since(session, since)
    shown = tuple(c for c in series if c.day >= first_day)
    spikes: list[TrendSpike] = []
    for count in shown:
        decision = detect_spike(series, count.day, observed_since=observed, sensitivity=sensitivity)
        if not decision.is_spike:
            continue
        top = top_story_of_day(session, [company_id], count.day)
        spikes.append(
            TrendSpike(
                day=count.day,
                stories=count.stories,
                expected=decision.expected,
                story_id=top[0] if top else None,
                headline=top[1] if top else "",
            )
        )
    return Trend(company=name, days=shown, spikes=tuple(spikes))
