"""Three fetcher processes on one PostgreSQL database, started together: every feed fetched once.

The loopback feed server counts the requests per path; the fetchers are real processes released
by one barrier, each running a whole gather cycle at the same `now`.
"""

from __future__ import annotations

import multiprocessing
from collections import Counter
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from briefings.config import get_settings
from briefings.db import make_engine, make_sessionmaker, session_scope
from briefings.models import Article, Feed, FetchAttempt
from tests.fakes.feed_server import FeedServer
from tests.gather.builders import items, rss
from tests.gather.conftest import NOW

FEEDS = 300
FETCHERS = 3


def _fetcher(db_url: str, home: str, now: datetime, barrier: Any, results: Any) -> None:
    from briefings.gather.cycle import run_gather_cycle

    settings = get_settings(
        briefings_home=Path(home),
        feeds_allow_private=True,
        fetch_concurrency=8,
        fetch_per_host=8,
        parse_processes=1,
        _env_file=None,
    )
    engine = make_engine(db_url)
    sessions = make_sessionmaker(engine)
    barrier.wait(timeout=120)
    summary = run_gather_cycle(sessions, settings, now=now)
    engine.dispose()
    results.put(summary.as_json())


def test_three_fetchers_fetch_each_of_300_feeds_exactly_once(db_url: str, tmp_path: Path) -> None:
    if not db_url.startswith("postgresql"):
        pytest.skip("several fetcher processes share PostgreSQL; SQLite serves one process")
    with FeedServer() as server:
        engine = make_engine(db_url)
        sessions = make_sessionmaker(engine)
        with session_scope(sessions) as session:
            for n in range(FEEDS):
                body = rss(items(2, host=f"f{n}.kr", prefix=f"피드{n}"), title=f"동시일보{n}")
                session.add(Feed(url=server.feed(f"/c/{n}.xml", body), name=f"동시 {n}", created_at=NOW))
        ctx = multiprocessing.get_context("spawn")
        barrier = ctx.Barrier(FETCHERS)
        results = ctx.Queue()
        workers = [
            ctx.Process(target=_fetcher, args=(db_url, str(tmp_path), NOW, barrier, results))
            for _ in range(FETCHERS)
        ]
        for worker in workers:
            worker.start()
        summaries = [results.get(timeout=600) for _ in workers]
        for worker in workers:
            worker.join(timeout=60)
        assert all(worker.exitcode == 0 for worker in workers)

        hits = Counter(seen.path for seen in server.requests)
        assert len(hits) == FEEDS and set(hits.values()) == {1}, hits.most_common(3)
        assert sum(s["feeds"] for s in summaries) == FEEDS
        assert sum(s["new_articles"] for s in summaries) == 2 * FEEDS
        assert sum(s["failed"] for s in summaries) == 0
        # The work was shared, not done by the first fetcher alone.
        assert sum(1 for s in summaries if s["feeds"] > 0) >= 2, summaries
        with session_scope(sessions) as session:
            assert session.scalar(select(func.count()).select_from(FetchAttempt)) == FEEDS
            assert session.scalar(select(func.count()).select_from(Article)) == 2 * FEEDS
            assert (
                session.scalar(select(func.count()).select_from(Feed).where(Feed.lease_owner.is_not(None)))
                == 0
            )
        engine.dispose()
