"""A deadlock PostgreSQL raises in the digest is retried, never fatal, and the stories come out exact.

Two real connections take the same two locks in opposite orders, at the same time: another
transaction holds a story row and then asks for the digest's assignment lock, while a digest
(`digest_pending`, in a thread of its own) holds that lock and reaches the story row, because its
batch brings a new article into that story. PostgreSQL must break the cycle by failing one of them;
the other transaction waits longer before checking (a larger `deadlock_timeout`), so the victim is
the digest. Its batch is rolled back and done again, and the result must be what a single
undisturbed run over a copy of the same database makes.
"""

from __future__ import annotations

import logging
import threading
import time
from typing import Any

import pytest
from sqlalchemy import select, text
from sqlalchemy.engine import make_url

from briefings.db import make_engine, make_sessionmaker
from briefings.digest.pipeline import _PG_LOCK_KEY, DigestSummary, build_digester, digest_pending
from briefings.models import Article
from tests.digest.test_concurrent_digest import ARTICLES, BATCH, NOW, _stories, twin

pytestmark = [pytest.mark.kiwi, pytest.mark.corpus]

__all__ = ["twin"]  # the fixture, used by name
FIRST = 150  # digested before the two connections meet; the rest is one batch


def _digest(url: str, *, limit: int | None, batch: int) -> DigestSummary:
    engine = make_engine(url)
    with make_sessionmaker(engine)() as s:
        summary = digest_pending(s, build_digester(s, now=NOW), now=NOW, batch_size=batch, limit=limit)
    engine.dispose()
    return summary


def _story_reached_by_the_last_batch(url: str) -> str:
    """URL of the first article of a story that the last batch's articles joined (in the reference run)."""
    engine = make_engine(url)
    with make_sessionmaker(engine)() as s:
        last = s.scalar(select(Article.digest_seq).order_by(Article.digest_seq.desc()).limit(1))
        joined = {sid for (sid,) in s.execute(select(Article.story_id).where(Article.digest_seq == last))}
        earlier = s.execute(
            select(Article.url, Article.story_id)
            .where(Article.digest_seq < last, Article.story_id.in_(joined))
            .order_by(Article.published_at, Article.id)
        ).first()
    engine.dispose()
    assert earlier is not None, "no story of the first articles grows in the last batch"
    return str(earlier.url)


def test_a_deadlock_with_the_digest_is_retried_and_the_stories_are_exact(
    twin: tuple[str, str], caplog: pytest.LogCaptureFixture
) -> None:
    shared, single = twin
    if make_url(shared).get_backend_name() != "postgresql":
        pytest.skip("deadlock detection is PostgreSQL's")
    for url in (shared, single):
        assert _digest(url, limit=FIRST, batch=BATCH).articles == FIRST
    assert _digest(single, limit=None, batch=ARTICLES).articles == ARTICLES - FIRST  # the reference
    grown = _story_reached_by_the_last_batch(single)

    engine = make_engine(shared)
    sessions = make_sessionmaker(engine)
    with sessions() as s:
        story_id = s.scalar(select(Article.story_id).where(Article.url == grown))
        digester = build_digester(s, now=NOW)
        s.commit()
    digester.analyze([])  # Kiwi loaded before the race
    result: list[Any] = []

    def digest() -> None:
        with sessions() as s:
            result.append(digest_pending(s, digester, now=NOW, batch_size=ARTICLES))

    other = engine.connect()
    tx = other.begin()
    # This side checks for deadlocks only after 30 s, so PostgreSQL fails the digest's side at 1 s.
    other.execute(text("SET LOCAL deadlock_timeout = '30s'"))
    other.execute(text("SET LOCAL lock_timeout = '120s'"))
    other.execute(text("UPDATE stories SET updated_at = updated_at WHERE id = :id"), {"id": story_id})
    caplog.set_level(logging.WARNING, logger="briefings.digest.pipeline")
    worker = threading.Thread(target=digest)
    worker.start()
    deadline = time.monotonic() + 120
    held = "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND granted AND pid <> pg_backend_pid()"
    while not other.execute(text(held)).scalar():  # the digest holds its lock: ask for it, in reverse order
        assert time.monotonic() < deadline and worker.is_alive()
        time.sleep(0.01)
    other.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": _PG_LOCK_KEY})
    tx.commit()  # this side won: it got the lock once the digest's transaction was rolled back
    other.close()
    worker.join(timeout=600)
    engine.dispose()

    refused = [r.getMessage() for r in caplog.records if "refused by the database" in r.getMessage()]
    assert refused and "deadlock detected" in refused[0]
    (summary,) = result
    assert summary.articles == ARTICLES - FIRST and summary.failed == 0
    together, counts = _stories(shared)
    reference, reference_counts = _stories(single)
    assert together == reference
    assert all(stored == counted for stored, counted, _ in counts)
    assert sorted(counts) == sorted(reference_counts)
