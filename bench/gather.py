"""Gather benchmark: one cycle over many loopback feeds, next to bare feedparser on the same bytes.

    .venv/bin/python -m bench.gather [--feeds 300] [--items 50]

Scenario "clean": every feed answers at once; the cycle (fetch, decode, parse, normalise, dedupe,
store in a fresh SQLite database) is timed against `feedparser.parse` alone over the same bytes in
the same process. Goal: within 1.5x.
Scenario "faulty": the same feeds, but some drip slowly forever, some hang, some fail; the cycle's
wall time must be bounded by the slowest feed's timeout, not by the sum of the timeouts.

The feed server runs in its own process, so its work is not counted against the gatherer. All feeds
share the host 127.0.0.1 here, so the per-host limit is raised to the overall one for the run.
"""

from __future__ import annotations

import argparse
import multiprocessing
import tempfile
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from multiprocessing.connection import Connection
from pathlib import Path
from xml.sax.saxutils import escape

import feedparser

from briefings.config import Settings, get_settings
from briefings.db import make_engine, make_sessionmaker, session_scope, upgrade
from briefings.gather.cycle import CycleSummary, run_gather_cycle
from briefings.gather.parse import feedparser_parse, parse_feed
from briefings.models import Feed

NOW = datetime(2026, 11, 20, 9, 0, tzinfo=UTC)
COMPANIES = ["삼성전자", "SK하이닉스", "LG에너지솔루션", "현대차", "카카오", "네이버", "화웨이", "엔비디아"]
SUBJECTS = ["HBM 증설", "2분기 실적 발표", "미국 공장 착공", "AI 반도체 협력", "신제품 출시", "규제 대응"]
SENTENCE = (
    "{c}가 {s} 계획을 {d}일 공식 발표했다. 업계에서는 이번 결정이 글로벌 공급망 재편과 맞물려 "
    "중장기 경쟁력에 영향을 줄 것으로 보고 있다. 회사 관계자는 &quot;시장 상황을 면밀히 살피며 "
    "단계적으로 추진하겠다&quot;고 말했다."
)


def make_feed(n: int, items: int) -> bytes:
    """Feed `n` of the benchmark: `items` distinct Korean articles with HTML descriptions."""
    outlet = f"벤치경제{n % 40}"
    parts = [
        '<?xml version="1.0" encoding="utf-8"?>',
        '<rss version="2.0"><channel>',
        f"<title>{outlet} - 섹션{n}</title><link>https://bench{n}.example.kr/</link>",
        "<description>벤치마크용 피드</description>",
    ]
    for i in range(items):
        company = COMPANIES[(n + i) % len(COMPANIES)]
        subject = SUBJECTS[(n * 7 + i) % len(SUBJECTS)]
        when = NOW - timedelta(minutes=n + i * 13)
        text = SENTENCE.format(c=company, s=subject, d=(i % 28) + 1)
        description = f"<p><img src='https://img.example.kr/{n}/{i}.jpg'/>{text}</p>"
        parts.append(
            "<item>"
            f"<title>{escape(f'[{outlet}] {company}, {subject} 발표 ({n}번 피드 {i}번째)')}</title>"
            f"<link>https://bench{n}.example.kr/news/{i}?utm_source=rss</link>"
            f"<guid>bench-{n}-{i}</guid>"
            f"<description>{escape(description)}</description>"
            f"<pubDate>{format_datetime(when, usegmt=True)}</pubDate>"
            "</item>"
        )
    parts.append("</channel></rss>")
    return "\n".join(parts).encode("utf-8")


@dataclass(frozen=True)
class Plan:
    feeds: int
    items: int
    slow: int = 0
    hanging: int = 0
    failing: int = 0


def _serve(plan: Plan, conn: Connection) -> None:
    from tests.fakes.feed_server import Answer, FeedServer

    server = FeedServer().start()
    for n in range(plan.feeds):
        server.add(f"/feed/{n}.xml", Answer(body=make_feed(n, plan.items)))
    for n in range(plan.slow):  # 16 bytes every half second: never a read timeout, never finished
        server.add(f"/slow/{n}.xml", Answer(body=make_feed(n, plan.items), drip=0.5, drip_bytes=16))
    for n in range(plan.hanging):
        server.add(f"/hang/{n}.xml", Answer(body=b"", hang=60))
    for n in range(plan.failing):
        kind = n % 3
        if kind == 0:
            server.add(f"/fail/{n}.xml", Answer(status=500, body=b"error", content_type="text/plain"))
        elif kind == 1:
            server.add(f"/fail/{n}.xml", Answer(body=b"<rss><channel><item><title>x</b></rss>"))
        else:
            page = Answer(body=b"<html><body>503</body></html>", content_type="text/html")
            server.add(f"/fail/{n}.xml", page)
    conn.send(server.port)
    conn.recv()  # until told to stop
    server.stop()


class ServerProcess:
    def __init__(self, plan: Plan) -> None:
        ctx = multiprocessing.get_context("spawn")
        self.conn, child = ctx.Pipe()
        self.process = ctx.Process(target=_serve, args=(plan, child), daemon=True)
        self.process.start()
        self.port = int(self.conn.recv())

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def stop(self) -> None:
        self.conn.send("stop")
        self.process.join(timeout=30)
        self.conn.close()


