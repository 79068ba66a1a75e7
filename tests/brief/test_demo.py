"""`briefings demo` end to end: a fresh home, no Slack, no internet; a briefing and a /news answer."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest

from briefings.demo import DemoFeedServer, load_demo_articles


def test_demo_articles_are_several_outlets_per_story() -> None:
    outlets, articles = load_demo_articles()
    assert 40 <= len(articles) <= 60
    by_story: dict[str, set[str]] = {}
    for a in articles:
        by_story.setdefault(a.story, set()).add(a.outlet)
        assert a.outlet in outlets
    assert sum(1 for o in by_story.values() if len(o) >= 3) >= 6
    titles = " ".join(a.title for a in articles)
    names = ("화웨이", "샤오미", "알리바바", "삼성전자", "SK텔레콤", "KT", "LG유플러스", "네이버", "카카오")
    for name in names:
        assert name in titles, name
    assert "[단독]" in titles


def test_feed_server_serves_rss_on_loopback() -> None:
    import httpx

    server = DemoFeedServer(now=datetime(2026, 11, 21, 0, 0, tzinfo=UTC))
    try:
        _outlet, url = server.feeds()[0]
        assert url.startswith("http://127.0.0.1:")
        resp = httpx.get(url)
        assert resp.status_code == 200 and "<rss" in resp.text and "<item>" in resp.text
        assert httpx.get(url.replace(".xml", "-missing.xml")).status_code == 404
    finally:
        server.close()


@pytest.mark.kiwi
def test_demo_command_shows_a_briefing_and_the_news_answer(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "DATABASE_URL"))}
    env.update({"BRIEFINGS_HOME": str(tmp_path / "home"), "COLUMNS": "160", "NO_COLOR": "1"})
    proc = subprocess.run(
        [sys.executable, "-m", "bot", "demo"],
        env=env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=240,
    )
    out = proc.stdout
    assert proc.returncode == 0, out + proc.stderr
    assert "기업 뉴스 브리핑" in out
    assert "화웨이" in out and "삼성전자" in out
    assert "오늘의 테마" in out  # the KT · LG유플러스 · LG전자 alliance, once
    theme_part = out.split("오늘의 테마", 1)[1]
    theme_line = next(line for line in theme_part.splitlines() if "LG유플러스" in line)
    assert "LG전자" in theme_line and "#제휴·동맹" in theme_line
    assert "수집: 피드 8개 중 8개 정상" in out
    assert "/news 화웨이" in out and "최근 7일 주요 소식" in out
    assert "데모 완료" in out
    # One coverage chart is written where the demo says, and kept.
    chart = tmp_path / "home" / "trend-chart.png"
    assert "추이 차트 (PNG)" in out and chart.name in out
    assert chart.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    # The temporary database is cleaned up.
    assert not list((tmp_path / "home").glob("demo-*"))
    json.dumps(out)  # printable text only
