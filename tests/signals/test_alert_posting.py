"""Spike alerts posted to the fake Slack: once across concurrent workers and restarts, never for 끔."""

from __future__ import annotations

import subprocess
import sys
import threading
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from bot.alerts import AlertOutcome, post_alerts
from bot.deliver import DeliverOptions, deliver_due
from briefings.db import make_engine, make_sessionmaker
from briefings.filters import add_filter
from briefings.models import AlertClaim, ShownStory, Story
from tests.conftest import process_env
from tests.fakes.slack_api import FakeSlack, Reply
from tests.signals.conftest import NOW, TODAY, burst, follow, history, make_settings


def url_of(sessions: sessionmaker[Session]) -> str:
    return str(sessions.kw["bind"].url.render_as_string(hide_password=False))


def run(
    sessions: sessionmaker[Session], fake: FakeSlack, worker: str, now: datetime = NOW
) -> list[AlertOutcome]:
    options = DeliverOptions(worker_id=worker, channel_interval=0.0, backoff=0.01)
    return post_alerts(sessions, now=now, settings=make_settings(url_of(sessions), fake), options=options)


def texts(message: dict[str, Any]) -> str:
    out = [message.get("text", "")]
    for block in message.get("blocks", []):
        if isinstance(block.get("text"), dict):
            out.append(block["text"]["text"])
        out += [e.get("text", "") for e in block.get("elements", []) if isinstance(e, dict)]
    return "\n".join(out)


def claims(sessions: sessionmaker[Session]) -> list[tuple[str, int, str, int]]:
    with sessions() as session:
        rows = session.scalars(select(AlertClaim).order_by(AlertClaim.channel_id, AlertClaim.company_id))
        return [(r.channel_id, r.company_id, r.status, r.generation) for r in rows]


def seed_spike(sessions: sessionmaker[Session], **follow_kw: Any) -> None:
    with sessions.begin() as session:
        history(session, "화웨이")
        history(session, "샤오미")
        burst(session, "화웨이")
        follow(session, "T1", "C1", ["화웨이", "샤오미"], **follow_kw)


def test_a_spike_is_posted_once_with_what_drives_it(
    sessions: sessionmaker[Session], fake_slack: FakeSlack
) -> None:
    seed_spike(sessions)
    (outcome,) = run(sessions, fake_slack, "a")
    assert (outcome.status, outcome.company) == ("posted", "화웨이")
    (message,) = fake_slack.posted("C1")
    body = texts(message)
    assert "*화웨이* 보도 급증" in body
    assert "평소 하루 2건 → 오늘 11건" in body
    # The top stories, linked, the first with its other outlets; the words that rose, not the name.
    assert (
        "화웨이 배터리 리콜 0" in body
        and "매체00 외 2개 매체" in body
        and "<https://news.example.kr/" in body
    )
    assert "떠오른 단어: `리콜` · `배터리`" in body
    assert "`화웨이`" not in body and "`실적`" not in body
    assert message["unfurl_links"] is False
    assert message["metadata"]["event_payload"]["subject"].startswith("alert:")
    # The same check later that day, and the day's further stories, post nothing more.
    with sessions.begin() as session:
        burst(session, "화웨이", 4)
    assert run(sessions, fake_slack, "a", NOW + timedelta(hours=2)) == []
    assert len(fake_slack.posted("C1")) == 1


