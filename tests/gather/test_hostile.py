"""Hostile and broken feeds served on loopback beside healthy ones: the healthy feeds lose nothing.

Each hostile document targets one former weakness: a character no database stores, a URL longer
than its column, markup that made regex cleaning quadratic, more items than PostgreSQL takes
parameters in one statement, a parser that never returns.
"""

from __future__ import annotations

import os
import time
from datetime import timedelta

import pytest
from sqlalchemy.orm import Session, sessionmaker

from briefings.config import Settings
from briefings.gather.cycle import run_gather_cycle
from briefings.gather.fetch import is_public_address
from briefings.gather.pool import ParsePool, ParseTimeout, WorkerLost
from tests.fakes.feed_server import FeedServer
from tests.gather.builders import Item, items, rss
from tests.gather.conftest import NOW, add_feed, articles, get_feed


def _healthy(server: FeedServer, sessions: sessionmaker[Session], count: int = 3) -> int:
    for n in range(count):
        feed = rss(items(4, host=f"healthy{n}.kr", prefix=f"건강{n}"), title=f"건강일보{n} - 경제")
        add_feed(sessions, server.feed(f"/healthy/{n}.xml", feed))
    return count * 4


def _with_bad_item(bad: Item) -> bytes:
    good = items(3, host="mixed.kr", prefix="혼합")
    return rss([good[0], bad, *good[1:]], title="혼합일보 - 경제")


@pytest.mark.parametrize(
    ("name", "body"),
    [
        (
            "surrogate",
            _with_bad_item(Item("잘못된 문자 SURROGATE", "https://mixed.kr/bad", "bad-1")).replace(
                b"SURROGATE", b"&#xD800;"
            ),
        ),
        (
            "nul",
            _with_bad_item(Item("널 문자 NUL 기사", "https://mixed.kr/bad", "bad-1")).replace(
                b"NUL", b"\x00"
            ),
        ),
        (
            "nul_ref",
            _with_bad_item(Item("널 참조 &#0; 기사", "https://mixed.kr/bad", "bad-1")).replace(
                b"&amp;#0;", b"&#0;"
            ),
        ),
        ("long_url", _with_bad_item(Item("주소가 긴 기사", "https://mixed.kr/a?" + "q" * 2100, "bad-1"))),
    ],
)
def test_an_unstorable_item_is_dropped_with_a_note_and_the_rest_is_stored(
    name: str, body: bytes, server: FeedServer, sessions: sessionmaker[Session], settings: Settings
) -> None:
    healthy = _healthy(server, sessions)
    feed_id = add_feed(sessions, server.feed(f"/hostile/{name}.xml", body))

    summary = run_gather_cycle(sessions, settings, now=NOW)

    assert summary.failed == 0, summary.failures
    stored = articles(sessions)
    assert len(stored) == healthy + 3
    assert sum(a.outlet == "혼합일보" for a in stored) == 3
    assert not any(a.url.startswith("https://mixed.kr/bad") or len(a.url) > 2048 for a in stored)
    feed = get_feed(sessions, feed_id)
    assert feed.consecutive_failures == 0 and feed.last_kind == "bad_items"
    assert feed.last_error is not None and "항목 1개를 건너뛰었습니다" in feed.last_error
    # The next cycle is no different: the feed is not silenced by its bad item.
    fresh = "<item><title>다음 날 기사</title><link>https://mixed.kr/new</link></item></channel>"
    server.feed(f"/hostile/{name}.xml", body.replace(b"</channel>", fresh.encode()))
    again = run_gather_cycle(sessions, settings, now=NOW + timedelta(hours=1))
    assert again.failed == 0 and again.new_articles == 1


