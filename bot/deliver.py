"""Posting daily briefings exactly once.

The protocol, per (workspace, channel, local date):

1. **Claim** a `deliveries` row before anything is posted. A new row is an INSERT guarded by the unique
   constraint; taking over an existing row (a stale claim, a transient failure) is a compare-and-set
   UPDATE, found with `SELECT … FOR UPDATE SKIP LOCKED` so workers on one PostgreSQL never wait for each
   other and never take the same row.
2. **Post** the message with metadata naming the briefing (`event_type` ``briefings_briefing``, payload
   team/channel/date/part) and record its `ts` at once; thread replies follow, each with its part number.
3. **Record** the delivery as posted.

A process that dies between 2 and 3 leaves a claim that goes stale after a lease. Whoever takes it over
first looks for our metadata in the channel history (and the thread) and only posts what is missing, so
a crash at any step still leaves exactly one briefing in the channel.
"""

from __future__ import annotations

import logging
import os
import random
import socket
import time
import urllib.error
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from sqlalchemy import exists, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from bot.briefing_blocks import SlackMessage, briefing_messages
from briefings.brief import BriefingLoader, channel_tz, due_at, window_start
from briefings.config import Settings
from briefings.db import session_scope
from briefings.models import Channel, Delivery, Subscription
from briefings.timeutil import as_utc

log = logging.getLogger(__name__)

EVENT_TYPE = "briefings_briefing"
PERMANENT_ERRORS = frozenset(
    {
        "channel_not_found",
        "not_in_channel",
        "is_archived",
        "account_inactive",
        "invalid_auth",
        "not_authed",
        "token_revoked",
        "token_expired",
        "missing_scope",
        "restricted_action",
        "user_not_found",
        "user_disabled",
        "cannot_dm_bot",
        "team_access_not_granted",
        "ekm_access_denied",
    }
)
TRANSIENT_ERRORS = frozenset({"internal_error", "fatal_error", "service_unavailable", "request_timeout"})
FINAL = frozenset({"posted", "empty", "skipped", "failed"})
CLAIMED, RETRY = "claimed", "retry"
FAILPOINT_ENV = "BRIEFINGS_FAILPOINT"


def failpoint(name: str) -> None:
    """Fault injection for the crash tests: the process dies here, as a power cut would."""
    if os.environ.get(FAILPOINT_ENV) == name:
        os._exit(91)


class PermanentError(Exception):
    """Slack refused for good (the channel is gone, we were removed): recorded, not retried."""


class TransientError(Exception):
    """Slack or the network failed for now: retried on a later tick, within the grace window."""


@dataclass
class DeliverOptions:
    worker_id: str = field(default_factory=lambda: f"{socket.gethostname()}:{os.getpid()}")
    lease: timedelta = timedelta(minutes=5)
    grace: timedelta | None = None  # default: settings.briefing_grace_hours
    max_attempts: int = 5
    max_rate_wait: float = 300.0  # seconds of Retry-After one message may wait for before giving up
    retries: int = 3  # transient errors per call before the tick gives up on the briefing
    backoff: float = 0.5
    channel_interval: float = 1.0  # Slack: about one message per second per channel
    sleep: Callable[[float], None] = time.sleep


@dataclass(frozen=True)
class Due:
    channel_pk: int
    team_id: str
    channel_id: str
    is_dm: bool
    briefing_date: date
    due_at: datetime


@dataclass
class Outcome:
    team_id: str
    channel_id: str
    briefing_date: date
    status: str  # posted | empty | skipped | failed | retry | recovered | busy
    message_ts: str | None = None
    error: str | None = None
    messages: int = 0
    compose_seconds: float = 0.0
    compose_cpu_seconds: float = 0.0  # the same, in this thread's CPU time: robust on a busy machine


ClientFor = Callable[[str], WebClient]


def make_client(settings: Settings, token: str | None) -> WebClient:
    """A client without slack_sdk's automatic retries: a post retried blindly after a lost answer
    could appear twice, so `Poster` retries itself and first checks whether the post went through."""
    return WebClient(token=token, base_url=settings.slack_api_url, retry_handlers=[], timeout=30)


def token_client_factory(settings: Settings) -> ClientFor:
    """One workspace with SLACK_BOT_TOKEN: every team gets the same client (its base URL from settings)."""
    client = make_client(settings, settings.slack_bot_token)

    def client_for(_team_id: str) -> WebClient:
        return client

    return client_for


