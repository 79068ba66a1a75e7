"""Fixtures for briefings and their delivery: rows inserted directly, a fake Slack on loopback."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from briefings.config import Settings, get_settings
from briefings.models import Channel, Company, Feed, FetchAttempt, Story, StoryCompany, Subscription
from tests.fakes.slack_api import FakeSlack

# 2026-11-20 is a Friday; 08:00 KST is 23:00 UTC the day before.
T0 = datetime(2026, 11, 19, 12, 0, tzinfo=UTC)


@pytest.fixture
def fake_slack() -> Iterator[FakeSlack]:
    with FakeSlack() as server:
        yield server


def make_settings(db_url: str, fake: FakeSlack | None = None, **extra: object) -> Settings:
    values: dict[str, object] = {
        "database_url": db_url,
        "slack_bot_token": "xoxb-test",
        "briefings_tz": "Asia/Seoul",
        "slack_api_url": fake.api_url if fake else "http://127.0.0.1:9/api/",
        "_env_file": None,  # never a developer's .env
    }
    values.update(extra)
    return get_settings(**values)


def company(session: Session, name: str, name_en: str = "") -> Company:
    row = session.scalar(select(Company).where(Company.name == name))
    if row is None:
        row = Company(name=name, name_en=name_en or name, created_at=T0 - timedelta(days=30))
        session.add(row)
        session.flush()
    return row


def story(
    session: Session,
    headline: str,
    companies: Sequence[str],
    *,
    published: datetime,
    outlets: int = 1,
    exclusive: bool = False,
    themes: Sequence[str] = (),
    first_outlet: str = "연합뉴스",
    url: str | None = None,
) -> Story:
    row = Story(
        headline=headline,
        url=url or f"https://news.example.kr/{abs(hash(headline)) % 10**8}",
        first_outlet=first_outlet,
        first_published_at=published,
        last_published_at=published,
        outlets_count=outlets,
        articles_count=outlets,
        exclusive=exclusive,
        outlets=[first_outlet] + [f"매체{i}" for i in range(1, outlets)],
        themes=list(themes),
        keywords=[],
        updated_at=published,
    )
    session.add(row)
    session.flush()
    for name in companies:
        c = company(session, name)
        link = StoryCompany(story_id=row.id, company_id=c.id, is_primary=True, last_published_at=published)
        session.add(link)
    session.flush()
    return row


def subscribe(
    session: Session,
    team: str,
    channel: str,
    names: Sequence[str],
    *,
    at: str = "08:00",
    created: datetime = T0,
    is_dm: bool = False,
    post_when_empty: bool = True,
    tz: str | None = None,
) -> Channel:
    ch = Channel(
        team_id=team,
        channel_id=channel,
        is_dm=is_dm,
        briefing_time=at,
        timezone=tz,
        post_when_empty=post_when_empty,
        themes=[],
        created_at=created,
    )
    session.add(ch)
    for name in names:
        c = company(session, name)
        session.add(
            Subscription(team_id=team, channel_id=channel, company_id=c.id, is_dm=is_dm, created_at=created)
        )
    session.flush()
    return ch


def feed(session: Session, name: str) -> Feed:
    url = f"https://feeds.example.kr/{name}"
    row = Feed(url=url, name=name, outlet=name, created_at=T0 - timedelta(days=30))
    session.add(row)
    session.flush()
    return row


def attempt(session: Session, f: Feed, at: datetime, ok: bool, error: str | None = None) -> None:
    session.add(FetchAttempt(feed_id=f.id, at=at, ok=ok, status=200 if ok else 503, error=error))
    session.flush()
