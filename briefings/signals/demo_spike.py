"""The demo's spike: four quiet weeks of one company's coverage, then a busy day, checked for real.

The demo gathers only a couple of days of sample articles, so no company has a baseline yet. This
writes what a month of gathering would have left (one small story every few days, as stories with
their articles and mentions, the way the digester stores them) and the day's burst of stories since
00:00 KST, dates the demo channel's subscription and the feeds back to match, and then runs the
service's own alert decision and composition at `now`, without posting.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import Session, sessionmaker

from briefings.db import session_scope
from briefings.models import Article, Company, Feed, Mention, Story, StoryCompany, Subscription
from briefings.signals.alert_run import due_now
from briefings.signals.alert_store import Alert, AlertStore, day_start
from briefings.signals.counts import kst_day
from briefings.timeutil import as_utc

HISTORY_DAYS = 28
BURST = (
    ("협력사 주가 일제히 급락…제재 여파 확산", ("수출통제", "협력사", "주가")),
    ("국내 부품사 '수출통제 영향 제한적'…대체 공급선 찾기 분주", ("수출통제", "부품사", "공급선")),
    ("中 정부 '보복 조치 검토'…美 제재에 맞대응 시사", ("제재", "보복", "수출통제")),
    ("반도체 조달 차질 우려…스마트폰 출하 전망 하향", ("제재", "반도체", "스마트폰")),
    ("유럽 통신사들, 장비 교체 일정 앞당긴다", ("제재", "장비", "통신사")),
)
OUTLETS = ("연합뉴스", "전자신문", "디지털타임스", "뉴시스")


def store_story(
    session: Session,
    company_id: int,
    headline: str,
    at: datetime,
    *,
    outlets: Sequence[str],
    keywords: Sequence[str] = (),
    url: str | None = None,
) -> Story:
    """A story about one company with an article per outlet, stored as the digester stores them."""
    key = hashlib.sha1(f"{url} {headline} {at.isoformat()} {company_id}".encode()).hexdigest()
    url = url or f"https://demo.briefings.invalid/spike/{key[:12]}"
    story = Story(
        headline=headline,
        url=url,
        first_outlet=outlets[0],
        first_published_at=at,
        last_published_at=at,
        outlets_count=len(outlets),
        articles_count=len(outlets),
        outlets=list(outlets),
        themes=[],
        keywords=list(keywords),
        updated_at=at,
    )
    session.add(story)
    session.flush()
    session.add(StoryCompany(story_id=story.id, company_id=company_id, is_primary=True, last_published_at=at))
    for i, outlet in enumerate(outlets):
        article = Article(
            url=f"{url}/{i}",
            url_key=hashlib.sha1(f"{key}/{i}".encode()).hexdigest(),
            title_key=hashlib.sha1(f"{key}/{i}/t".encode()).hexdigest(),
            outlet=outlet,
            title=headline,
            published_at=at + timedelta(minutes=i),
            seen_at=at + timedelta(minutes=i),
            digested_at=at + timedelta(minutes=i),
            story_id=story.id,
        )
        article.mentions = [Mention(company_id=company_id, is_primary=True, salience=1.0, count=1)]
        session.add(article)
    session.flush()
    return story


def seed_demo_spike(sessions: sessionmaker[Session], company: str, *, now: datetime) -> None:
    now = as_utc(now)
    today = kst_day(now)
    with session_scope(sessions) as session:
        company_id = session.scalar(select(Company.id).where(Company.name == company))
        if company_id is None:
            return
        month_ago = now - timedelta(days=HISTORY_DAYS + 2)
        session.execute(
            update(Subscription).where(Subscription.company_id == company_id).values(created_at=month_ago)
        )
        session.execute(update(Feed).values(created_at=month_ago))
        for back in range(HISTORY_DAYS, 0, -1):
            if back % 3:
                continue
            day = today - timedelta(days=back)
            at = day_start(day) + timedelta(hours=10)
            headline = f"{company} 주간 동향 ({day.month}월 {day.day}일)"
            store_story(session, company_id, headline, at, outlets=OUTLETS[:1], keywords=("동향", "실적"))
        # The burst, spread between 00:00 KST and now: always today, whatever the time the demo runs.
        start = day_start(today)
        step = (now - start) / (len(BURST) + 1)
        for i, (headline, words) in enumerate(BURST):
            at = start + step * (i + 1)
            outlets = OUTLETS[: len(OUTLETS) - i % 3]
            store_story(session, company_id, f"{company} {headline}", at, outlets=outlets, keywords=words)


def demo_alerts(sessions: sessionmaker[Session], *, now: datetime) -> list[Alert]:
    """The alerts the service would post at `now`, composed but not posted."""
    store = AlertStore(sessions, worker_id="demo", lease=timedelta(minutes=5))
    return [store.alert(due, now=now) for due in due_now(store, now=now)]