def test_two_workers_at_once_post_each_alert_once(
    sessions: sessionmaker[Session], fake_slack: FakeSlack
) -> None:
    names = [f"회사{i}" for i in range(3)]
    with sessions.begin() as session:
        for name in names:
            history(session, name, days=20)
            burst(session, name, 9 + 2 * int(name[-1]))
        for ch in ("C1", "C2", "C3", "C4"):
            follow(session, "T1", ch, names)
    # Every post is slow to answer, so both workers are in the middle of the run together.
    fake_slack.script("chat.postMessage", *[Reply(delay=0.15) for _ in range(12)])
    start = threading.Barrier(2)
    results: dict[str, list[AlertOutcome]] = {}

    def worker(name: str) -> None:
        start.wait()
        results[name] = run(sessions, fake_slack, name)

    threads = [threading.Thread(target=worker, args=(w,)) for w in ("a", "b")]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    posted = [o for r in results.values() for o in r if o.status == "posted"]
    assert len(posted) == 12
    assert results["a"] and results["b"]  # both did part of the work
    for ch in ("C1", "C2", "C3", "C4"):
        subjects = [m["metadata"]["event_payload"]["subject"] for m in fake_slack.posted(ch)]
        assert sorted(subjects) == sorted(set(subjects)) and len(subjects) == 3
    assert {(status, gen) for _c, _id, status, gen in claims(sessions)} == {("posted", 1)}


def test_channel_with_alerts_off_gets_none(sessions: sessionmaker[Session], fake_slack: FakeSlack) -> None:
    seed_spike(sessions, sensitivity="끔")
    with sessions.begin() as session:
        follow(session, "T1", "C2", ["화웨이"])
    assert [o.channel_id for o in run(sessions, fake_slack, "a")] == ["C2"]
    assert fake_slack.posted("C1") == []
    assert claims(sessions) == [("C2", claims(sessions)[0][1], "posted", 1)]


def test_no_alert_in_the_first_days_after_a_subscription(
    sessions: sessionmaker[Session], fake_slack: FakeSlack
) -> None:
    seed_spike(sessions, since=NOW - timedelta(days=3))
    assert run(sessions, fake_slack, "a") == []
    assert fake_slack.posted("C1") == [] and claims(sessions) == []
    # A week later the same company's next jump is compared with what was seen since.
    later = NOW + timedelta(days=5)
    with sessions.begin() as session:
        burst(session, "화웨이", 12, day=TODAY + timedelta(days=5))
    assert [o.status for o in run(sessions, fake_slack, "a", later)] == ["posted"]


def test_an_alert_story_that_continues_one_links_the_briefing_message_that_showed_it(
    sessions: sessionmaker[Session], fake_slack: FakeSlack
) -> None:
    seed_spike(sessions)
    settings = make_settings(url_of(sessions), fake_slack)
    morning = NOW - timedelta(hours=6, minutes=59)  # 08:01 KST: the day's briefing shows yesterday's news
    deliver_due(
        sessions, now=morning, settings=settings, options=DeliverOptions(worker_id="d", channel_interval=0)
    )
    (briefing,) = fake_slack.posted("C1")
    earlier_headline = f"화웨이 소식 {TODAY - timedelta(days=1)} 0"
    assert earlier_headline in str(briefing["blocks"])
    with sessions.begin() as session:
        earlier = session.scalar(select(Story).where(Story.headline == earlier_headline))
        assert earlier is not None
        for later in session.scalars(select(Story).where(Story.headline.like("화웨이 배터리 리콜 %"))):
            later.follow_up_of_id = earlier.id
    (outcome,) = run(sessions, fake_slack, "a")
    assert outcome.status == "posted"
    _briefing, alert = fake_slack.posted("C1")
    permalink = fake_slack.permalink_of("C1", briefing["ts"])
    lines = [b["text"]["text"] for b in alert["blocks"] if "배터리 리콜" in str(b.get("text"))]
    assert len(lines) == 3  # each of the alert's stories says what it continues, linking the briefing
    assert all(f"이어지는 소식: <{permalink}|{earlier_headline}>" in line for line in lines)
    assert len(fake_slack.calls_to("chat.getPermalink")) == 1  # asked once, then kept
    with sessions() as session:
        kept = session.scalars(select(ShownStory.permalink).where(ShownStory.story_id == earlier.id))
        assert list(kept) == [permalink]


