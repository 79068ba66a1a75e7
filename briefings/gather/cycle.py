"""One gather cycle: every due feed fetched once, by one fetcher, each fault kept to its own feed.

Fetching runs on the event loop (many feeds in flight, bounded by the Fetcher). Parsing runs in
worker processes with a deadline (`pool`), so a hostile document can neither stall the process nor
hold the GIL. The database runs on one worker thread: a feed with articles is stored in its own
transaction, so a feed that fails costs only its own row of health; unchanged (304) and failed
feeds are written in batches, many feeds per transaction, while the fetching goes on (a fetch
never waits for the health of the one before it).

Several fetchers (worker processes) may share one database: each claims feeds in small batches
with a lease (`claim_due`, UPDATE … RETURNING over SKIP LOCKED rows, in id order), so a due feed is
fetched by exactly one of them; a fetcher that dies leaves its lease to run out, and the feeds then
pass to the others.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import socket
import time
import uuid
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from functools import cache, partial
from typing import TypeVar, cast
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import httpx
from sqlalchemy import Insert, Table, Update, and_, bindparam, func, insert, or_, select, update
from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from briefings.config import Settings
from briefings.db import session_scope
from briefings.gather.extract import extract_body, fill_full_text, needs_full_text
from briefings.gather.fetch import Fetcher, FetchError, FetchResult
from briefings.gather.health import Outcome, next_health
from briefings.gather.parse import ParsedEntry, ParsedFeed, outlet_from_title, parse_outcome
from briefings.gather.pool import ParsePool, ParseTimeout, WorkerLost, shared_pool
from briefings.gather.store import find_new, store_entries
from briefings.gather.urls import InvalidURLError, publisher_url
from briefings.models import Feed, FetchAttempt
from briefings.timeutil import utcnow

T = TypeVar("T")
Progress = Callable[[int, int, str], None]
# SQLSTATEs worth a retry: deadlock detected, serialization failure.
RETRY_STATES = frozenset({"40P01", "40001"})
DB_ATTEMPTS = 5
# Health of feeds with nothing to store waits this long for company before it is written: one
# transaction for many 304s instead of one for each two or three (the lease covers the wait).
LIGHT_LINGER = 0.05


@dataclass(frozen=True, slots=True)
class FeedFailure:
    name: str
    kind: str | None
    status: int | None
    message: str


@dataclass(slots=True)
class CycleSummary:
    feeds: int = 0
    ok: int = 0
    not_modified: int = 0
    failed: int = 0
    new_articles: int = 0
    new_article_ids: list[int] = field(default_factory=list)
    # Every feed that failed this cycle, for the operator.
    failures: list[FeedFailure] = field(default_factory=list)

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
    """A snapshot of the feed row taken when it was claimed."""

    id: int
    url: str
    name: str
    full_text: bool
    etag: str | None
    last_modified: str | None
    tz: str | None = None
    utc_is_local: bool = False


def _due(now: datetime, force: bool, cycle_start: datetime) -> object:
    if force:  # backoff ignored, but never twice in one cycle
        return or_(Feed.last_attempt_at.is_(None), Feed.last_attempt_at < cycle_start)
    return or_(Feed.next_attempt_at.is_(None), Feed.next_attempt_at <= now)


def count_due(
    session: Session, now: datetime, feed_ids: Sequence[int] | None = None, *, force: bool = False
) -> int:
    query = select(func.count()).select_from(Feed).where(Feed.enabled.is_(True), _due(now, force, now))  # type: ignore[arg-type]
    if feed_ids is not None:
        query = query.where(Feed.id.in_(list(feed_ids)))
    return int(session.scalar(query) or 0)


def claim_due(
    session: Session,
    *,
    now: datetime,
    owner: str,
    limit: int,
    lease: timedelta,
    feed_ids: Sequence[int] | None = None,
    force: bool = False,
    cycle_start: datetime | None = None,
) -> list[FeedJob]:
    """Lease up to `limit` due, unleased feeds to `owner` (lowest ids first) and return them.

    One statement: the subquery locks the rows it picks with FOR UPDATE SKIP LOCKED on PostgreSQL
    (rows another fetcher is claiming are passed over, not waited for), the UPDATE leases them and
    RETURNING hands them back. SQLite has one writer at a time, so the statement alone suffices.
    """
    due = _due(now, force, cycle_start or now)
    pick = (
        select(Feed.id)
        .where(
            Feed.enabled.is_(True),
            due,  # type: ignore[arg-type]
            or_(Feed.lease_until.is_(None), Feed.lease_until <= now),
        )
        .order_by(Feed.id)
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    if feed_ids is not None:
        pick = pick.where(Feed.id.in_(list(feed_ids)))
    claimed = session.execute(
        update(Feed)
        .where(Feed.id.in_(pick.scalar_subquery()))
        .values(lease_owner=owner, lease_until=now + lease)
        .returning(
            Feed.id,
            Feed.url,
            Feed.name,
            Feed.full_text,
            Feed.etag,
            Feed.last_modified,
            Feed.tz,
            Feed.utc_is_local,
        )
        .execution_options(synchronize_session=False)
    ).all()
    jobs = [
        FeedJob(
            id=row.id,
            url=row.url,
            name=row.name,
            full_text=row.full_text,
            etag=row.etag,
            last_modified=row.last_modified,
            tz=row.tz,
            utc_is_local=row.utc_is_local,
        )
        for row in claimed
    ]
    return sorted(jobs, key=lambda job: job.id)


def apply_outcome(session: Session, feed: Feed, outcome: Outcome, now: datetime) -> None:
    """Write one attempt's outcome onto the feed row and the attempt log, and release the lease."""
    update_ = next_health(
        outcome=outcome,
        consecutive_failures=feed.consecutive_failures,
        last_success_at=feed.last_success_at,
        interval_seconds=feed.interval_seconds,
        now=now,
    )
    feed.last_attempt_at = now
    feed.last_status = update_.last_status
    feed.last_error = update_.last_error
    feed.last_kind = outcome.kind
    feed.consecutive_failures = update_.consecutive_failures
    feed.next_attempt_at = update_.next_attempt_at
    feed.last_success_at = update_.last_success_at
    feed.lease_owner = None
    feed.lease_until = None
    if not update_.enabled:
        feed.enabled = False
        feed.disabled_reason = update_.disabled_reason
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
            kind=outcome.kind,
        )
    )


