"""`briefings brief` and `briefings deliver` as an operator runs them (real processes)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.cli import brief as brief_cli
from briefings.cli.common import UserError
from briefings.db import make_engine, make_sessionmaker
from tests.brief.conftest import attempt, feed, story, subscribe
from tests.fakes.block_kit import check_message
from tests.fakes.slack_api import FakeSlack

NOW = datetime(2026, 11, 20, 23, 0, tzinfo=UTC)  # 2026-11-21 08:00 KST


def cli(db_url: str, *args: str, fake: FakeSlack | None = None) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SLACK_")}
    env.update({"DATABASE_URL": db_url, "BRIEFINGS_TZ": "Asia/Seoul", "COLUMNS": "200", "NO_COLOR": "1"})
    if fake is not None:
        env.update({"SLACK_BOT_TOKEN": "xoxb-test", "SLACK_API_URL": fake.api_url})
    return subprocess.run(
        [sys.executable, "-m", "bot", *args], env=env, capture_output=True, text=True, timeout=120
    )


def seed(db_url: str) -> None:
    engine = make_engine(db_url)
    with make_sessionmaker(engine).begin() as session:
        subscribe(session, "T1", "C1", ["화웨이", "KT"], created=NOW - timedelta(days=1))
        story(session, "화웨이 <!channel> 신제품", ["화웨이"], published=NOW - timedelta(hours=2), outlets=3)
        ok = feed(session, "연합뉴스")
        attempt(session, ok, NOW - timedelta(hours=1), ok=True)
    engine.dispose()


def test_brief_json_prints_block_kit_without_posting(sqlite_url: str) -> None:
    seed(sqlite_url)
    result = cli(sqlite_url, "brief", "--team", "T1", "--channel", "C1", "--date", "2026-11-21", "--json")
    assert result.returncode == 0, result.stderr
    messages = json.loads(result.stdout)
    assert len(messages) == 1 and messages[0]["unfurl_links"] is False
    assert check_message(messages[0]) is None  # what `deliver` would post, judged by Slack's rules
    text = json.dumps(messages[0]["blocks"], ensure_ascii=False)
    assert "2026년 11월 21일" in text and "화웨이 &lt;!channel&gt; 신제품" in text


def test_brief_renders_in_the_terminal(sqlite_url: str) -> None:
    seed(sqlite_url)
    result = cli(sqlite_url, "brief", "--team", "T1", "--channel", "C1", "--date", "2026-11-21")
    assert result.returncode == 0, result.stderr
    assert "화웨이 <!channel> 신제품" in result.stdout and "새 소식 없음: KT" in result.stdout
    nothing = cli(sqlite_url, "brief", "--team", "T1", "--channel", "CNONE")
    assert nothing.returncode == 0 and "구독한 회사가 없어" in nothing.stdout


MORNING = "화웨이 밤사이 신제품 공개"  # 2026-11-20 21:00 KST: the 08:00 briefing's window
AFTERNOON = "화웨이 오후 실적 발표"  # 2026-11-21 12:00 KST: the 17:00 briefing's


def seed_twice(db_url: str) -> None:
    engine = make_engine(db_url)
    with make_sessionmaker(engine).begin() as session:
        ch = subscribe(session, "T1", "C2", ["화웨이"], created=NOW - timedelta(days=1))
        ch.cadence = "twice:08:00,17:00"
        story(session, MORNING, ["화웨이"], published=NOW - timedelta(hours=11))
        story(session, AFTERNOON, ["화웨이"], published=NOW + timedelta(hours=4))
        attempt(session, feed(session, "연합뉴스"), NOW - timedelta(hours=1), ok=True)
    engine.dispose()


def test_brief_of_a_twice_daily_channel_previews_both_of_the_days_briefings(sqlite_url: str) -> None:
    seed_twice(sqlite_url)
    args = ("brief", "--team", "T1", "--channel", "C2", "--date", "2026-11-21")
    result = cli(sqlite_url, *args, "--json")
    assert result.returncode == 0, result.stderr
    first, second = json.loads(result.stdout)
    assert (first["slot"], first["time"], second["slot"], second["time"]) == (1, "08:00", 2, "17:00")
    # Each covers its own window: the evening before up to 08:00, then 08:00 up to 17:00.
    assert (first["since"], first["until"]) == ("2026-11-20T08:00:00+00:00", "2026-11-20T23:00:00+00:00")
    assert (second["since"], second["until"]) == ("2026-11-20T23:00:00+00:00", "2026-11-21T08:00:00+00:00")
    for part in (first, second):
        assert all(check_message(m) is None for m in part["messages"])
    morning, afternoon = (json.dumps(p["messages"], ensure_ascii=False) for p in (first, second))
    assert MORNING in morning and AFTERNOON not in morning
    assert AFTERNOON in afternoon and MORNING not in afternoon

    terminal = cli(sqlite_url, *args)
    assert terminal.returncode == 0, terminal.stderr
    out = terminal.stdout
    one = out.index("첫 번째 브리핑 (08:00) · 11월 20일 17:00부터 11월 21일 08:00까지")
    two = out.index("두 번째 브리핑 (17:00) · 11월 21일 08:00부터 11월 21일 17:00까지")
    assert one < out.index(MORNING) < two < out.index(AFTERNOON)


def test_bad_input_is_one_korean_line(sqlite_url: str, tmp_path: Path) -> None:
    bad_date = cli(sqlite_url, "brief", "--team", "T1", "--channel", "C1", "--date", "2026-13-40")
    assert bad_date.returncode == 2 and "날짜 형식" in bad_date.stderr and "Traceback" not in bad_date.stderr
    assert len(bad_date.stderr.strip().splitlines()) == 1
    # The same validations, without paying for a process each.
    with pytest.raises(UserError, match="채널 ID"):
        brief_cli._require("<!here>", "채널")
    with pytest.raises(UserError, match="시각 형식"):
        brief_cli._parse_at("어제 아침")
    with pytest.raises(UserError, match="--now"):
        brief_cli.deliver_cmd(now_flag=False, at=None)


def test_deliver_now_prints_a_table_with_permanent_failures(sqlite_url: str, fake_slack: FakeSlack) -> None:
    seed(sqlite_url)
    engine = make_engine(sqlite_url)
    with make_sessionmaker(engine).begin() as session:
        subscribe(session, "T1", "CGONE", ["화웨이"], created=NOW - timedelta(days=1))
    engine.dispose()
    fake_slack.channel_errors["CGONE"] = "channel_not_found"
    at = (NOW + timedelta(minutes=1)).isoformat()
    first = cli(sqlite_url, "deliver", "--now", "--at", at, fake=fake_slack)
    assert first.returncode == 0, first.stderr
    assert "C1" in first.stdout and "게시" in first.stdout
    assert "CGONE" in first.stdout and "channel_not_found" in first.stdout
    again = cli(sqlite_url, "deliver", "--now", "--at", at, fake=fake_slack)
    assert "지금은 없음" in again.stdout and "channel_not_found" in again.stdout  # still shown, not retried
    assert len(fake_slack.posted("C1")) == 1
    assert [c.args["channel"] for c in fake_slack.calls_to("chat.postMessage")].count("CGONE") == 1
