"""Real Korean feeds from ../shared/corpus served over loopback: every feed and item parses and decodes.

The chardet files are served byte for byte with no charset in the header, so the real decoding path
(prolog, then detection) runs; the knews-rss items are put back into RSS documents at test time.
Skipped when the corpus is absent.
"""

from __future__ import annotations

import html
import json
import re
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy.orm import Session, sessionmaker

from briefings.config import Settings
from briefings.db import make_engine, make_sessionmaker
from briefings.gather.cycle import run_gather_cycle
from briefings.gather.parse import decode_body
from briefings.gather.text import clean_text
from briefings.gather.urls import publisher_url, title_key
from tests.conftest import corpus_path
from tests.fakes.feed_server import FeedServer
from tests.gather.builders import Item, rss
from tests.gather.conftest import NOW, add_feed, articles, get_feed

pytestmark = pytest.mark.corpus

HANGUL = re.compile(r"[\uac00-\ud7a3]")
# What CP949/UTF-8 bytes look like when read as Latin-1 or Windows-1252.
MOJIBAKE = re.compile(r"[\u00c0-\u00ff][\u0080-\u00ff\u2018-\u201e\u20ac]|\ufffd")
ITEM = re.compile(rb"<item[\s>].*?</item>", re.S)
TAG = r"<{0}[^>]*>(.*?)</{0}>"


@pytest.fixture
def sessions_sqlite(sqlite_url: str) -> sessionmaker[Session]:
    engine = make_engine(sqlite_url)
    yield make_sessionmaker(engine)
    engine.dispose()


def _first(tag: str, chunk: str) -> str:
    match = re.search(TAG.format(tag), chunk, re.S)
    return match.group(1).strip() if match else ""


def _reference_items(raw: bytes, codec: str) -> list[tuple[str, str]]:
    """(canonical link, clean title) per <item>, read with the encoding SOURCE.txt documents."""
    found = []
    for chunk in ITEM.findall(raw):
        text = chunk.decode(codec)
        link = html.unescape(_first("link", text))
        raw_title = _first("title", text)
        # The XML layer: a CDATA section as it is, else entities undone once (as any XML parser).
        cdata = re.fullmatch(r"<!\[CDATA\[(.*?)\]\]>", raw_title, flags=re.S)
        title = clean_text(cdata.group(1) if cdata else html.unescape(raw_title))
        if link and title:
            found.append((publisher_url(link), title))
    return found


def test_chardet_korean_feeds_decode_without_mojibake(
    server: FeedServer, sessions_sqlite: sessionmaker[Session], settings: Settings
) -> None:
    root = corpus_path("chardet-korean-encodings")
    files = sorted(root.glob("EUC-KR/*.xml")) + sorted(root.glob("CP949/*.xml"))
    assert len(files) >= 29
    feeds = {}
    for path in files:
        url = server.feed(f"/{path.parent.name}/{path.name}", path.read_bytes(), content_type="text/xml")
        feeds[path] = add_feed(sessions_sqlite, url, name=path.name, outlet=path.name)

    summary = run_gather_cycle(sessions_sqlite, settings, now=NOW)

    assert summary.failed == 0, summary.failures
    stored = articles(sessions_sqlite)
    for path, feed_id in feeds.items():
        expected = _reference_items(path.read_bytes(), "cp949")
        mine = [a for a in stored if a.feed_id == feed_id]
        assert expected, path.name
        assert {a.url for a in mine} <= {link for link, _ in expected}, path.name
        assert len(mine) == len({link for link, _ in expected}), path.name
        titles = {title for _, title in expected}
        for article in mine:
            assert article.title in titles, (path.name, article.title)
            assert not MOJIBAKE.search(article.title + article.summary), (path.name, article.title)
        assert any(HANGUL.search(a.title + a.summary) for a in mine), path.name
        assert get_feed(sessions_sqlite, feed_id).last_error is None


def test_chardet_snippets_decode_to_hangul() -> None:
    root = corpus_path("chardet-korean-encodings")
    snippets = [p for p in root.rglob("*") if p.suffix in (".html", ".txt") and p.name != "SOURCE.txt"]
    assert snippets
    for path in snippets:
        text, _codec = decode_body(path.read_bytes(), None)
        assert HANGUL.search(text), path.name
        assert "\ufffd" not in text, path.name


def _knews_feed(path: Path) -> tuple[bytes, list[dict[str, str]], str]:
    items = json.loads(path.read_text(encoding="utf-8"))
    spec = items[0]["spec"]
    entries = [
        Item(
            title=item["title"],
            link=item["url"],
            description=item.get("partialText") or "",
            published=item.get("date"),
        )
        for item in items
    ]
    title = f"{spec['publisher']['name']} - {spec['title']}"
    return rss(entries, title=title), items, spec["publisher"]["name"]


