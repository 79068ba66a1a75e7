"""The scheduler's jobs: wired with an explicit timezone; retention prunes bodies and keeps metadata."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import time_machine
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from bot.deliver import DeliverOptions
from bot.scheduler import Jobs, build_scheduler
from briefings.jobs import retention_job
from briefings.models import Article, Delivery
from tests.brief.conftest import make_settings, story, subscribe
from tests.fakes.slack_api import FakeSlack

NOW = datetime(2026, 11, 20, 23, 0, 30, tzinfo=UTC)  # 08:00:30 KST


def test_scheduler_has_every_job_in_the_configured_timezone(sqlite_url: str) -> None:
    from briefings.db import make_engine, make_sessionmaker

    engine = make_engine(sqlite_url)
    jobs = Jobs(make_settings(sqlite_url, briefings_tz="Asia/Tokyo"), make_sessionmaker(engine))
    scheduler = build_scheduler(jobs)
    assert {j.id for j in scheduler.get_jobs()} == {"gather", "briefings", "retention"}
    assert scheduler.timezone == ZoneInfo("Asia/Tokyo")
    assert all(j.trigger.timezone == ZoneInfo("Asia/Tokyo") for j in scheduler.get_jobs())
    engine.dispose()


def test_briefing_tick_reads_the_clock_and_delivers_what_is_due(
    sessions: sessionmaker[Session], engine: object, fake_slack: FakeSlack
) -> None:
    url = engine.url.render_as_string(hide_password=False)  # type: ignore[attr-defined]
    with sessions.begin() as session:
        subscribe(session, "T1", "C1", ["화웨이"], created=NOW - timedelta(days=1))
        story(session, "화웨이 소식", ["화웨이"], published=NOW - timedelta(hours=1))
    jobs = Jobs(make_settings(url, fake_slack), sessions, options=DeliverOptions(channel_interval=0))
    with time_machine.travel(NOW - timedelta(minutes=2), tick=False) as clock:
        assert jobs.briefings() == []
        clock.move_to(NOW)
        assert [o.status for o in jobs.briefings()] == ["posted"]
        assert jobs.briefings() == []
    with sessions() as session:
        assert session.scalars(select(Delivery.status)).all() == ["posted"]
    assert len(fake_slack.posted("C1")) == 1


def test_retention_prunes_old_bodies_and_keeps_metadata(sessions: sessionmaker[Session]) -> None:
    settings = make_settings("sqlite://", retention_days=30)
    with sessions.begin() as session:
        for i, age in enumerate((40, 10)):
            at = NOW - timedelta(days=age)
            session.add(
                Article(
                    url=f"https://n.example.kr/{i}",
                    url_key=f"{i:040d}",
                    title_key=f"{i:040d}",
                    outlet="연합뉴스",
                    title=f"기사 {i}",
                    summary="요약",
                    body="본문 " * 50,
                    published_at=at,
                    seen_at=at,
                )
            )
    assert retention_job(sessions, settings, now=NOW) == 1
    assert retention_job(sessions, settings, now=NOW) == 0
    with sessions() as session:
        old, new = session.scalars(select(Article).order_by(Article.id)).all()
    assert old.body is None and old.body_pruned_at == NOW and old.title == "기사 0" and old.summary == "요약"
    assert new.body is not None and new.body_pruned_at is None
