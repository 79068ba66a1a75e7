"""A company's four-week trend from the database: spike days found, each labelled with its top story."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy.orm import Session, sessionmaker

from briefings.models import Story
from briefings.signals.counts import kst_day
from briefings.signals.trend import TREND_DAYS, load_trend
from tests.signals.test_counts import add_article, add_company, add_story

# 10:00 in Seoul on each day
FIRST = datetime(2026, 10, 20, 1, 0, tzinfo=UTC)
OUTLETS = ["연합뉴스", "뉴시스", "뉴스1", "전자신문", "머니투데이", "한국경제"]


def test_spike_day_is_marked_with_its_most_carried_story(sessions: sessionmaker[Session]) -> None:
    days = 40
    spike_at = FIRST + timedelta(days=days - 3)
    with sessions.begin() as session:
        huawei = add_company(session, "화웨이")
        for i in range(days):
            at = FIRST + timedelta(days=i)
            if at == spike_at:
                continue
            story = add_story(session, f"평범한 소식 {i}", at)
            add_article(session, huawei, story, "연합뉴스", at)
        for n in range(9):
            story = add_story(
                session, "화웨이 제재 발표" if n == 4 else f"후속 {n}", spike_at + timedelta(minutes=n)
            )
            carried = OUTLETS if n == 4 else OUTLETS[:1]
            for outlet in carried:
                add_article(session, huawei, story, outlet, spike_at + timedelta(minutes=n))
            session.get_one(Story, story).outlets_count = len(carried)
    last = kst_day(FIRST + timedelta(days=days - 1))
    with sessions() as session:
        trend = load_trend(session, huawei, "화웨이", last_day=last)
    assert len(trend.days) == TREND_DAYS and trend.days[-1].day == last
    assert [s.day for s in trend.spikes] == [kst_day(spike_at)]
    [spike] = trend.spikes
    assert spike.headline == "화웨이 제재 발표"
    assert spike.stories == 9 and spike.expected < 2
    assert trend.marks()[0].headline == "화웨이 제재 발표"
    assert trend.png()[:8] == b"\x89PNG\r\n\x1a\n"


def test_quiet_weeks_have_no_spike_and_no_baseline_means_none(sessions: sessionmaker[Session]) -> None:
    with sessions.begin() as session:
        quiet = add_company(session, "조용한회사")
        # A first-ever day of coverage is not a spike: there is nothing to compare it with.
        for n in range(6):
            story = add_story(session, f"첫 소식 {n}", FIRST + timedelta(minutes=n))
            add_article(session, quiet, story, "연합뉴스", FIRST + timedelta(minutes=n))
    with sessions() as session:
        trend = load_trend(session, quiet, "조용한회사", last_day=kst_day(FIRST) + timedelta(days=3))
    assert trend.stories == 6
    assert trend.spikes == ()
