"""Several workers, stalls, poison and the window between briefings, against the fake Slack."""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from bot.deliver import DeliverOptions, deliver_due
from briefings.delivery.run import Outcome
from briefings.models import Channel, Delivery
from tests.brief.conftest import make_settings, story, subscribe
from tests.fakes.slack_api import FakeSlack, Reply

DUE = datetime(2026, 11, 19, 23, 0, tzinfo=UTC)  # 2026-11-20 08:00 KST
NOW = DUE + timedelta(minutes=1)
# News for 60 companies (each story with its feedback buttons): a message and two thread replies.
MANY = [f"회사{i:03d}" for i in range(60)]


def deliver(
    sessions: sessionmaker[Session], fake: FakeSlack, now: datetime, worker: str, **opts: Any
) -> list[Outcome]:
    settings = make_settings(str(sessions.kw["bind"].url.render_as_string(hide_password=False)), fake)
    options = DeliverOptions(worker_id=worker, channel_interval=0.0, backoff=0.01, **opts)
    return deliver_due(sessions, now=now, settings=settings, options=options)


def seed_long(sessions: sessionmaker[Session]) -> None:
    with sessions.begin() as session:
        subscribe(session, "T1", "CBIG", MANY)
        for name in MANY:
            story(session, f"{name} 신제품 발표", [name], published=DUE - timedelta(hours=2))


def parts_in(fake: FakeSlack, channel: str) -> list[int]:
    return sorted(m["metadata"]["event_payload"]["part"] for m in fake.posted(channel))


def delivery(sessions: sessionmaker[Session], channel: str) -> Delivery:
    with sessions() as session:
        row = session.scalar(select(Delivery).where(Delivery.channel_id == channel))
        assert row is not None
        return row


