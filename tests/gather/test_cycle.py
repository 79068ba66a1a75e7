"""A gather cycle over real sockets: stored rows, decoded titles and feed health, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from briefings.config import Settings
from briefings.db import session_scope
from briefings.gather.cycle import run_gather_cycle
from briefings.gather.urls import title_key
from briefings.models import Article, FetchAttempt
from tests.fakes.feed_server import Answer, FeedServer
from tests.gather.builders import Item, items, rss
from tests.gather.conftest import NOW, add_feed, articles, get_feed


def attempts(sessions: sessionmaker[Session], feed_id: int) -> list[FetchAttempt]:
    with session_scope(sessions) as session:
        query = select(FetchAttempt).where(FetchAttempt.feed_id == feed_id).order_by(FetchAttempt.id)
        return list(session.scalars(query))


def test_new_articles_are_stored_clean_canonical_and_in_utc(
    server: FeedServer, sessions: sessionmaker[Session], settings: Settings
) -> None:
    body = rss(
        [
            Item(
                title="<b>삼성</b>전자, &quot;HBM4&quot; 양산 돌입",
                link="HTTPS://News.Example.KR/article/1?utm_source=rss&id=7#top",
                guid="a-1",
                description="<p>삼성전자가&nbsp;차세대   고대역폭메모리를</p><p>양산한다.</p>"
                "<script>x()</script>",
                published="Thu, 19 Nov 2026 23:30:00 +0900",
            ),
            Item(title="날짜 없는 기사", link="https://news.example.kr/article/2", guid="a-2"),
        ],
        title="가나경제 - 산업",
    )
    feed_id = add_feed(sessions, server.feed("/rss.xml", body))

    summary = run_gather_cycle(sessions, settings, now=NOW)

    assert summary.as_json() == {"feeds": 1, "ok": 1, "not_modified": 0, "failed": 0, "new_articles": 2}
    first, second = articles(sessions)
    assert first.title == '삼성전자, "HBM4" 양산 돌입'
    assert first.url == "https://news.example.kr/article/1?id=7"
    assert first.summary == "삼성전자가 차세대 고대역폭메모리를 양산한다."
    assert first.published_at == NOW.replace(day=19, hour=14, minute=30)
    assert first.outlet == "가나경제" and first.feed_id == feed_id and first.seen_at == NOW
    assert second.published_at == NOW  # missing date → time seen
    assert sorted(summary.new_article_ids) == [first.id, second.id]
    feed = get_feed(sessions, feed_id)
    assert feed.last_status == 200 and feed.last_error is None and feed.consecutive_failures == 0
    assert feed.last_success_at == NOW and feed.next_attempt_at == NOW + timedelta(seconds=900)
    assert feed.outlet == "가나경제"
    [attempt] = attempts(sessions, feed_id)
    assert attempt.ok and attempt.new_articles == 2 and attempt.status == 200
    ua = server.hits("/rss.xml")[0].headers["user-agent"]
    assert ua == settings.user_agent and "Briefings" in ua


def test_conditional_get_turns_an_unchanged_feed_into_a_free_304(
    server: FeedServer, sessions: sessionmaker[Session], settings: Settings
) -> None:
    url = server.feed("/etag.xml", rss(items(3)), etag='"v1"', last_modified="Thu, 19 Nov 2026 00:00:00 GMT")
    feed_id = add_feed(sessions, url)
    run_gather_cycle(sessions, settings, now=NOW)
    assert get_feed(sessions, feed_id).etag == '"v1"'

    later = NOW + timedelta(hours=1)
    summary = run_gather_cycle(sessions, settings, now=later)

    assert summary.as_json() == {"feeds": 1, "ok": 0, "not_modified": 1, "failed": 0, "new_articles": 0}
    second = server.hits("/etag.xml")[1].headers
    assert second["if-none-match"] == '"v1"'
    assert second["if-modified-since"] == "Thu, 19 Nov 2026 00:00:00 GMT"
    feed = get_feed(sessions, feed_id)
    assert feed.last_status == 304 and feed.last_success_at == later and feed.etag == '"v1"'
    assert [a.not_modified for a in attempts(sessions, feed_id)] == [False, True]
    assert len(articles(sessions)) == 3


def test_only_due_feeds_are_fetched(
    server: FeedServer, sessions: sessionmaker[Session], settings: Settings
) -> None:
    feed_id = add_feed(sessions, server.feed("/due.xml", rss(items(1))))
    run_gather_cycle(sessions, settings, now=NOW)
    summary = run_gather_cycle(sessions, settings, now=NOW + timedelta(minutes=5))
    assert summary.feeds == 0
    assert len(server.hits("/due.xml")) == 1
    assert get_feed(sessions, feed_id).next_attempt_at == NOW + timedelta(minutes=15)


def test_a_seen_article_with_edited_title_new_date_or_new_url_is_never_new_again_but_its_title_follows(
    server: FeedServer, sessions: sessionmaker[Session], settings: Settings
) -> None:
    day = NOW - timedelta(hours=5)
    first = [
        Item("카카오, 2분기 영업이익 1천억 돌파", "https://n.example.kr/a/1", "g-1", published=day),
        Item("네이버 하이퍼클로바X 새 버전 공개", "https://n.example.kr/a/2", "g-2", published=day),
        Item("LG에너지솔루션 미국 공장 가동", "https://n.example.kr/a/3", "g-3", published=day),
    ]
    url = server.feed("/edit.xml", rss(first, title="마바뉴스"))
    feed_id = add_feed(sessions, url)
    assert run_gather_cycle(sessions, settings, now=NOW).new_articles == 3

    second = [
        # edited title, new date, same link
        Item("[종합] 카카오, 2분기 영업익 1천억 첫 돌파", "https://n.example.kr/a/1", "g-1", published=NOW),
        # same GUID behind a new link
        Item("네이버 하이퍼클로바X 새 버전", "https://n.example.kr/view?id=2", "g-2", published=day),
        # the same headline re-served under another URL and GUID
        Item("LG에너지솔루션  미국 공장 가동!", "https://m.n.example.kr/a/3", "m-3", published=day),
        # the same link with tracking parameters and a fragment
        Item("카카오 2분기", "https://n.example.kr/a/1?utm_campaign=x&fbclid=abc#more", "g-9", published=day),
        Item("현대차, 인도 법인 상장 추진", "https://n.example.kr/a/4", "g-4", published=NOW),
    ]
    server.feed("/edit.xml", rss(second, title="마바뉴스"))
    summary = run_gather_cycle(sessions, settings, now=NOW + timedelta(hours=1))

    assert summary.new_articles == 1
    stored = articles(sessions)
    assert [a.title for a in stored][-1] == "현대차, 인도 법인 상장 추진"
    assert len(stored) == 4
    # The same GUID under an edited headline: the stored headline follows the outlet's edit.
    assert stored[0].title == "[종합] 카카오, 2분기 영업익 1천억 첫 돌파"
    assert stored[1].title == "네이버 하이퍼클로바X 새 버전"
    assert stored[2].title == "LG에너지솔루션 미국 공장 가동"  # another GUID: a re-serve, not an edit
    assert stored[0].title_key == title_key("[종합] 카카오, 2분기 영업익 1천억 첫 돌파")
    assert get_feed(sessions, feed_id).consecutive_failures == 0


def test_one_article_in_several_feeds_of_an_outlet_is_stored_once(
    server: FeedServer, sessions: sessionmaker[Session], settings: Settings
) -> None:
    shared = Item("SK하이닉스, HBM 공급 계약", "https://ex.kr/news/77", "ex-77", published=NOW)
    economy = server.feed("/economy.xml", rss([shared, *items(2, host="ex.kr")], title="사아일보 - 경제"))
    tech = server.feed("/tech.xml", rss([shared, *items(2, host="ex.kr", start=10)], title="사아일보 - IT"))
    add_feed(sessions, economy)
    add_feed(sessions, tech)

    summary = run_gather_cycle(sessions, settings, now=NOW)

    assert summary.ok == 2 and summary.new_articles == 5
    stored = articles(sessions)
    assert sum(a.title == shared.title for a in stored) == 1
    assert {a.outlet for a in stored} == {"사아일보"}


def test_gzip_feed_and_atom_feed_are_read(
    server: FeedServer, sessions: sessionmaker[Session], settings: Settings
) -> None:
    from tests.gather.builders import atom

    add_feed(sessions, server.feed("/gz.xml", rss(items(4)), gzip=True))
    atom_items = [Item("엔비디아, 한국에 AI 연구소", "https://atom.example.kr/1", published=NOW)]
    add_feed(sessions, server.feed("/atom.xml", atom(atom_items), content_type="application/atom+xml"))
    summary = run_gather_cycle(sessions, settings, now=NOW)
    assert summary.ok == 2 and summary.new_articles == 5
    assert "엔비디아, 한국에 AI 연구소" in {a.title for a in articles(sessions)}


def test_permanent_redirect_moves_the_feed_and_temporary_does_not(
    server: FeedServer, sessions: sessionmaker[Session], settings: Settings
) -> None:
    target = server.feed("/new-home.xml", rss(items(1)))
    moved = add_feed(sessions, server.redirect("/old.xml", "/mid.xml", 301))
    server.redirect("/mid.xml", "/new-home.xml", 308)
    temporary = add_feed(sessions, server.redirect("/tmp.xml", target, 302))

    summary = run_gather_cycle(sessions, settings, now=NOW)

    assert summary.ok == 2 and summary.new_articles == 1
    assert get_feed(sessions, moved).url == target
    assert get_feed(sessions, temporary).url == server.url("/tmp.xml")


def test_each_fault_is_recorded_on_its_own_feed_and_the_good_feed_still_lands(
    server: FeedServer, sessions: sessionmaker[Session], settings: Settings
) -> None:
    from tests.fakes.feed_server import gzip_bomb

    good = add_feed(sessions, server.feed("/good.xml", rss(items(5))))
    whole = rss(items(3, prefix="배터리"))
    faults = {
        "hang": Answer(body=whole, hang=30),
        "drip": Answer(body=whole, drip=0.2, drip_bytes=8),
        "404": Answer(status=404, body=b"missing", content_type="text/plain"),
        "500": Answer(status=500, body=b"oops", content_type="text/plain"),
        "loop": Answer(status=302, location="/fault/loop2", content_type=None),
        "malformed": Answer(body=b"<?xml version='1.0'?><rss><channel><item><title>x</wrong></item></rss>"),
        "html": Answer(
            body=b"<!DOCTYPE html><html><body><h1>502 Bad Gateway</h1></body></html>",
            content_type="text/html",
        ),
        "bomb": Answer(encoded=gzip_bomb(20 * 1024 * 1024)),
        "oversized": Answer(body=b"<rss>" + b" " * (300 * 1024) + b"</rss>"),
        "chunked": Answer(body=b"<rss>" + b" " * (300 * 1024) + b"</rss>", chunked=True),
        "laughs": Answer(body=BILLION_LAUGHS),
        "notxml": Answer(body="그냥 텍스트입니다".encode(), content_type="text/plain"),
    }
    server.add("/fault/loop2", Answer(status=301, location="/fault/loop", content_type=None))
    faults["far"] = Answer(status=307, location="/hop/1", content_type=None)
    for hop in range(1, 6):
        server.add(f"/hop/{hop}", Answer(status=307, location=f"/hop/{hop + 1}", content_type=None))
    ids = {name: add_feed(sessions, server.add(f"/fault/{name}", answer)) for name, answer in faults.items()}

    summary = run_gather_cycle(sessions, settings, now=NOW)

    assert summary.as_json() == {
        "feeds": 1 + len(faults),
        "ok": 1,
        "not_modified": 0,
        "failed": len(faults),
        "new_articles": 5,
    }
    assert len(articles(sessions)) == 5
    expected = {
        "hang": "[timeout]",
        "drip": "[timeout]",
        "404": "[http]",
        "500": "[http]",
        "loop": "[redirect_loop]",
        "far": "[too_many_redirects]",
        "malformed": "[malformed]",
        "html": "[html]",
        "bomb": "[decompression_bomb]",
        "oversized": "[too_large]",
        "chunked": "[too_large]",
        "laughs": "[entity]",
        "notxml": "[not_feed]",
    }
    for name, feed_id in ids.items():
        feed = get_feed(sessions, feed_id)
        assert feed.last_error is not None, name
        assert feed.last_error.startswith(expected[name]), (name, feed.last_error)
        assert feed.consecutive_failures == 1, name
        assert feed.enabled, name
        assert feed.next_attempt_at == NOW + timedelta(minutes=15), name
        assert feed.last_success_at is None
        [attempt] = attempts(sessions, feed_id)
        assert not attempt.ok and attempt.error == feed.last_error
    assert get_feed(sessions, ids["404"]).last_status == 404
    assert get_feed(sessions, ids["500"]).last_status == 500
    assert get_feed(sessions, good).last_error is None


BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [
 <!ENTITY lol "lol">
 <!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
 <!ENTITY lol5 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;">
 <!ENTITY lol6 "&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;">
 <!ENTITY lol7 "&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;">
 <!ENTITY lol8 "&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;">
 <!ENTITY lol9 "&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;">
]>
<rss version="2.0"><channel><title>&lol9;</title>
<item><title>&lol9;</title><link>https://x.example/1</link></item></channel></rss>"""


