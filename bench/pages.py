"""Story and company page speed at 1 M articles, and the chart route's render time.

    .venv/bin/python -m bench.pages [--articles N] [--db sqlite|postgresql|both] [--pages P]
                                    [--charts C] [--sqlite-path FILE]

1. Generates N articles (default 1,000,000) with bench/lookup.py's generator (300 companies with a
   skewed popularity over 60 days, stories and story links), plus one primary mention per article for
   its story's main company, so the chart's daily counts read real rows.
2. Story pages: P story ids drawn uniformly from the last 30 days' stories; company pages: P companies
   drawn by popularity (the busiest dominate), and the busiest company alone. Each page is the whole
   WSGI answer (queries, Jinja2 rendering, headers) with the page cache off, so every request reads the
   database. Goal: p99 ≤ 100 ms.
3. The chart route (`/charts/companies/ID-DAY.png`, uncached): count query, spike decisions, top-story
   labels and the PNG render, for C companies drawn by popularity.

PostgreSQL uses BENCH_DATABASE_URL or TEST_DATABASE_URL (a scratch database is created and dropped).
"""

from __future__ import annotations

import argparse
import io
import os
import random
import tempfile
import time
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Engine, text

from bench.lookup import (
    COMPANIES,
    NOW,
    Generated,
    _percentiles,
    _pg_drop,
    _pg_scratch,
    generate,
    popularity,
)
from briefings.db import make_engine, make_sessionmaker, upgrade
from briefings.pages.app import Pages
from briefings.pages.links import chart_path, company_path, story_path
from briefings.signals.counts import kst_day

GOAL_MS = 100.0


def add_mentions(engine: Engine) -> int:
    """One primary mention per article, for its story's primary company (what the digester stores)."""
    with engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO mentions (article_id, company_id, is_primary, salience, count) "
                "SELECT a.id, sc.company_id, true, 1.0, 1 FROM articles a "
                "JOIN story_companies sc ON sc.story_id = a.story_id AND sc.is_primary"
            )
        )
        added = int(conn.execute(text("SELECT count(*) FROM mentions")).scalar_one())
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text("ANALYZE"))
    return added


def get(app: Pages, path: str) -> tuple[int, int]:
    seen: dict[str, Any] = {}

    def start_response(status: str, headers: list[tuple[str, str]]) -> None:
        seen["status"] = int(status.split()[0])

    environ = {"REQUEST_METHOD": "GET", "PATH_INFO": path, "wsgi.input": io.BytesIO()}
    body = b"".join(app(environ, start_response))
    return seen["status"], len(body)


def timed(app: Pages, paths: list[str]) -> tuple[list[float], list[float], int]:
    """Wall and CPU milliseconds per request: on a shared machine the CPU time is the robust one."""
    times: list[float] = []
    cpu: list[float] = []
    size = 0
    for path in paths:
        t0, c0 = time.perf_counter(), time.thread_time()
        status, size = get(app, path)
        times.append((time.perf_counter() - t0) * 1000)
        cpu.append((time.thread_time() - c0) * 1000)
        assert status == 200, (path, status)
    return times, cpu, size


def run_one(kind: str, args: argparse.Namespace) -> None:
    tmp = tempfile.TemporaryDirectory()
    base = os.environ.get("BENCH_DATABASE_URL") or os.environ.get("TEST_DATABASE_URL") or ""
    pg_name = ""
    if kind == "sqlite":
        url = f"sqlite:///{Path(args.sqlite_path) if args.sqlite_path else Path(tmp.name) / 'bench.db'}"
    else:
        if not base:
            print("postgresql: skipped (set BENCH_DATABASE_URL or TEST_DATABASE_URL)")
            return
        url, pg_name = _pg_scratch(base)
    try:
        upgrade(url)
        engine = make_engine(url)
        with engine.connect() as conn:
            existing = int(conn.execute(text("SELECT count(*) FROM articles")).scalar_one())
        if existing:
            gen = Generated(existing, 0, 0, 0.0)
        else:
            gen = generate(engine, args.articles)
            add_mentions(engine)
        with engine.connect() as conn:
            since = NOW.replace(tzinfo=None) - timedelta(days=30)
            recent = [
                int(r[0])
                for r in conn.execute(
                    text("SELECT id FROM stories WHERE last_published_at >= :s"), {"s": since}
                )
            ]
            mentions = int(conn.execute(text("SELECT count(*) FROM mentions")).scalar_one())
        print(
            f"\n== {kind}: {gen.articles:,} articles, {mentions:,} mentions "
            f"(generated in {gen.seconds:.0f} s); {len(recent):,} stories in the last 30 days"
        )
        sessions = make_sessionmaker(engine)
        app = Pages(sessions, tz=ZoneInfo("Asia/Seoul"), clock=lambda: NOW)
        rng = random.Random(5)
        weights = popularity()

        def company() -> int:
            return rng.choices(range(COMPANIES), weights)[0] + 1

        for _ in range(20):  # warm the first-story-id cache and the template cache
            get(app, company_path(company()))
            get(app, story_path(rng.choice(recent)))
        print(f"  machine load average before measuring: {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs")
        rows: list[tuple[str, Callable[[], str]]] = [
            ("story page (uniform over 30 days)", lambda: story_path(rng.choice(recent))),
            ("company page (by popularity)", lambda: company_path(company())),
            ("company page (busiest company)", lambda: company_path(1)),
        ]
        for label, path in rows:
            times, cpu, size = timed(app, [path() for _ in range(args.pages)])
            p, c = _percentiles(times), _percentiles(cpu)
            verdict = "OK" if p["p99_ms"] <= GOAL_MS else "OVER"
            print(
                f"  {label}, {args.pages} requests: p50 {p['p50_ms']:.1f} ms, p99 {p['p99_ms']:.1f} ms, "
                f"max {p['max_ms']:.1f} ms (CPU time p50 {c['p50_ms']:.1f} ms, p99 {c['p99_ms']:.1f} ms; "
                f"{size:,} bytes) [goal p99 ≤ {GOAL_MS:.0f} ms: {verdict}]"
            )
        day = kst_day(NOW)
        charts, charts_cpu, size = timed(app, [chart_path(company(), day) for _ in range(args.charts)])
        w, c = _percentiles(charts), _percentiles(charts_cpu)
        print(
            f"  chart route (counts, spikes, labels, PNG), {args.charts} companies by popularity: "
            f"p50 {w['p50_ms']:.0f} ms, max {w['max_ms']:.0f} ms (CPU time p50 {c['p50_ms']:.0f} ms, "
            f"max {c['max_ms']:.0f} ms; {size:,} bytes); cached afterwards by `briefings web` (60 s) "
            "and by browsers (a day for past days)"
        )
        engine.dispose()
    finally:
        if pg_name:
            _pg_drop(base, pg_name)
        tmp.cleanup()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.pages", description=__doc__.split("\n\n")[0])
    parser.add_argument("--articles", type=int, default=1_000_000)
    parser.add_argument("--db", choices=["sqlite", "postgresql", "both"], default="both")
    parser.add_argument("--pages", type=int, default=500)
    parser.add_argument("--charts", type=int, default=20)
    parser.add_argument("--sqlite-path", help="keep the SQLite database in this file (reused when it exists)")
    args = parser.parse_args(argv)
    for kind in ["sqlite", "postgresql"] if args.db == "both" else [args.db]:
        run_one(kind, args)


if __name__ == "__main__":
    main()
