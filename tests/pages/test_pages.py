"""Story and company pages: what they show, hostile feed text kept inert, 404s, the security headers."""

from __future__ import annotations

import io
import re
from collections.abc import Iterator
from html.parser import HTMLParser
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy.orm import Session, sessionmaker

from bot.deps import TTLCache
from briefings.pages.app import CSP, Pages
from briefings.pages.links import chart_path, company_path, safe_link, story_path
from briefings.signals.counts import kst_day
from tests.pages.seed import HOSTILE, NOW, Seeded, newsroom

SEOUL = ZoneInfo("Asia/Seoul")


@pytest.fixture
def seeded(sessions: sessionmaker[Session]) -> Seeded:
    with sessions.begin() as session:
        return newsroom(session)


@pytest.fixture
def pages(sessions: sessionmaker[Session]) -> Pages:
    return Pages(sessions, tz=SEOUL, theme_labels={"launch": "신제품·출시", "ai": "AI"}, clock=lambda: NOW)


def get(app: Pages, path: str, method: str = "GET") -> tuple[int, dict[str, str], bytes]:
    seen: dict[str, Any] = {}

    def start_response(status: str, headers: list[tuple[str, str]]) -> None:
        seen["status"] = int(status.split()[0])
        seen["headers"] = dict(headers)

    environ = {"REQUEST_METHOD": method, "PATH_INFO": path, "wsgi.input": io.BytesIO()}
    body = b"".join(app(environ, start_response))
    return seen["status"], seen["headers"], body


class Links(HTMLParser):
    """Every <a> with its attributes, every <img>, and the text with tags removed."""

    def __init__(self) -> None:
        super().__init__()
        self.anchors: list[dict[str, str | None]] = []
        self.images: list[dict[str, str | None]] = []
        self.tags: list[str] = []
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        if tag == "a":
            self.anchors.append(dict(attrs))
        if tag == "img":
            self.images.append(dict(attrs))

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def parse(body: bytes) -> Links:
    parser = Links()
    parser.feed(body.decode("utf-8"))
    return parser


def outside(parsed: Links) -> Iterator[dict[str, str | None]]:
    return (a for a in parsed.anchors if not str(a.get("href", "")).startswith("/"))


def test_story_page_shows_every_outlet_the_summary_companies_themes_and_follow_ups(
    pages: Pages, seeded: Seeded
) -> None:
    status, headers, body = get(pages, story_path(seeded.story))
    assert status == 200
    assert headers["Content-Type"] == "text/html; charset=utf-8"
    html = body.decode()
    parsed = parse(body)
    text = " ".join(parsed.text)
    assert "전체 보도" in text and "3건" in text
    for outlet in ("연합뉴스", "전자신문", "수상한매체"):
        assert outlet in text
    assert "화웨이가 새 스마트폰을 공개했다." in text
    assert "신제품·출시" in text and "AI" in text
    # Article times in Seoul time: the first article 2 days before NOW (12:00 KST) is 11. 29. 12:00.
    assert "2026. 11. 29.(일) 12:00" in text
    hrefs = [a["href"] for a in parsed.anchors]
    assert company_path(seeded.huawei) in hrefs and company_path(seeded.samsung) in hrefs
    assert story_path(seeded.follow_up) in hrefs  # 후속 보도
    assert "https://www.yna.co.kr/view/1" in hrefs
    assert "javascript" not in html  # an unsafe feed link is shown as text only
    assert "클릭하면 위험한 링크" in text


def test_outside_links_open_without_referrer_or_opener(pages: Pages, seeded: Seeded) -> None:
    parsed = parse(get(pages, story_path(seeded.story))[2])
    external = list(outside(parsed))
    assert len(external) == 2
    for a in external:
        assert str(a["href"]).startswith("https://")
        assert a["rel"] == "noopener noreferrer"


