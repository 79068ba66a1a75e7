"""Cadences delivered against the fake Slack over days with the clock moved: each slot posted once."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, date, datetime, timedelta
from itertools import pairwise
from typing import Any

import pytest
import time_machine
from sqlalchemy import select, update
from sqlalchemy.orm import Session, sessionmaker

from bot.deliver import DeliverOptions, Outcome, deliver_due
from briefings.models import Channel, Delivery
from briefings.timeutil import utcnow
from tests.brief.conftest import T0, make_settings, story, subscribe
from tests.fakes.slack_api import FakeSlack

KST_8AM_NOV20 = datetime(2026, 11, 19, 23, 0, tzinfo=UTC)  # Friday 2026-11-20 08:00 KST
TWICE = "twice:08:00,17:00"
# Minutes from 08:00 KST at which the scheduler's tick runs: around both slots and in between.
TICKS = (-1, 0, 1, 5, 120, 240, 539, 540, 541, 560, 720, 1000, 1439)


def deliver(
    sessions: sessionmaker[Session], fake: FakeSlack, now: datetime, worker: str = "w1"
) -> list[Outcome]:
    url = str(sessions.kw["bind"].url.render_as_string(hide_password=False))
    options = DeliverOptions(worker_id=worker, channel_interval=0.0, backoff=0.01)
    return deliver_due(sessions, now=now, settings=make_settings(url, fake), options=options)


def top_level(fake: FakeSlack, channel: str) -> list[dict[str, Any]]:
    return [m for m in fake.posted(channel) if "thread_ts" not in m and not m.get("files")]


def said(message: dict[str, Any]) -> str:
    return json.dumps(message.get("blocks", []), ensure_ascii=False)


def set_cadence(sessions: sessionmaker[Session], channel: str, cadence: str, at: str | None = None) -> None:
    """What `/news 주기` stores (its command is tested over HTTP in tests/bot/test_commands.py)."""
    values: dict[str, str] = {"cadence": cadence}
    if at:
        values["briefing_time"] = at
    with sessions.begin() as session:
        session.execute(update(Channel).where(Channel.channel_id == channel).values(**values))


def slots(sessions: sessionmaker[Session], channel: str) -> list[tuple[str, int, str]]:
    with sessions() as session:
        found = session.execute(
            select(Delivery.briefing_date, Delivery.slot, Delivery.status)
            .where(Delivery.channel_id == channel)
            .order_by(Delivery.briefing_date, Delivery.slot)
        ).all()
    return [(d.isoformat(), slot, status) for d, slot, status in found]


@pytest.fixture
def clock() -> Iterator[time_machine.Traveller]:
    with time_machine.travel(T0, tick=False) as traveller:
        yield traveller


def test_twice_a_day_posts_each_slot_once_and_the_second_starts_where_the_first_ended(
    sessions: sessionmaker[Session], fake_slack: FakeSlack, clock: time_machine.Traveller
) -> None:
    with sessions.begin() as session:
        subscribe(session, "T1", "CTWICE", ["화웨이"])
        subscribe(session, "T1", "CDAY", ["화웨이"])
    set_cadence(sessions, "CTWICE", TWICE, "08:00")
    for day in range(3):
        base = KST_8AM_NOV20 + timedelta(days=day)
        with sessions.begin() as session:
            story(session, f"화웨이 {day}일차 새벽 소식", ["화웨이"], published=base - timedelta(hours=2))
        for offset in TICKS:
            clock.move_to(base + timedelta(minutes=offset))
            if offset == 240:  # 12:00 KST: a story between the two briefings
                with sessions.begin() as session:
                    story(session, f"화웨이 {day}일차 낮 소식", ["화웨이"], published=utcnow())
            deliver(sessions, fake_slack, utcnow())
        posts = top_level(fake_slack, "CTWICE")
        assert len(posts) == 2 * (day + 1)
        morning, evening = posts[-2:]
        assert f"{day}일차 새벽" in said(morning) and f"{day}일차 낮" not in said(morning)
        assert f"{day}일차 낮" in said(evening) and f"{day}일차 새벽" not in said(evening)
        assert "오늘 08:00 이후" in said(evening)
        assert morning["metadata"]["event_payload"].get("subject") is None
        assert evening["metadata"]["event_payload"]["subject"] == "slot:1"
        assert len(top_level(fake_slack, "CDAY")) == day + 1  # a daily channel beside it: once a day
    assert slots(sessions, "CTWICE") == [
        (d, s, "posted") for d in ("2026-11-20", "2026-11-21", "2026-11-22") for s in (0, 1)
    ]
    with sessions() as session:
        rows = session.scalars(
            select(Delivery)
            .where(Delivery.channel_id == "CTWICE")
            .order_by(Delivery.briefing_date, Delivery.slot)
        ).all()
        # Each briefing starts exactly where the one before it ended: nothing falls between two.
        for earlier, later in pairwise(rows):
            assert later.covered_since == earlier.covered_until


def test_a_cadence_changed_in_the_middle_of_a_day_posts_neither_twice_nor_zero_times(
    sessions: sessionmaker[Session], fake_slack: FakeSlack, clock: time_machine.Traveller
) -> None:
    with sessions.begin() as session:
        subscribe(session, "T1", "CTOTWICE", ["KT"])  # 매일 08:00, then 하루두번 08:00 17:00 at 10:00
        subscribe(session, "T1", "CTODAILY", ["KT"])  # 하루두번 08:00 17:00, then 매일 09:00 at 10:00
        story(session, "KT 소식", ["KT"], published=KST_8AM_NOV20 - timedelta(hours=1))
    set_cadence(sessions, "CTODAILY", TWICE)
    for day in range(2):
        base = KST_8AM_NOV20 + timedelta(days=day)
        for offset in TICKS:
            clock.move_to(base + timedelta(minutes=offset))
            if (day, offset) == (0, 120):  # 10:00 KST on the first day
                set_cadence(sessions, "CTOTWICE", TWICE)
                set_cadence(sessions, "CTODAILY", "daily", "09:00")
            deliver(sessions, fake_slack, utcnow())
    assert slots(sessions, "CTOTWICE") == [
        ("2026-11-20", 0, "posted"),
        ("2026-11-20", 1, "posted"),
        ("2026-11-21", 0, "posted"),
        ("2026-11-21", 1, "posted"),
    ]
    assert slots(sessions, "CTODAILY") == [("2026-11-20", 0, "posted"), ("2026-11-21", 0, "posted")]
    assert len(top_level(fake_slack, "CTOTWICE")) == 4
    assert len(top_level(fake_slack, "CTODAILY")) == 2
    # The second day's daily briefing came at its new time, 09:00 KST.
    second = float(top_level(fake_slack, "CTODAILY")[1]["ts"])
    assert second >= (KST_8AM_NOV20 + timedelta(days=1, hours=1)).timestamp()


def test_a_morning_slot_missed_past_the_evening_one_gives_way_and_loses_no_story(
    sessions: sessionmaker[Session], fake_slack: FakeSlack
) -> None:
    with sessions.begin() as session:
        subscribe(session, "T1", "CTWICE", ["네이버"], created=T0 - timedelta(days=3))
        story(session, "네이버 아침 소식", ["네이버"], published=KST_8AM_NOV20 - timedelta(hours=1))
    set_cadence(sessions, "CTWICE", TWICE)
    with sessions.begin() as session:
        evening_before = KST_8AM_NOV20 - timedelta(hours=15)  # 17:00 KST the day before
        session.execute(update(Channel).values(covered_until=evening_before))
        for slot in (0, 1):  # the days before were delivered
            for back in (1, 2, 3):
                session.add(
                    Delivery(
                        team_id="T1",
                        channel_id="CTWICE",
                        briefing_date=date(2026, 11, 20) - timedelta(days=back),
                        slot=slot,
                        status="posted",
                        attempts=1,
                    )
                )
    # The service is down from 07:00 to 17:30 KST; it ticks again at 17:30 and 17:31.
    back = KST_8AM_NOV20 + timedelta(hours=9, minutes=30)
    first = deliver(sessions, fake_slack, back)
    assert [(o.slot, o.status, o.error) for o in first] == [(0, "skipped", "다음 브리핑 시간이 되어 넘김")]
    second = deliver(sessions, fake_slack, back + timedelta(minutes=1))
    assert [(o.slot, o.status, o.error) for o in second] == [(1, "posted", None)]
    [evening] = top_level(fake_slack, "CTWICE")
    assert "네이버 아침 소식" in said(evening)  # the skipped slot's story is in the next one


def test_workers_started_together_post_each_slot_once(
    sessions: sessionmaker[Session], fake_slack: FakeSlack
) -> None:
    with sessions.begin() as session:
        for i in range(4):
            subscribe(session, "T1", f"C{i}", ["센스타임"])
    for i in range(4):
        set_cadence(sessions, f"C{i}", TWICE)
    for offset in (timedelta(minutes=2), timedelta(hours=9, minutes=2)):  # 08:02 and 17:02 KST
        start = threading.Barrier(3)

        def run(worker: str, at: timedelta = offset, gate: threading.Barrier = start) -> list[Outcome]:
            gate.wait()  # all three claim at the same moment
            return deliver(sessions, fake_slack, KST_8AM_NOV20 + at, worker=worker)

        with ThreadPoolExecutor(max_workers=3) as pool:
            done = [o for got in pool.map(run, ["a", "b", "c"]) for o in got if o.status == "posted"]
        assert sorted(o.channel_id for o in done) == [f"C{i}" for i in range(4)]
    for i in range(4):
        assert [m["metadata"]["event_payload"].get("subject") for m in top_level(fake_slack, f"C{i}")] == [
            None,
            "slot:1",
        ]
