"""Once a week a briefing carries each company's coverage chart in its thread, once; others do not."""

from __future__ import annotations

import io
import json
from datetime import UTC, datetime, timedelta
from typing import Any

from PIL import Image
from sqlalchemy import update
from sqlalchemy.orm import Session, sessionmaker

from bot.deliver import DeliverOptions, deliver_due
from briefings.models import Channel
from briefings.pages.links import chart_path
from tests.brief.conftest import make_settings, story, subscribe
from tests.fakes.slack_api import FakeSlack

MONDAY_8AM = datetime(2026, 11, 22, 23, 0, tzinfo=UTC)  # Monday 2026-11-23 08:00 KST
SUNDAY = MONDAY_8AM.date()  # the Sunday the chart ends on (KST): 2026-11-22


def _deliver(sessions: sessionmaker[Session], fake: FakeSlack, now: datetime, **extra: Any) -> None:
    url = str(sessions.kw["bind"].url.render_as_string(hide_password=False))
    settings = make_settings(url, fake, **extra)
    deliver_due(sessions, now=now, settings=settings, options=DeliverOptions(channel_interval=0.0))


def _seed(sessions: sessionmaker[Session], now: datetime) -> dict[str, int]:
    with sessions.begin() as session:
        subscribe(session, "T1", "C1", ["화웨이", "KT"], created=now - timedelta(days=10))
        hw = story(session, "화웨이 주말 소식", ["화웨이"], published=now - timedelta(hours=5), outlets=2)
        kt = story(session, "KT 주말 소식", ["KT"], published=now - timedelta(hours=6))
        return {"화웨이": hw.companies[0].company_id, "KT": kt.companies[0].company_id}


def test_monday_thread_gets_the_charts_uploaded_once(
    sessions: sessionmaker[Session], fake_slack: FakeSlack
) -> None:
    _seed(sessions, MONDAY_8AM)
    _deliver(sessions, fake_slack, MONDAY_8AM)
    [top] = [m for m in fake_slack.posted("C1") if "thread_ts" not in m and not m.get("files")]
    part = [m for m in fake_slack.posted("C1") if m.get("thread_ts") == top["ts"] and not m.get("files")]
    assert "보도 추이" in part[-1]["text"]
    uploads = [f for f in fake_slack.files.values() if f.completed]
    assert sorted(u.filename.split("-")[0] for u in uploads) == ["KT", "화웨이"]
    for upload in uploads:
        assert upload.channel == "C1" and upload.thread_ts == top["ts"]
        assert upload.content is not None
        assert Image.open(io.BytesIO(upload.content)).size == (1000, 500)
        assert SUNDAY.isoformat() in upload.filename
    # Later ticks the same morning find the briefing delivered: nothing is posted or uploaded again.
    _deliver(sessions, fake_slack, MONDAY_8AM + timedelta(minutes=5))
    assert len([f for f in fake_slack.files.values() if f.completed]) == 2
    assert len([m for m in fake_slack.posted("C1") if "thread_ts" not in m and not m.get("files")]) == 1


def test_with_a_public_url_the_thread_part_shows_the_served_charts(
    sessions: sessionmaker[Session], fake_slack: FakeSlack
) -> None:
    ids = _seed(sessions, MONDAY_8AM)
    _deliver(sessions, fake_slack, MONDAY_8AM, briefings_public_url="https://briefings.example.com")
    images = [
        b["image_url"]
        for m in fake_slack.posted("C1")
        for b in m.get("blocks", [])
        if b.get("type") == "image"
    ]
    assert sorted(images) == sorted(
        "https://briefings.example.com" + chart_path(cid, SUNDAY) for cid in ids.values()
    )
    assert fake_slack.files == {}


def test_other_days_carry_no_chart(sessions: sessionmaker[Session], fake_slack: FakeSlack) -> None:
    friday = MONDAY_8AM - timedelta(days=3)
    _seed(sessions, friday)
    _deliver(sessions, fake_slack, friday)
    assert fake_slack.posted("C1")
    assert not any("보도 추이" in m.get("text", "") for m in fake_slack.posted("C1"))
    assert fake_slack.files == {}


def _cadence(sessions: sessionmaker[Session], cadence: str) -> None:
    with sessions.begin() as session:
        session.execute(update(Channel).where(Channel.channel_id == "C1").values(cadence=cadence))


def test_a_weekly_briefing_on_its_own_day_covers_the_week_with_the_chart(
    sessions: sessionmaker[Session], fake_slack: FakeSlack
) -> None:
    friday = MONDAY_8AM - timedelta(days=3)  # 2026-11-20 08:00 KST
    _seed(sessions, friday)
    _cadence(sessions, "weekly:4")
    with sessions.begin() as session:
        session.execute(update(Channel).values(covered_until=friday - timedelta(days=7)))
        big = story(
            session, "화웨이 주 초 큰 소식", ["화웨이"], published=friday - timedelta(days=5), outlets=4
        )
        big.articles_count = 11
    _deliver(sessions, fake_slack, friday)
    [top] = [m for m in fake_slack.posted("C1") if "thread_ts" not in m and not m.get("files")]
    header = top["blocks"][0]["text"]["text"]
    assert "주간 기업 뉴스 브리핑" in header and "11월 20일 (금)" in header
    body = json.dumps(top["blocks"], ensure_ascii=False)
    assert body.index("화웨이 주 초 큰 소식") < body.index("화웨이 주말 소식")  # 4 outlets before 2
    part = [m for m in fake_slack.posted("C1") if m.get("thread_ts") == top["ts"] and not m.get("files")]
    assert "보도 추이" in part[-1]["text"] and "11/19까지" in part[-1]["text"]
    assert len([f for f in fake_slack.files.values() if f.completed]) == 2


def test_twice_daily_monday_carries_the_chart_in_the_morning_briefing_only(
    sessions: sessionmaker[Session], fake_slack: FakeSlack
) -> None:
    _seed(sessions, MONDAY_8AM)
    _cadence(sessions, "twice:08:00,17:00")
    _deliver(sessions, fake_slack, MONDAY_8AM)
    _deliver(sessions, fake_slack, MONDAY_8AM + timedelta(hours=9))
    tops = [m for m in fake_slack.posted("C1") if "thread_ts" not in m and not m.get("files")]
    assert len(tops) == 2
    charts = [m for m in fake_slack.posted("C1") if "보도 추이" in m.get("text", "")]
    assert [m["thread_ts"] for m in charts] == [tops[0]["ts"]]
