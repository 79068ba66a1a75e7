"""One gather cycle: every due feed fetched concurrently, each fault kept to its own feed.

Fetching runs on the event loop (many feeds in flight, bounded by the Fetcher). Parsing and the
database run on one worker thread, one transaction per feed: a single writer never contends with
itself for an SQLite lock, the event loop keeps feeding sockets while a feed is parsed, and a feed
that fails (or crashes the parser) costs only its own row of health, never the others' articles.
"""

from __future__ import annotations

import asyncio
import contextlib
import multiprocessing
from collections.abc import Callable, Sequence
from concurrent.futures import Executor, ProcessPoolExecutor, ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import TypeVar

import httpx
from sqlalchemy import or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from briefings.config import Settings
from briefings.db import session_scope
from briefings.gather.extract import fill_full_text, needs_full_text
from briefings.gather.fetch import Fetcher, FetchError, FetchResult
from briefings.gather.health import Outcome, next_health
from briefings.gather.parse import FeedParseError, ParsedEntry, ParsedFeed, outlet_from_title, parse_feed
from briefings.gather.store import find_new, store_entries
from briefings.gather.urls import InvalidURLError, canonical_url
from briefings.models import Feed, FetchAttempt
from briefings.timeutil import utcnow

T = TypeVar("T")
Progress = Callable[[int, int, str], None]


@dataclass(slots=True)
class CycleSummary:
    feeds: int = 0
    ok: int = 0
    not_modified: int = 0
    failed: int = 0
    new_articles: int = 0
    new_article_ids: list[int] = field(default_factory=list)
    # (feed name, error) of every feed that failed this cycle, for the operator.
    failures: list[tuple[str, str]] = field(default_factory=list)

    def as_json(self) -> dict[str, int]:
        """The summary object of the command-line contract, exactly these keys."""
        return {
            "feeds": self.feeds,
            "ok": self.ok,
            "not_modified": self.not_modified,
            "failed": self.failed,
            "new_articles": self.new_articles,
        }


@dataclass(frozen=True, slots=True)
class FeedJob:
    """A snapshot of the feed row taken when the cycle starts."""

    id: int
    url: str
    name: str
    full_text: bool
    etag: str | None
    last_modified: str | None


def due_feeds(session: Session, now: datetime, feed_ids: Sequence[int] | None = None) -> list[FeedJob]:
    """Enabled feeds whose next attempt has come (the SQL form of health.is_due)."""
    query = (
        select(Feed)
        .where(Feed.enabled.is_(True), or_(Feed.next_attempt_at.is_(None), Feed.next_attempt_at <= now))
        .order_by(Feed.id)
    )
    if feed_ids is not None:
        query = query.where(Feed.id.in_(list(feed_ids)))
    return [
        FeedJob(f.id, f.url, f.name, f.full_text, f.etag, f.last_modified) for f in session.scalars(query)
    ]


def apply_outcome(session: Session, feed: Feed, outcome: Outcome, now: datetime) -> None:
    """Write one attempt's outcome onto the feed row and the attempt log."""
    update = next_health(
        outcome=outcome,
        consecutive_failures=feed.consecutive_failures,
        last_success_at=feed.last_success_at,
        interval_seconds=feed.interval_seconds,
        now=now,
    )
    feed.last_attempt_at = now
    feed.last_status = update.last_status
    feed.last_error = update.last_error
    feed.consecutive_failures = update.consecutive_failures
    feed.next_attempt_at = update.next_attempt_at
    feed.last_success_at = update.last_success_at
    if not update.enabled:
        feed.enabled = False
        feed.disabled_reason = update.disabled_reason
    if outcome.ok and not outcome.not_modified:
        # The validators of the latest full answer; none sent means none to send next time.
        feed.etag = outcome.etag[:500] if outcome.etag else None
        feed.last_modified = outcome.last_modified[:100] if outcome.last_modified else None
    if outcome.moved_to and outcome.moved_to != feed.url:
        _move(session, feed, outcome.moved_to)
    session.add(
        FetchAttempt(
            feed_id=feed.id,
            at=now,
            ok=outcome.ok,
            not_modified=outcome.not_modified,
            status=outcome.status,
            new_articles=outcome.new_articles,
            error=outcome.message,
        )
    )


def _move(session: Session, feed: Feed, target: str) -> None:
    """A permanent redirect: the feed lives at `target` now, unless another feed already does."""
    try:
        target = canonical_url(target)
    except InvalidURLError:
        return
    other = session.scalar(select(Feed.id).where(Feed.url == target, Feed.id != feed.id))
    if other is None:
        feed.url = target
    else:
        feed.enabled = False
        feed.disabled_reason = f"영구 이동한 주소가 피드 #{other}와 같아 중지했습니다: {target}"