def test_follow_up_page_links_back_to_the_story_it_develops(pages: Pages, seeded: Seeded) -> None:
    parsed = parse(get(pages, story_path(seeded.follow_up))[2])
    assert "앞선 보도" in " ".join(parsed.text)
    assert story_path(seeded.story) in [a["href"] for a in parsed.anchors]


def test_hostile_headline_and_link_stay_text(pages: Pages, seeded: Seeded) -> None:
    status, _, body = get(pages, story_path(seeded.hostile))
    assert status == 200
    html = body.decode()
    parsed = parse(body)
    assert "script" not in parsed.tags and parsed.tags.count("img") == 0 and "b" not in parsed.tags
    assert "<script>" not in html and "<img" not in html
    assert "&lt;script&gt;" in html
    assert HOSTILE in "".join(parsed.text)  # shown exactly as the feed wrote it, as text
    evil = [a for a in parsed.anchors if str(a.get("href", "")).startswith("https://evil.example/")]
    assert len(evil) == 1 and evil[0]["href"] == 'https://evil.example/"><script>alert(2)</script>'
    assert '"><script>' not in html


def test_company_page_shows_chart_recent_stories_themes_and_peers(pages: Pages, seeded: Seeded) -> None:
    status, _, body = get(pages, company_path(seeded.huawei))
    assert status == 200
    parsed = parse(body)
    text = " ".join(parsed.text)
    assert "화웨이" in text and "Huawei" in text
    assert "최근 30일 보도 3건" in text
    [img] = parsed.images
    assert img["src"] == chart_path(seeded.huawei, kst_day(NOW))
    assert "보도 추이" in str(img["alt"])
    story_links = [a["href"] for a in parsed.anchors if str(a["href"]).startswith("/stories/")]
    # Latest first: the hostile story (5 hours ago), the follow-up (1 day), the launch (2 days).
    assert story_links == [story_path(seeded.hostile), story_path(seeded.follow_up), story_path(seeded.story)]
    assert re.search(r"신제품·출시\s*2", text)  # two of its stories carry the theme
    assert company_path(seeded.samsung) in [a["href"] for a in parsed.anchors]  # named with it once
    assert "삼성전자" in text


def test_pages_never_say_who_follows_what(
    pages: Pages, seeded: Seeded, sessions: sessionmaker[Session]
) -> None:
    from briefings.subscriptions import subscribe

    with sessions.begin() as session:
        subscribe(session, "TSECRET", "CSECRET", seeded.huawei, now=NOW, user_id="USECRET", is_dm=False)
    for path in (company_path(seeded.huawei), story_path(seeded.story)):
        body = get(pages, path)[2].decode()
        assert "SECRET" not in body and "구독" not in body


@pytest.mark.parametrize(
    "path",
    [
        "/stories/999999",
        "/companies/99999",
        "/stories/0",
        "/stories/abc",
        "/stories/1/../2",
        "/charts/companies/99999-2026-12-01.png",
        "/charts/companies/1-2026-13-01.png",
        "/charts/companies/1-2027-01-01.png",  # the future
        "/charts/companies/1-2020-01-01.png",  # long gone
    ],
)
def test_unknown_ids_and_days_are_404s_with_the_same_headers(pages: Pages, seeded: Seeded, path: str) -> None:
    status, headers, body = get(pages, path)
    assert status == 404
    assert headers["Content-Security-Policy"] == CSP
    assert "페이지를 찾을 수 없습니다" in body.decode() or not Pages.handles(path)


def test_every_answer_carries_the_content_security_policy(pages: Pages, seeded: Seeded) -> None:
    for path in (story_path(seeded.story), company_path(seeded.huawei), "/pages.css"):
        status, headers, _ = get(pages, path)
        assert status == 200
        csp = headers["Content-Security-Policy"]
        assert "default-src 'none'" in csp and "script-src" not in csp
        assert headers["X-Content-Type-Options"] == "nosniff"
        assert headers["Referrer-Policy"] == "no-referrer"


