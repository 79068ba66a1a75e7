"""Posting daily briefings exactly once: the Slack side of `briefings.delivery`.

`SlackPoster` implements the delivery port with slack_sdk, with Slack's manners: Retry-After honoured,
about one message a second per channel, backoff on server errors, and the lease renewed (and the
claim checked) before every attempt and during long waits. `deliver_due` is the glue the scheduler
and `briefings deliver --now` call.

Reading our own posts back after a crash stays within Slack's limits for apps outside the
Marketplace (`conversations.history` / `replies`: one call a minute, at most 15 messages). Only the
one part that was in flight when a worker stopped is ever in doubt, so recovery needs one page of
history starting at the briefing's first claim, or one page of its thread. To keep that history
readable the app joins a public channel (`channels:join`) before its first post there. When it still
cannot be read (the app was removed, a busy channel with more than a page since the claim, a missing
scope) the part in doubt is counted as posted: a briefing may then lack a part, but it is never
posted twice. A rate-limited read is not waited for: the briefing is retried on a later tick.
"""

from __future__ import annotations

import logging
import os
import socket
import time
import urllib.error
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from sqlalchemy.orm import Session, sessionmaker

from bot.briefing_blocks import SlackMessage, briefing_messages
from bot.weekly_chart import with_weekly_chart
from briefings.config import Settings
from briefings.delivery.claims import ClaimStore
from briefings.delivery.decide import Seen
from briefings.delivery.port import BriefingKey, PermanentError, TransientError
from briefings.delivery.run import DeliveryRun, Outcome, RunOptions, summarize
from briefings.delivery.shown import Permalink

__all__ = [
    "ClientFor",
    "DeliverOptions",
    "Outcome",
    "SlackPoster",
    "client_factory",
    "deliver_due",
    "message_permalinks",
    "summarize",
]

log = logging.getLogger(__name__)

EVENT_TYPE = "briefings_briefing"
HISTORY_PAGE = 15  # Slack's maximum page for conversations.history/replies outside the Marketplace
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
# conversations.join answers these for conversations the app cannot join but already belongs to.
JOIN_IMPLIED = frozenset({"method_not_supported_for_channel_type", "already_in_channel"})


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
    monotonic: Callable[[], float] = time.monotonic  # the run's clock (how long it has taken)
    should_stop: Callable[[], bool] = field(default=lambda: False)

    @property
    def heartbeat_every(self) -> float:
        """A wait longer than this is cut into slices with a lease renewal between them."""
        return max(self.lease.total_seconds() / 3, 0.05)


ClientFor = Callable[[str, str | None], WebClient]  # (team_id, enterprise_id) -> client


def make_client(settings: Settings, token: str | None) -> WebClient:
    """A client without slack_sdk's automatic retries: a post retried blindly after a lost answer
    could appear twice, so `SlackPoster` retries itself and first checks whether the post went through."""
    return WebClient(token=token, base_url=settings.slack_api_url, retry_handlers=[], timeout=30)


def client_factory(settings: Settings, sessions: sessionmaker[Session]) -> ClientFor:
    """SLACK_BOT_TOKEN for one workspace; otherwise each workspace's bot token from the installations
    (a Grid workspace's or its organisation's, refreshed when it is about to expire)."""
    from bot.tokens import BotTokens

    tokens = BotTokens(settings, sessions)
    if tokens.mode == "single":
        client = make_client(settings, settings.slack_bot_token)
        return lambda _team_id, _enterprise_id: client

    def client_for(team_id: str, enterprise_id: str | None) -> WebClient:
        # Asked once per workspace per run; no token: Slack answers not_authed.
        return make_client(settings, tokens.token_for(team_id, enterprise_id))

    return client_for


def metadata_for(key: BriefingKey, part: int, parts: int) -> dict[str, Any]:
    payload: dict[str, Any] = {
        "team": key.team_id,
        "channel": key.channel_id,
        "date": key.briefing_date.isoformat(),
        "part": part,
        "parts": parts,
    }
    if key.subject:
        payload["subject"] = key.subject
    return {"event_type": EVENT_TYPE, "event_payload": payload}


def _ours(message: dict[str, Any], key: BriefingKey) -> bool:
    meta = message.get("metadata") or {}
    if meta.get("event_type") != EVENT_TYPE:
        return False
    got = meta.get("event_payload") or {}
    return (got.get("team"), got.get("channel"), got.get("date"), got.get("subject", "")) == (
        key.team_id,
        key.channel_id,
        key.briefing_date.isoformat(),
        key.subject,
    )


def _part(message: dict[str, Any]) -> int:
    try:
        return int((message.get("metadata") or {}).get("event_payload", {}).get("part", 1))
    except (TypeError, ValueError):
        return 1


def _retry_after(headers: Any) -> float:
    for key in ("Retry-After", "retry-after"):
        value = headers.get(key) if headers else None
        if value:
            try:
                return max(float(value), 0.0)
            except ValueError:
                break
    return 1.0


class _Unclear(Exception):
    """A call failed in a way that leaves open whether it took effect (5xx, lost connection)."""


