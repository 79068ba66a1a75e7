"""The domain's scheduled jobs: gather what is due, digest what was gathered, prune old rows.

Each job reads the clock once, at its top, and passes `now` down; the scheduler (bot/scheduler.py)
decides when they run. Every job is safe when several processes share the database: gathering and
retention run under a lease (`JobLease`, one holder at a time), and the digest serialises story
assignment itself (see digest/pipeline.py). Nothing here talks to Slack.
"""

from __future__ import annotations

import importlib
import logging
import os
import socket
import threading
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, insert, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from briefings.config import Settings
from briefings.db import session_scope
from briefings.models import Article, ArticleTerm, FetchAttempt, JobLease, ShownStory
from briefings.timeutil import as_utc, utcnow

log = logging.getLogger(__name__)


@dataclass
class GatherReport:
    feeds: int = 0
    ok: int = 0
    failed: int = 0
    new_articles: int = 0
    digested: int = 0


class Digest:
    """The digester, built on first use and kept: Kiwi is loaded once per process.

    It is rebuilt (Kiwi still shared) when the registry version moved (every change of a company or
    an alias bumps it), so a new name is recognised from the next gather on without a restart.
    """

    def __init__(self, *, max_chars: int | None = None) -> None:
        self._lock = threading.Lock()
        self._digester: Any = None
        self._registry_key: int | None = None
        self._max_chars = max_chars

    def warm_up(self, sessions: sessionmaker[Session] | None = None, *, now: datetime | None = None) -> None:
        """Load Kiwi (and, given a database, the company dictionary) now rather than on the first article."""
        importlib.import_module("briefings.digest.nlp").get_nlp()
        if sessions is not None:
            with session_scope(sessions) as session:
                self._get(session, as_utc(now) if now else utcnow())

    def _get(self, session: Session, now: datetime) -> Any:
        pipeline = importlib.import_module("briefings.digest.pipeline")
        key = importlib.import_module("briefings.companies").registry_version(session)
        with self._lock:
            if self._digester is None or key != self._registry_key:
                extra = {} if self._max_chars is None else {"max_chars": self._max_chars}
                self._digester = pipeline.build_digester(session, now=now, **extra)
                self._registry_key = key
            return self._digester

    def run(self, sessions: sessionmaker[Session], *, now: datetime) -> int:
        """Digest everything pending; returns how many articles were processed.

        The digester (and its window of recent stories) is kept between runs, so a run with one new
        article costs that article, not a reload of the window.
        """
        pipeline = importlib.import_module("briefings.digest.pipeline")
        with session_scope(sessions) as session:
            digester = self._get(session, now)
            with self._lock:  # the window is the process's: one run at a time uses it
                result = pipeline.digest_pending(session, digester, now=now, seed=False)
        return _count(result)


def _count(result: Any) -> int:
    if isinstance(result, int):
        return result
    for attr in ("articles", "processed", "digested", "count"):
        value = getattr(result, attr, None)
        if isinstance(value, int):
            return value
    return 0


# --- one holder at a time ------------------------------------------------------------------------

PROCESS_ID = f"{socket.gethostname()[:30]}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


def take_lease(
    sessions: sessionmaker[Session], name: str, *, now: datetime, ttl: timedelta, holder: str = PROCESS_ID
) -> bool:
    """Hold job `name` until `now + ttl` unless another live holder has it; True when taken.

    A compare-and-set on one row, so it is atomic on SQLite and PostgreSQL alike; a holder that
    died simply lets its lease run out.
    """
    expires = now + ttl
    with session_scope(sessions) as session:
        result = session.execute(
            update(JobLease)
            .where(
                JobLease.name == name,
                or_(JobLease.holder.is_(None), JobLease.holder == holder, JobLease.expires_at < now),
            )
            .values(holder=holder, expires_at=expires)
        )
        if getattr(result, "rowcount", 0):
            return True
        if session.get(JobLease, name) is not None:
            return False
    try:
        with session_scope(sessions) as session:
            session.execute(insert(JobLease).values(name=name, holder=holder, expires_at=expires))
        return True
    except IntegrityError:  # another process made the row first: it holds the lease
        return False


def release_lease(sessions: sessionmaker[Session], name: str, *, holder: str = PROCESS_ID) -> None:
    with session_scope(sessions) as session:
        session.execute(
            update(JobLease)
            .where(JobLease.name == name, JobLease.holder == holder)
            .values(holder=None, expires_at=None)
        )


def gather_job(
    sessions: sessionmaker[Session],
    settings: Settings,
    *,
    digest: Digest | None = None,
    now: datetime | None = None,
) -> GatherReport:
    """One gather cycle over the feeds that are due (each at its own interval and backoff), then digest."""
    now = as_utc(now) if now else utcnow()
    cycle = importlib.import_module("briefings.gather.cycle")
    summary = cycle.run_gather_cycle(sessions, settings, now=now)
    report = GatherReport(
        feeds=summary.feeds, ok=summary.ok, failed=summary.failed, new_articles=summary.new_articles
    )
    if digest is not None:
        report.digested = digest.run(sessions, now=now)
    return report


def retention_job(sessions: sessionmaker[Session], settings: Settings, *, now: datetime | None = None) -> int:
    """Old article bodies are dropped after `retention_days`; titles, links and analysis stay.

    Briefings and lookups only need metadata and stories; bodies are what makes the database grow,
    with the search terms of those articles, the per-cycle fetch records and the record of which
    stories each briefing message showed, pruned alike (a follow-up comes days after its story, not
    weeks). Every statement is idempotent, so two processes running it at once do no harm.
    """
    now = as_utc(now) if now else utcnow()
    cutoff = now - timedelta(days=settings.retention_days)
    with session_scope(sessions) as session:
        result = session.execute(
            update(Article)
            .where(Article.published_at < cutoff, Article.body_pruned_at.is_(None), Article.body.is_not(None))
            .values(body=None, body_pruned_at=now)
            .execution_options(synchronize_session=False)
        )
        pruned = int(getattr(result, "rowcount", 0) or 0)
    old_articles = select(Article.id).where(Article.published_at < cutoff)
    with session_scope(sessions) as session:
        terms = session.execute(delete(ArticleTerm).where(ArticleTerm.article_id.in_(old_articles)))
        attempts = session.execute(delete(FetchAttempt).where(FetchAttempt.at < cutoff))
        shown = session.execute(delete(ShownStory).where(ShownStory.posted_at < cutoff))
    log.info(
        "retention: %d bodies, %d search terms, %d fetch records, %d shown stories pruned",
        pruned,
        int(getattr(terms, "rowcount", 0) or 0),
        int(getattr(attempts, "rowcount", 0) or 0),
        int(getattr(shown, "rowcount", 0) or 0),
    )
    return pruned