def test_knews_rss_items_and_feeds_parse_and_decode(
    server: FeedServer, sessions_sqlite: sessionmaker[Session], settings: Settings
) -> None:
    root = corpus_path("knews-rss")
    expected: list[tuple[str, str, str]] = []
    for path in sorted(root.glob("jsons/*.json")):
        body, items, outlet = _knews_feed(path)
        add_feed(sessions_sqlite, server.feed(f"/knews/{path.stem}.xml", body), name=path.stem)
        expected += [(outlet, publisher_url(i["url"]), clean_text(i["title"])) for i in items]
    for path in sorted(root.glob("publishers/*.xml")):
        url = server.feed(f"/publishers/{path.name}", path.read_bytes(), content_type="application/rss+xml")
        add_feed(sessions_sqlite, url, name=path.name)
        outlet = "뉴시스" if "newsis" in path.name else "한겨레신문"
        expected += [(outlet, link, title) for link, title in _reference_items(path.read_bytes(), "utf-8")]
    assert len(expected) > 2000

    roomy = settings.model_copy(update={"fetch_max_bytes": 8 * 1024 * 1024})
    summary = run_gather_cycle(sessions_sqlite, roomy, now=NOW)

    assert summary.failed == 0, summary.failures
    stored = articles(sessions_sqlite)
    by_url = {a.url: a for a in stored}
    by_title = {(a.outlet, a.title_key) for a in stored}
    for outlet, link, title in expected:
        article = by_url.get(link)
        if article is not None:
            assert article.outlet == outlet
        else:  # the same headline re-served by the outlet under another URL
            assert (outlet, title_key(title)) in by_title, (outlet, link, title)
    for article in stored:
        assert not MOJIBAKE.search(article.title), article.title
        assert not re.search(r"&(?:quot|amp|lt|gt|#\d+);", article.title), article.title
        assert "<" not in article.summary or not re.search(r"</?[a-z]+[ >]", article.summary)
    assert sum(bool(HANGUL.search(a.title)) for a in stored) >= 0.95 * len(stored)
    assert summary.new_articles == len(stored)


def test_every_knews_feed_url_is_accepted_by_feeds_add(sessions_sqlite: sessionmaker[Session]) -> None:
    import csv

    from briefings.db import session_scope
    from briefings.gather.registry import FeedRegistryError
    from briefings.gather.registry import add_feed as register

    path = corpus_path("knews-rss", "data", "feed_specs.csv")
    with path.open(encoding="utf-8") as handle:
        specs = list(csv.DictReader(handle))
    assert len(specs) >= 180
    added = duplicates = 0
    with session_scope(sessions_sqlite) as session:
        for spec in specs:
            try:
                feed = register(session, spec["url"], now=NOW, name=spec["title"], outlet=spec["publisher"])
            except FeedRegistryError as exc:
                assert "이미 등록된" in str(exc), (spec["url"], exc)
                duplicates += 1
                continue
            assert feed.url == publisher_url(spec["url"])
            added += 1
    assert added + duplicates == len(specs) and added >= 170


SEOUL = ZoneInfo("Asia/Seoul")


def test_zone_less_dates_of_a_real_korean_feed_land_at_seoul_time(
    server: FeedServer, sessions_sqlite: sessionmaker[Session], settings: Settings
) -> None:
    path = corpus_path("chardet-korean-encodings", "EUC-KR", "blog.empas.com.xml")
    raw = path.read_bytes()
    stamps = re.findall(rb"<dc:date>(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)</dc:date>", raw)
    assert stamps  # the feed writes its dates without an offset
    add_feed(sessions_sqlite, server.feed("/empas.xml", raw, content_type="text/xml"), name="empas")

    run_gather_cycle(sessions_sqlite, settings.model_copy(update={"briefings_tz": "Asia/Seoul"}), now=NOW)

    stored = articles(sessions_sqlite)
    assert len(stored) == len(stamps)
    for article, stamp in zip(stored, stamps, strict=True):
        local = datetime.fromisoformat(stamp.decode()).replace(tzinfo=SEOUL)
        assert article.published_at == local.astimezone(UTC)


def _bare(url: str) -> str:
    return url + ("&" if "?" in url else "?") + "copy=bare"


def _tera_day(day: str, outlet_id: str, limit: int = 200) -> list[dict[str, str]]:
    rows = []
    with corpus_path("tera-rss-economy-2026-02", "items.jsonl").open(encoding="utf-8") as handle:
        for line in handle:
            row = json.loads(line)
            if row["outlet_id"] == outlet_id and row["date_as_given"].startswith(day):
                rows.append(row)
                if len(rows) == limit:
                    break
    return rows


def test_real_items_stamped_with_a_wrong_z_land_at_seoul_time_in_a_feed_read_as_local(
    server: FeedServer, sessions_sqlite: sessionmaker[Session], settings: Settings
) -> None:
    rows = _tera_day("2026-02-10", "edaily")
    assert len(rows) >= 50
    wrong_z = [Item(r["title"], r["url"], r["url"], r["lead"], r["date_as_given"]) for r in rows]
    # The same items written without any zone, under links of their own (so neither feed dedupes the other).
    zone_less = [Item(i.title, _bare(i.link), None, i.description, str(i.published)[:19]) for i in wrong_z]
    wrong_z_feed = add_feed(
        sessions_sqlite, server.feed("/tera-z.xml", rss(wrong_z, title="이데일리")), utc_is_local=True
    )
    bare_feed = add_feed(sessions_sqlite, server.feed("/tera-bare.xml", rss(zone_less, title="다른매체")))
    seen = datetime(2026, 2, 21, tzinfo=UTC)

    summary = run_gather_cycle(
        sessions_sqlite, settings.model_copy(update={"fetch_max_bytes": 8 << 20}), now=seen
    )

    assert summary.failed == 0, summary.failures
    stored = articles(sessions_sqlite)
    by_feed = {(a.feed_id, a.url): a for a in stored}
    for row in rows:
        wall = datetime.fromisoformat(row["date_as_given"].removesuffix("Z")[:19])
        for feed_id, link in ((wrong_z_feed, row["url"]), (bare_feed, _bare(row["url"]))):
            article = by_feed.get((feed_id, publisher_url(link)))
            if article is None:  # the outlet re-served the same headline: stored once, under the first feed
                assert any(a.title == clean_text(row["title"]) for a in stored), row["title"]
                continue
            assert article.published_at == wall.replace(tzinfo=SEOUL).astimezone(UTC), row["title"]
    assert sum(a.feed_id == bare_feed for a in stored) >= 0.9 * len(rows)  # both feeds were checked