def apply_outcomes(session: Session, outcomes: dict[int, Outcome], now: datetime) -> None:
    """`apply_outcome` for many feeds in two statements (an UPDATE and an INSERT, many rows each).

    The cheap path of an unchanged cycle: no ORM objects, one round trip per statement. A feed that
    moved (a permanent redirect) takes the ORM path, which knows how to move it.
    """
    query = select(
        *(Feed.id, Feed.url, Feed.enabled, Feed.disabled_reason, Feed.consecutive_failures),
        *(Feed.last_success_at, Feed.interval_seconds, Feed.etag, Feed.last_modified),
    )
    rows = session.execute(query.where(Feed.id.in_(sorted(outcomes))).order_by(Feed.id)).all()
    changes: list[dict[str, object]] = []
    attempts: list[dict[str, object]] = []
    moved: list[int] = []
    for row in rows:
        outcome = outcomes[row.id]
        if outcome.moved_to and outcome.moved_to != row.url:
            moved.append(row.id)
            continue
        health = next_health(
            outcome=outcome,
            consecutive_failures=row.consecutive_failures,
            last_success_at=row.last_success_at,
            interval_seconds=row.interval_seconds,
            now=now,
        )
        fresh = outcome.ok and not outcome.not_modified
        changes.append(
            {
                "feed_id": row.id,
                "last_attempt_at": now,
                "last_status": health.last_status,
                "last_error": health.last_error,
                "last_kind": outcome.kind,
                "consecutive_failures": health.consecutive_failures,
                "next_attempt_at": health.next_attempt_at,
                "last_success_at": health.last_success_at,
                "enabled": row.enabled and health.enabled,
                "disabled_reason": row.disabled_reason if health.enabled else health.disabled_reason,
                "etag": (outcome.etag[:500] if outcome.etag else None) if fresh else row.etag,
                "last_modified": (outcome.last_modified[:100] if outcome.last_modified else None)
                if fresh
                else row.last_modified,
                "lease_owner": None,
                "lease_until": None,
            }
        )
        attempts.append(
            {
                "feed_id": row.id,
                "at": now,
                "ok": outcome.ok,
                "not_modified": outcome.not_modified,
                "status": outcome.status,
                "new_articles": outcome.new_articles,
                "error": outcome.message,
                "kind": outcome.kind,
            }
        )
    if changes:
        update_feeds, insert_attempts = _bulk_statements(tuple(key for key in changes[0] if key != "feed_id"))
        session.execute(update_feeds, changes)
        session.execute(insert_attempts, attempts)
    for feed in session.scalars(select(Feed).where(Feed.id.in_(moved)).order_by(Feed.id)):
        apply_outcome(session, feed, outcomes[feed.id], now)