def parse_outcome(
    content: bytes, content_type: str | None, base_url: str, now: datetime
) -> ParsedFeed | tuple[str, str]:
    """parse_feed with its failure as plain data, so it can come back from a worker process."""
    try:
        return parse_feed(content, content_type=content_type, base_url=base_url, now=now)
    except FeedParseError as exc:
        return exc.kind, str(exc)


class _Cycle:
    def __init__(
        self,
        sessions: sessionmaker[Session],
        fetcher: Fetcher,
        executor: ThreadPoolExecutor,
        *,
        now: datetime,
        parse_pool: Executor | None = None,
    ) -> None:
        self.sessions = sessions
        self.fetcher = fetcher
        self.executor = executor
        self.parse_pool = parse_pool
        self.now = now

    async def blocking(self, func: Callable[[], T]) -> T:
        return await asyncio.get_running_loop().run_in_executor(self.executor, func)

    async def parse_elsewhere(self, result: FetchResult) -> ParsedFeed | tuple[str, str] | None:
        """Parse in the process pool when there is one (None: parse on the database thread)."""
        if self.parse_pool is None:
            return None
        loop = asyncio.get_running_loop()
        try:
            return await loop.run_in_executor(
                self.parse_pool, parse_outcome, result.content, result.content_type, result.url, self.now
            )
        except Exception:  # a broken pool must not cost the feed: parse it here instead
            return None

    async def run_feed(self, job: FeedJob) -> tuple[Outcome, list[int]]:
        try:
            result = await self.fetcher.fetch(job.url, etag=job.etag, last_modified=job.last_modified)
        except FetchError as exc:
            wait = timedelta(seconds=exc.retry_after) if exc.retry_after is not None else None
            outcome = Outcome(ok=False, status=exc.status, kind=exc.kind, error=str(exc), retry_after=wait)
            return await self.blocking(lambda: self.record(job, outcome, None, []))
        base = Outcome(
            ok=True,
            status=result.status,
            etag=result.etag,
            last_modified=result.last_modified,
            moved_to=result.permanent_url,
        )
        if result.not_modified:
            return await self.blocking(lambda: self.record(job, replace(base, not_modified=True), None, []))
        done = await self.parse_elsewhere(result)
        if not job.full_text:
            return await self.blocking(lambda: self.parse_and_store(job, base, result, done))
        parsed, outcome = await self.blocking(lambda: self.parse(result, base, done))
        if parsed is None:
            return await self.blocking(lambda: self.record(job, outcome, None, []))
        fresh = await self.blocking(lambda: self.fresh_entries(job, parsed))
        if any(needs_full_text(e) for e in fresh):
            fresh = await fill_full_text(self.fetcher, fresh, run_blocking=self.blocking)
        return await self.blocking(lambda: self.record(job, outcome, parsed, fresh))

    def parse(
        self, result: FetchResult, base: Outcome, done: ParsedFeed | tuple[str, str] | None = None
    ) -> tuple[ParsedFeed | None, Outcome]:
        parsed = done
        if parsed is None:
            parsed = parse_outcome(result.content, result.content_type, result.url, self.now)
        if isinstance(parsed, tuple):
            kind, error = parsed
            return None, replace(base, ok=False, kind=kind, error=error, etag=None, last_modified=None)
        if parsed.problem:
            # Truncation is the feed's fault; a merely malformed document that was salvaged is a warning.
            kind = "truncated" if parsed.truncated else "malformed"
            return parsed, replace(base, ok=not parsed.truncated, kind=kind, error=parsed.problem)
        return parsed, base

    def parse_and_store(
        self,
        job: FeedJob,
        base: Outcome,
        result: FetchResult,
        done: ParsedFeed | tuple[str, str] | None = None,
    ) -> tuple[Outcome, list[int]]:
        parsed, outcome = self.parse(result, base, done)
        entries = parsed.entries if parsed is not None else []
        return self.record(job, outcome, parsed, entries)

    def _outlet(self, feed: Feed, parsed: ParsedFeed | None) -> str:
        if feed.outlet:
            return feed.outlet
        derived = outlet_from_title(parsed.title if parsed else None)
        if derived:
            feed.outlet = derived  # fixed from now on: dedupe by outlet needs a stable name
            return derived
        return feed.name

    def fresh_entries(self, job: FeedJob, parsed: ParsedFeed) -> list[ParsedEntry]:
        with session_scope(self.sessions) as session:
            feed = session.get(Feed, job.id)
            if feed is None:
                return []
            return find_new(session, self._outlet(feed, parsed), parsed.entries)

    def record(
        self, job: FeedJob, outcome: Outcome, parsed: ParsedFeed | None, entries: Sequence[ParsedEntry]
    ) -> tuple[Outcome, list[int]]:
        """Store the feed's new articles and its health in one transaction."""
        try:
            return self._record(job, outcome, parsed, entries, careful=False)
        except IntegrityError:
            # Another writer stored one of these articles meanwhile: redo it row by row.
            return self._record(job, outcome, parsed, entries, careful=True)

    def _record(
        self,
        job: FeedJob,
        outcome: Outcome,
        parsed: ParsedFeed | None,
        entries: Sequence[ParsedEntry],
        *,
        careful: bool,
    ) -> tuple[Outcome, list[int]]:
        with session_scope(self.sessions) as session:
            feed = session.get(Feed, job.id)
            if feed is None:  # removed while the cycle ran
                return outcome, []
            ids: list[int] = []
            if entries:
                outlet = self._outlet(feed, parsed)
                ids = store_entries(
                    session, entries, feed_id=feed.id, outlet=outlet, now=self.now, careful=careful
                )
                outcome = replace(outcome, new_articles=len(ids))
            apply_outcome(session, feed, outcome, self.now)
        return outcome, ids

    def record_crash(self, job: FeedJob, exc: BaseException) -> Outcome:
        outcome = Outcome(ok=False, kind="internal", error=f"{type(exc).__name__}: {exc}"[:500])
        with contextlib.suppress(Exception):  # the database itself is failing: the summary still tells
            self.record(job, outcome, None, [])
        return outcome