def test_truncated_feed_is_a_fault_but_its_complete_entries_are_kept(
    server: FeedServer, sessions: sessionmaker[Session], settings: Settings
) -> None:
    whole = rss(items(4, prefix="조선"))
    cut = whole[: whole.rindex(b"<item>") + 40]  # inside the fourth item
    feed_id = add_feed(sessions, server.feed("/cut.xml", cut))

    summary = run_gather_cycle(sessions, settings, now=NOW)

    assert summary.failed == 1 and summary.new_articles == 3
    assert len(articles(sessions)) == 3
    feed = get_feed(sessions, feed_id)
    assert feed.last_error is not None and feed.last_error.startswith("[truncated]")
    assert feed.consecutive_failures == 1


def test_salvageable_malformed_feed_is_stored_with_a_warning(
    server: FeedServer, sessions: sessionmaker[Session], settings: Settings
) -> None:
    # Bare ampersands and HTML entities are what real Korean feeds get wrong most often.
    body = rss(items(2)).replace(b"</title>", b" &nbsp;R&D</title>", 1)
    feed_id = add_feed(sessions, server.feed("/bozo.xml", body))
    summary = run_gather_cycle(sessions, settings, now=NOW)
    assert summary.ok == 1 and summary.new_articles == 2
    feed = get_feed(sessions, feed_id)
    assert feed.consecutive_failures == 0 and feed.last_success_at == NOW
    assert feed.last_error is not None and feed.last_error.startswith("[malformed]")