def test_briefing_posted_over_rate_limited_parts_is_never_taken_over(
    sessions: sessionmaker[Session], fake_slack: FakeSlack
) -> None:
    seed_long(sessions)
    # A lease long enough that a thread starved for a second or two on a loaded machine still renews
    # in time; every part waits four times for Retry-After, so posting spans more than three leases.
    lease = timedelta(seconds=3)
    waits = [Reply(429, retry_after=1) for _ in range(4)]
    fake_slack.script("chat.postMessage", *waits)
    fake_slack.script("chat.postMessage", Reply(), *waits)
    fake_slack.script("chat.postMessage", Reply(), *waits)
    start = threading.Barrier(2)
    t0 = time.monotonic()
    done = threading.Event()
    results: dict[str, Any] = {"b": [], "b_tries": 0}

    def clock() -> datetime:
        return NOW + timedelta(seconds=time.monotonic() - t0)

    def worker_a() -> None:
        start.wait()
        try:
            results["a"] = deliver(sessions, fake_slack, clock(), "a", lease=lease)
        finally:
            results["a_seconds"] = time.monotonic() - t0
            done.set()

    def worker_b() -> None:
        start.wait()
        time.sleep(0.3)  # let a claim first: b is the one that would take over
        while not done.is_set():
            results["b"].extend(deliver(sessions, fake_slack, clock(), "b", lease=lease))
            results["b_tries"] += 1
            time.sleep(0.1)

    threads = [threading.Thread(target=worker_a), threading.Thread(target=worker_b)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert [o.status for o in results["a"]] == ["posted"]
    assert results["a_seconds"] > 3 * lease.total_seconds()  # without renewals b would have taken it
    assert results["b_tries"] >= 5 and results["b"] == []
    assert parts_in(fake_slack, "CBIG") == [1, 2, 3]
    row = delivery(sessions, "CBIG")
    assert (row.status, row.generation, row.claimed_by, row.parts_posted) == ("posted", 1, "a", 3)


def test_stalled_worker_that_wakes_up_posts_nothing(
    sessions: sessionmaker[Session], fake_slack: FakeSlack
) -> None:
    seed_long(sessions)
    # Part 1 goes out; part 2 is answered 429, and worker a stalls in that wait for longer than its lease.
    fake_slack.script("chat.postMessage", Reply(), Reply(429, retry_after=1))
    stalled, resume = threading.Event(), threading.Event()
    lost = [0.0]  # the time a's process spent frozen, as its own clock sees it

    def stall(_seconds: float) -> None:
        stalled.set()
        resume.wait(60)
        lost[0] += 600.0

    def a_clock() -> float:
        return time.monotonic() + lost[0]

    out: dict[str, list[Outcome]] = {}
    a = threading.Thread(
        target=lambda: out.setdefault(
            "a", deliver(sessions, fake_slack, NOW, "a", sleep=stall, monotonic=a_clock)
        )
    )
    a.start()
    assert stalled.wait(60)
    try:
        # Ten minutes later (twice the lease) another worker takes the briefing over and finishes it.
        b = deliver(sessions, fake_slack, NOW + timedelta(minutes=10), "b")
    finally:
        resume.set()
        a.join(timeout=60)
    assert [o.status for o in b] == ["recovered"]
    assert [o.status for o in out["a"]] == ["fenced"]
    assert parts_in(fake_slack, "CBIG") == [1, 2, 3]  # a's part 2 never went out after it woke
    row = delivery(sessions, "CBIG")
    assert (row.status, row.generation, row.claimed_by) == ("posted", 2, "b")
    # b read the thread once to learn whether a's part 2 had gone out, within Slack's page size.
    (replies,) = fake_slack.calls_to("conversations.replies")
    assert int(replies.args["limit"]) <= 15


def test_story_published_between_two_briefings_is_in_the_second(
    sessions: sessionmaker[Session], fake_slack: FakeSlack
) -> None:
    with sessions.begin() as session:
        subscribe(session, "T1", "C1", ["카카오"])
        story(session, "카카오 첫날 소식", ["카카오"], published=DUE - timedelta(hours=1))
    assert [o.status for o in deliver(sessions, fake_slack, NOW, "w")] == ["posted"]
    with sessions() as session:
        channel = session.scalar(select(Channel).where(Channel.channel_id == "C1"))
        assert channel is not None and channel.covered_until == NOW
    with sessions.begin() as session:
        # Reported a moment after the first briefing's window closed, while that run was still going.
        story(session, "카카오 사이 소식", ["카카오"], published=NOW + timedelta(milliseconds=1))
    deliver(sessions, fake_slack, NOW + timedelta(days=1), "w")
    first, second = (str(m["blocks"]) for m in fake_slack.posted("C1"))
    assert "카카오 첫날 소식" in first and "카카오 사이 소식" not in first
    assert "카카오 사이 소식" in second and "카카오 첫날 소식" not in second
    row = delivery_on(sessions, "C1", 21)
    assert row is not None and (row.covered_since, row.covered_until) == (NOW, NOW + timedelta(days=1))


def delivery_on(sessions: sessionmaker[Session], channel: str, day: int) -> Delivery | None:
    with sessions() as session:
        rows = session.scalars(select(Delivery).where(Delivery.channel_id == channel)).all()
        return next((d for d in rows if d.briefing_date.day == day), None)


def test_poison_briefing_is_recorded_and_the_others_delivered_until_attempts_run_out(
    sessions: sessionmaker[Session], fake_slack: FakeSlack
) -> None:
    with sessions.begin() as session:
        subscribe(session, "T1", "CA", ["네이버"])
        poison = subscribe(session, "T1", "CPOISON", ["네이버"])
        subscribe(session, "T1", "CZ", ["네이버"])
        poison.themes = 5  # type: ignore[assignment]  # a corrupted row: composing it raises
        story(session, "네이버 AI 검색", ["네이버"], published=DUE - timedelta(hours=1))
    first = {o.channel_id: o for o in deliver(sessions, fake_slack, NOW, "w", max_attempts=3)}
    assert first["CA"].status == "posted" and first["CZ"].status == "posted"
    assert first["CPOISON"].status == "retry" and "TypeError" in (first["CPOISON"].error or "")
    statuses = [
        [o.status for o in deliver(sessions, fake_slack, NOW + timedelta(minutes=m), "w", max_attempts=3)]
        for m in (1, 2, 3)
    ]
    assert statuses == [["retry"], ["failed"], []]  # three attempts in all, then left alone for good
    row = delivery(sessions, "CPOISON")
    assert (row.status, row.attempts) == ("failed", 3) and "TypeError" in (row.error or "")
    assert fake_slack.posted("CPOISON") == []
    assert len(fake_slack.posted("CA")) == 1 and len(fake_slack.posted("CZ")) == 1


def test_dm_briefing_at_the_users_own_time_zone_unless_the_channel_sets_one(
    sessions: sessionmaker[Session], fake_slack: FakeSlack
) -> None:
    fake_slack.users["U7"] = {"id": "U7", "name": "jane", "tz": "America/New_York"}
    fake_slack.users["U8"] = {"id": "U8", "name": "kim", "tz": "America/New_York"}
    with sessions.begin() as session:
        created = NOW - timedelta(hours=1)
        subscribe(session, "T1", "U7", ["삼성전자"], is_dm=True, created=created)
        subscribe(session, "T1", "U8", ["삼성전자"], is_dm=True, tz="Asia/Seoul", created=created)
    # 08:01 KST: U8 (Seoul set on purpose) is due; U7's 08:00 in New York is 22:00 KST.
    assert [o.channel_id for o in deliver(sessions, fake_slack, NOW, "w")] == ["U8"]
    new_york_8am = datetime(2026, 11, 20, 13, 0, tzinfo=UTC)
    assert deliver(sessions, fake_slack, new_york_8am - timedelta(minutes=1), "w") == []
    assert [o.channel_id for o in deliver(sessions, fake_slack, new_york_8am, "w")] == ["U7"]
    with sessions() as session:
        row = session.scalar(select(Channel).where(Channel.channel_id == "U7"))
        assert row is not None and row.user_tz == "America/New_York"
    asked = [c.args["user"] for c in fake_slack.calls_to("users.info")]
    assert sorted(asked) == ["U7", "U8"]  # read once and cached on the channel row
