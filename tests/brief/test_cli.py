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