@cache
def _bulk_statements(names: tuple[str, ...]) -> tuple[Update, Insert]:
    """Built once: constructing them cost more than running them in a cycle of 304s."""
    table = cast(Table, Feed.__table__)
    statement = update(table).where(table.c.id == bindparam("feed_id"))
    return statement.values({name: bindparam(name) for name in names}), insert(
        cast(Table, FetchAttempt.__table__)
    )


def _move(session: Session, feed: Feed, target: str) -> None:
    """A permanent redirect: the feed lives at `target` now, unless another feed already does."""
    try:
        target = publisher_url(target)
    except InvalidURLError:
        return  # an unusable address (too long, say): keep fetching through the redirect
    other = session.scalar(select(Feed.id).where(Feed.url == target, Feed.id != feed.id))
    if other is None:
        feed.url = target
    else:
        feed.enabled = False
        feed.disabled_reason = f"영구 이동한 주소가 피드 #{other}와 같아 중지했습니다: {target}"


def feed_zone(name: str | None, default: str) -> ZoneInfo:
    try:
        return ZoneInfo(name or default)
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo(default)


def _retryable(exc: DBAPIError) -> bool:
    state = getattr(exc.orig, "sqlstate", None) or getattr(exc.orig, "pgcode", None)
    return state in RETRY_STATES or "database is locked" in str(exc.orig)


def with_retries(func: Callable[[], T]) -> T:
    """Run a transaction again when the database chose it as a deadlock or serialization victim."""
    for attempt in range(DB_ATTEMPTS):
        try:
            return func()
        except IntegrityError:
            raise
        except DBAPIError as exc:
            if attempt == DB_ATTEMPTS - 1 or not _retryable(exc):
                raise
            time.sleep(0.05 * (attempt + 1))
    raise AssertionError("unreachable")