def test_markup_that_made_regex_cleaning_quadratic_is_read_and_the_others_are_untouched(
    server: FeedServer, sessions: sessionmaker[Session], settings: Settings
) -> None:
    healthy = _healthy(server, sessions)
    patterns = ["<a", "<script", "<!--", "<img alt='>' ", "&#", "<p " * 3]
    hostile = [
        Item(f"패턴 {n} 기사", f"https://pattern.kr/{n}", f"p-{n}", description=pattern * 4000)
        for n, pattern in enumerate(patterns)
    ]
    roomy = settings.model_copy(update={"fetch_max_bytes": 4 * 1024 * 1024})
    add_feed(sessions, server.feed("/hostile/patterns.xml", rss(hostile, title="패턴일보")))

    summary = run_gather_cycle(sessions, roomy, now=NOW)

    assert summary.failed == 0, summary.failures
    stored = articles(sessions)
    assert len(stored) == healthy + len(patterns)
    assert all("<script" not in a.summary and "<a<a" not in a.summary for a in stored)


def test_text_is_cleaned_once_and_leaks_no_attribute(
    server: FeedServer, sessions: sessionmaker[Session], settings: Settings
) -> None:
    item = Item(
        "<b>삼성</b>전자, &quot;HBM&quot; 공개",  # escaped once more by the XML writer
        "https://clean.kr/1",
        "c-1",
        description='<img alt="a > b" src="x.jpg">본문 &amp;lt;태그&amp;gt; 설명<script>x()</script>',
    )
    add_feed(sessions, server.feed("/clean.xml", rss([item])))
    run_gather_cycle(sessions, settings, now=NOW)
    [article] = articles(sessions)
    assert article.title == '삼성전자, "HBM" 공개'
    assert article.summary == "본문 &lt;태그&gt; 설명"  # the article's own escaped text stays escaped


def test_decomposed_hangul_is_stored_composed(
    server: FeedServer, sessions: sessionmaker[Session], settings: Settings
) -> None:
    import unicodedata

    title = unicodedata.normalize("NFD", "삼성전자 실적 발표")
    add_feed(sessions, server.feed("/nfd.xml", rss([Item(title, "https://nfd.kr/1", "n-1", "한글 요약")])))
    run_gather_cycle(sessions, settings, now=NOW)
    [article] = articles(sessions)
    assert article.title == "삼성전자 실적 발표" and article.title != title


def test_a_feed_with_more_items_than_one_statement_has_parameters_is_stored_whole(
    server: FeedServer, sessions: sessionmaker[Session], settings: Settings
) -> None:
    count = 22_000
    many = [Item(f"기사 {n}번 제목", f"https://many.kr/{n}", f"m-{n}") for n in range(count)]
    add_feed(sessions, server.feed("/many.xml", rss(many, title="많은일보")))
    roomy = settings.model_copy(update={"fetch_max_bytes": 16 * 1024 * 1024, "parse_timeout": 120.0})
    roomy = roomy.model_copy(update={"fetch_total_timeout": 30.0, "fetch_read_timeout": 30.0})

    summary = run_gather_cycle(sessions, roomy, now=NOW)

    assert summary.failed == 0, summary.failures
    assert summary.new_articles == count


def test_a_feed_whose_parse_overruns_the_deadline_fails_alone_and_the_healthy_feeds_are_stored(
    server: FeedServer, sessions: sessionmaker[Session], settings: Settings
) -> None:
    # 5,000 real items take seconds to parse on any machine; the healthy feeds take milliseconds.
    healthy = _healthy(server, sessions, count=4)
    huge = rss(items(5_000, host="huge.kr", prefix="거대"), title="거대일보 - 경제")
    slow_id = add_feed(sessions, server.feed("/hostile/huge.xml", huge))
    tight = settings.model_copy(update={"fetch_max_bytes": 4 * 1024 * 1024, "parse_timeout": 0.5})

    started = time.monotonic()
    summary = run_gather_cycle(sessions, tight, now=NOW)
    took = time.monotonic() - started

    assert took < 60, took  # a guard against a hang, not a speed goal
    assert summary.feeds == 5 and summary.ok == 4 and summary.failed == 1, summary.failures
    [failure] = summary.failures
    assert failure.kind == "parse_timeout"
    stored = articles(sessions)
    assert len(stored) == healthy and not any("huge.kr" in a.url for a in stored)
    feed = get_feed(sessions, slow_id)
    assert feed.last_kind == "parse_timeout" and feed.consecutive_failures == 1
    assert feed.last_error is not None and "0.5초를 넘어 중단했습니다" in feed.last_error
    assert feed.lease_owner is None and feed.etag is None
    # The pool replaced the killed worker: with a roomy deadline the same feed is read whole.
    roomy = tight.model_copy(update={"parse_timeout": 300.0})
    again = run_gather_cycle(sessions, roomy, now=NOW + timedelta(hours=1))
    assert again.failed == 0 and again.new_articles == 5_000, again.failures


