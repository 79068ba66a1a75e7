"""The gatherer's decisions as pure functions: no sockets, no database."""

from __future__ import annotations

import zlib
from datetime import UTC, datetime, timedelta

import pytest

from briefings.gather.fetch import FetchError, _Decoder
from briefings.gather.health import Outcome, backoff_delay, is_due, next_health
from briefings.gather.parse import (
    FeedParseError,
    ParsedEntry,
    check_document,
    codec_name,
    decode_body,
    entry_time,
    outlet_from_title,
)
from briefings.gather.store import KnownKeys, select_new
from briefings.gather.text import clean_text
from briefings.gather.urls import InvalidURLError, canonical_url, publisher_url, title_key, url_key

NOW = datetime(2026, 11, 20, 9, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("raw", "link"),
    [
        ("HTTPS://WWW.Example.KR:443/a/b?utm_source=x&id=3#frag", "https://www.example.kr/a/b?id=3"),
        ("http://example.kr", "http://example.kr/"),
        ("http://example.kr:8080/x?fbclid=1&gclid=2&utm_medium=rss", "http://example.kr:8080/x"),
        ("https://n.kr/view.php?idxno=12&mc_cid=9&page=2", "https://n.kr/view.php?idxno=12&page=2"),
        ("https://n.kr/Article/ABC?Q=Case", "https://n.kr/Article/ABC?Q=Case"),
        # EUC-KR bytes of a search word, escaped: kept byte for byte.
        ("http://search.n.kr/s?q=%BB%EF%BC%BA&utm_source=rss", "http://search.n.kr/s?q=%BB%EF%BC%BA"),
        ("https://n.kr/view.php?123456", "https://n.kr/view.php?123456"),
        ("https://n.kr/list?b=2&a=1", "https://n.kr/list?b=2&a=1"),
        ("http://뉴스.한국/기사 1", "http://xn--vg1b002a.xn--3e0b707e/%EA%B8%B0%EC%82%AC%201"),
    ],
)
def test_publisher_url_drops_tracking_and_fragments_but_keeps_every_other_byte(raw: str, link: str) -> None:
    assert publisher_url(raw) == link


def test_canonical_url_is_the_dedupe_form_of_equal_links() -> None:
    assert canonical_url("https://n.kr/list?b=2&a=1") == canonical_url("https://N.kr/list?a=1&b=2&utm_x=1")
    assert canonical_url("http://s.kr/s?q=%bb%ef") == canonical_url("http://s.kr/s?q=%BB%EF")
    assert canonical_url("http://s.kr/s?q=%BB%EF") == "http://s.kr/s?q=%BB%EF"
    assert canonical_url("https://n.kr/a?1") != canonical_url("https://n.kr/a?2")


@pytest.mark.parametrize(
    "bad",
    ["ftp://x.kr/feed", "javascript:alert(1)", "news.example.kr/rss", "http://", "http://a.kr/" + "x" * 2048],
)
def test_publisher_url_refuses_what_is_not_http_or_too_long(bad: str) -> None:
    with pytest.raises(InvalidURLError):
        publisher_url(bad)


def test_keys_are_sha1_and_titles_key_alike_across_spacing_punctuation_and_width() -> None:
    assert len(url_key("https://a.kr/1")) == 40
    assert title_key("삼성전자, HBM 양산!") == title_key("삼성전자 HBM  양산")
    assert title_key("삼성전자 HBM 양산") == title_key("삼성전자，ＨＢＭ 양산")
    assert title_key("삼성전자 HBM 양산") != title_key("SK하이닉스 HBM 양산")