def test_backoff_grows_and_a_long_failure_run_disables_the_feed(
    server: FeedServer, sessions: sessionmaker[Session], settings: Settings
) -> None:
    url = server.add("/down.xml", Answer(status=503, body=b"busy", content_type="text/plain"))
    feed_id = add_feed(sessions, url)
    when = NOW
    for failures, delay in [(1, 15), (2, 30), (3, 60)]:
        run_gather_cycle(sessions, settings, now=when)
        feed = get_feed(sessions, feed_id)
        assert feed.consecutive_failures == failures
        assert feed.next_attempt_at == when + timedelta(minutes=delay)
        when = feed.next_attempt_at

    with session_scope(sessions) as session:
        row = session.get(FetchAttempt.__mapper__.class_, 1)
        assert row is not None
        from briefings.models import Feed

        feed_row = session.get(Feed, feed_id)
        assert feed_row is not None
        feed_row.consecutive_failures = 19
    run_gather_cycle(sessions, settings, now=when)
    feed = get_feed(sessions, feed_id)
    assert not feed.enabled and feed.disabled_reason is not None
    assert "연속 20회" in feed.disabled_reason and "503" in feed.disabled_reason
    assert run_gather_cycle(sessions, settings, now=when + timedelta(days=1)).feeds == 0