def _fresh_db(directory: Path, urls: list[str]) -> str:
    url = f"sqlite:///{directory / 'bench.db'}"
    upgrade(url)
    engine = make_engine(url)
    with session_scope(make_sessionmaker(engine)) as session:
        for n, feed_url in enumerate(urls):
            session.add(Feed(url=feed_url, name=f"bench {n}", created_at=NOW))
    engine.dispose()
    return url


def _cycle(db_url: str, settings: Settings, processes: int = 0) -> tuple[float, CycleSummary]:
    engine = make_engine(db_url)
    sessions = make_sessionmaker(engine)
    started = time.perf_counter()
    summary = run_gather_cycle(sessions, settings, now=NOW, parse_processes=processes)
    elapsed = time.perf_counter() - started
    engine.dispose()
    return elapsed, summary


def _bench_settings(tmp: Path) -> Settings:
    return get_settings(
        briefings_home=tmp,
        fetch_concurrency=32,
        fetch_per_host=32,
        fetch_connect_timeout=5.0,
        fetch_read_timeout=4.0,
        fetch_total_timeout=6.0,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--feeds", type=int, default=300)
    parser.add_argument("--items", type=int, default=50)
    parser.add_argument("--slow", type=int, default=20)
    parser.add_argument("--hanging", type=int, default=10)
    parser.add_argument("--failing", type=int, default=30)
    parser.add_argument("--detail", action="store_true", help="also time parse_feed and feedparser's options")
    args = parser.parse_args()
    plan = Plan(args.feeds, args.items, args.slow, args.hanging, args.failing)
    bodies = [make_feed(n, plan.items) for n in range(plan.feeds)]
    total_items = plan.feeds * plan.items
    print(f"gather bench: {plan.feeds} feeds x {plan.items} items ({sum(map(len, bodies)) / 1e6:.1f} MB)")

    server = ServerProcess(plan)
    try:
        with tempfile.TemporaryDirectory() as tmpdir:
            tmp = Path(tmpdir)
            settings = _bench_settings(tmp)
            feed_urls = [server.url(f"/feed/{n}.xml") for n in range(plan.feeds)]

            # Bare parsing, best of two runs, before and after the cycle (noise on a shared machine).
            def bare() -> float:
                started = time.perf_counter()
                for body in bodies:
                    feedparser.parse(body)
                return time.perf_counter() - started

            def same_options() -> float:
                started = time.perf_counter()
                for body in bodies:
                    feedparser_parse(body)
                return time.perf_counter() - started

            def ours() -> float:
                started = time.perf_counter()
                for body in bodies:
                    parse_feed(body, content_type="application/rss+xml", now=NOW)
                return time.perf_counter() - started

            bare_s = bare()
            (tmp / "clean").mkdir()
            clean_s, clean = _cycle(_fresh_db(tmp / "clean", feed_urls), settings)
            bare_s = min(bare_s, bare())
            same_s = same_options() if args.detail else float("nan")
            ours_s = ours() if args.detail else float("nan")
            pooled_s = float("nan")
            if args.detail:
                (tmp / "pooled").mkdir()
                pooled_s, _ = _cycle(_fresh_db(tmp / "pooled", feed_urls), settings, processes=2)
            assert clean.failed == 0 and clean.new_articles == total_items, clean.as_json()

            print("\n[clean] no slow or failing feed, fresh SQLite")
            print(f"  cycle wall time              {clean_s:7.2f} s   {clean.as_json()}")
            print(f"  articles stored per second   {clean.new_articles / clean_s:7.0f}")
            print(f"  feedparser.parse alone       {bare_s:7.2f} s   (defaults, same bytes, same process)")
            print(f"  feedparser, our options      {same_s:7.2f} s   (no sanitizer: markup stripped after)")
            print(f"  our parse_feed alone         {ours_s:7.2f} s   (decode, guards, parse, normalise)")
            print(f"  cycle, 2 parse processes     {pooled_s:7.2f} s   (parse_processes=2, not the default)")
            ratio = clean_s / bare_s
            verdict = "meets" if ratio <= 1.5 else "MISSES"
            print(f"  ratio cycle / bare parse     {ratio:7.2f} x   ({verdict} the 1.5x goal)")

            faulty_urls = (
                feed_urls
                + [server.url(f"/slow/{n}.xml") for n in range(plan.slow)]
                + [server.url(f"/hang/{n}.xml") for n in range(plan.hanging)]
                + [server.url(f"/fail/{n}.xml") for n in range(plan.failing)]
            )
            (tmp / "faulty").mkdir()
            faulty_s, faulty = _cycle(_fresh_db(tmp / "faulty", faulty_urls), settings)
            slowest = settings.fetch_total_timeout
            summed = plan.slow * settings.fetch_total_timeout + plan.hanging * settings.fetch_read_timeout
            print(f"\n[faulty] + {plan.slow} slow-drip, {plan.hanging} hanging, {plan.failing} failing feeds")
            print(f"  cycle wall time              {faulty_s:7.2f} s   {faulty.as_json()}")
            print(f"  slowest feed's timeout       {slowest:7.2f} s   (total deadline per feed)")
            print(f"  sum of the slow feeds' waits {summed:7.2f} s")
            print(f"  clean cycle + slowest timeout{clean_s + slowest:7.2f} s   (the bound)")
            bounded = faulty_s <= clean_s + slowest + 1.0
            print(f"  bounded by the slowest timeout, not the sum: {'yes' if bounded else 'NO'}")
            faults = plan.slow + plan.hanging + plan.failing
            assert faulty.new_articles == total_items and faulty.failed == faults, faulty.as_json()
    finally:
        server.stop()


if __name__ == "__main__":
    main()