class SlackPoster:
    """The delivery port over slack_sdk's WebClient."""

    def __init__(self, client: WebClient, options: DeliverOptions) -> None:
        self.client = client
        self.options = options
        self._last_post: dict[str, float] = {}
        self._permalinks_paused = False  # Slack said to slow down: no more permalink calls this run

    # --- Slack's manners ---------------------------------------------------------------------------

    def _wait(self, seconds: float, guard: Callable[[], None] | None) -> None:
        """Sleep; a long wait is sliced so the lease is renewed (and checked) while waiting."""
        step = self.options.heartbeat_every if guard is not None else seconds
        left = seconds
        while left > 0:
            chunk = min(step, left)
            self.options.sleep(chunk)
            left -= chunk
            if guard is not None and left > 0:
                guard()

    def call(
        self,
        fn: Callable[[], Any],
        *,
        recheck: Callable[[], Any] | None = None,
        guard: Callable[[], None] | None = None,
        max_rate_wait: float | None = None,
        retries: int | None = None,
    ) -> Any:
        """`fn` with Slack's manners. `guard` runs before every attempt. After an unclear failure of a
        call that may have taken effect, `recheck` is asked first and its answer, if any, is taken.
        `retries`: transient failures tried again (the options' number unless given)."""
        budget = self.options.max_rate_wait if max_rate_wait is None else max_rate_wait
        retries = self.options.retries if retries is None else retries
        waited = 0.0
        failures = 0
        unclear = False
        unclear_before = False  # an earlier try may have taken effect and no recheck cleared it
        while True:
            if unclear and recheck is not None:
                found = recheck()
                if found is not None:
                    return found
                unclear_before = False  # checked: absent
            unclear = False
            if guard is not None:
                guard()
            try:
                return fn()
            except SlackApiError as exc:
                status = getattr(exc.response, "status_code", 200)
                error = str(exc.response.get("error") or f"http_{status}")
                if status == 429 or error == "ratelimited":
                    delay = _retry_after(exc.response.headers)
                    if waited + delay > budget:
                        raise TransientError("ratelimited", in_doubt=unclear_before) from exc
                    self._wait(delay, guard)
                    waited += delay
                    continue
                if error in PERMANENT_ERRORS:
                    raise PermanentError(error) from exc
                if status >= 500 or error in TRANSIENT_ERRORS:
                    failures += 1
                    if failures > retries:
                        raise TransientError(error, in_doubt=unclear_before or status >= 500) from exc
                    self._wait(self.options.backoff * 2 ** (failures - 1), guard)
                    unclear = unclear_before = status >= 500
                    continue
                raise PermanentError(error) from exc  # invalid_blocks and the like: retrying cannot help
            except (urllib.error.URLError, TimeoutError, ConnectionError) as exc:
                failures += 1
                if failures > retries:
                    raise TransientError(type(exc).__name__, in_doubt=True) from exc
                self._wait(self.options.backoff * 2 ** (failures - 1), guard)
                unclear = unclear_before = True

    def _pace(self, channel: str, guard: Callable[[], None]) -> None:
        last = self._last_post.get(channel)
        if last is not None:
            wait = self.options.channel_interval - (time.monotonic() - last)
            if wait > 0:
                self._wait(wait, guard)

    # --- the port ----------------------------------------------------------------------------------

    def destination(self, channel_id: str, *, is_dm: bool) -> str:
        """A personal subscription stored under its user's id is posted to the DM opened with them."""
        if is_dm and not channel_id.startswith("D"):
            resp = self.call(lambda: self.client.conversations_open(users=channel_id))
            return str(resp["channel"]["id"])
        return channel_id

    def join(self, channel: str) -> bool:
        if channel.startswith("D"):
            return True
        try:
            self.call(lambda: self.client.conversations_join(channel=channel), max_rate_wait=60.0)
        except PermanentError as exc:
            if str(exc) in JOIN_IMPLIED:
                return True
            log.info("conversations.join %s: %s (history may be unreadable)", channel, exc)
            return False
        except TransientError as exc:
            log.info("conversations.join %s: %s", channel, exc)
            return False
        return True

    def _read(self, fn: Callable[[], Any]) -> tuple[Seen, Any]:
        """One read, never waited for: rate limited means ask again on a later tick."""
        try:
            return Seen.FOUND, self.call(fn, max_rate_wait=0.0)
        except TransientError:
            return Seen.LATER, None
        except PermanentError as exc:
            log.info("cannot read back a briefing: %s", exc)
            return Seen.UNREADABLE, None

    def find_top(self, channel: str, key: BriefingKey, *, oldest: datetime) -> tuple[Seen, str | None]:
        seen, resp = self._read(
            lambda: self.client.conversations_history(
                channel=channel,
                oldest=f"{oldest.timestamp():.6f}",
                include_all_metadata=True,
                limit=HISTORY_PAGE,
            )
        )
        if resp is None:
            return seen, None
        for msg in resp.get("messages", []):
            if _ours(msg, key) and _part(msg) == 1:
                return Seen.FOUND, str(msg["ts"])
        # Newest first: with more than one page since the claim, ours may be on a page not read.
        return (Seen.UNREADABLE if resp.get("has_more") else Seen.ABSENT), None

    def find_part(self, channel: str, thread_ts: str, key: BriefingKey, part: int) -> Seen:
        seen, resp = self._read(
            lambda: self.client.conversations_replies(
                channel=channel, ts=thread_ts, include_all_metadata=True, limit=HISTORY_PAGE
            )
        )
        if resp is None:
            return seen
        if any(_ours(m, key) and _part(m) == part for m in resp.get("messages", [])):
            return Seen.FOUND
        return Seen.UNREADABLE if resp.get("has_more") else Seen.ABSENT

    def post(
        self,
        channel: str,
        message: SlackMessage,
        *,
        key: BriefingKey,
        part: int,
        parts: int,
        thread_ts: str | None,
        guard: Callable[[], None],
        oldest: datetime,
    ) -> str:
        """Post once: after a lost answer the channel (or thread) is read for this part first; if it
        cannot be read, the part stays in doubt and the briefing is retried on a later tick."""
        self._pace(channel, guard)

        def already_posted() -> dict[str, str] | None:
            if thread_ts is None:
                seen, ts = self.find_top(channel, key, oldest=oldest)
            else:
                seen, ts = self.find_part(channel, thread_ts, key, part), None
            if seen is Seen.FOUND:
                return {"ts": ts or ""}
            if seen is Seen.ABSENT:
                return None
            raise TransientError("posted? unreadable for now", in_doubt=True)

        resp = self.call(
            lambda: self.client.chat_postMessage(
                channel=channel,
                text=message.text,
                blocks=message.block_dicts(),
                thread_ts=thread_ts,
                unfurl_links=False,
                unfurl_media=False,
                metadata=metadata_for(key, part, parts),
            ),
            recheck=already_posted,
            guard=guard,
        )
        self._last_post[channel] = time.monotonic()
        if message.files:
            self._share_files(channel, message, thread_ts or str(resp["ts"]))
        return str(resp["ts"])

    def _share_files(self, channel: str, message: SlackMessage, thread_ts: str) -> None:
        """The part's charts, uploaded into the thread after the part is posted: at most once, never
        retried blindly (an upload has no metadata to find it by), and a failure loses only the files."""
        for name, title, content in message.files:
            try:
                self.client.files_upload_v2(
                    channel=channel, content=content, filename=name, title=title, thread_ts=thread_ts
                )
            except Exception as exc:  # the briefing itself is posted; the chart is a bonus
                log.warning("chart upload %s to %s failed: %s", name, channel, exc)

    def permalink(self, channel: str, message_ts: str) -> str | None:
        """Slack's link to a posted message (chat.getPermalink, no scope needed). One try, never waited
        for: rate limited, the rest of the run keeps article links; a message gone is just not linked."""
        if self._permalinks_paused:
            return None
        try:
            resp = self.call(
                lambda: self.client.chat_getPermalink(channel=channel, message_ts=message_ts),
                max_rate_wait=0.0,
                retries=0,
            )
        except TransientError as exc:
            self._permalinks_paused = str(exc) == "ratelimited"
            log.info("chat.getPermalink %s %s: %s", channel, message_ts, exc)
            return None
        except PermanentError as exc:  # message_not_found, channel_not_found, ...
            log.info("chat.getPermalink %s %s: %s", channel, message_ts, exc)
            return None
        link = resp.get("permalink")
        return str(link) if isinstance(link, str) and link.startswith("https://") else None

    def user_tz(self, user_id: str) -> str | None:
        try:
            resp = self.call(lambda: self.client.users_info(user=user_id), max_rate_wait=60.0)
        except PermanentError as exc:
            if str(exc) in ("user_not_found", "user_disabled"):
                return None
            raise
        tz = (resp.get("user") or {}).get("tz")
        return str(tz) if tz else None


