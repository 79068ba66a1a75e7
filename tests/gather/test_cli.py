"""`briefings feeds …` and `briefings fetch` against a real database and the loopback feed server."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator

import pytest
from typer.testing import CliRunner

from briefings.cli import app
from briefings.cli import common as cli_common
from briefings.cli.common import UserError
from briefings.gather.registry import load_default_feeds
from briefings.gather.urls import publisher_url
from tests.fakes.feed_server import FeedServer
from tests.gather.builders import items, rss

runner = CliRunner()


@pytest.fixture
def cli_db(sqlite_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    monkeypatch.setenv("DATABASE_URL", sqlite_url)
    monkeypatch.setenv("FETCH_TOTAL_TIMEOUT", "2")
    cli_common.reset()
    yield sqlite_url
    cli_common.reset()


def run(*args: str) -> tuple[int, str, BaseException | None]:
    result = runner.invoke(app, list(args))
    return result.exit_code, result.output, result.exception


def listed() -> list[dict[str, object]]:
    code, output, exc = run("feeds", "list", "--json")
    assert code == 0, (output, exc)
    rows: list[dict[str, object]] = json.loads(output)
    return rows


def test_feeds_add_list_remove(cli_db: str) -> None:
    url = "HTTPS://News.Example.KR/rss?utm_source=x"
    code, output, _ = run("feeds", "add", url, "--name", "예제", "--full-text")
    assert code == 0 and "피드 #1 추가" in output
    [row] = listed()
    assert row["url"] == "https://news.example.kr/rss" and row["name"] == "예제" and row["full_text"] is True
    assert row["state"] == "new" and row["consecutive_failures"] == 0

    code, _, exc = run("feeds", "add", "https://news.example.kr/rss")
    assert isinstance(exc, UserError) and "이미 등록된 피드" in str(exc)
    code, _, exc = run("feeds", "add", "news.example.kr/rss")
    assert isinstance(exc, UserError) and "http(s)" in str(exc)
    code, _, exc = run("feeds", "remove", "42")
    assert isinstance(exc, UserError) and "등록되지 않은 피드" in str(exc)

    code, output, _ = run("feeds", "list")
    assert code == 0 and "예제" in output
    code, output, _ = run("feeds", "remove", "https://news.example.kr/rss#x")
    assert code == 0 and "삭제" in output
    assert listed() == []


def test_import_defaults_is_idempotent_and_the_list_is_real_korean_outlets(cli_db: str) -> None:
    defaults = load_default_feeds()
    assert 40 <= len(defaults) <= 80
    assert len({publisher_url(d.url) for d in defaults}) == len(defaults)
    outlets = {d.outlet for d in defaults}
    assert {"연합뉴스", "한국경제", "매일경제", "전자신문", "뉴시스", "ZDNet Korea"} <= outlets
    assert {"economy", "it", "international"} <= {d.category for d in defaults}

    code, output, _ = run("feeds", "import-defaults")
    assert code == 0 and f"{len(defaults)}개 추가" in output
    code, output, _ = run("feeds", "import-defaults")
    assert code == 0 and "0개 추가" in output
    rows = listed()
    assert len(rows) == len(defaults)
    assert all(r["outlet"] for r in rows)


def test_fetch_json_prints_exactly_the_contract(cli_db: str, server: FeedServer) -> None:
    run("feeds", "add", server.feed("/a.xml", rss(items(3))))
    run("feeds", "add", server.url("/missing.xml"))

    code, output, exc = run("fetch", "--json")

    assert code == 0, (output, exc)
    assert json.loads(output) == {"feeds": 2, "ok": 1, "not_modified": 0, "failed": 1, "new_articles": 3}
    rows = {r["url"]: r for r in listed()}
    missing = rows[server.url("/missing.xml")]
    assert missing["last_status"] == 404 and missing["state"] == "failing"
    code, output, _ = run("fetch")
    assert code == 0 and "피드 0개 수집" in output


def test_bad_input_is_one_korean_line_and_exit_2(sqlite_url: str) -> None:
    env = {**os.environ, "DATABASE_URL": sqlite_url}
    done = subprocess.run(
        [sys.executable, "-m", "bot", "feeds", "add", "ftp://example.kr/feed"],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
    )
    assert done.returncode == 2
    assert done.stderr.strip().count("\n") == 0 and "오류:" in done.stderr
    assert "Traceback" not in done.stderr
