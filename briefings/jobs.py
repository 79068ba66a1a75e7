"""The domain's scheduled jobs: gather what is due, digest what was gathered, prune old bodies.

Each job reads the clock once, at its top, and passes `now` down; the scheduler (bot/scheduler.py)
decides when they run. Nothing here talks to Slack.
"""

from __future__ import annotations

import importlib
import logging
import threading
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import update
from sqlalchemy.orm import Session, sessionmaker

from briefings.config import Settings
from briefings.db import session_scope
from briefings.models import Article
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

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._digester: Any = None
        self._registry_key: int | None = None

    def warm_up(self, sessions: sessionmaker[Session] | None = None, *, now: datetime | None = None) -> None:
        """Load Kiwi (and, given a database, the company dictionary) now rather than on the first article."""
        nlp = importlib.import_module("briefings.digest.nlp").get_nlp()
        nlp.tokenize(["브리핑을 준비합니다."])  # Kiwi builds its model on the first analysis
        if sessions is not None:
            with session_scope(sessions) as session:
                self._get(session, as_utc(now) if now else utcnow())

    def _get(self, session: Session, now: datetime) -> Any:
        pipeline = importlib.import_module("briefings.digest.pipeline")
        key = importlib.import_module("briefings.companies").registry_version(session)
        with self._lock:
            if self._digester is None or key != self._registry_key:
                self._digester = pipeline.build_digester(session, now=now)
                self._registry_key = key
            return self._digester

    def run(self, sessions: sessionmaker[Session], *, now: datetime) -> int:
        """Digest everything pending; returns how many articles were processed."""
        pipeline = importlib.import_module("briefings.digest.pipeline")
        with session_scope(sessions) as session:
            digester = self._get(session, now)
            result = pipeline.digest_pending(session, digester, now=now)
        return _count(result)


def _count(result: Any) -> int:
    if isinstance(result, int):
        return result
    for attr in ("articles", "processed", "digested", "count"):
        value = getattr(result, attr, None)
        if isinstance(value, int):
            return value
    return 0


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

    Briefings and lookups only need metadata and stories; bodies are what makes the database grow.
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
        return int(getattr(result, "rowcount", 0) or 0)