@pytest.mark.parametrize(
    ("html", "text"),
    [
        ("<p>첫 문단</p><p>둘째&nbsp;문단</p>", "첫 문단 둘째 문단"),
        ("<b>삼성</b>전자", "삼성전자"),
        # One HTML layer is undone (feedparser undid the XML one): an article about markup keeps it.
        ("&lt;p&gt;이중 &amp;quot;이스케이프&amp;quot;&lt;/p&gt;", "<p>이중 &quot;이스케이프&quot;</p>"),
        ('<img alt="a > b" src="x.jpg">사진 설명', "사진 설명"),
        ("<p>삼성</p><!-- <p>주석</p> -->전자<br/>끝", "삼성 전자 끝"),
        ("<삼성전자> 실적 발표", "<삼성전자> 실적 발표"),
        ("삼성", "삼성"),
        ("A &amp; B < C", "A & B < C"),
        ("<script>var a = '<b>';</script>본문<style>p{}</style>", "본문"),
        ("  줄\n\t바꿈\u200b 정리  ", "줄 바꿈 정리"),
        ("<![CDATA[<i>기울임</i>]]>", "기울임"),
        (None, ""),
    ],
)
def test_clean_text(html: str | None, text: str) -> None:
    assert clean_text(html) == text


def test_entry_time_is_utc_missing_is_now_and_future_is_clamped() -> None:
    stamp = datetime(2026, 11, 20, 3, 0, tzinfo=UTC).timetuple()
    assert entry_time({"published_parsed": stamp}, NOW) == datetime(2026, 11, 20, 3, 0, tzinfo=UTC)
    assert entry_time({}, NOW) == NOW
    # KST times labelled GMT land nine hours in the future: clamped to the time seen.
    future = (NOW + timedelta(hours=9)).timetuple()
    assert entry_time({"published_parsed": future}, NOW) == NOW
    assert entry_time({"updated_parsed": datetime(1970, 1, 1).timetuple()}, NOW) == NOW


def test_outlet_from_feed_title() -> None:
    assert outlet_from_title("한겨레신문 - 경제") == "한겨레신문"
    assert outlet_from_title("연합뉴스 | 산업") == "연합뉴스"
    assert outlet_from_title("전자신문") == "전자신문"
    assert outlet_from_title(None) is None


def test_every_euc_kr_label_reads_as_cp949() -> None:
    for label in ("euc-kr", "EUC_KR", "ks_c_5601-1987", "KSC5601", "cp949", "x-windows-949"):
        assert codec_name(label) == "cp949"
    assert codec_name("utf8") == "utf-8"
    assert codec_name("no-such-charset") is None


def test_decode_body_order_of_trust() -> None:
    text = '<?xml version="1.0" encoding="euc-kr"?><rss><channel><title>똠방각하</title></channel></rss>'
    body = text.encode("cp949")
    assert decode_body(body, "text/xml; charset=euc-kr") == (text, "cp949")
    assert decode_body(body, "text/xml; charset=utf-8")[0] == text  # header wrong: prolog next
    assert decode_body(body, "text/xml; charset=iso-8859-1")[0] == text  # server default yields
    utf8 = text.encode("utf-8")
    assert decode_body(utf8, "text/xml; charset=euc-kr") == (text, "utf-8")  # valid UTF-8 wins
    bom = b"\xef\xbb\xbf" + "<rss>한글</rss>".encode()
    assert decode_body(bom, "text/xml; charset=euc-kr")[0] == "<rss>한글</rss>"


@pytest.mark.parametrize(
    ("document", "kind"),
    [
        ("", "empty"),
        ("<!DOCTYPE html><html><body>error</body></html>", "html"),
        ("<html><head></head></html>", "html"),
        ('<?xml version="1.0"?><!DOCTYPE r [<!ENTITY a "aaaa">]><rss/>', "entity"),
        ("<?xml version='1.0'?><error>Service Unavailable</error>", "not_feed"),
        ("그냥 글", "not_feed"),
    ],
)
def test_check_document_refuses_non_feeds(document: str, kind: str) -> None:
    with pytest.raises(FeedParseError) as caught:
        check_document(document)
    assert caught.value.kind == kind