def client_factory(settings: Settings, sessions: sessionmaker[Session]) -> ClientFor:
    """SLACK_BOT_TOKEN for one workspace; otherwise each team's bot token from the OAuth installations."""
    if settings.slack_bot_token or not settings.slack_client_id:
        return token_client_factory(settings)
    from bot.oauth import installation_store

    bind = sessions.kw.get("bind")
    store = installation_store(settings.slack_client_id, bind)  # type: ignore[arg-type]
    clients: dict[str, WebClient] = {}

    def client_for(team_id: str) -> WebClient:
        if team_id not in clients:
            bot = store.find_bot(enterprise_id=None, team_id=team_id)
            token = bot.bot_token if bot is not None else None
            clients[team_id] = make_client(settings, token)  # no token: Slack answers not_authed
        return clients[team_id]

    return client_for


# --- what is due ---------------------------------------------------------------------------------


def plan(session: Session, *, now: datetime, settings: Settings, lookback_days: int = 2) -> list[Due]:
    """Briefings whose time has come and that are not settled yet, oldest first.

    Only channels with at least one subscription get briefings; a date before the channel existed is
    never due. Rows already final (posted, empty, skipped, failed) are left alone.
    """
    now = as_utc(now)
    _ensure_channels(session, now=now, settings=settings)
    has_sub = exists().where(
        Subscription.team_id == Channel.team_id, Subscription.channel_id == Channel.channel_id
    )
    channels = session.scalars(select(Channel).where(has_sub).order_by(Channel.id)).all()
    candidates: list[Due] = []
    for ch in channels:
        tz = channel_tz(ch, settings)
        today = now.astimezone(tz).date()
        for back in range(lookback_days, -1, -1):
            day = today - timedelta(days=back)
            at = due_at(day, ch.briefing_time, tz, settings.briefing_time)
            if at > now or at < as_utc(ch.created_at):
                continue
            candidates.append(Due(ch.id, ch.team_id, ch.channel_id, ch.is_dm, day, at))
    if not candidates:
        return []
    oldest = min(c.briefing_date for c in candidates)
    settled = {
        (t, c, d)
        for t, c, d in session.execute(
            select(Delivery.team_id, Delivery.channel_id, Delivery.briefing_date).where(
                Delivery.briefing_date >= oldest, Delivery.status.in_(FINAL)
            )
        )
    }
    due = [c for c in candidates if (c.team_id, c.channel_id, c.briefing_date) not in settled]
    due.sort(key=lambda c: (c.due_at, c.channel_pk))
    return due


def _ensure_channels(session: Session, *, now: datetime, settings: Settings) -> None:
    """Subscriptions made before a channel row existed get one with the defaults (08:00, BRIEFINGS_TZ)."""
    missing = session.execute(
        select(Subscription.team_id, Subscription.channel_id, Subscription.is_dm, Subscription.created_at)
        .where(
            ~exists().where(
                Channel.team_id == Subscription.team_id, Channel.channel_id == Subscription.channel_id
            )
        )
        .order_by(Subscription.created_at)
    )
    added: set[tuple[str, str]] = set()
    for team_id, channel_id, is_dm, created_at in missing:
        if (team_id, channel_id) in added:
            continue
        added.add((team_id, channel_id))
        try:
            with session.begin_nested():
                session.add(
                    Channel(
                        team_id=team_id,
                        channel_id=channel_id,
                        is_dm=is_dm,
                        briefing_time=settings.briefing_time,
                        created_at=created_at or now,
                    )
                )
        except IntegrityError:
            pass  # another worker made it first
    session.commit()


# --- claims ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Claim:
    delivery_id: int
    takeover: bool  # a previous attempt may have posted: look in the history first
    message_ts: str | None
    attempts: int


def claim(
    session: Session, due: Due, *, now: datetime, options: DeliverOptions, status: str = CLAIMED
) -> Claim | None:
    """Claim the briefing for this worker, or None when it is settled or someone else holds it."""
    key = (
        Delivery.team_id == due.team_id,
        Delivery.channel_id == due.channel_id,
        Delivery.briefing_date == due.briefing_date,
    )
    row = session.scalar(select(Delivery).where(*key).with_for_update(skip_locked=True))
    if row is None:
        try:
            with session.begin_nested():
                fresh = Delivery(
                    team_id=due.team_id,
                    channel_id=due.channel_id,
                    briefing_date=due.briefing_date,
                    status=status,
                    claimed_by=options.worker_id,
                    claimed_at=now,
                    attempts=1,
                )
                session.add(fresh)
                session.flush()
        except IntegrityError:
            session.rollback()
            return None  # another worker inserted it (or holds its lock) first
        session.commit()
        return Claim(fresh.id, False, None, 1)
    if row.status in FINAL:
        session.rollback()
        return None
    if row.status == CLAIMED and row.claimed_at is not None and as_utc(row.claimed_at) > now - options.lease:
        session.rollback()
        return None  # held by a live worker
    # Compare-and-set: only one of several workers reading the same state wins the takeover.
    result = session.execute(
        update(Delivery)
        .where(
            Delivery.id == row.id,
            Delivery.status == row.status,
            Delivery.attempts == row.attempts,
        )
        .values(status=status, claimed_by=options.worker_id, claimed_at=now, attempts=row.attempts + 1)
        .execution_options(synchronize_session=False)
    )
    if getattr(result, "rowcount", 0) != 1:
        session.rollback()
        return None
    session.commit()
    return Claim(row.id, True, row.message_ts, row.attempts + 1)


