"""A worker killed at any step of posting still leaves exactly one briefing; workers share the work.

Each run is a real `python -m bot deliver --now` process; `BRIEFINGS_FAILPOINT` makes it die
(os._exit) right after claiming, right after posting the first message, or right before recording.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from briefings.db import make_engine, make_sessionmaker
from briefings.models import Delivery, ShownStory, Story
from tests.brief.conftest import story, subscribe
from tests.conftest import PG_URL
from tests.fakes.slack_api import FakeSlack, Reply

NOW = datetime(2026, 11, 19, 23, 1, tzinfo=UTC)  # 2026-11-20 08:01 KST
ROOT = Path(__file__).resolve().parents[2]


def run_deliver(
    db_url: str, fake: FakeSlack, at: datetime, tmp_path: Path, failpoint: str | None = None
) -> subprocess.Popen[str]:
    env = {
        **os.environ,
        "DATABASE_URL": db_url,
        "SLACK_BOT_TOKEN": "xoxb-test",
        "SLACK_API_URL": fake.api_url,
        "BRIEFINGS_TZ": "Asia/Seoul",
        "BRIEFINGS_HOME": str(tmp_path),
    }
    env.pop("BRIEFINGS_FAILPOINT", None)
    if failpoint:
        env["BRIEFINGS_FAILPOINT"] = failpoint
    cmd = [sys.executable, "-m", "bot", "deliver", "--now", "--at", at.isoformat()]
    return subprocess.Popen(
        cmd, env=env, cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )


def finish(proc: subprocess.Popen[str]) -> tuple[int, str]:
    out, _ = proc.communicate(timeout=120)
    return proc.returncode, out


def seed_big(sessions: sessionmaker[Session]) -> None:
    """One channel whose briefing needs a thread reply (60 companies with news), one with a short one."""
    names = [f"회사{i:02d}" for i in range(60)]
    with sessions.begin() as session:
        subscribe(session, "T1", "CBIG", names)
        subscribe(session, "T1", "CSMALL", ["화웨이"])
        for name in [*names, "화웨이"]:
            story(session, f"{name} 신제품 발표", [name], published=NOW - timedelta(hours=2))


@pytest.mark.parametrize("failpoint", ["after_claim", "after_post", "before_record"])
def test_crash_at_each_step_leaves_exactly_one_briefing(
    failpoint: str, sqlite_url: str, fake_slack: FakeSlack, tmp_path: Path
) -> None:
    engine = make_engine(sqlite_url)
    sessions = make_sessionmaker(engine)
    seed_big(sessions)
    code, out = finish(run_deliver(sqlite_url, fake_slack, NOW, tmp_path, failpoint))
    assert code == 91, out
    crashed = next((c for c in ("CBIG", "CSMALL") if fake_slack.posted(c)), None)
    if failpoint == "after_post":
        (crashed,) = [c for c in ("CBIG", "CSMALL") if fake_slack.posted(c)]
        assert len(fake_slack.posted(crashed)) == 1
        # Within the lease another run leaves the claim alone (the first might still be alive).
        code, out = finish(run_deliver(sqlite_url, fake_slack, NOW + timedelta(minutes=1), tmp_path))
        assert code == 0, out
        assert len(fake_slack.posted(crashed)) == 1
    # After the lease the claim is taken over and completed from what the channel already shows.
    code, out = finish(run_deliver(sqlite_url, fake_slack, NOW + timedelta(minutes=7), tmp_path))
    assert code == 0, out
    if failpoint != "after_claim":  # something was posted: found again by its metadata, not reposted
        assert "복구" in out, out
    if failpoint == "after_post":
        (history,) = fake_slack.calls_to("conversations.history")
        assert history.args["include_all_metadata"] == "1"
    # 60 companies' stories, each with its feedback buttons, fill the message and two thread replies.
    for channel, parts in (("CBIG", 3), ("CSMALL", 1)):
        msgs = fake_slack.posted(channel)
        top = [m for m in msgs if "thread_ts" not in m]
        assert len(top) == 1, (channel, out)
        assert sorted(m["metadata"]["event_payload"]["part"] for m in msgs) == list(range(1, parts + 1))
        assert all(m["thread_ts"] == top[0]["ts"] for m in msgs if "thread_ts" in m)
    with sessions() as session:
        rows = session.scalars(select(Delivery).order_by(Delivery.channel_id)).all()
        assert [(d.channel_id, d.status) for d in rows] == [("CBIG", "posted"), ("CSMALL", "posted")]
        for d in rows:
            top = [m for m in fake_slack.posted(d.channel_id) if "thread_ts" not in m]
            assert d.message_ts == top[0]["ts"]
    # Every story shown is on record once, with the part that showed it. A thread part whose answer
    # was lost in the crash (its post found again, its ts not) is known by the briefing's first message.
    lost = (crashed, 3) if failpoint == "before_record" else None
    for channel, count in (("CBIG", 60), ("CSMALL", 1)):
        msgs = fake_slack.posted(channel)
        top_ts = next(m["ts"] for m in msgs if "thread_ts" not in m)
        with sessions() as session:
            shown = session.execute(
                select(Story.headline, ShownStory.part, ShownStory.message_ts)
                .join(Story, Story.id == ShownStory.story_id)
                .where(ShownStory.channel_id == channel)
            ).all()
        assert len(shown) == len({h for h, _p, _ts in shown}) == count, (channel, failpoint)
        for headline, part, ts in shown:
            (holder,) = [m for m in msgs if headline in str(m["blocks"])]
            assert part == holder["metadata"]["event_payload"]["part"]
            assert ts == (top_ts if (channel, part) == lost else holder["ts"]), (channel, headline, failpoint)
    engine.dispose()


@pytest.mark.postgres
@pytest.mark.skipif(not PG_URL, reason="TEST_DATABASE_URL is not set")
def test_two_worker_processes_on_postgresql_post_each_briefing_once(
    pg_template: str, fake_slack: FakeSlack, tmp_path: Path
) -> None:
    from tests.conftest import _pg_url_for, drop_pg_database, new_pg_database

    name = new_pg_database(pg_template)
    url = _pg_url_for(name)
    engine = make_engine(url)
    try:
        sessions = make_sessionmaker(engine)
        with sessions.begin() as session:
            for i in range(40):
                subscribe(session, "T1", f"C{i:02d}", ["삼성전자"])
            story(session, "삼성전자 HBM 공급", ["삼성전자"], published=NOW - timedelta(hours=1))
        fake_slack.post_rate_per_team = 25  # Slack pushes back, so the run lasts long enough to share
        procs = [run_deliver(url, fake_slack, NOW, tmp_path) for _ in range(2)]
        results = [finish(p) for p in procs]
        assert all(code == 0 for code, _ in results), results
        for i in range(40):
            assert len(fake_slack.posted(f"C{i:02d}")) == 1
        with sessions() as session:
            rows = session.scalars(select(Delivery)).all()
            assert len(rows) == 40 and {d.status for d in rows} == {"posted"}
            assert len({d.claimed_by for d in rows}) == 2  # both workers did part of the work
    finally:
        engine.dispose()
        drop_pg_database(name)


def crash_after_first_post(sqlite_url: str, fake: FakeSlack, tmp_path: Path) -> sessionmaker[Session]:
    """A worker posts CSMALL's briefing (or CBIG's first part) and dies before recording it."""
    sessions = make_sessionmaker(make_engine(sqlite_url))
    with sessions.begin() as session:
        subscribe(session, "T1", "CSMALL", ["화웨이"])
        story(session, "화웨이 신제품 발표", ["화웨이"], published=NOW - timedelta(hours=2))
    code, out = finish(run_deliver(sqlite_url, fake, NOW, tmp_path, "after_post"))
    assert code == 91, out
    assert len(fake.posted("CSMALL")) == 1
    # The app joined the public channel before its first post, so it can read the channel back.
    assert [c.method for c in fake.calls][:2] == ["conversations.join", "chat.postMessage"]
    return sessions


def recover(sqlite_url: str, fake: FakeSlack, tmp_path: Path) -> str:
    code, out = finish(run_deliver(sqlite_url, fake, NOW + timedelta(minutes=7), tmp_path))
    assert code == 0, out
    return out


def test_recovery_reads_one_page_of_15_from_the_claim_and_never_posts_twice_in_a_busy_channel(
    sqlite_url: str, fake_slack: FakeSlack, tmp_path: Path
) -> None:
    sessions = crash_after_first_post(sqlite_url, fake_slack, tmp_path)
    for i in range(20):  # the channel talks on: our message is no longer on the newest page
        fake_slack.messages["CSMALL"].append({"ts": f"{2_000_000_000 + i}.000001", "text": f"잡담 {i}"})
    recover(sqlite_url, fake_slack, tmp_path)
    (history,) = fake_slack.calls_to("conversations.history")
    assert int(history.args["limit"]) == 15
    with sessions() as session:
        row = session.scalar(select(Delivery))
        assert row is not None and row.claimed_at is not None
        assert float(history.args["oldest"]) == pytest.approx(row.claimed_at.timestamp())
        assert (row.status, row.error) == ("unconfirmed", "게시 여부 확인 불가(재게시 안 함)")
    ours = [m for m in fake_slack.posted("CSMALL") if m.get("metadata")]
    assert len(ours) == 1


def test_recovery_when_the_app_was_removed_from_the_channel_never_posts_twice(
    sqlite_url: str, fake_slack: FakeSlack, tmp_path: Path
) -> None:
    sessions = crash_after_first_post(sqlite_url, fake_slack, tmp_path)
    fake_slack.bot_channels.discard("CSMALL")  # someone removed the app: history is not_in_channel
    recover(sqlite_url, fake_slack, tmp_path)
    assert len(fake_slack.posted("CSMALL")) == 1
    with sessions() as session:
        assert session.scalars(select(Delivery.status)).all() == ["unconfirmed"]


def test_recovery_rate_limited_waits_for_the_next_minute_then_finds_the_post(
    sqlite_url: str, fake_slack: FakeSlack, tmp_path: Path
) -> None:
    sessions = crash_after_first_post(sqlite_url, fake_slack, tmp_path)
    fake_slack.script("conversations.history", Reply(429, retry_after=60))
    recover(sqlite_url, fake_slack, tmp_path)
    with sessions() as session:
        assert session.scalars(select(Delivery.status)).all() == ["retry"]
    code, out = finish(run_deliver(sqlite_url, fake_slack, NOW + timedelta(minutes=8), tmp_path))
    assert code == 0 and "복구" in out, out
    assert len(fake_slack.posted("CSMALL")) == 1
    with sessions() as session:
        row = session.scalar(select(Delivery))
        assert row is not None and row.status == "posted"
        assert row.message_ts == fake_slack.posted("CSMALL")[0]["ts"]


def test_sigterm_finishes_the_briefing_in_hand_and_leaves_the_rest_for_the_next_run(
    sqlite_url: str, fake_slack: FakeSlack, tmp_path: Path
) -> None:
    sessions = make_sessionmaker(make_engine(sqlite_url))
    channels = [f"C{i:02d}" for i in range(30)]
    with sessions.begin() as session:
        for ch in channels:
            subscribe(session, "T1", ch, ["삼성전자"])
        story(session, "삼성전자 HBM 공급", ["삼성전자"], published=NOW - timedelta(hours=1))
    fake_slack.post_rate_per_team = 4  # Slack pushes back: the run takes several seconds
    proc = run_deliver(sqlite_url, fake_slack, NOW, tmp_path)
    deadline = time.monotonic() + 60
    while len(fake_slack.posted()) < 3 and time.monotonic() < deadline:
        time.sleep(0.05)
    proc.send_signal(signal.SIGTERM)
    code, out = finish(proc)
    assert code == 0, out
    posted = {ch for ch in channels if fake_slack.posted(ch)}
    assert 3 <= len(posted) < len(channels)
    assert all(len(fake_slack.posted(ch)) == 1 for ch in posted)
    with sessions() as session:
        rows = session.scalars(select(Delivery)).all()
        # Nothing left half-done: every claimed briefing was finished and recorded.
        assert {d.channel_id for d in rows} == posted and {d.status for d in rows} == {"posted"}
    code, out = finish(run_deliver(sqlite_url, fake_slack, NOW + timedelta(minutes=1), tmp_path))
    assert code == 0, out
    assert all(len(fake_slack.posted(ch)) == 1 for ch in channels)