def message_permalinks(client: WebClient) -> Permalink:
    """Slack's links to posted messages, for an answer to `/news`: one try each, never waited for."""
    return SlackPoster(client, DeliverOptions()).permalink


def deliver_due(
    sessions: sessionmaker[Session],
    *,
    now: datetime,
    settings: Settings,
    client_for: ClientFor | None = None,
    options: DeliverOptions | None = None,
) -> list[Outcome]:
    """Post every due briefing once; returns what happened to each (for `deliver` and the scheduler)."""
    options = options or DeliverOptions()
    grace = options.grace if options.grace is not None else timedelta(hours=settings.briefing_grace_hours)
    client_for = client_for or client_factory(settings, sessions)
    store = ClaimStore(sessions, worker_id=options.worker_id, lease=options.lease)
    run = DeliveryRun[SlackMessage](
        sessions,
        store,
        now=now,
        settings=settings,
        poster_for=lambda team, enterprise: SlackPoster(client_for(team, enterprise), options),
        render=with_weekly_chart(briefing_messages, sessions, settings),
        options=RunOptions(
            worker_id=options.worker_id,
            lease=options.lease,
            grace=grace,
            max_attempts=options.max_attempts,
            should_stop=options.should_stop,
            monotonic=options.monotonic,
        ),
    )
    return run()