def _finish(
    sessions: sessionmaker[Session],
    claim_: Claim,
    *,
    worker: str,
    status: str,
    now: datetime,
    message_ts: str | None = None,
    error: str | None = None,
    covered_since: datetime | None = None,
    channel_pk: int | None = None,
) -> bool:
    """Record the result, only while this worker still holds the claim; True when it was recorded."""
    values: dict[str, Any] = {"status": status, "error": error}
    if message_ts is not None:
        values["message_ts"] = message_ts
    if status in ("posted", "empty"):
        values["posted_at"] = now
        values["covered_since"] = covered_since
    with session_scope(sessions) as session:
        result = session.execute(
            update(Delivery)
            .where(Delivery.id == claim_.delivery_id, Delivery.claimed_by == worker)
            .values(**values)
            .execution_options(synchronize_session=False)
        )
        if getattr(result, "rowcount", 0) != 1:
            return False
        if status in ("posted", "empty") and channel_pk is not None:
            session.execute(
                update(Channel)
                .where(Channel.id == channel_pk)
                .values(last_briefed_at=now)
                .execution_options(synchronize_session=False)
            )
    return True


def _note_ts(sessions: sessionmaker[Session], claim_: Claim, *, worker: str, ts: str, at: datetime) -> None:
    """The top-level message exists: remember its ts (and renew the lease) before the thread goes out."""
    with session_scope(sessions) as session:
        session.execute(
            update(Delivery)
            .where(Delivery.id == claim_.delivery_id, Delivery.claimed_by == worker)
            .values(message_ts=ts, claimed_at=at)
            .execution_options(synchronize_session=False)
        )


# --- Slack calls ---------------------------------------------------------------------------------


