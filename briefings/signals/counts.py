"""Daily coverage counts per company, as the spike detector and the chart read them.

One grouped query: distinct stories and distinct outlets per company per KST day, over the articles
that name the company (as their main subject by default). Days are Korean calendar days, UTC+9 with
no daylight saving, so the day bucket is a fixed nine-hour shift of the stored UTC time on both
databases. Days without coverage are filled in as zeros.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import ColumnElement, Date, cast, func, literal_column, select, type_coerce
from sqlalchemy.orm import Session

from briefings.models import Article, Mention
from briefings.signals.spikes import DayCount

KST_OFFSET = timedelta(hours=9)


def kst_day(moment: datetime) -> date:
    """The Korean calendar day of an aware (or stored naive UTC) time."""
    aware = moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)
    return (aware.astimezone(UTC) + KST_OFFSET).date()


def _day_bucket(dialect: str) -> ColumnElement[date]:
    if dialect == "sqlite":
        # SQLite has no date type: its 'YYYY-MM-DD' text is parsed by SQLAlchemy's Date on the way out.
        return type_coerce(func.date(Article.published_at, "+9 hours"), Date)
    return cast(Article.published_at + literal_column("INTERVAL '9 hours'"), Date)


def daily_counts(
    session: Session,
    company_ids: Iterable[int],
    first_day: date,
    last_day: date,
    *,
    primary_only: bool = True,
) -> dict[int, list[DayCount]]:
    """Every day from `first_day` to `last_day` (KST, inclusive) for each company, zeros included."""
    ids = sorted(set(company_ids))
    if not ids or last_day < first_day:
        return {cid: [] for cid in ids}
    dialect = session.get_bind().dialect.name
    day = _day_bucket(dialect).label("day")
    since = datetime.combine(first_day, time(), UTC) - KST_OFFSET
    until = datetime.combine(last_day + timedelta(days=1), time(), UTC) - KST_OFFSET
    stmt = (
        select(
            Mention.company_id,
            day,
            func.count(func.distinct(Article.story_id)),
            func.count(func.distinct(Article.outlet)),
        )
        .join(Article, Article.id == Mention.article_id)
        .where(
            Mention.company_id.in_(ids),
            Article.published_at >= since,
            Article.published_at < until,
            # An article not yet grouped into a story is not counted until it is: stories are the unit.
            Article.story_id.is_not(None),
        )
        .group_by(Mention.company_id, day)
    )
    if primary_only:
        stmt = stmt.where(Mention.is_primary.is_(True))
    found: dict[tuple[int, date], DayCount] = {}
    for company_id, bucket, stories, outlets in session.execute(stmt):
        bucket_day = bucket if isinstance(bucket, date) else date.fromisoformat(str(bucket))
        found[(company_id, bucket_day)] = DayCount(bucket_day, int(stories), int(outlets))
    span = (last_day - first_day).days + 1
    days = [first_day + timedelta(days=i) for i in range(span)]
    return {cid: [found.get((cid, d), DayCount(d, 0, 0)) for d in days] for cid in ids}
