"""Coverage written the way the digester writes it: stories, their articles (one per outlet) and mentions."""

from __future__ import annotations

import itertools
from collections.abc import Iterator, Sequence
from datetime import UTC, date, datetime, time, timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from briefings.config import Settings, get_settings
from briefings.models import Channel, Company, Story, Subscription
from briefings.signals.demo_spike import store_story
from tests.fakes.slack_api import FakeSlack

# Tuesday 2026-12-01, 15:00 in Seoul.
TODAY = date(2026, 12, 1)
NOW = datetime(2026, 12, 1, 6, 0, tzinfo=UTC)
_serial = itertools.count(1)


@pytest.fixture
def fake_slack() -> Iterator[FakeSlack]:
    with FakeSlack() as server:
        yield server


def make_settings(db_url: str, fake: FakeSlack | None = None) -> Settings:
    return get_settings(
        database_url=db_url,
        slack_bot_token="xoxb-test",
        briefings_tz="Asia/Seoul",
        slack_api_url=fake.api_url if fake else "http://127.0.0.1:9/api/",
        _env_file=None,  # never a developer's .env
    )


def kst(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime.combine(day, time(hour, minute), UTC) - timedelta(hours=9)


def company(session: Session, name: str) -> Company:
    row = session.scalar(select(Company).where(Company.name == name))
    if row is None:
        row = Company(name=name, name_en="", created_at=NOW - timedelta(days=400))
        session.add(row)
        session.flush()
    return row


def add_story(
    session: Session,
    name: str,
    headline: str,
    at: datetime,
    *,
    outlets: int = 1,
    keywords: Sequence[str] = (),
) -> Story:
    url = f"https://news.example.kr/{next(_serial)}"
    names = [f"매체{i:02d}" for i in range(outlets)]
    return store_story(
        session, company(session, name).id, headline, at, outlets=names, keywords=keywords, url=url
    )


def history(session: Session, name: str, *, days: int = 30, weekday: int = 2, weekend: int = 1) -> None:
    """`days` ordinary days before today: `weekday` stories a weekday, `weekend` a weekend day."""
    for back in range(days, 0, -1):
        day = TODAY - timedelta(days=back)
        n = weekend if day.weekday() >= 5 else weekday
        for i in range(n):
            add_story(session, name, f"{name} 소식 {day} {i}", kst(day, 9 + i), keywords=["실적", "주가"])


def burst(session: Session, name: str, n: int = 11, *, day: date = TODAY, outlets: int = 3) -> list[Story]:
    """A spike on `day`: `n` stories between 08:00 and 14:00 KST, about a recall."""
    return [
        add_story(
            session,
            name,
            f"{name} 배터리 리콜 {i}",
            kst(day, 8) + timedelta(minutes=30 * i),
            outlets=outlets if i == 0 else 1,
            keywords=["리콜", "배터리", name, "실적"],
        )
        for i in range(n)
    ]


def follow(
    session: Session,
    team: str,
    channel: str,
    names: Sequence[str],
    *,
    since: datetime = NOW - timedelta(days=60),
    sensitivity: str = "보통",
    is_dm: bool = False,
) -> Channel:
    ch = Channel(
        team_id=team,
        channel_id=channel,
        is_dm=is_dm,
        themes=[],
        created_at=since,
        alert_sensitivity=sensitivity,
    )
    session.add(ch)
    for name in names:
        c = company(session, name)
        session.add(
            Subscription(team_id=team, channel_id=channel, company_id=c.id, is_dm=is_dm, created_at=since)
        )
    session.flush()
    return ch
