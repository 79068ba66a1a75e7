"""The whole loop on one machine, with no Slack and no internet: what `briefings demo` runs.

A small loopback feed server serves the project's own sample articles (briefings/data/demo_articles.json:
several outlets reporting the same stories) as RSS, one feed per outlet, dated relative to the moment
the demo runs. The real gatherer fetches them over HTTP, the real digester turns them into stories, and
the day's briefing for a demo channel and the `/news 화웨이` answer are read back from the database.
"""

from __future__ import annotations

import importlib
import json
import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from email.utils import format_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from importlib import resources
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

from sqlalchemy import func, select

from briefings.brief import Briefing, load_briefing
from briefings.config import Settings, get_settings
from briefings.db import make_engine, make_sessionmaker, session_scope, upgrade
from briefings.jobs import Digest
from briefings.korean import josa
from briefings.models import Article, Story
from briefings.timeutil import as_utc

DEMO_TEAM = "TDEMO"
DEMO_CHANNEL = "CDEMO"
DEMO_COMPANIES = ("화웨이", "KT", "LG유플러스", "LG전자", "삼성전자", "샤오미", "메그비", "카카오")
DEMO_QUERY = "화웨이"

Step = Callable[[str], None]


class DemoError(Exception):
    """The demo cannot run (e.g. `--live` without internet): one clear line for the operator."""


@dataclass(frozen=True)
class DemoArticle:
    id: str
    story: str
    outlet: str
    title: str
    body: str
    hours_ago: float


def load_demo_articles() -> tuple[dict[str, str], list[DemoArticle]]:
    """(outlet → feed slug, articles) from the packaged sample file."""
    raw = resources.files("briefings").joinpath("data", "demo_articles.json").read_text(encoding="utf-8")
    data = json.loads(raw)
    articles = [
        DemoArticle(
            id=a["id"],
            story=a["story"],
            outlet=a["outlet"],
            title=a["title"],
            body=a["body"],
            hours_ago=float(a["hours_ago"]),
        )
        for a in data["articles"]
    ]
    return dict(data["outlets"]), articles


def build_rss(outlet: str, slug: str, articles: Sequence[DemoArticle], *, now: datetime, base: str) -> bytes:
    """An RSS 2.0 document for one outlet, newest first, with publication times relative to `now`."""
    items = []
    for a in sorted(articles, key=lambda x: x.hours_ago):
        published = as_utc(now) - timedelta(hours=a.hours_ago)
        link = f"{base}/articles/{slug}/{a.id}.html"
        items.append(
            "<item>"
            f"<title>{escape(a.title)}</title>"
            f"<link>{escape(link)}</link>"
            f'<guid isPermaLink="false">{escape(a.id)}</guid>'
            f"<description>{escape(a.body)}</description>"
            f"<pubDate>{format_datetime(published)}</pubDate>"
            "</item>"
        )
    doc = (
        '<?xml version="1.0" encoding="UTF-8"?>\n<rss version="2.0"><channel>'
        f"<title>{escape(outlet)}</title><link>{escape(base)}/</link>"
        f"<description>{escape(outlet)} 데모 피드</description>" + "".join(items) + "</channel></rss>"
    )
    return doc.encode("utf-8")


class DemoFeedServer:
    """Serves `/feeds/<slug>.xml` for each outlet on 127.0.0.1 and a random port."""

    def __init__(self, *, now: datetime) -> None:
        self.outlets, self.articles = load_demo_articles()
        self._now = now
        self._docs: dict[str, bytes] = {}
        server = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: Any) -> None:
                pass

            def do_GET(self) -> None:
                body = server._docs.get(self.path.split("?")[0])
                if body is None:
                    self.send_response(404)
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                self.send_response(200)
                self.send_header("Content-Type", "application/rss+xml; charset=utf-8")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._httpd.daemon_threads = True
        host, port = self._httpd.server_address[:2]
        self.base_url = f"http://{host!s}:{port}"
        for outlet, slug in self.outlets.items():
            mine = [a for a in self.articles if a.outlet == outlet]
            self._docs[f"/feeds/{slug}.xml"] = build_rss(outlet, slug, mine, now=now, base=self.base_url)
        self._thread = threading.Thread(target=self._httpd.serve_forever, args=(0.05,), daemon=True)
        self._thread.start()

    def feeds(self) -> list[tuple[str, str]]:
        """(outlet, feed URL) pairs."""
        return [(outlet, f"{self.base_url}/feeds/{slug}.xml") for outlet, slug in self.outlets.items()]

    def close(self) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()
        self._thread.join(timeout=5)


@dataclass
class DemoResult:
    briefing: Briefing
    query: str
    resolution: Any  # briefings.companies.Resolution
    stories: list[Any]  # briefings.lookup.StoryView
    feeds: int = 0
    feeds_ok: int = 0
    new_articles: int = 0
    articles: int = 0
    story_count: int = 0
    subscribed: list[str] = field(default_factory=list)
    alerts: list[Any] = field(default_factory=list)  # briefings.signals.alert_store.Alert
    now: datetime | None = None
    settings: Settings | None = None
    chart_png: bytes | None = None  # the looked-up company's coverage chart (briefings.signals.trend)