def test_check_document_accepts_feeds() -> None:
    assert check_document('<?xml version="1.0"?>\n<!-- c --><rss version="2.0"/>') == "rss"
    assert check_document('<feed xmlns="http://www.w3.org/2005/Atom"/>') == "feed"
    assert check_document('<rdf:RDF xmlns:rdf="x"/>') == "rdf:RDF"


def test_decoder_refuses_a_decompression_bomb_before_inflating_it() -> None:
    bomb = zlib.compress(bytes(5_000_000))
    decoder = _Decoder("deflate", cap=1_000_000)
    with pytest.raises(FetchError) as caught:
        decoder.feed(bomb)
    assert caught.value.kind == "decompression_bomb"
    ok = _Decoder("deflate", cap=1_000_000)
    assert ok.feed(zlib.compress(b"abc" * 10)) + ok.flush() == b"abc" * 10


def test_backoff_doubles_from_the_interval_and_is_capped() -> None:
    assert backoff_delay(900, 0) == timedelta(minutes=15)
    assert [backoff_delay(900, n).total_seconds() / 60 for n in (1, 2, 3, 4, 5)] == [15, 30, 60, 120, 240]
    assert backoff_delay(900, 6) == timedelta(hours=6)
    assert backoff_delay(900, 60) == timedelta(hours=6)
    assert backoff_delay(5, 0) == timedelta(minutes=1)


def test_is_due() -> None:
    assert is_due(enabled=True, next_attempt_at=None, now=NOW)
    assert is_due(enabled=True, next_attempt_at=NOW, now=NOW)
    assert not is_due(enabled=True, next_attempt_at=NOW + timedelta(seconds=1), now=NOW)
    assert not is_due(enabled=False, next_attempt_at=None, now=NOW)


def test_health_after_success_failure_gone_and_long_failure() -> None:
    ok = next_health(
        outcome=Outcome(ok=True, status=200),
        consecutive_failures=4,
        last_success_at=None,
        interval_seconds=900,
        now=NOW,
    )
    assert (ok.consecutive_failures, ok.last_success_at, ok.enabled, ok.last_error) == (0, NOW, True, None)
    bad = next_health(
        outcome=Outcome(ok=False, status=502, kind="http", error="HTTP 502"),
        consecutive_failures=2,
        last_success_at=NOW - timedelta(days=1),
        interval_seconds=900,
        now=NOW,
    )
    assert bad.consecutive_failures == 3 and bad.next_attempt_at == NOW + timedelta(hours=1)
    assert bad.last_success_at == NOW - timedelta(days=1) and bad.last_error == "[http] HTTP 502"
    gone = next_health(
        outcome=Outcome(ok=False, status=410, kind="http", error="HTTP 410"),
        consecutive_failures=0,
        last_success_at=None,
        interval_seconds=900,
        now=NOW,
    )
    assert not gone.enabled and gone.disabled_reason is not None and "410" in gone.disabled_reason
    tired = next_health(
        outcome=Outcome(ok=False, kind="timeout", error="느림"),
        consecutive_failures=19,
        last_success_at=None,
        interval_seconds=900,
        now=NOW,
    )
    assert not tired.enabled and tired.disabled_reason is not None and "20" in tired.disabled_reason


def entry(n: int, title: str = "", guid: str | None = None, when: datetime = NOW) -> ParsedEntry:
    url = f"https://n.kr/{n}"
    title = title or f"기사 {n}"
    return ParsedEntry(
        url=url,
        canonical=url,
        url_key=url_key(url),
        guid=guid,
        guid_key=url_key(guid) if guid else None,
        title=title,
        title_key=title_key(title),
        summary="",
        body=None,
        published_at=when,
    )


