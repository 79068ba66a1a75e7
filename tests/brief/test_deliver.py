"""Exactly-once delivery against the fake Slack: days pass, workers crash, Slack pushes back."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
import time_machine
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from bot.deliver import DeliverOptions, Outcome, deliver_due
from briefings.models import Delivery
from briefings.timeutil import utcnow
from tests.brief.conftest import T0, make_settings, story, subscribe
from tests.fakes.slack_api import FakeSlack, Reply

KST_8AM_NOV20 = datetime(2026, 11, 19, 23, 0, tzinfo=UTC)  # 2026-11-20 08:00 KST


def deliver(
    sessions: sessionmaker[Session], db_url: str, fake: FakeSlack, now: datetime, **opts: Any
) -> list[Outcome]:
    settings = make_settings(db_url, fake)
    worker = opts.pop("worker_id", "w1")
    options = DeliverOptions(worker_id=worker, channel_interval=0.0, backoff=0.01, **opts)
    return deliver_due(sessions, now=now, settings=settings, options=options)


def rows(sessions: sessionmaker[Session]) -> list[Delivery]:
    with sessions() as session:
        return list(session.scalars(select(Delivery).order_by(Delivery.briefing_date, Delivery.channel_id)))


def top_level(fake: FakeSlack, channel: str) -> list[dict[str, Any]]:
    return [m for m in fake.posted(channel) if "thread_ts" not in m]


@pytest.fixture
def db_url_of(engine: Any) -> str:
    return str(engine.url.render_as_string(hide_password=False))


@pytest.fixture
def clock() -> Iterator[time_machine.Traveller]:
    with time_machine.travel(T0, tick=False) as traveller:
        yield traveller


def test_each_channel_gets_one_briefing_a_day_at_its_time(
    sessions: sessionmaker[Session], db_url_of: str, fake_slack: FakeSlack, clock: time_machine.Traveller
) -> None:
    with sessions.begin() as session:
        subscribe(session, "T1", "C1", ["화웨이", "KT"], at="08:00")
        # Existed two days before the clock starts: those briefings were missed while "down".
        subscribe(session, "T1", "COLD", ["KT"], at="08:00", created=T0 - timedelta(days=2))
        subscribe(session, "T1", "C2", ["샤오미"], at="09:30")
        subscribe(session, "T1", "U7", ["네이버"], at="08:00", is_dm=True)
        subscribe(session, "T1", "CNY", ["알리바바"], at="08:00", tz="America/New_York")
        subscribe(session, "T1", "CNONE", [])  # a channel without subscriptions gets nothing
    for day in range(3):
        base = KST_8AM_NOV20 + timedelta(days=day)
        with sessions.begin() as session:
            published = base - timedelta(hours=3)
            story(session, f"화웨이 {day}일차 소식", ["화웨이"], published=published, outlets=2)
        for offset in (-1, 0, 1, 5, 89, 90, 91, 600, 841, 1439):  # minutes from 08:00 KST
            clock.move_to(base + timedelta(minutes=offset))
            deliver(sessions, db_url_of, fake_slack, utcnow())
        for ch in ("C1", "C2", "D7"):
            assert len(top_level(fake_slack, ch)) == day + 1, ch
        assert len(top_level(fake_slack, "CNY")) == day + 1  # 08:00 New York is 22:00 KST, same day
    assert fake_slack.posted("CNONE") == []
    first = top_level(fake_slack, "C1")[0]
    assert first["metadata"]["event_type"] == "briefings_briefing"
    assert first["metadata"]["event_payload"]["date"] == "2026-11-20"
    assert first["unfurl_links"] is False and first["unfurl_media"] is False
    assert "화웨이 0일차 소식" in str(first["blocks"])
    # The second day's briefing covers only what is new since the first.
    second = top_level(fake_slack, "C1")[1]
    assert "화웨이 1일차 소식" in str(second["blocks"]) and "화웨이 0일차 소식" not in str(second["blocks"])
    c2_times = [c.at for c in fake_slack.calls_to("chat.postMessage") if c.args["channel"] == "C2"]
    assert all(datetime.fromtimestamp(t, UTC).astimezone().minute in (30, 31) for t in c2_times)
    assert fake_slack.calls_to("conversations.open")  # the personal subscription went by DM
    old = [(d.briefing_date.isoformat(), d.status) for d in rows(sessions) if d.channel_id == "COLD"]
    assert old[:2] == [("2026-11-18", "skipped"), ("2026-11-19", "skipped")]
    assert len(top_level(fake_slack, "COLD")) == 3
    statuses = {(d.channel_id, d.briefing_date, d.status) for d in rows(sessions)}
    assert ("U7", date(2026, 11, 20), "posted") in statuses
    c1 = [(d.briefing_date.isoformat(), d.status) for d in rows(sessions) if d.channel_id == "C1"]
    assert c1 == [
        ("2026-11-20", "posted"),
        ("2026-11-21", "posted"),
        ("2026-11-22", "posted"),
    ]


def test_missed_briefing_posted_within_grace_and_skipped_after(
    sessions: sessionmaker[Session], db_url_of: str, fake_slack: FakeSlack
) -> None:
    with sessions.begin() as session:
        subscribe(session, "T1", "CLATE", ["카카오"], at="08:00")
        subscribe(session, "T1", "CTOOLATE", ["네이버"], at="05:00")
        story(session, "카카오 신규 서비스", ["카카오"], published=KST_8AM_NOV20 - timedelta(hours=1))
    # The service comes back at 10:30 KST: 2.5 h after CLATE's time, 5.5 h after CTOOLATE's.
    back = KST_8AM_NOV20 + timedelta(hours=2, minutes=30)
    outcomes = {o.channel_id: o for o in deliver(sessions, db_url_of, fake_slack, back)}
    assert outcomes["CLATE"].status == "posted"
    assert outcomes["CTOOLATE"].status == "skipped"
    assert len(top_level(fake_slack, "CLATE")) == 1
    assert fake_slack.posted("CTOOLATE") == []
    skipped = [d for d in rows(sessions) if d.channel_id == "CTOOLATE"]
    assert [(d.status, d.error) for d in skipped] == [("skipped", "유예 시간 초과")]
    # Nothing is retried later that day.
    deliver(sessions, db_url_of, fake_slack, back + timedelta(hours=1))
    assert fake_slack.posted("CTOOLATE") == [] and len(top_level(fake_slack, "CLATE")) == 1


def test_rate_limit_storm_delays_but_loses_nothing(
    sessions: sessionmaker[Session], db_url_of: str, fake_slack: FakeSlack
) -> None:
    with sessions.begin() as session:
        for i in range(4):
            subscribe(session, "T1", f"C{i}", ["삼성전자"])
        story(session, "삼성전자 반도체 투자", ["삼성전자"], published=KST_8AM_NOV20 - timedelta(hours=2))
    fake_slack.script(
        "chat.postMessage",
        Reply(429, retry_after=7),
        *[Reply(429, retry_after=0) for _ in range(6)],
        Reply(500),
        Reply(503),
    )
    slept: list[float] = []
    now = KST_8AM_NOV20 + timedelta(minutes=1)
    outcomes = deliver(sessions, db_url_of, fake_slack, now, sleep=slept.append)
    # The 500 is checked in the history (absent: posted again); the 503 cannot be checked within
    # Slack's one history read a minute, so that briefing waits for a later tick instead of guessing.
    assert sorted(o.status for o in outcomes) == ["posted"] * 3 + ["retry"]
    assert 7.0 in slept  # Retry-After honoured
    fake_slack.next_minute()
    later = deliver(sessions, db_url_of, fake_slack, now + timedelta(minutes=1), sleep=slept.append)
    assert [o.status for o in later] == ["posted"]
    for i in range(4):
        assert len(fake_slack.posted(f"C{i}")) == 1
    assert len(fake_slack.calls_to("chat.postMessage")) == 4 + 9
    assert len(fake_slack.calls_to("conversations.history")) == 3


def test_transient_failures_retried_on_a_later_tick_permanent_ones_recorded_once(
    sessions: sessionmaker[Session], db_url_of: str, fake_slack: FakeSlack
) -> None:
    with sessions.begin() as session:
        for ch in ("CGONE", "CARCH", "CFLAKY"):
            subscribe(session, "T1", ch, ["KT"])
    fake_slack.channel_errors.update(
        {"CGONE": "channel_not_found", "CARCH": "is_archived", "CFLAKY": "internal_error"}
    )
    now = KST_8AM_NOV20 + timedelta(minutes=1)
    first = {o.channel_id: o for o in deliver(sessions, db_url_of, fake_slack, now, retries=1)}
    assert first["CFLAKY"].status == "retry" and first["CGONE"].status == "failed"
    del fake_slack.channel_errors["CFLAKY"]
    second = {o.channel_id: o for o in deliver(sessions, db_url_of, fake_slack, now + timedelta(minutes=1))}
    third = deliver(sessions, db_url_of, fake_slack, now + timedelta(minutes=2))
    by_channel = {d.channel_id: d for d in rows(sessions)}
    assert (by_channel["CGONE"].status, by_channel["CGONE"].error) == ("failed", "channel_not_found")
    assert (by_channel["CARCH"].status, by_channel["CARCH"].error) == ("failed", "is_archived")
    assert by_channel["CFLAKY"].status == "posted" and second["CFLAKY"].status == "posted"
    assert set(second) == {"CFLAKY"} and third == []
    posts = [c.args["channel"] for c in fake_slack.calls_to("chat.postMessage")]
    assert posts.count("CGONE") == 1 and posts.count("CARCH") == 1
    assert posts.count("CFLAKY") == 3  # two tries on the first tick, one success on the next
    assert len(fake_slack.posted("CFLAKY")) == 1


def test_empty_day_one_short_line_or_nothing_when_turned_off(
    sessions: sessionmaker[Session], db_url_of: str, fake_slack: FakeSlack
) -> None:
    with sessions.begin() as session:
        subscribe(session, "T1", "CQUIET", ["메그비"])
        subscribe(session, "T1", "CSILENT", ["메그비"], post_when_empty=False)
    outcomes = {o.channel_id: o for o in deliver(sessions, db_url_of, fake_slack, KST_8AM_NOV20)}
    assert outcomes["CQUIET"].status == "posted" and outcomes["CSILENT"].status == "empty"
    (msg,) = fake_slack.posted("CQUIET")
    assert len(msg["blocks"]) == 1 and "새 소식이 없습니다" in msg["text"]
    assert fake_slack.posted("CSILENT") == []


def test_two_workers_started_together_in_one_process_never_post_twice(
    sessions: sessionmaker[Session], db_url_of: str, fake_slack: FakeSlack
) -> None:
    with sessions.begin() as session:
        for i in range(6):
            subscribe(session, "T1", f"C{i}", ["센스타임"])
    now = KST_8AM_NOV20 + timedelta(minutes=2)
    start = threading.Barrier(2)

    def run(worker: str) -> list[Outcome]:
        start.wait()  # both claim at the same moment
        return deliver(sessions, db_url_of, fake_slack, now, worker_id=worker)

    with ThreadPoolExecutor(max_workers=2) as pool:
        a, b = pool.map(run, ["a", "b"])
    assert sorted(o.channel_id for o in a + b if o.status == "posted") == [f"C{i}" for i in range(6)]
    assert all(len(fake_slack.posted(f"C{i}")) == 1 for i in range(6))


def test_personal_subscription_stored_as_a_dm_channel_is_posted_there(
    sessions: sessionmaker[Session], db_url_of: str, fake_slack: FakeSlack
) -> None:
    with sessions.begin() as session:
        subscribe(session, "T1", "D0042", ["알리바바"], is_dm=True)
        story(session, "알리바바 클라우드 성장", ["알리바바"], published=KST_8AM_NOV20 - timedelta(hours=3))
    (outcome,) = deliver(sessions, db_url_of, fake_slack, KST_8AM_NOV20 + timedelta(minutes=1))
    assert outcome.status == "posted"
    assert fake_slack.calls_to("conversations.open") == []  # the bot already knows the DM's id
    (msg,) = fake_slack.posted("D0042")
    assert "알리바바 클라우드 성장" in str(msg["blocks"])


def test_a_post_whose_answer_was_lost_is_found_again_not_repeated(
    sessions: sessionmaker[Session], db_url_of: str, fake_slack: FakeSlack
) -> None:
    with sessions.begin() as session:
        subscribe(session, "T1", "C1", ["네이버"])
        story(session, "네이버 AI 쇼핑", ["네이버"], published=KST_8AM_NOV20 - timedelta(hours=3))
    # Slack posted the message but the answer was a 502: a blind retry would post it twice.
    fake_slack.script("chat.postMessage", Reply(502, applied=True))
    (outcome,) = deliver(sessions, db_url_of, fake_slack, KST_8AM_NOV20 + timedelta(minutes=1))
    assert outcome.status == "posted"
    (msg,) = fake_slack.posted("C1")
    assert outcome.message_ts == msg["ts"]
    assert len(fake_slack.calls_to("chat.postMessage")) == 1
    assert fake_slack.calls_to("conversations.history")


def test_a_private_channel_gets_briefings_only_once_the_app_is_invited(
    sessions: sessionmaker[Session], db_url_of: str, fake_slack: FakeSlack
) -> None:
    with sessions.begin() as session:
        subscribe(session, "T1", "GPRIV", ["카카오"], at="08:00")
        story(session, "카카오 신규 서비스", ["카카오"], published=KST_8AM_NOV20 - timedelta(hours=1))
    fake_slack.private_channels.add("GPRIV")  # Slack hides a private channel from an app not in it
    (before,) = deliver(sessions, db_url_of, fake_slack, KST_8AM_NOV20 + timedelta(minutes=1))
    assert before.status == "failed" and fake_slack.posted("GPRIV") == []
    assert [d.error for d in rows(sessions)] == ["channel_not_found"]
    fake_slack.bot_channels.add("GPRIV")  # `/invite @Briefings`
    (after,) = deliver(sessions, db_url_of, fake_slack, KST_8AM_NOV20 + timedelta(days=1, minutes=1))
    assert after.status == "posted" and len(top_level(fake_slack, "GPRIV")) == 1