class _Cycle:
    def __init__(
        self,
        sessions: sessionmaker[Session],
        settings: Settings,
        fetcher: Fetcher,
        pool: ParsePool,
        executor: ThreadPoolExecutor,
        *,
        now: datetime,
        force: bool,
        feed_ids: Sequence[int] | None,
    ) -> None:
        self.sessions = sessions
        self.settings = settings
        self.fetcher = fetcher
        self.pool = pool
        self.now = now
        self.force = force
        self.feed_ids = feed_ids
        self.owner = f"{socket.gethostname()[:30]}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
        self.started = time.monotonic()
        self.lease = timedelta(seconds=settings.feed_lease_seconds)
        self.executor = executor
        self.waiters = ThreadPoolExecutor(max_workers=pool.size, thread_name_prefix="gather-parse")
        self._pending: list[tuple[FeedJob, Outcome]] = []
        self._flusher: asyncio.Task[None] | None = None
        self._draining = asyncio.Event()
        # Feeds whose batched health could not be written: recorded on their own as crashes.
        self.crashed: dict[int, Outcome] = {}
        self._queue: list[FeedJob] = []
        self._claim_lock = asyncio.Lock()
        self._exhausted = False
        self.claimed = 0

    def clock(self) -> datetime:
        """The cycle's `now` moved on by the time it has run: what leases are measured in."""
        return self.now + timedelta(seconds=time.monotonic() - self.started)

    async def blocking(self, func: Callable[[], T]) -> T:
        """On the database thread: one writer, never contending with itself for a lock."""
        return await asyncio.get_running_loop().run_in_executor(self.executor, func)

    # --- claiming ---
    async def next_job(self) -> FeedJob | None:
        async with self._claim_lock:
            if not self._queue and not self._exhausted:
                batch = max(1, self.settings.fetch_concurrency)
                jobs = await self.blocking(lambda: self._claim(batch))
                self.claimed += len(jobs)
                self._queue.extend(reversed(jobs))
                self._exhausted = not jobs
            return self._queue.pop() if self._queue else None

    def _claim(self, limit: int) -> list[FeedJob]:
        def run() -> list[FeedJob]:
            with session_scope(self.sessions) as session:
                return claim_due(
                    session,
                    now=self.clock(),
                    owner=self.owner,
                    limit=limit,
                    lease=self.lease,
                    feed_ids=self.feed_ids,
                    force=self.force,
                    cycle_start=self.now,
                )

        return with_retries(run)

    # --- one feed ---
    async def in_pool(self, func: Callable[..., T], *args: object) -> T:
        """`func(*args)` in a worker process, waited for on a thread of our own: the loop's default
        threads stay free for DNS lookups, which a backlog of parses would otherwise delay."""
        call = partial(self.pool.run, func, *args, timeout=self.settings.parse_timeout)
        return await asyncio.get_running_loop().run_in_executor(self.waiters, call)

    async def parse(self, job: FeedJob, result: FetchResult) -> ParsedFeed | tuple[str, str]:
        zone = feed_zone(job.tz, self.settings.briefings_tz).key
        try:
            return await self.in_pool(
                parse_outcome,
                result.content,
                result.content_type,
                result.url,
                self.now,
                zone,
                job.utc_is_local,
            )
        except ParseTimeout:
            return "parse_timeout", f"피드 처리가 {self.settings.parse_timeout:g}초를 넘어 중단했습니다"
        except WorkerLost as exc:
            return "internal", f"피드를 처리하지 못했습니다: {exc}"[:300]

    async def extract(self, page: FetchResult) -> str | None:
        try:
            return await self.in_pool(extract_body, page.content, page.content_type, page.url)
        except (ParseTimeout, WorkerLost):
            return None

    async def run_feed(self, job: FeedJob) -> tuple[Outcome, list[int]]:
        try:
            result = await self.fetcher.fetch(job.url, etag=job.etag, last_modified=job.last_modified)
        except FetchError as exc:
            wait = timedelta(seconds=exc.retry_after) if exc.retry_after is not None else None
            outcome = Outcome(ok=False, status=exc.status, kind=exc.kind, error=str(exc), retry_after=wait)
            return self.record_light(job, outcome), []
        base = Outcome(
            ok=True,
            status=result.status,
            etag=result.etag,
            last_modified=result.last_modified,
            moved_to=result.permanent_url,
        )
        if result.not_modified:
            return self.record_light(job, replace(base, not_modified=True)), []
        parsed, outcome = self.judge(base, await self.parse(job, result))
        if parsed is None or not parsed.entries:
            return self.record_light(job, outcome), []
        entries: Sequence[ParsedEntry] = parsed.entries
        if job.full_text:
            fresh = await self.blocking(lambda: self.fresh_entries(job, parsed))
            if any(needs_full_text(e) for e in fresh):
                filled = await fill_full_text(self.fetcher, fresh, extract=self.extract)
                bodies = {e.url_key: e for e in filled}
                # Every entry goes on to be stored: the known ones may carry an edited headline.
                entries = [bodies.get(e.url_key, e) for e in parsed.entries]
        return await self.blocking(lambda: self.record(job, outcome, parsed, entries))

    @staticmethod
    def judge(base: Outcome, parsed: ParsedFeed | tuple[str, str]) -> tuple[ParsedFeed | None, Outcome]:
        if isinstance(parsed, tuple):
            kind, error = parsed
            return None, replace(base, ok=False, kind=kind, error=error, etag=None, last_modified=None)
        notes = [note for note in (parsed.problem, parsed.dropped_note) if note]
        if parsed.truncated:  # the feed's fault; a salvaged malformed document or dropped items: a warning
            return parsed, replace(base, ok=False, kind="truncated", error=" · ".join(notes))
        if parsed.problem:
            return parsed, replace(base, kind="malformed", error=" · ".join(notes))
        if parsed.dropped:
            return parsed, replace(base, kind="bad_items", error=" · ".join(notes))
        return parsed, base

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
            return with_retries(lambda: self._record(job, outcome, parsed, entries, careful=False))
        except IntegrityError:
            # Another writer stored one of these articles meanwhile: redo it row by row.
            return with_retries(lambda: self._record(job, outcome, parsed, entries, careful=True))

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

    # --- feeds without articles to store, in batches ---
    def record_light(self, job: FeedJob, outcome: Outcome) -> Outcome:
        """Health of a feed with nothing to store (304, failure): written later, many feeds at once.

        The feed stays leased until then, so no other fetcher takes it meanwhile; `drain` writes
        what is left before the cycle ends.
        """
        self._pending.append((job, outcome))
        if self._flusher is None or self._flusher.done():
            self._flusher = asyncio.get_running_loop().create_task(self._flush())
        return outcome

    async def drain(self) -> None:
        self._draining.set()
        while self._flusher is not None and not self._flusher.done():  # record_light may start another
            await self._flusher

    async def _flush(self) -> None:
        while self._pending:
            if not self._draining.is_set():
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._draining.wait(), LIGHT_LINGER)
            batch, self._pending = self._pending, []
            try:
                await self.blocking(partial(with_retries, partial(self._record_many, batch)))
            except Exception as exc:
                for job, _outcome in batch:
                    self.crashed[job.id] = await self.blocking(partial(self.record_crash, job, exc))

    def _record_many(self, batch: Sequence[tuple[FeedJob, Outcome]]) -> None:
        outcomes = {job.id: outcome for job, outcome in batch}
        with session_scope(self.sessions) as session:
            apply_outcomes(session, outcomes, self.now)

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
    force: bool = False,
    pool: ParsePool | None = None,
) -> CycleSummary:
    """Fetch every due feed once; returns the counts of the command-line contract and the new ids.

    `force` fetches every enabled feed, backoff or not. `pool` parses (default: the process's
    shared pool of `settings.parse_processes` workers).
    """
    with session_scope(sessions) as session:
        expected = count_due(session, now, feed_ids, force=force)
    summary = CycleSummary()
    if not expected:
        return summary
    # Workers start on the first document to parse: a cycle of 304s never pays for them.
    pool = pool or shared_pool(settings.parse_processes)
    executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="gather-db")
    try:
        async with Fetcher(settings, transport=transport) as fetcher:
            cycle = _Cycle(
                sessions, settings, fetcher, pool, executor, now=now, force=force, feed_ids=feed_ids
            )
            try:
                await _run_all(cycle, summary, expected, settings.fetch_concurrency, progress)
            finally:
                cycle.waiters.shutdown(wait=True)
    finally:
        executor.shutdown(wait=True)
    summary.new_article_ids.sort()
    return summary


