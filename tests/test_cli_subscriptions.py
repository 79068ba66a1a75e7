"""`briefings subscribe|unsubscribe|channel` and `brief --builder`, run as an operator runs them."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from urllib.parse import unquote

import pytest
from sqlalchemy.orm import Session

from bot.briefing_blocks import BUILDER_URL, SlackMessage, builder_url
from briefings.db import make_engine, make_sessionmaker
from briefings.subscriptions import channel_settings, ensure_channel, list_subscriptions
from tests.bot.seed import NOW, add_company, seed_world
from tests.conftest import process_env


def run(db_url: str, cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = process_env(cwd, DATABASE_URL=db_url, BRIEFINGS_TZ="Asia/Seoul")
    return subprocess.run(
        [sys.executable, "-m", "bot", *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=120
    )


def _session(db_url: str) -> Session:
    return make_sessionmaker(make_engine(db_url))()


def _seed(db_url: str) -> None:
    with _session(db_url) as session:
        seed_world(session)
        # Two companies answering to one alias: the name alone cannot say which.
        add_company(session, "가나전자", "Gana Electronics", "company", None, None, ["가나"])
        add_company(session, "가나화학", "Gana Chemical", "company", None, None, ["가나"])
        session.commit()


def _subscribed(db_url: str, team: str, channel: str) -> list[str]:
    with _session(db_url) as session:
        return [s.company_name for s in list_subscriptions(session, team, channel)]


def test_subscribe_unsubscribe_and_channel_settings(sqlite_url: str, tmp_path: Path) -> None:
    _seed(sqlite_url)
    ok = run(
        sqlite_url, tmp_path, "subscribe", "--team", "T1", "--channel", "C1", "화웨이", "삼성 전자", "aapl"
    )
    assert ok.returncode == 0, ok.stderr
    assert "구독 시작: 화웨이, 삼성전자, 애플" in ok.stdout and "매일 08:00 (Asia/Seoul)" in ok.stdout
    assert _subscribed(sqlite_url, "T1", "C1") == ["삼성전자", "애플", "화웨이"]

    again = run(sqlite_url, tmp_path, "subscribe", "--team", "T1", "--channel", "C1", "huawei", "LG전자")
    assert "구독 시작: LG전자" in again.stdout and "이미 구독 중: 화웨이" in again.stdout

    timed = run(
        sqlite_url, tmp_path, "channel", "--team", "T1", "--channel", "C1", "--time", "8:30", "--tz", "UTC"
    )
    assert timed.returncode == 0, timed.stderr
    assert "매일 08:30 (UTC)" in timed.stdout and "LG전자, 삼성전자, 애플, 화웨이" in timed.stdout
    with _session(sqlite_url) as session:
        row = channel_settings(session, "T1", "C1")
        assert row is not None and (row.briefing_time, row.timezone) == ("08:30", "UTC")

    gone = run(sqlite_url, tmp_path, "unsubscribe", "--team", "T1", "--channel", "C1", "애플", "메타")
    assert gone.returncode == 0, gone.stderr
    assert "구독 해지: 애플" in gone.stdout and "구독 중이 아님: 메타" in gone.stdout
    assert _subscribed(sqlite_url, "T1", "C1") == ["LG전자", "삼성전자", "화웨이"]
    assert _subscribed(sqlite_url, "T2", "C1") == []  # another workspace's channel of the same ID


def test_ambiguous_and_unknown_names_change_nothing(sqlite_url: str, tmp_path: Path) -> None:
    _seed(sqlite_url)
    bad = run(
        sqlite_url, tmp_path, "subscribe", "--team", "T1", "--channel", "C1", "화웨이", "가나", "없는회사"
    )
    assert bad.returncode == 2 and "Traceback" not in bad.stderr
    lines = bad.stderr.strip().splitlines()
    assert len(lines) == 2, bad.stderr
    assert (
        "'가나'에 해당하는 회사가 여럿입니다" in lines[0]
        and "가나전자" in lines[0]
        and "가나화학" in lines[0]
    )
    assert "'없는회사'라는 회사를 찾지 못했습니다" in lines[1]
    assert _subscribed(sqlite_url, "T1", "C1") == []  # 화웨이 was fine, but the command is all or nothing


def test_bad_channel_settings_are_one_line_each(sqlite_url: str, tmp_path: Path) -> None:
    _seed(sqlite_url)
    cases = [
        (("--time", "25:00"), "HH:MM"),
        (("--tz", "Mars/Base"), "알 수 없는 시간대"),
    ]
    for extra, expected in cases:
        result = run(sqlite_url, tmp_path, "channel", "--team", "T1", "--channel", "C1", *extra)
        assert result.returncode == 2 and expected in result.stderr, result.stderr
        assert len(result.stderr.strip().splitlines()) == 1
    named = run(sqlite_url, tmp_path, "channel", "--team", "T1", "--channel", "general")
    assert named.returncode == 2 and "채널 ID가 올바르지 않습니다" in named.stderr
    with _session(sqlite_url) as session:
        assert channel_settings(session, "T1", "C1") is None  # nothing half-made by a refused change


def test_builder_json_is_the_briefing_blocks(sqlite_url: str, tmp_path: Path) -> None:
    _seed(sqlite_url)
    run(sqlite_url, tmp_path, "subscribe", "--team", "T1", "--channel", "C1", "화웨이")
    day = ("brief", "--team", "T1", "--channel", "C1", "--date", "2026-11-22")  # the same window twice
    as_builder = run(sqlite_url, tmp_path, *day, "--builder", "--json")
    as_posted = run(sqlite_url, tmp_path, *day, "--json")
    assert as_builder.returncode == 0 and as_posted.returncode == 0, as_builder.stderr
    builder, posted = json.loads(as_builder.stdout), json.loads(as_posted.stdout)
    assert builder == [{"blocks": m["blocks"]} for m in posted] and len(builder) >= 1


def test_builder_link_decodes_to_the_message() -> None:
    from slack_sdk.models.blocks import MarkdownTextObject, SectionBlock

    text = "*화웨이* <https://n.example.kr/a?x=1&y=2|새 칩> 100% #AI"
    message = SlackMessage("fallback", (SectionBlock(text=MarkdownTextObject(text=text)),))
    link = builder_url(message)
    assert link.startswith(BUILDER_URL) and " " not in link and "&" not in link.removeprefix(BUILDER_URL)
    assert json.loads(unquote(link.removeprefix(BUILDER_URL))) == {"blocks": message.block_dicts()}


def test_a_twice_daily_channels_time_is_changed_with_its_cadence(
    sqlite_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    from typer.testing import CliRunner

    from briefings.cli import app
    from briefings.cli import common as cli_common

    _seed(sqlite_url)
    with _session(sqlite_url) as session:
        ensure_channel(session, "T1", "C1", now=NOW).cadence = "twice:08:00,17:00"
        session.commit()
    monkeypatch.setenv("DATABASE_URL", sqlite_url)
    monkeypatch.setenv("BRIEFINGS_TZ", "Asia/Seoul")
    cli_common.reset()
    try:
        shown = CliRunner().invoke(app, ["channel", "--team", "T1", "--channel", "C1"])
        assert shown.exit_code == 0 and "브리핑 하루 두 번 08:00·17:00 (Asia/Seoul)" in shown.stdout
        refused = CliRunner().invoke(app, ["channel", "--team", "T1", "--channel", "C1", "--time", "09:00"])
        # The operator's one line (printed by `run_guarded`, as every refused setting is).
        assert isinstance(refused.exception, cli_common.UserError)
        said = str(refused.exception)
        assert "하루 두 번(08:00, 17:00)" in said and "\n" not in said
    finally:
        cli_common.reset()
    with _session(sqlite_url) as session:
        row = channel_settings(session, "T1", "C1")
        assert row is not None and row.briefing_time == "08:00"