def test_other_methods_are_refused(pages: Pages, seeded: Seeded) -> None:
    assert get(pages, story_path(seeded.story), "POST")[0] == 405
    status, headers, body = get(pages, story_path(seeded.story), "HEAD")
    assert status == 200 and body == b"" and int(headers["Content-Length"]) > 0


def test_chart_route_serves_the_company_png(pages: Pages, seeded: Seeded) -> None:
    status, headers, body = get(pages, chart_path(seeded.huawei, kst_day(NOW)))
    assert status == 200
    assert headers["Content-Type"] == "image/png"
    assert body[:8] == b"\x89PNG\r\n\x1a\n"
    assert headers["Cache-Control"] == "public, max-age=600"  # today's chart still grows


def test_a_public_url_with_a_path_prefixes_the_links(sessions: sessionmaker[Session], seeded: Seeded) -> None:
    app = Pages(sessions, tz=SEOUL, public_url="https://news.example.com/briefings", clock=lambda: NOW)
    parsed = parse(get(app, company_path(seeded.huawei))[2])
    assert parsed.images[0]["src"] == "/briefings" + chart_path(seeded.huawei, kst_day(NOW))
    assert all(str(a["href"]).startswith(("/briefings/", "https://")) for a in parsed.anchors)


def test_cached_pages_are_the_same_page(sessions: sessionmaker[Session], seeded: Seeded) -> None:
    app = Pages(sessions, tz=SEOUL, clock=lambda: NOW, cache=TTLCache(ttl=60))
    first = get(app, story_path(seeded.story))[2]
    assert get(app, story_path(seeded.story))[2] == first
    assert get(app, story_path(999999))[0] == 404


@pytest.mark.parametrize(
    ("url", "safe"),
    [
        ("https://www.yna.co.kr/view/1", True),
        ("http://news.example/a?b=1", True),
        ("javascript:alert(1)", False),
        ("JaVaScRiPt:alert(1)", False),
        ("data:text/html,<script>alert(1)</script>", False),
        ("vbscript:msgbox", False),
        ("//evil.example/x", False),
        ("https:///nohost", False),
        ("https://ok.example/\nSet-Cookie: x", False),
        (" https://ok.example/ ", True),
        ("", False),
        (None, False),
    ],
)
def test_only_plain_http_links_are_kept(url: str | None, safe: bool) -> None:
    assert (safe_link(url) is not None) is safe


def test_the_web_server_answers_pages_before_slack(sessions: sessionmaker[Session], seeded: Seeded) -> None:
    import urllib.error
    import urllib.request

    from slack_bolt import App

    from bot.server import start_server

    app = App(token="xoxb-test", signing_secret="secret", token_verification_enabled=False)
    pages = Pages(sessions, tz=SEOUL, clock=lambda: NOW)
    with start_server(app, pages=pages) as server:
        with urllib.request.urlopen(server.url + story_path(seeded.story), timeout=10) as resp:
            assert resp.status == 200
            assert resp.headers["Content-Security-Policy"] == CSP
            assert "전체 보도" in resp.read().decode()
        with pytest.raises(urllib.error.HTTPError) as missing:
            urllib.request.urlopen(server.url + "/stories/424242", timeout=10)
        assert missing.value.code == 404
        missing.value.close()
        with urllib.request.urlopen(server.url + "/healthz", timeout=10) as resp:
            assert resp.read() == b"ok"


def test_a_chart_waits_for_a_free_renderer_and_else_is_told_to_retry(
    sessions: sessionmaker[Session], seeded: Seeded
) -> None:
    busy = Pages(sessions, tz=SEOUL, clock=lambda: NOW, renders=0, render_wait=0.05)
    status, headers, _ = get(busy, chart_path(seeded.huawei, kst_day(NOW)))
    assert status == 503 and headers["Retry-After"] == "5"
    assert get(busy, story_path(seeded.story))[0] == 200  # pages do not wait for charts
