"""A newcomer's first session, without Slack: the README's commands in order, as real processes.

Fresh database → `db upgrade` → `feeds add` (a loopback feed) → `fetch` → `digest` → `subscribe` →
`brief --builder`, each checked for what it really did, with an environment built here (never the
developer's `.env`: the processes run in an empty temporary directory).
"""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import unquote

import pytest

from tests.conftest import process_env
from tests.fakes.feed_server import FeedServer
from tests.gather.builders import Item, rss

pytestmark = pytest.mark.kiwi

BUILDER = "https://app.slack.com/block-kit-builder/#"


def _feed(now: datetime) -> bytes:
    headlines = [
        (
            "삼성전자, 평택에 차세대 반도체 공장 착공",
            "삼성전자가 평택캠퍼스에 차세대 메모리 반도체 공장을 짓는다.",
        ),
        ("삼성전자 갤럭시 신제품 다음 달 공개", "삼성전자는 새 갤럭시 스마트폰을 다음 달 공개한다고 밝혔다."),
        ("현대차, 미국 전기차 공장 가동률 높인다", "현대자동차는 미국 조지아 공장의 가동률을 높이기로 했다."),
    ]
    return rss(
        [
            Item(
                title=title,
                link=f"https://news.example.kr/article/{n}",
                guid=f"newcomer-{n}",
                description=f"<p>{body} 회사 관계자는 투자 계획을 설명했다.</p>",
                published=now - timedelta(hours=1 + n),
            )
            for n, (title, body) in enumerate(headlines)
        ],
        title="가나경제 - 산업",
    )


def test_first_hour_without_slack(empty_url: str, tmp_path: Path) -> None:
    env = process_env(
        tmp_path,
        DATABASE_URL=empty_url,
        BRIEFINGS_TZ="Asia/Seoul",
        FEEDS_ALLOW_PRIVATE="1",  # the feed server is on loopback
    )
    work = tmp_path / "work"
    work.mkdir()

    def briefings(*args: str) -> subprocess.CompletedProcess[str]:
        done = subprocess.run(
            [sys.executable, "-m", "bot", *args],
            cwd=work,
            env=env,
            capture_output=True,
            text=True,
            timeout=300,
        )
        assert done.returncode == 0, (args, done.stdout, done.stderr)
        assert "Traceback" not in done.stderr
        return done

    with FeedServer() as server:
        url = server.feed("/industry.xml", _feed(datetime.now(UTC)))

        upgraded = briefings("db", "upgrade")
        assert "데이터베이스 스키마가 최신입니다" in upgraded.stdout and "회사 레지스트리" in upgraded.stdout

        added = briefings("feeds", "add", url)
        assert "피드 #1 추가" in added.stdout and "127.0.0.1" in added.stdout

        fetched = json.loads(briefings("fetch", "--json").stdout)
        assert fetched == {"feeds": 1, "ok": 1, "not_modified": 0, "failed": 0, "new_articles": 3}
        assert len(server.hits("/industry.xml")) >= 1

    digested = json.loads(briefings("digest", "--json").stdout)
    assert digested["articles"] == 3 and digested["new_stories"] >= 2 and digested["mentions"] >= 3

    subscribed = briefings("subscribe", "--team", "T1", "--channel", "C1", "삼성전자", "현대차")
    assert "구독 시작: 삼성전자, 현대자동차" in subscribed.stdout

    brief = briefings("brief", "--team", "T1", "--channel", "C1", "--builder")
    links = [line for line in brief.stdout.splitlines() if line.startswith(BUILDER)]
    assert len(links) == 1, brief.stdout
    payload = json.loads(unquote(links[0].removeprefix(BUILDER)))
    assert set(payload) == {"blocks"}
    blocks = payload["blocks"]
    assert blocks[0]["type"] == "header" and "기업 뉴스 브리핑" in blocks[0]["text"]["text"]
    text = json.dumps(blocks, ensure_ascii=False)
    for headline in ("평택에 차세대 반도체 공장 착공", "갤럭시 신제품", "미국 전기차 공장"):
        assert headline in text
    assert "*삼성전자*" in text and "*현대자동차*" in text
    assert "수집: 피드 1개 중 1개 정상" in text
