"""What a briefing's footer says about gathering: outlets and kinds of failure in plain Korean."""

from __future__ import annotations

import socket
from datetime import timedelta

from sqlalchemy.orm import Session, sessionmaker

from bot.briefing_blocks import coverage_text
from briefings.brief import SourceFailure, load_coverage
from briefings.config import Settings
from briefings.db import session_scope
from briefings.gather.cycle import run_gather_cycle
from tests.fakes.feed_server import Answer, FeedServer
from tests.gather.builders import items, rss
from tests.gather.conftest import NOW, add_feed


def test_failed_outlets_are_named_with_the_kind_of_failure_never_an_exception(
    server: FeedServer, sessions: sessionmaker[Session], settings: Settings
) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        closed = sock.getsockname()[1]
    add_feed(sessions, server.feed("/ok.xml", rss(items(2))), name="가나일보")
    add_feed(sessions, f"http://127.0.0.1:{closed}/rss.xml", name="연합뉴스 경제")
    add_feed(
        sessions,
        server.add("/down.xml", Answer(status=503, body=b"x", content_type="text/plain")),
        name="다라신문",
    )
    add_feed(
        sessions,
        server.add("/bad.xml", Answer(body=b"<rss><channel><item><title>x</b></rss>")),
        name="마바경제",
    )
    add_feed(sessions, server.add("/page.xml", Answer(body=b"<!DOCTYPE html><html></html>")), name="사아뉴스")
    run_gather_cycle(sessions, settings, now=NOW)

    with session_scope(sessions) as session:
        coverage = load_coverage(session, since=NOW - timedelta(hours=1), now=NOW + timedelta(minutes=1))

    assert set(coverage.failed) == {
        SourceFailure("연합뉴스 경제", "연결 안 됨"),
        SourceFailure("다라신문", "서버 오류(HTTP 503)"),
        SourceFailure("마바경제", "피드 형식 오류"),
        SourceFailure("사아뉴스", "피드 대신 웹페이지"),
    }
    footer = coverage_text(coverage)
    assert "피드 5개 중 1개 정상" in footer and "연결 안 됨: 연합뉴스 경제" in footer
    for leak in ("Error", "Errno", "[connect]", "httpx", "Exception"):
        assert leak not in footer