class Poster:
    """Web API calls with Slack's manners: Retry-After honoured, ~1 message/s per channel, backoff."""

    def __init__(self, client: WebClient, options: DeliverOptions) -> None:
        self.client = client
        self.options = options
        self._last_post: dict[str, float] = {}

    def call(self, fn: Callable[[], Any], recheck: Callable[[], Any] | None = None) -> Any:
        """`fn` with Slack's manners. After an unclear failure (5xx, lost connection) of a call that
        may have taken effect, `recheck` is asked first and its answer, if any, is taken instead."""
        waited = 0.0
        failures = 0
        unclear = False
        while True:
            if unclear and recheck is not None:
                found = recheck()
                if found is not None:
                    return found
            unclear = False
            try:
                return fn()
            except SlackApiError as exc:
                status = getattr(exc.response, "status_code", 200)
                error = str(exc.response.get("error") or f"http_{status}")
                if status == 429 or error == "ratelimited":
                    delay = _retry_after(exc.response.headers)
                    if waited + delay > self.options.max_rate_wait:
                        raise TransientError("ratelimited") from exc
                    self.options.sleep(delay)
                    waited += delay
                    continue
                if error in PERMANENT_ERRORS:
                    raise PermanentError(error) from exc
                if status >= 500 or error in TRANSIENT_ERRORS:
                    failures += 1
                    if failures > self.options.retries:
                        raise TransientError(error) from exc
                    self.options.sleep(self.options.backoff * 2 ** (failures - 1))
                    unclear = status >= 500
                    continue
                raise PermanentError(error) from exc  # invalid_blocks and the like: retrying cannot help
            except (urllib.error.URLError, TimeoutError, ConnectionError) as exc:
                failures += 1
                if failures > self.options.retries:
                    raise TransientError(type(exc).__name__) from exc
                self.options.sleep(self.options.backoff * 2 ** (failures - 1))
                unclear = True

    def _pace(self, channel: str) -> None:
        last = self._last_post.get(channel)
        if last is not None:
            wait = self.options.channel_interval - (time.monotonic() - last)
            if wait > 0:
                self.options.sleep(wait)

    def post(
        self,
        channel: str,
        message: SlackMessage,
        metadata: dict[str, Any],
        thread_ts: str | None,
        *,
        since: datetime,
    ) -> str:
        """Post once: after a lost answer the channel (or thread) is searched for this part first."""
        self._pace(channel)
        payload = metadata["event_payload"]
        blocks = message.block_dicts()

        def already_posted() -> dict[str, str] | None:
            if thread_ts is None:
                ts = self.find_posted(channel, payload, oldest=since)
            else:
                ts = self.posted_parts(channel, thread_ts, payload).get(int(payload["part"]))
            return {"ts": ts} if ts else None

        resp = self.call(
            lambda: self.client.chat_postMessage(
                channel=channel,
                text=message.text,
                blocks=blocks,
                thread_ts=thread_ts,
                unfurl_links=False,
                unfurl_media=False,
                metadata=metadata,
            ),
            recheck=already_posted,
        )
        self._last_post[channel] = time.monotonic()
        return str(resp["ts"])

    def open_dm(self, user: str) -> str:
        resp = self.call(lambda: self.client.conversations_open(users=user))
        return str(resp["channel"]["id"])

    def find_posted(self, channel: str, payload: dict[str, Any], oldest: datetime) -> str | None:
        """The ts of our top-level message for this briefing, looked up by its metadata."""
        cursor: str | None = None
        for _page in range(20):
            resp = self.call(
                lambda c=cursor: self.client.conversations_history(  # type: ignore[misc]
                    channel=channel,
                    oldest=f"{oldest.timestamp():.6f}",
                    include_all_metadata=True,
                    limit=200,
                    cursor=c,
                )
            )
            for msg in resp.get("messages", []):
                if _ours(msg, payload) and _part(msg) == 1:
                    return str(msg["ts"])
            cursor = (resp.get("response_metadata") or {}).get("next_cursor") or None
            if not cursor:
                return None
        return None

    def posted_parts(self, channel: str, ts: str, payload: dict[str, Any]) -> dict[int, str]:
        """Parts of this briefing already in the thread (the parent is part 1), with their ts."""
        resp = self.call(
            lambda: self.client.conversations_replies(channel=channel, ts=ts, include_all_metadata=True)
        )
        return {_part(m): str(m["ts"]) for m in resp.get("messages", []) if _ours(m, payload)}


def _retry_after(headers: Any) -> float:
    for key in ("Retry-After", "retry-after"):
        value = headers.get(key) if headers else None
        if value:
            try:
                return max(float(value), 0.0)
            except ValueError:
                break
    return 1.0


def _ours(message: dict[str, Any], payload: dict[str, Any]) -> bool:
    meta = message.get("metadata") or {}
    if meta.get("event_type") != EVENT_TYPE:
        return False
    got = meta.get("event_payload") or {}
    return all(got.get(k) == payload[k] for k in ("team", "channel", "date"))


def _part(message: dict[str, Any]) -> int:
    try:
        return int((message.get("metadata") or {}).get("event_payload", {}).get("part", 1))
    except (TypeError, ValueError):
        return 1


def metadata_for(due: Due, part: int, parts: int) -> dict[str, Any]:
    return {
        "event_type": EVENT_TYPE,
        "event_payload": {
            "team": due.team_id,
            "channel": due.channel_id,
            "date": due.briefing_date.isoformat(),
            "part": part,
            "parts": parts,
        },
    }


# --- one run -----------------------------------------------------------------------------------


def deliver_due(
    sessions: sessionmaker[Session],
    *,
    now: datetime,
    settings: Settings,
    client_for: ClientFor | None = None,
    options: DeliverOptions | None = None,
) -> list[Outcome]:
    """Post every due briefing once; returns what happened to each (for `deliver` and the scheduler).

    `now` is read once by the caller; later timestamps (lease renewals) advance from it by the time
    this run has taken, so a replay at a given instant behaves like the real thing.
    """
    now = as_utc(now)
    options = options or DeliverOptions()
    grace = options.grace if options.grace is not None else timedelta(hours=settings.briefing_grace_hours)
    client_for = client_for or client_factory(settings, sessions)
    started = time.monotonic()

    def clock() -> datetime:
        return now + timedelta(seconds=time.monotonic() - started)

    with session_scope(sessions) as session:
        due = plan(session, now=now, settings=settings)
    # Workers start at different places in the list so several share the work rather than queue on it.
    order = list(due)
    random.Random(options.worker_id).shuffle(order)
    order.sort(key=lambda d: d.briefing_date)
    posters: dict[str, Poster] = {}
    outcomes: list[Outcome] = []
    loader_session = sessions()
    try:
        loader = BriefingLoader(loader_session, now=now, settings=settings)
        if len(order) > 20:
            loader.prefetch()
        for item in order:
            poster = posters.get(item.team_id)
            if poster is None:
                poster = posters[item.team_id] = Poster(client_for(item.team_id), options)
            outcome = deliver_one(
                sessions,
                item,
                now=clock(),
                run_now=now,
                grace=grace,
                poster=poster,
                loader=loader,
                options=options,
            )
            if outcome is not None:
                outcomes.append(outcome)
    finally:
        loader_session.close()
    return outcomes