def test_alert_and_briefing_of_one_day_are_not_taken_for_each_other(
    sessions: sessionmaker[Session], fake_slack: FakeSlack
) -> None:
    seed_spike(sessions)
    settings = make_settings(url_of(sessions), fake_slack)
    morning = NOW - timedelta(hours=6, minutes=59)  # 08:01 KST, just after the briefing time
    deliver_due(
        sessions, now=morning, settings=settings, options=DeliverOptions(worker_id="d", channel_interval=0)
    )
    assert len(fake_slack.posted("C1")) == 1  # the day's briefing, already in the channel
    # The alert's first answer is lost: the channel is read before posting again, and the day's
    # briefing found there is not taken for the alert.
    fake_slack.script("chat.postMessage", Reply(500))
    (outcome,) = run(sessions, fake_slack, "a")
    assert outcome.status == "posted"
    assert len(fake_slack.calls_to("conversations.history")) == 1
    briefing, alert = fake_slack.posted("C1")
    assert "subject" not in briefing["metadata"]["event_payload"]
    assert alert["metadata"]["event_payload"]["subject"] == "alert:1"


ROOT = Path(__file__).resolve().parents[2]


def alerts_process(
    db_url: str, fake: FakeSlack, at: datetime, tmp_path: Path, failpoint: str = ""
) -> tuple[int, str]:
    env = process_env(
        tmp_path,
        DATABASE_URL=db_url,
        SLACK_BOT_TOKEN="xoxb-test",
        SLACK_API_URL=fake.api_url,
        BRIEFINGS_TZ="Asia/Seoul",
        BRIEFINGS_HOME=str(tmp_path),
    )
    if failpoint:
        env["BRIEFINGS_FAILPOINT"] = failpoint
    proc = subprocess.run(
        [sys.executable, "-m", "bot", "alerts", "--now", "--at", at.isoformat()],
        env=env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
    )
    return proc.returncode, proc.stdout + proc.stderr


@pytest.mark.parametrize("failpoint", ["after_claim", "after_post"])
def test_a_worker_killed_mid_alert_leaves_exactly_one_alert(
    failpoint: str, sqlite_url: str, fake_slack: FakeSlack, tmp_path: Path
) -> None:
    engine = make_engine(sqlite_url)
    sessions = make_sessionmaker(engine)
    seed_spike(sessions)
    code, out = alerts_process(sqlite_url, fake_slack, NOW, tmp_path, failpoint)
    assert code == 91, out
    posted = 1 if failpoint == "after_post" else 0
    assert len(fake_slack.posted("C1")) == posted
    # Within the lease the claim is left alone: the first process might still be alive.
    code, out = alerts_process(sqlite_url, fake_slack, NOW + timedelta(minutes=1), tmp_path)
    assert (code, len(fake_slack.posted("C1"))) == (0, posted), out
    # After it, the claim is taken over: what the channel shows is found by its metadata, not reposted.
    code, out = alerts_process(sqlite_url, fake_slack, NOW + timedelta(minutes=7), tmp_path)
    assert code == 0, out
    assert len(fake_slack.posted("C1")) == 1
    assert ("복구" in out) == (failpoint == "after_post"), out
    (row,) = claims(sessions)
    assert (row[2], row[3]) == ("posted", 2)
    # And a restart later in the day posts nothing more.
    code, out = alerts_process(sqlite_url, fake_slack, NOW + timedelta(hours=3), tmp_path)
    assert (code, len(fake_slack.posted("C1"))) == (0, 1), out
    assert "지금은 없음" in out
    engine.dispose()


def test_an_alert_leaves_out_the_stories_the_channels_filters_hide(
    sessions: sessionmaker[Session], fake_slack: FakeSlack
) -> None:
    with sessions.begin() as session:
        history(session, "화웨이")
        top, *_rest = burst(session, "화웨이")
        follow(session, "T1", "C1", ["화웨이"])
        add_filter(session, "T1", "C1", "story", str(top.id), now=NOW)  # "이미 본 소식"
    (outcome,) = run(sessions, fake_slack, "a")
    assert outcome.status == "posted"
    (message,) = fake_slack.posted("C1")
    body = texts(message)
    assert "화웨이 배터리 리콜 1" in body and "화웨이 배터리 리콜 0" not in body