async def gather_cycle(
    sessions: sessionmaker[Session],
    settings: Settings,
    *,
    now: datetime,
    transport: httpx.AsyncBaseTransport | None = None,
    progress: Progress | None = None,
    feed_ids: Sequence[int] | None = None,
    parse_processes: int = 0,
) -> CycleSummary:
    """Fetch every due feed once; returns the counts of the command-line contract and the new ids.

    `parse_processes` > 0 parses in that many worker processes beside the fetching and storing one.
    Off by default: on the 2-core machine measured (bench.gather) the inter-process traffic cost
    more than it saved, and parsing on the database thread kept the cycle near bare-parse speed.
    """
    with session_scope(sessions) as session:
        jobs = due_feeds(session, now, feed_ids)
    summary = CycleSummary(feeds=len(jobs))
    if not jobs:
        return summary
    done = 0
    executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="gather-db")
    pool = (
        ProcessPoolExecutor(max_workers=parse_processes, mp_context=multiprocessing.get_context("spawn"))
        if parse_processes > 0
        else None
    )
    try:
        async with Fetcher(settings, transport=transport) as fetcher:
            cycle = _Cycle(sessions, fetcher, executor, now=now, parse_pool=pool)

            async def one(job: FeedJob) -> None:
                nonlocal done
                ids: list[int] = []
                try:
                    outcome, ids = await cycle.run_feed(job)
                except Exception as exc:
                    crash = exc
                    outcome = await cycle.blocking(lambda: cycle.record_crash(job, crash))
                if outcome.not_modified:
                    summary.not_modified += 1
                elif outcome.ok:
                    summary.ok += 1
                else:
                    summary.failed += 1
                    summary.failures.append((job.name, outcome.message or ""))
                summary.new_articles += len(ids)
                summary.new_article_ids.extend(ids)
                done += 1
                if progress is not None:
                    progress(done, len(jobs), job.name)

            if progress is not None:
                progress(0, len(jobs), "")
            await asyncio.gather(*(one(job) for job in jobs))
    finally:
        executor.shutdown(wait=True)
        if pool is not None:
            pool.shutdown(wait=True, cancel_futures=True)
    summary.new_article_ids.sort()
    return summary


def run_gather_cycle(
    sessions: sessionmaker[Session],
    settings: Settings,
    *,
    now: datetime | None = None,
    transport: httpx.AsyncBaseTransport | None = None,
    progress: Progress | None = None,
    feed_ids: Sequence[int] | None = None,
    parse_processes: int = 0,
) -> CycleSummary:
    """`gather_cycle` for synchronous callers (the CLI, the scheduler's jobs)."""
    return asyncio.run(
        gather_cycle(
            sessions,
            settings,
            now=now or utcnow(),
            transport=transport,
            progress=progress,
            feed_ids=feed_ids,
            parse_processes=parse_processes,
        )
    )