def deliver_one(
    sessions: sessionmaker[Session],
    due: Due,
    *,
    now: datetime,
    run_now: datetime,
    grace: timedelta,
    poster: Poster,
    loader: BriefingLoader,
    options: DeliverOptions,
) -> Outcome | None:
    late = run_now - due.due_at > grace
    with session_scope(sessions) as session:
        got = claim(session, due, now=now, options=options)
    if got is None:
        return None
    failpoint("after_claim")
    worker = options.worker_id
    payload = metadata_for(due, 1, 1)["event_payload"]
    result = Outcome(due.team_id, due.channel_id, due.briefing_date, "posted")
    try:
        target = poster.open_dm(due.channel_id) if due.is_dm and not due.channel_id.startswith("D") else None
        target = target or due.channel_id
        existing = got.message_ts
        if got.takeover and existing is None:
            existing = poster.find_posted(target, payload, oldest=due.due_at - timedelta(days=1))
        if late and existing is None:
            _finish(sessions, got, worker=worker, status="skipped", now=now, error="유예 시간 초과")
            result.status, result.error = "skipped", f"유예 시간({grace}) 초과로 건너뜀"
            return result
        t0, c0 = time.perf_counter(), time.thread_time()
        with session_scope(sessions) as session:
            channel = session.get(Channel, due.channel_pk)
            since = window_start(channel.last_briefed_at if channel else None, run_now)
            post_when_empty = channel.post_when_empty if channel else True
        briefing = loader.load(due.team_id, due.channel_id, since=since, briefing_date=due.briefing_date)
        messages = briefing_messages(briefing)
        result.compose_seconds = time.perf_counter() - t0
        result.compose_cpu_seconds = time.thread_time() - c0
        if not messages or (briefing.empty and not post_when_empty and existing is None):
            _finish(
                sessions,
                got,
                worker=worker,
                status="empty",
                now=now,
                covered_since=since,
                channel_pk=due.channel_pk,
            )
            result.status = "empty"
            return result
        parts = len(messages)
        done: set[int] = set()
        if existing is not None:
            done = set(poster.posted_parts(target, existing, payload)) | {1}
            result.status = "recovered"
        ts = existing
        for part, message in enumerate(messages, start=1):
            if part in done:
                continue
            meta = metadata_for(due, part, parts)
            posted = poster.post(target, message, meta, thread_ts=ts, since=due.due_at - timedelta(days=1))
            result.messages += 1
            if part == 1:
                ts = posted
                failpoint("after_post")
                _note_ts(sessions, got, worker=worker, ts=posted, at=now)
        failpoint("before_record")
        result.message_ts = ts
        _finish(
            sessions,
            got,
            worker=worker,
            status="posted",
            now=now,
            message_ts=ts,
            covered_since=since,
            channel_pk=due.channel_pk,
        )
        return result
    except PermanentError as exc:
        _finish(sessions, got, worker=worker, status="failed", now=now, error=str(exc))
        result.status, result.error = "failed", str(exc)
        return result
    except TransientError as exc:
        final = got.attempts >= options.max_attempts
        _finish(sessions, got, worker=worker, status="failed" if final else RETRY, now=now, error=str(exc))
        result.status, result.error = ("failed" if final else RETRY), str(exc)
        return result


def summarize(outcomes: Iterable[Outcome]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for o in outcomes:
        counts[o.status] = counts.get(o.status, 0) + 1
    return counts


def deliveries_for(session: Session, dates: Sequence[date]) -> list[Delivery]:
    return list(
        session.scalars(
            select(Delivery).where(Delivery.briefing_date.in_(list(dates))).order_by(Delivery.id)
        ).all()
    )