def test_select_new_dedupes_by_url_guid_and_recent_title() -> None:
    known = KnownKeys(
        url_keys={entry(1).url_key},
        guid_keys={url_key("g-2")},
        titles={title_key("오늘의 주요 일정"): [NOW - timedelta(days=10)], title_key("같은 제목"): [NOW]},
    )
    batch = [
        entry(1),  # known URL
        entry(2, guid="g-2"),  # known GUID, new URL
        entry(3, title="같은 제목"),  # same headline re-served within the window
        entry(4, title="오늘의 주요 일정"),  # same daily headline, ten days later: a new article
        entry(5),
        entry(5),  # repeated within the batch
        entry(6, title="기사 5"),  # same headline as a batch sibling
    ]
    assert [e.url for e in select_new(batch, known)] == ["https://n.kr/4", "https://n.kr/5"]


def test_a_guid_shared_by_many_urls_is_ignored() -> None:
    batch = [entry(1, guid="same"), entry(2, guid="same"), entry(3, guid="same")]
    assert len(select_new(batch, KnownKeys(guid_keys={url_key("same")}))) == 3


def test_only_teasers_need_full_text() -> None:
    from dataclasses import replace

    from briefings.gather.extract import needs_full_text

    teaser = entry(1)
    assert needs_full_text(replace(teaser, summary="짧은 요약"))
    assert not needs_full_text(replace(teaser, summary="본문 " * 300))  # whole article in <description>
    assert not needs_full_text(replace(teaser, summary="요약", body="본문 " * 300))


def test_retry_after_header_values() -> None:
    from briefings.gather.fetch import retry_after_seconds

    assert retry_after_seconds("120", now=NOW) == 120
    assert retry_after_seconds("Fri, 20 Nov 2026 10:00:00 GMT", now=NOW) == 3600
    assert retry_after_seconds("Fri, 20 Nov 2026 08:00:00 GMT", now=NOW) == 0
    assert retry_after_seconds("soon", now=NOW) is None
    assert retry_after_seconds(None, now=NOW) is None
    capped = next_health(
        outcome=Outcome(ok=False, status=503, retry_after=timedelta(days=30)),
        consecutive_failures=0,
        last_success_at=None,
        interval_seconds=900,
        now=NOW,
    )
    assert capped.next_attempt_at == NOW + timedelta(hours=24)


@pytest.mark.parametrize(
    ("xml", "rewritten"),
    [
        (
            "<description>&lt;p&gt;A &amp;amp; B&lt;/p&gt;</description>",
            "<description><![CDATA[<p>A &amp; B</p>]]></description>",
        ),
        (
            '<content type="html">x &quot;y&quot; &#39;z&#39;</content>',
            '<content type="html"><![CDATA[x "y" \'z\']]></content>',
        ),
        ("<title>a ]]&gt; b &amp;</title>", "<title><![CDATA[a ]]]]><![CDATA[> b &]]></title>"),
        (
            "<title>R&amp;D &nbsp;센터</title>",
            "<title>R&amp;D &nbsp;센터</title>",
        ),  # not XML: left to the parser
        ("<title>평문 제목</title>", "<title>평문 제목</title>"),
        (
            "<description><p>자식 요소 &amp;</p></description>",
            "<description><p>자식 요소 &amp;</p></description>",
        ),
    ],
)
def test_escaped_text_becomes_cdata_with_the_same_meaning(xml: str, rewritten: str) -> None:
    from briefings.gather.parse import escaped_text_as_cdata

    assert escaped_text_as_cdata(xml) == rewritten


def test_a_naive_time_typed_on_the_command_line_means_briefings_tz() -> None:
    from zoneinfo import ZoneInfo

    from briefings.timeutil import parse_local

    seoul = ZoneInfo("Asia/Seoul")
    assert parse_local("2026-11-20T09:00", seoul) == datetime(2026, 11, 20, 0, 0, tzinfo=UTC)
    assert parse_local("2026-11-20T09:00+00:00", seoul) == datetime(2026, 11, 20, 9, 0, tzinfo=UTC)
    assert parse_local("2026-11-20T09:00Z", seoul) == datetime(2026, 11, 20, 9, 0, tzinfo=UTC)
    with pytest.raises(ValueError):
        parse_local("어제 아침", seoul)