def test_gone_disables_the_feed_at_once(
    server: FeedServer, sessions: sessionmaker[Session], settings: Settings
) -> None:
    feed_id = add_feed(sessions, server.add("/gone.xml", Answer(status=410, content_type=None)))
    summary = run_gather_cycle(sessions, settings, now=NOW)
    assert summary.failed == 1
    feed = get_feed(sessions, feed_id)
    assert not feed.enabled and feed.disabled_reason is not None and "410" in feed.disabled_reason
    with session_scope(sessions) as session:
        assert session.scalar(select(func.count()).select_from(Article)) == 0


def test_parsing_in_worker_processes_stores_the_same_rows(
    server: FeedServer, sqlite_url: str, settings: Settings
) -> None:
    from briefings.db import make_engine, make_sessionmaker

    engine = make_engine(sqlite_url)
    sessions = make_sessionmaker(engine)
    try:
        add_feed(sessions, server.feed("/p1.xml", rss(items(3, host="p1.kr"), title="프로세스일보")))
        add_feed(sessions, server.add("/p2.xml", Answer(body=b"<html><body>x</body></html>")))
        summary = run_gather_cycle(
            sessions,
            settings,
            now=NOW,
        )
        assert summary.as_json() == {"feeds": 2, "ok": 1, "not_modified": 0, "failed": 1, "new_articles": 3}
        stored = articles(sessions)
        assert {a.outlet for a in stored} == {"프로세스일보"}
        assert stored[0].title.startswith("반도체 수출 1개월")
    finally:
        engine.dispose()


def test_retry_after_of_a_busy_server_is_honoured(
    server: FeedServer, sessions: sessionmaker[Session], settings: Settings
) -> None:
    busy = Answer(status=429, body=b"slow down", content_type="text/plain", headers={"Retry-After": "7200"})
    feed_id = add_feed(sessions, server.add("/busy.xml", busy))
    run_gather_cycle(sessions, settings, now=NOW)
    feed = get_feed(sessions, feed_id)
    assert feed.last_status == 429 and feed.consecutive_failures == 1
    assert feed.next_attempt_at == NOW + timedelta(hours=2)
