"""Daily coverage counts from the database: KST days, distinct stories and outlets, on both databases."""

from __future__ import annotations

import hashlib
from datetime import UTC, date, datetime, timedelta

from sqlalchemy.orm import Session, sessionmaker

from briefings.models import Article, Company, Mention, Story
from briefings.signals.counts import daily_counts, kst_day
from briefings.signals.spikes import DayCount, detect_spike

CREATED = datetime(2026, 11, 1, tzinfo=UTC)


def add_company(session: Session, name: str) -> int:
    company = Company(name=name, created_at=CREATED)
    session.add(company)
    session.flush()
    return company.id


def add_story(session: Session, headline: str, at: datetime) -> int:
    story = Story(
        headline=headline,
        url=f"https://news.example.kr/{headline}",
        first_outlet="연합뉴스",
        first_published_at=at,
        last_published_at=at,
        updated_at=at,
    )
    session.add(story)
    session.flush()
    return story.id


def add_article(
    session: Session,
    company_id: int,
    story_id: int | None,
    outlet: str,
    at: datetime,
    *,
    primary: bool = True,
) -> None:
    key = hashlib.sha1(f"{story_id}-{outlet}-{at}-{company_id}".encode()).hexdigest()
    article = Article(
        url=f"https://news.example.kr/a/{key}",
        url_key=key,
        title_key=key,
        outlet=outlet,
        title="제목",
        published_at=at,
        seen_at=at,
        story_id=story_id,
    )
    article.mentions = [Mention(company_id=company_id, is_primary=primary, salience=1.0, count=1)]
    session.add(article)
    session.flush()


def test_counts_distinct_stories_and_outlets_per_kst_day(sessions: sessionmaker[Session]) -> None:
    with sessions.begin() as session:
        hw = add_company(session, "화웨이")
        other = add_company(session, "샤오미")
        # 2026-11-30 15:30 UTC is 2026-12-01 00:30 in Seoul; 14:59 UTC is still 11-30 there.
        late = datetime(2026, 11, 30, 15, 30, tzinfo=UTC)
        early = datetime(2026, 11, 30, 14, 59, tzinfo=UTC)
        wire = add_story(session, "통신사 기사", late)
        for i in range(20):  # one wire story reprinted by twenty outlets
            add_article(session, hw, wire, f"매체{i:02d}", late + timedelta(minutes=i))
        second = add_story(session, "두 번째 기사", late)
        add_article(session, hw, second, "매체00", late + timedelta(hours=2))
        add_article(session, hw, add_story(session, "전날 기사", early), "연합뉴스", early)
        # Named in passing only, not yet grouped into a story, another company: none of them count.
        add_article(session, hw, add_story(session, "지나가는 언급", late), "뉴스1", late, primary=False)
        add_article(session, hw, None, "뉴시스", late)
        add_article(session, other, add_story(session, "샤오미 기사", late), "뉴스1", late)
        # Outside the asked days on both sides.
        add_article(
            session,
            hw,
            add_story(session, "오래된 기사", late - timedelta(days=5)),
            "뉴스1",
            late - timedelta(days=5),
        )
        add_article(
            session,
            hw,
            add_story(session, "내일 기사", late + timedelta(days=1)),
            "뉴스1",
            late + timedelta(days=1),
        )

    with sessions() as session:
        counts = daily_counts(session, [hw, other], date(2026, 11, 29), date(2026, 12, 1))
        loose = daily_counts(session, [hw], date(2026, 12, 1), date(2026, 12, 1), primary_only=False)
        empty = daily_counts(session, [], date(2026, 11, 29), date(2026, 12, 1))

    assert counts[hw] == [
        DayCount(date(2026, 11, 29), 0, 0),
        DayCount(date(2026, 11, 30), 1, 1),
        DayCount(date(2026, 12, 1), 2, 20),
    ]
    assert counts[other] == [
        DayCount(date(2026, 11, 29), 0, 0),
        DayCount(date(2026, 11, 30), 0, 0),
        DayCount(date(2026, 12, 1), 1, 1),
    ]
    assert loose[hw] == [DayCount(date(2026, 12, 1), 3, 21)]
    assert empty == {}
    # Twenty reprints are two stories that day: no spike against a usual day of one or two.
    history = [DayCount(date(2026, 12, 1) - timedelta(days=i), 1 + i % 2, 3) for i in range(1, 15)]
    decision = detect_spike([*history, counts[hw][-1]], date(2026, 12, 1), observed_since=date(2026, 11, 1))
    assert decision.status == "normal"


def test_kst_day_of_stored_times() -> None:
    assert kst_day(datetime(2026, 11, 30, 15, 0, tzinfo=UTC)) == date(2026, 12, 1)
    assert kst_day(datetime(2026, 11, 30, 14, 59)) == date(2026, 11, 30)
