"""Dates read in the feed's zone, links kept as published, and one fetcher per feed."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy.orm import Session, sessionmaker

from briefings.config import Settings
from briefings.db import session_scope
from briefings.gather.cycle import claim_due, run_gather_cycle
from briefings.gather.urls import canonical_url, url_key
from tests.fakes.feed_server import FeedServer
from tests.gather.builders import Item, rss
from tests.gather.conftest import NOW, add_feed, articles, get_feed

KST_NINE = datetime(2026, 11, 20, 0, 0, tzinfo=UTC)  # 09:00 in Seoul


def test_dates_without_an_offset_are_read_in_the_feed_zone(
    server: FeedServer, sessions: sessionmaker[Session], settings: Settings
) -> None:
    dated = [
        Item("오프셋 없는 ISO", "https://tz.kr/1", "t-1", published="2026-11-20 09:00:00"),
        Item("오프셋 없는 RFC", "https://tz.kr/2", "t-2", published="Fri, 20 Nov 2026 09:00:00"),
        Item("KST라고 쓴 날짜", "https://tz.kr/3", "t-3", published="Fri, 20 Nov 2026 09:00:00 KST"),
        Item("오프셋 있는 날짜", "https://tz.kr/4", "t-4", published="2026-11-20T09:00:00+09:00"),
        Item("진짜 UTC", "https://tz.kr/5", "t-5", published="2026-11-20T00:00:00Z"),
    ]
    seoul = add_feed(sessions, server.feed("/seoul.xml", rss(dated, title="서울일보")))
    tokyo_items = [Item("도쿄 시각", "https://tz.jp/1", "j-1", published="2026-11-20 08:00:00")]
    add_feed(sessions, server.feed("/tokyo.xml", rss(tokyo_items, title="도쿄신문")), tz="Asia/Tokyo")

    run_gather_cycle(sessions, settings.model_copy(update={"briefings_tz": "Asia/Seoul"}), now=NOW)

    by_title = {a.title: a.published_at for a in articles(sessions)}
    for title in ("오프셋 없는 ISO", "오프셋 없는 RFC", "KST라고 쓴 날짜", "오프셋 있는 날짜", "진짜 UTC"):
        assert by_title[title] == KST_NINE, title
    assert by_title["도쿄 시각"] == KST_NINE - timedelta(hours=1)
    assert get_feed(sessions, seoul).tz is None  # BRIEFINGS_TZ, read when the feed is parsed


def test_a_feed_that_stamps_local_time_with_a_wrong_z_can_be_read_as_local(
    server: FeedServer, sessions: sessionmaker[Session], settings: Settings
) -> None:
    wrong_z = [Item("장 시작 속보", "https://z.kr/1", "z-1", published="2026-11-20T09:00:00.000Z")]
    add_feed(sessions, server.feed("/z.xml", rss(wrong_z, title="제트일보")), utc_is_local=True)
    run_gather_cycle(sessions, settings, now=NOW + timedelta(hours=1))
    [article] = articles(sessions)
    assert article.published_at == KST_NINE


EUC_KR_SEARCH = "http://search.euckr.kr/search.php?q=%BB%EF%BC%BA%C0%FC%C0%DA&sort=1"


def test_legacy_percent_encoded_links_are_stored_and_linked_byte_for_byte(
    server: FeedServer, sessions: sessionmaker[Session], settings: Settings
) -> None:
    entries = [
        Item("검색 결과 기사", EUC_KR_SEARCH + "&utm_source=rss", "e-1"),
        Item("쿼리만 있는 기사", "https://bare.kr/view.php?123456", "e-2"),
        Item("한글 도메인 기사", "http://뉴스.한국/기사/1", "e-3"),
    ]
    add_feed(sessions, server.feed("/euckr.xml", rss(entries, title="검색일보")))
    run_gather_cycle(sessions, settings, now=NOW)
    stored = {a.title: a for a in articles(sessions)}
    search = stored["검색 결과 기사"]
    assert search.url == EUC_KR_SEARCH  # what a briefing links to: the publisher's bytes
    assert search.url_key == url_key(canonical_url(EUC_KR_SEARCH)) and search.canonical_url is not None
    assert "%BB%EF%BC%BA" in search.canonical_url
    assert stored["쿼리만 있는 기사"].url == "https://bare.kr/view.php?123456"
    assert stored["한글 도메인 기사"].url == "http://xn--vg1b002a.xn--3e0b707e/%EA%B8%B0%EC%82%AC/1"


def test_the_same_link_with_reordered_parameters_is_one_article(
    server: FeedServer, sessions: sessionmaker[Session], settings: Settings
) -> None:
    first = [Item("순서 기사", "https://order.kr/v?a=1&b=2", "o-1")]
    add_feed(sessions, server.feed("/o1.xml", rss(first, title="순서일보 - 1")))
    second = [Item("순서 기사 다른 제목", "https://order.kr/v?b=2&a=1&utm_medium=x", "o-2")]
    add_feed(sessions, server.feed("/o2.xml", rss(second, title="다른일보")))
    summary = run_gather_cycle(sessions, settings, now=NOW)
    assert summary.new_articles == 1


def test_a_feed_leased_by_a_fetcher_that_died_passes_on_when_the_lease_ends(
    server: FeedServer, sessions: sessionmaker[Session], settings: Settings
) -> None:
    feed_id = add_feed(
        sessions, server.feed("/leased.xml", rss([Item("리스 기사", "https://l.kr/1", "l-1")]))
    )
    lease = timedelta(seconds=settings.feed_lease_seconds)
    with session_scope(sessions) as session:
        [job] = claim_due(session, now=NOW, owner="worker-that-died", limit=10, lease=lease)
    assert job.id == feed_id
    with session_scope(sessions) as session:  # nobody else may claim it meanwhile
        assert claim_due(session, now=NOW + lease / 2, owner="other", limit=10, lease=lease) == []

    early = run_gather_cycle(sessions, settings, now=NOW + lease / 2)
    assert early.feeds == 0 and server.hits("/leased.xml") == []

    late = run_gather_cycle(sessions, settings, now=NOW + lease)
    assert late.feeds == 1 and late.new_articles == 1
    assert len(server.hits("/leased.xml")) == 1
    feed = get_feed(sessions, feed_id)
    assert feed.lease_owner is None and feed.lease_until is None


def test_unchanged_feeds_are_recorded_in_batches_with_every_attempt_kept(
    server: FeedServer, sessions: sessionmaker[Session], settings: Settings
) -> None:
    from sqlalchemy import func, select

    from briefings.models import FetchAttempt

    ids = [
        add_feed(
            sessions,
            server.feed(f"/same/{n}.xml", rss([Item(f"기사 {n}", f"https://s.kr/{n}")]), etag=f'"{n}"'),
        )
        for n in range(12)
    ]
    run_gather_cycle(sessions, settings, now=NOW)
    later = NOW + timedelta(hours=1)
    summary = run_gather_cycle(sessions, settings, now=later)
    assert summary.not_modified == 12
    with session_scope(sessions) as session:
        count = session.scalar(
            select(func.count()).select_from(FetchAttempt).where(FetchAttempt.not_modified)
        )
    assert count == 12
    for feed_id in ids:
        feed = get_feed(sessions, feed_id)
        assert feed.last_status == 304 and feed.next_attempt_at == later + timedelta(minutes=15)
