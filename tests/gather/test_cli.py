"""`briefings feeds …` and `briefings fetch` against a real database and the loopback feed server."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

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
    monkeypatch.setenv("FEEDS_ALLOW_PRIVATE", "1")  # the feed server is on loopback
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
    code, output, _ = run("feeds", "add", url, "--name", "예제", "--full-text", "--no-check")
    assert code == 0 and "피드 #1 추가" in output
    [row] = listed()
    assert row["url"] == "https://news.example.kr/rss" and row["name"] == "예제" and row["full_text"] is True
    assert row["state"] == "new" and row["consecutive_failures"] == 0

    code, _, exc = run("feeds", "add", "https://news.example.kr/rss", "--no-check")
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
    run("feeds", "add", server.url("/missing.xml"), "--no-check")

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


def _closed_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_fetch_with_every_feed_failing_names_the_cause_once_and_exits_1(cli_db: str) -> None:
    for n in range(3):
        dead = f"http://127.0.0.1:{_closed_port()}/feed{n}.xml"
        code, output, exc = run("feeds", "add", dead, "--no-check")
        assert code == 0, (output, exc)

    code, output, _ = run("fetch")

    assert code == 1
    assert output.count("네트워크에 연결할 수 없습니다") == 1
    assert "ConnectError" not in output and "Errno" not in output
    assert "연결 안 됨 (3개)" in output
    assert "재시도를 기다리는 피드 3개" in output and "--force" in output

    code, output, _ = run("fetch", "--json")
    assert code == 0 and json.loads(output)["feeds"] == 0  # all backing off: nothing due, not a failure
    code, output, _ = run("fetch", "--force", "--json")
    assert code == 1
    assert json.loads(output) == {"feeds": 3, "ok": 0, "not_modified": 0, "failed": 3, "new_articles": 0}


PAGE = """<!DOCTYPE html><html><head><title>가나일보</title>
<link rel="stylesheet" href="/s.css">
<link rel="alternate" type="application/rss+xml" title="RSS" href="/rss/all.xml">
</head><body><h1>news</h1></body></html>""".encode()


def test_feeds_add_finds_the_feed_behind_a_page_and_refuses_what_is_no_feed(
    cli_db: str, server: FeedServer
) -> None:
    server.feed("/rss/all.xml", rss(items(2), title="가나일보 - 전체"))
    page = server.feed("/index.html", PAGE, content_type="text/html; charset=utf-8")
    code, output, exc = run("feeds", "add", page)
    assert code == 0, (output, exc)
    assert "웹페이지에서 피드를 찾았습니다" in output
    [row] = listed()
    assert row["url"] == server.url("/rss/all.xml") and row["name"] == "가나일보 - 전체"

    bare = server.feed("/plain.html", b"<!DOCTYPE html><html><body>x</body></html>", content_type="text/html")
    code, _, exc = run("feeds", "add", bare)
    assert isinstance(exc, UserError) and "피드가 아닌 웹페이지" in str(exc)
    code, _, exc = run("feeds", "add", server.url("/missing.xml"))
    assert isinstance(exc, UserError) and "피드 주소 없음(HTTP 404)" in str(exc)
    assert len(listed()) == 1


def test_feeds_add_refuses_private_and_link_local_addresses_unless_allowed(
    cli_db: str, server: FeedServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("FEEDS_ALLOW_PRIVATE")
    monkeypatch.setenv("FEEDS_ALLOW_PRIVATE", "0")
    cli_common.reset()
    url = server.feed("/rss.xml", rss(items(1)))
    for target, extra in ((url, ()), ("http://169.254.169.254/latest/meta-data/", ("--no-check",))):
        _code, _, exc = run("feeds", "add", target, *extra)
        assert isinstance(exc, UserError), target
        assert "내부망 주소" in str(exc) and "FEEDS_ALLOW_PRIVATE=1" in str(exc)
    assert server.hits("/rss.xml") == []
    assert listed() == []


def test_feeds_list_fits_80_columns_and_wide_shows_urls(cli_db: str, server: FeedServer) -> None:
    from rich.cells import cell_len

    long_url = server.feed("/" + "a" * 120 + ".xml", rss(items(1)))
    run("feeds", "add", long_url, "--name", "아주 긴 이름의 한국 경제 신문 산업 섹션 피드", "--no-check")
    run("feeds", "add", server.url("/missing.xml"), "--name", "없는 피드", "--no-check")
    run("fetch")
    code, output, _ = run("feeds", "list")
    assert code == 0
    assert max(cell_len(line) for line in output.splitlines()) <= 80, output
    assert "피드 주소 없음(HTTP 404)" in output and "aaaa" not in output
    code, output, _ = run("feeds", "list", "--wide")
    assert code == 0 and long_url in output.replace("\n", "")


def test_feeds_disable_and_enable(cli_db: str, server: FeedServer) -> None:
    run("feeds", "add", server.feed("/d.xml", rss(items(1))), "--no-check")
    code, output, _ = run("feeds", "disable", "1")
    assert code == 0 and "멈췄습니다" in output
    assert listed()[0]["state"] == "disabled"
    code, output, _ = run("fetch", "--json")
    assert json.loads(output)["feeds"] == 0
    code, output, _ = run("feeds", "enable", "#1")
    assert code == 0 and listed()[0]["state"] == "new"
    code, output, _ = run("fetch", "--json")
    assert json.loads(output)["ok"] == 1
    code, _, exc = run("feeds", "enable", "99")
    assert isinstance(exc, UserError) and "등록되지 않은 피드" in str(exc)


def test_opml_export_then_import_round_trips_the_feed_list(cli_db: str, tmp_path: Path) -> None:
    run("feeds", "add", "https://a.example.kr/rss?x=1", "--name", "가나일보", "--no-check")
    run("feeds", "add", "https://b.example.kr/feed", "--name", "다라&신문", "--no-check")
    target = tmp_path / "feeds.opml"
    code, output, _ = run("feeds", "export", "-o", str(target))
    assert code == 0 and target.exists()
    exported = target.read_text(encoding="utf-8")
    assert "다라&amp;신문" in exported and 'xmlUrl="https://a.example.kr/rss?x=1"' in exported

    for row in listed():
        run("feeds", "remove", str(row["id"]))
    code, output, _ = run("feeds", "import", str(target))
    assert code == 0 and "2개 추가" in output
    assert {(r["url"], r["name"]) for r in listed()} == {
        ("https://a.example.kr/rss?x=1", "가나일보"),
        ("https://b.example.kr/feed", "다라&신문"),
    }
    code, output, _ = run("feeds", "import", str(target))
    assert "0개 추가, 2개는 이미" in output
    bad = tmp_path / "bad.opml"
    bad.write_text("<html>아님</html>", encoding="utf-8")
    code, _, exc = run("feeds", "import", str(bad))
    assert isinstance(exc, UserError) and "OPML" in str(exc)
    code, _, exc = run("feeds", "import", str(tmp_path / "none.opml"))
    assert isinstance(exc, UserError) and "읽을 수 없습니다" in str(exc)


def test_feeds_add_takes_the_feed_time_zone(cli_db: str) -> None:
    code, output, exc = run("feeds", "add", "https://jp.example.com/rss", "--tz", "Asia/Tokyo", "--no-check")
    assert code == 0, (output, exc)
    run("feeds", "add", "https://z.example.kr/rss", "--utc-is-local", "--no-check")
    rows = {r["url"]: r for r in listed()}
    assert rows["https://jp.example.com/rss"]["tz"] == "Asia/Tokyo"
    assert rows["https://z.example.kr/rss"]["tz"] is None and rows["https://z.example.kr/rss"]["utc_is_local"]
    _code, _, exc = run("feeds", "add", "https://x.example.kr/rss", "--tz", "Mars/Olympus", "--no-check")
    assert isinstance(exc, UserError) and "알 수 없는 시간대" in str(exc)
