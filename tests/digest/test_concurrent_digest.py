"""Several digest processes over one database make the stories one process makes.

Three processes are started together (released by a barrier once each has loaded Kiwi) over the
same pending articles: real items of nine outlets from one day of the tera-rss corpus, in small
batches so the processes can take turns many times. A single process digests a copy of the same
database. The stories must be the same partition of the articles (B-cubed 1.0 against the single
run), every article digested once, and every story's counts those of its rows.
"""

from __future__ import annotations

import hashlib
import multiprocessing
import shutil
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

from briefings.db import make_engine, make_sessionmaker
from briefings.digest.pipeline import build_digester, digest_pending, ensure_companies
from briefings.models import Article, Story
from tests.conftest import _pg_url_for, corpus_path, drop_pg_database, new_pg_database
from tests.digest.helpers import tera_items

pytestmark = [pytest.mark.kiwi, pytest.mark.corpus]

KST = ZoneInfo("Asia/Seoul")
NOW = datetime(2026, 2, 11, 0, 0, tzinfo=UTC)
WORKERS = 3
BATCH = 15
ARTICLES = 300


def _seed(url: str) -> None:
    """Registry and the day's articles, pending; every process then starts from the same rows."""
    items = [
        it
        for it in tera_items(corpus_path("tera-rss-economy-2026-02", "items.jsonl"))
        if it["date_as_given"].startswith("2026-02-10")
    ]
    items.sort(key=lambda it: (it["date_as_given"], it["url"]))
    engine = make_engine(url)
    with make_sessionmaker(engine).begin() as s:
        ensure_companies(s, now=NOW)
        for it in items[:ARTICLES]:
            # The corpus writes KST wall-clock time with a wrong "Z".
            local = datetime.fromisoformat(it["date_as_given"].replace("Z", "")).replace(tzinfo=KST)
            s.add(
                Article(
                    url=it["url"],
                    url_key=hashlib.sha1(it["url"].encode()).hexdigest(),
                    title_key=hashlib.sha1(it["title"].encode()).hexdigest(),
                    outlet=it["outlet"],
                    title=it["title"],
                    summary=it["lead"],
                    body=None,
                    published_at=local.astimezone(UTC),
                    seen_at=NOW,
                )
            )
    engine.dispose()


def _worker(url: str, barrier: Any, out: Any) -> None:
    engine = make_engine(url)
    with make_sessionmaker(engine)() as session:
        digester = build_digester(session, now=NOW)
        session.commit()
        digester.analyze([])
        barrier.wait(timeout=240)
        started = time.monotonic()  # one clock for all processes on this machine
        summary = digest_pending(session, digester, now=NOW, batch_size=BATCH)
        ended = time.monotonic()
    engine.dispose()
    out.put({**summary.as_dict(), "started": started, "ended": ended})


def _stories(url: str) -> tuple[dict[str, frozenset[str]], list[tuple[int, int, int]]]:
    """Article url -> the urls of its story; and (stored count, counted rows, outlets) per story."""
    engine = make_engine(url)
    with Session(engine) as s:
        members: dict[int, set[str]] = {}
        for story_id, article_url in s.execute(select(Article.story_id, Article.url)):
            assert story_id is not None, "an article was not digested"
            members.setdefault(story_id, set()).add(article_url)
        by_url = {u: frozenset(m) for m in members.values() for u in m}
        counts = [
            (st.articles_count, len(members[st.id]), st.outlets_count)
            for st in s.scalars(select(Story).order_by(Story.id))
        ]
        pending = s.scalar(select(func.count()).select_from(Article).where(Article.digested_at.is_(None)))
        assert pending == 0
    engine.dispose()
    return by_url, counts


def b_cubed(pred: dict[str, frozenset[str]], gold: dict[str, frozenset[str]]) -> float:
    precision = sum(len(pred[k] & gold[k]) / len(pred[k]) for k in gold) / len(gold)
    recall = sum(len(pred[k] & gold[k]) / len(gold[k]) for k in gold) / len(gold)
    return 2 * precision * recall / (precision + recall)


@pytest.fixture
def twin(db_url: str, tmp_path: Path) -> Iterator[tuple[str, str]]:
    """The seeded database and a copy of it (the single process's)."""
    _seed(db_url)
    url = make_url(db_url)
    if url.get_backend_name() == "sqlite":
        assert url.database
        copy = tmp_path / "single.db"
        shutil.copy(url.database, copy)
        yield db_url, f"sqlite:///{copy}"
        return
    assert url.database
    name = new_pg_database(template=url.database)
    try:
        yield db_url, _pg_url_for(name)
    finally:
        drop_pg_database(name)


def test_three_processes_started_together_make_the_stories_one_process_makes(
    twin: tuple[str, str],
) -> None:
    shared, single = twin
    engine = make_engine(single)
    with make_sessionmaker(engine)() as s:
        alone = digest_pending(s, build_digester(s, now=NOW), now=NOW, batch_size=BATCH)
    engine.dispose()
    assert alone.articles == ARTICLES and alone.joined_stories > 30  # real multi-outlet stories

    ctx = multiprocessing.get_context("spawn")
    barrier, out = ctx.Barrier(WORKERS), ctx.Queue()
    procs = [ctx.Process(target=_worker, args=(shared, barrier, out)) for _ in range(WORKERS)]
    for p in procs:
        p.start()
    results = [out.get(timeout=600) for _ in procs]
    for p in procs:
        p.join(timeout=60)
        assert p.exitcode == 0
    assert sum(r["articles"] for r in results) == ARTICLES  # none digested twice
    # They really ran at once: every process was still digesting when the last one started.
    assert max(r["started"] for r in results) < min(r["ended"] for r in results)
    if make_url(shared).get_backend_name() == "postgresql":
        # Row claims let them take turns; SQLite's one writer lock may let one process win every batch.
        assert sum(1 for r in results if r["articles"]) >= 2
    assert sum(r["new_stories"] for r in results) == alone.new_stories

    together, counts = _stories(shared)
    reference, reference_counts = _stories(single)
    assert b_cubed(together, reference) == 1.0
    assert together == reference
    assert all(stored == counted for stored, counted, _ in counts)
    assert sorted(counts) == sorted(reference_counts)