async def _run_all(
    cycle: _Cycle, summary: CycleSummary, expected: int, runners: int, progress: Progress | None
) -> None:
    """`runners` loops, each claiming and running feeds until none is left to claim."""
    ran: list[tuple[FeedJob, Outcome, list[int]]] = []

    async def one(job: FeedJob) -> None:
        ids: list[int] = []
        try:
            outcome, ids = await cycle.run_feed(job)
        except Exception as exc:
            crash = exc
            outcome = await cycle.blocking(lambda: cycle.record_crash(job, crash))
        ran.append((job, outcome, ids))
        if progress is not None:
            progress(len(ran), max(expected, cycle.claimed), job.name)

    async def runner() -> None:
        while (job := await cycle.next_job()) is not None:
            await one(job)

    if progress is not None:
        progress(0, expected, "")
    try:
        await asyncio.gather(*(runner() for _ in range(max(1, runners))))
    finally:
        await cycle.drain()
    for job, outcome, ids in ran:
        outcome = cycle.crashed.get(job.id, outcome)
        if outcome.not_modified:
            summary.not_modified += 1
        elif outcome.ok:
            summary.ok += 1
        else:
            summary.failed += 1
            failure = FeedFailure(job.name, outcome.kind, outcome.status, outcome.message or "")
            summary.failures.append(failure)
        summary.new_articles += len(ids)
        summary.new_article_ids.extend(ids)
    summary.feeds = cycle.claimed


def run_gather_cycle(
    sessions: sessionmaker[Session],
    settings: Settings,
    *,
    now: datetime | None = None,
    transport: httpx.AsyncBaseTransport | None = None,
    progress: Progress | None = None,
    feed_ids: Sequence[int] | None = None,
    force: bool = False,
    pool: ParsePool | None = None,
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
            force=force,
            pool=pool,
        )
    )


def backing_off(session: Session, now: datetime) -> list[tuple[str, datetime, str | None]]:
    """(name, next attempt, kind of the last failure) of enabled feeds waiting out a failure."""
    rows = session.execute(
        select(Feed.name, Feed.next_attempt_at, Feed.last_kind)
        .where(and_(Feed.enabled.is_(True), Feed.consecutive_failures > 0, Feed.next_attempt_at > now))
        .order_by(Feed.next_attempt_at, Feed.id)
    ).all()
    return [(name, when, kind) for name, when, kind in rows if when is not None]