def test_a_parse_past_its_deadline_costs_its_worker_and_the_pool_lives_on() -> None:
    pool = ParsePool(1)
    try:
        started = time.monotonic()
        with pytest.raises(ParseTimeout):
            pool.run(time.sleep, 30, timeout=0.5)
        assert time.monotonic() - started < 10
        assert pool.run(len, "세글자", timeout=30) == 3
        with pytest.raises(WorkerLost):
            pool.run(os._exit, 3, timeout=30)
        assert pool.run(len, "다시", timeout=30) == 2
    finally:
        pool.close()


@pytest.mark.parametrize(
    ("address", "public"),
    [
        ("127.0.0.1", False),
        ("10.1.2.3", False),
        ("172.16.0.1", False),
        ("192.168.0.10", False),
        ("169.254.169.254", False),  # cloud metadata service
        ("100.64.0.1", False),  # carrier-grade NAT
        ("0.0.0.0", False),
        ("224.0.0.1", False),
        ("::1", False),
        ("fe80::1", False),
        ("fc00::1", False),
        ("::ffff:127.0.0.1", False),
        ("211.234.123.45", True),
        ("2001:4860:4860::8888", True),
    ],
)
def test_only_public_addresses_pass_the_check(address: str, public: bool) -> None:
    assert is_public_address(address) is public


def test_feeds_and_article_pages_on_private_addresses_are_refused_without_a_request(
    server: FeedServer, sessions: sessionmaker[Session], settings: Settings
) -> None:
    feed_id = add_feed(sessions, server.feed("/inside.xml", rss(items(2))))
    add_feed(sessions, server.url("/moved.xml").replace("127.0.0.1", "localhost"))
    strict = settings.model_copy(update={"feeds_allow_private": False})

    summary = run_gather_cycle(sessions, strict, now=NOW)

    assert summary.failed == 2 and {f.kind for f in summary.failures} == {"private"}
    assert server.requests == []
    assert articles(sessions) == []
    assert get_feed(sessions, feed_id).last_kind == "private"


def test_a_pinned_request_keeps_the_host_name_it_was_sent_for(
    server: FeedServer, sessions: sessionmaker[Session], settings: Settings
) -> None:
    server.feed("/named.xml", rss(items(1)))
    add_feed(sessions, server.url("/named.xml").replace("127.0.0.1", "localhost"))
    assert run_gather_cycle(sessions, settings, now=NOW).ok == 1
    assert server.hits("/named.xml")[0].headers["host"] == f"localhost:{server.port}"


def test_a_permanent_redirect_to_an_absurdly_long_url_keeps_the_feed_where_it_was(
    server: FeedServer, sessions: sessionmaker[Session], settings: Settings
) -> None:
    healthy = _healthy(server, sessions)
    far = "/far?" + "x" * 2100
    server.feed(far, rss(items(2, host="far.kr", prefix="먼")))
    feed_id = add_feed(sessions, server.redirect("/near.xml", far, 301))

    summary = run_gather_cycle(sessions, settings, now=NOW)

    assert summary.failed == 0, summary.failures
    assert len(articles(sessions)) == healthy + 2
    assert get_feed(sessions, feed_id).url == server.url("/near.xml")
