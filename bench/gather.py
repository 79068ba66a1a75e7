"""Gather benchmark: our cycle against lemon24/reader on the same loopback feeds, in the same run.

    .venv/bin/python -m bench.gather [--feeds 300] [--items 50] [--reader-workers 16] [--rounds 5]

Scenario "first cycle": every feed is new; our cycle (fetch, decode, parse in worker processes,
normalise, dedupe, store in a fresh SQLite database) against reader's `update_feeds` into its own
fresh SQLite database. Scenario "unchanged": the same feeds again, every one answering 304 Not
Modified to the validators stored the first time, `--rounds` times, each side going first in turn
(whoever runs second finds the machine warmer); the goal figure is the median of the rounds' ratios.
Goals: both no slower than reader. The load average is printed, and for the unchanged cycle the CPU
time each side spent in this process (parsing is not involved), which load disturbs less than the
wall time.

Like is compared with like: reader runs feedparser with sanitize_html and resolve_relative_uris on,
our cycle runs it with both off (markup is stripped afterwards), so reader is measured twice, with
its defaults and with a parser mounted that uses our options; the goal ratio is the latter.

Also timed: a 1 MB feed of each markup pattern that used to make text cleaning quadratic (goal:
under a second each), and a cycle with slow, hanging and failing feeds beside the healthy ones
(bounded by the slowest feed's deadline, not the sum, and losing none of the healthy feeds'
articles). The feed server runs in its own process.
All feeds share the host 127.0.0.1, so the per-host limit is raised to the overall one.
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import statistics
import tempfile
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

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
        server.add(f"/feed/{n}.xml", Answer(body=make_feed(n, plan.items), etag=f'"v{n}"'))
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


def _cycle(db_url: str, settings: Settings, now: datetime = NOW) -> tuple[float, CycleSummary]:
    engine = make_engine(db_url)
    sessions = make_sessionmaker(engine)
    started = time.perf_counter()
    summary = run_gather_cycle(sessions, settings, now=now)
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
        feeds_allow_private=True,
        _env_file=None,
    )


def _reader(path: Path, urls: list[str], *, our_options: bool) -> Any:
    """A fresh reader with the feeds added; with `our_options`, its feedparser runs as ours does."""
    from reader import make_reader
    from reader._parser.feedparser import FeedparserParser, _process_feed
    from reader._vendor import feedparser  # reader's own copy: the parser it really runs

    class SameOptions(FeedparserParser):
        def __call__(self, url: str, resource: Any, headers: Any = None) -> Any:
            result = feedparser.parse(
                resource, resolve_relative_uris=False, sanitize_html=False, response_headers=headers or {}
            )
            return _process_feed(url, result)

    reader = make_reader(str(path))
    if our_options:
        reader._parser.mount_parser_by_mime_type(SameOptions())
        reader._parser.mount_parser_by_mime_type(SameOptions(), "*/*;q=0.1")
    for url in urls:
        reader.add_feed(url)
    return reader


def _load() -> str:
    one, five, fifteen = os.getloadavg()
    return f"load average {one:.2f} {five:.2f} {fifteen:.2f} ({os.cpu_count()} cores)"


def _reader_cycle(reader: Any, workers: int) -> tuple[float, int]:
    started = time.perf_counter()
    reader.update_feeds(workers=workers, scheduled=False)  # every feed, as our cycle at `later`
    elapsed = time.perf_counter() - started
    return elapsed, int(reader.get_entry_counts().total)


WORST_PATTERNS = {
    "unclosed <a": "<a",
    "unclosed <script": "<script",
    "unclosed comments": "<!--",
    "'>' inside attributes": "<img alt='a > b' ",
    "bare &#": "&#",
    "nested <p>": "<p>x",
}


def worst_feed(pattern: str, size: int = 1 << 20) -> bytes:
    """One item whose description is `pattern` repeated to about `size` bytes (escaped in the XML)."""
    from xml.sax.saxutils import escape as xml_escape

    text = xml_escape(pattern * (size // max(1, len(xml_escape(pattern)))))
    return (
        '<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>악성 피드</title>'
        f"<item><title>최악의 패턴</title><link>https://worst.example.kr/1</link>"
        f"<description>{text}</description></item></channel></rss>"
    ).encode()


@dataclass(frozen=True)
class Round:
    first: str
    ours: float
    same: float
    default: float
    ours_cpu: float
    same_cpu: float
    summary: CycleSummary

    @property
    def ratio(self) -> float:
        return self.ours / self.same


def _unchanged_round(
    n: int, db_url: str, settings: Settings, same: Any, default: Any, args: argparse.Namespace
) -> Round:
    """One all-304 cycle of each side, the hour after the previous round; even rounds ours first."""
    later = NOW + timedelta(hours=n + 1)

    def ours() -> tuple[float, float, CycleSummary]:
        cpu = time.process_time()
        took, summary = _cycle(db_url, settings, later)
        return took, time.process_time() - cpu, summary

    def reader() -> tuple[float, float]:
        cpu = time.process_time()
        took, _ = _reader_cycle(same, args.reader_workers)
        return took, time.process_time() - cpu

    if n % 2 == 0:
        ours_s, ours_cpu, summary = ours()
        same_s, same_cpu = reader()
    else:
        same_s, same_cpu = reader()
        ours_s, ours_cpu, summary = ours()
    default_s, _ = _reader_cycle(default, args.reader_workers)
    return Round("ours" if n % 2 == 0 else "reader", ours_s, same_s, default_s, ours_cpu, same_cpu, summary)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--feeds", type=int, default=300)
    parser.add_argument("--items", type=int, default=50)
    parser.add_argument("--reader-workers", type=int, default=16)
    parser.add_argument("--slow", type=int, default=20)
    parser.add_argument("--hanging", type=int, default=10)
    parser.add_argument("--failing", type=int, default=30)
    parser.add_argument("--rounds", type=int, default=5, help="unchanged cycles per side")
    args = parser.parse_args()
    plan = Plan(args.feeds, args.items, args.slow, args.hanging, args.failing)
    bodies = [make_feed(n, plan.items) for n in range(plan.feeds)]
    total_items = plan.feeds * plan.items
    print(f"gather bench: {plan.feeds} feeds x {plan.items} items ({sum(map(len, bodies)) / 1e6:.1f} MB)")
    print(f"  at start: {_load()}")

    server = ServerProcess(plan)
    try:
        with tempfile.TemporaryDirectory() as tmpdir:
            tmp = Path(tmpdir)
            settings = _bench_settings(tmp)
            feed_urls = [server.url(f"/feed/{n}.xml") for n in range(plan.feeds)]
            (tmp / "ours").mkdir()
            ours_db = _fresh_db(tmp / "ours", feed_urls)
            same = _reader(tmp / "reader-same.sqlite", feed_urls, our_options=True)
            default = _reader(tmp / "reader-default.sqlite", feed_urls, our_options=False)

            ours_first, first = _cycle(ours_db, settings)
            same_first, same_count = _reader_cycle(same, args.reader_workers)
            default_first, default_count = _reader_cycle(default, args.reader_workers)
            load_first = _load()
            rounds = [_unchanged_round(n, ours_db, settings, same, default, args) for n in range(args.rounds)]
            load_rounds = _load()
            same.close()
            default.close()
            assert first.failed == 0 and first.new_articles == total_items, (
                first.as_json(),
                first.failures[:3],
            )
            assert all(r.summary.not_modified == plan.feeds for r in rounds), rounds[-1].summary.as_json()
            assert same_count == default_count == total_items, (same_count, default_count)

            print(f"\n[first cycle] fresh SQLite each; reader update_feeds(workers={args.reader_workers})")
            print(f"  ours                         {ours_first:7.2f} s   {first.as_json()}")
            print(f"  reader, our parser options   {same_first:7.2f} s   ({same_count} entries)")
            print(f"  reader, its defaults         {default_first:7.2f} s   (sanitize_html on)")
            print(f"  ratio ours / reader (same)   {ours_first / same_first:7.2f} x   (goal <= 1.00)")
            print(f"  ratio ours / reader (deflt)  {ours_first / default_first:7.2f} x")
            print(f"  after it: {load_first}")
            print(
                f"\n[unchanged cycle] every feed answers 304; {args.rounds} rounds, each side first in turn"
            )
            print("  round  first   ours s  reader s  (deflt s)  ratio   CPU ours s  CPU reader s")
            for n, r in enumerate(rounds):
                times = f"{r.ours:7.2f}  {r.same:8.2f}  {r.default:9.2f}  {r.ratio:5.2f} x"
                print(f"  {n + 1:5}  {r.first:6} {times}  {r.ours_cpu:10.2f}  {r.same_cpu:12.2f}")
            ratio = statistics.median(r.ratio for r in rounds)
            cpu = statistics.median(r.ours_cpu / r.same_cpu for r in rounds)
            print(f"  median ratio ours / reader (same)   {ratio:5.2f} x   (goal <= 1.00)")
            print(f"  median CPU ratio ours / reader      {cpu:5.2f} x")
            print(f"  after it: {load_rounds}")

            started = time.perf_counter()
            for body in bodies:
                feedparser_parse(body)
            bare = time.perf_counter() - started
            started = time.perf_counter()
            for body in bodies:
                parse_feed(body, content_type="application/rss+xml", now=NOW)
            ours_parse = time.perf_counter() - started
            print("\n[parsing alone, one process, same bytes]")
            print(f"  feedparser, our options      {bare:7.2f} s")
            print(f"  our parse_feed               {ours_parse:7.2f} s   (decode, guard, parse, clean)")

            print("\n[hostile] a 1 MB feed of each worst pattern, parse_feed (goal < 1 s each)")
            for name, pattern in WORST_PATTERNS.items():
                body = worst_feed(pattern)
                started = time.perf_counter()
                parse_feed(body, content_type="application/rss+xml", now=NOW)
                took = time.perf_counter() - started
                print(f"  {name:28} {took:7.3f} s   ({len(body) / 1e6:.2f} MB)")

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
            faults = plan.slow + plan.hanging + plan.failing
            print(
                f"\n[faulty] {plan.feeds} healthy feeds + {plan.slow} slow-drip, {plan.hanging} hanging, ",
                end="",
            )
            print(f"{plan.failing} failing feeds, fresh SQLite")
            print(f"  cycle wall time              {faulty_s:7.2f} s   {faulty.as_json()}")
            print(f"  healthy cycle alone (first)  {ours_first:7.2f} s")
            print(f"  slowest feed's timeout       {slowest:7.2f} s   (total deadline per feed)")
            print(f"  sum of the slow feeds' waits {summed:7.2f} s")
            bounded = faulty_s <= ours_first + slowest + 1.0
            print(f"  bounded by healthy + the slowest timeout, not the sum: {'yes' if bounded else 'NO'}")
            lost = total_items - faulty.new_articles
            print(f"  healthy feeds stored         {faulty.ok:7} of {plan.feeds}")
            print(f"  faulty feeds failed          {faulty.failed:7} of {faults}")
            print(f"  healthy articles stored      {faulty.new_articles:7} of {total_items} ({lost} lost)")
            print(f"  at the end: {_load()}")
            assert faulty.new_articles == total_items and faulty.failed == faults, faulty.as_json()
            assert faulty.ok == plan.feeds, faulty.as_json()
    finally:
        server.stop()


if __name__ == "__main__":
    main()