def internet_reachable(url: str, timeout: float = 3.0) -> bool:
    import httpx

    try:
        httpx.head(url, timeout=timeout, follow_redirects=True)
    except httpx.HTTPError:
        return False
    return True


@contextmanager
def _feed_source(live: bool, now: datetime) -> Iterator[list[tuple[str, str, str | None]]]:
    """(outlet, url, name) of the feeds to gather: the loopback sample server, or the real defaults."""
    if not live:
        server = DemoFeedServer(now=now)
        try:
            yield [(outlet, url, f"{outlet} (데모)") for outlet, url in server.feeds()]
        finally:
            server.close()
        return
    registry = importlib.import_module("briefings.gather.registry")
    defaults = registry.load_default_feeds()
    if not defaults or not internet_reachable(defaults[0].url):
        raise DemoError("인터넷에 연결할 수 없어 --live 데모를 실행할 수 없습니다. --live 없이 실행하세요.")
    yield [(f.outlet, f.url, f.name) for f in defaults]


def run_demo(home: Path, *, now: datetime, live: bool = False, step: Step | None = None) -> DemoResult:
    """Everything from an empty database to a rendered briefing; `step` reports progress."""
    say = step or (lambda _msg: None)
    home.mkdir(parents=True, exist_ok=True)
    url = f"sqlite:///{(home / 'demo.db').resolve()}"
    # The sample feeds are served on loopback, which the gatherer refuses unless told otherwise.
    settings = get_settings(
        database_url=url, briefings_home=home, fetch_total_timeout=15.0, feeds_allow_private=not live
    )
    say("데이터베이스 만들기 (db upgrade)")
    upgrade(url)
    engine = make_engine(url)
    sessions = make_sessionmaker(engine)
    try:
        companies = importlib.import_module("briefings.companies")
        registry = importlib.import_module("briefings.gather.registry")
        cycle = importlib.import_module("briefings.gather.cycle")
        with session_scope(sessions) as session:
            seeded = companies.seed_companies(session, companies.load_registry_file(), now=now)
        say(f"회사 사전 등록 ({seeded})")
        with _feed_source(live, now) as feeds:
            with session_scope(sessions) as session:
                for outlet, feed_url, name in feeds:
                    registry.add_feed(session, feed_url, now=now, name=name, outlet=outlet)
            source = "실제 언론사 피드" if live else "로컬 데모 피드 서버"
            say(f"피드 {len(feeds)}개 수집 중 ({source})")
            summary = cycle.run_gather_cycle(sessions, settings, now=now)
        say(f"수집 완료: 피드 {summary.ok}/{summary.feeds}개 정상, 새 기사 {summary.new_articles}건")
        say("형태소 분석기(Kiwi) 불러오고 기사 분석 중")
        digest = Digest()
        digested = digest.run(sessions, now=now)
        subscribed = _subscribe_demo_channel(sessions, now=now)
        say(f"분석 완료: 기사 {digested}건 → 데모 채널이 {josa(', '.join(subscribed), '을/를')} 구독")
        lookup = importlib.import_module("briefings.lookup")
        with session_scope(sessions) as session:
            briefing = load_briefing(session, DEMO_TEAM, DEMO_CHANNEL, now=now, settings=settings)
            resolution = companies.resolve_company(session, DEMO_QUERY)
            stories = (
                lookup.top_stories(session, resolution.company.id, now=now)
                if resolution.status == "found"
                else []
            )
            articles = int(session.scalar(select(func.count()).select_from(Article)) or 0)
            story_count = int(session.scalar(select(func.count()).select_from(Story)) or 0)
        spike = importlib.import_module("briefings.signals.demo_spike")
        spike.seed_demo_spike(sessions, DEMO_QUERY, now=now)  # a month of quiet coverage, then today's burst
        alerts = spike.demo_alerts(sessions, now=now)
        chart = None
        if resolution.status == "found":  # drawn after the month of coverage, so today's spike is marked
            trend = importlib.import_module("briefings.signals.trend")
            counts = importlib.import_module("briefings.signals.counts")
            company = resolution.company
            with session_scope(sessions) as session:
                chart = trend.load_trend(
                    session, company.id, company.name, last_day=counts.kst_day(now)
                ).png()
        return DemoResult(
            briefing=briefing,
            query=DEMO_QUERY,
            resolution=resolution,
            stories=stories,
            feeds=summary.feeds,
            feeds_ok=summary.ok,
            new_articles=summary.new_articles,
            articles=articles,
            story_count=story_count,
            subscribed=subscribed,
            alerts=alerts,
            now=now,
            settings=settings,
            chart_png=chart,
        )
    finally:
        engine.dispose()


def _subscribe_demo_channel(sessions: Any, *, now: datetime) -> list[str]:
    companies = importlib.import_module("briefings.companies")
    subs = importlib.import_module("briefings.subscriptions")
    names: list[str] = []
    with session_scope(sessions) as session:
        for query in DEMO_COMPANIES:
            found = companies.resolve_company(session, query)
            if found.status != "found" or found.company is None:
                continue
            since = now - timedelta(days=1)
            subs.subscribe(session, DEMO_TEAM, DEMO_CHANNEL, found.company.id, now=since, user_id="UDEMO")
            names.append(found.company.name)
    return names
