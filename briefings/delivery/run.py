"""One delivery run: plan what is due, then claim, decide, compose and post each briefing in turn.

Storage (`ClaimStore`), the chat service (`Poster`) and rendering are passed in; this module only
strings the pure stages (`plan`, `Decider`, `compose_briefing`) together. Every failure of one
briefing, whatever its kind, is recorded on that briefing and the run goes on with the next.
"""

from __future__ import annotations

import logging
import os
import random
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Generic, Protocol, TypeVar

from sqlalchemy.orm import Session, sessionmaker

from briefings.brief import Briefing, BriefingLoader, follow_up_ids, window_start, with_follow_up_links
from briefings.cadence import window_days
from briefings.config import Settings
from briefings.db import session_scope
from briefings.delivery.claims import RETRY, Claim, ClaimStore, Fenced
from briefings.delivery.decide import Action, Check, Decider, Decision, Seen
from briefings.delivery.plan import Due, plan
from briefings.delivery.port import BriefingKey, PermanentError, Poster, Shows, TransientError
from briefings.delivery.shown import ShownPart, ShownParts, follow_up_links
from briefings.timeutil import as_utc

log = logging.getLogger(__name__)


class _Settled(Protocol):
    status: str
    error: str | None


def post_recorded(
    post: Callable[[], None],
    outcome: _Settled,
    *,
    finish: Callable[[str, str], None],
    retry: Callable[[str, bool], None],
    what: str,
) -> None:
    """Run one claimed post and record how it ended: every failure is kept and the run goes on.

    Taken over (fenced): nothing more is written. Slack's permanent refusal: failed. A transient one:
    retried on a later tick. Anything else is a poison item: retried within the attempt cap, never fatal.
    """
    try:
        post()
    except Fenced as exc:
        log.warning("%s taken over by another worker: %s", what, exc)
        outcome.status, outcome.error = "fenced", str(exc)
    except PermanentError as exc:
        finish("failed", str(exc))
    except TransientError as exc:
        retry(str(exc), exc.in_doubt)
    except Exception as exc:
        log.exception("%s failed", what)
        retry(f"{type(exc).__name__}: {exc}"[:500], True)


M = TypeVar("M", bound=Shows)
FAILPOINT_ENV = "BRIEFINGS_FAILPOINT"
USER_TZ_PER_RUN = 100  # users.info calls per run: new DMs get their zone within a minute or two


def failpoint(name: str) -> None:
    """Fault injection for the crash tests: the process dies here, as a power cut would."""
    if os.environ.get(FAILPOINT_ENV) == name:
        os._exit(91)


@dataclass
class RunOptions:
    worker_id: str
    lease: timedelta = timedelta(minutes=5)
    grace: timedelta = timedelta(hours=3)
    max_attempts: int = 5
    lookback_days: int = 2
    # Checked between briefings: SIGTERM lets the briefing in hand finish, then the run ends.
    should_stop: Callable[[], bool] = field(default=lambda: False)
    monotonic: Callable[[], float] = time.monotonic


@dataclass
class Outcome:
    team_id: str
    channel_id: str
    briefing_date: date
    status: str  # posted | recovered | empty | skipped | unconfirmed | failed | retry | fenced
    message_ts: str | None = None
    error: str | None = None
    messages: int = 0
    compose_seconds: float = 0.0
    compose_cpu_seconds: float = 0.0  # the same, in this thread's CPU time: robust on a busy machine
    slot: int = 0  # which of the day's briefings (twice a day: 0 or 1)


PosterFor = Callable[[str, str | None], Poster[M]]  # (team_id, enterprise_id) -> poster
Render = Callable[[Briefing], Sequence[M]]


class DeliveryRun(Generic[M]):
    def __init__(
        self,
        sessions: sessionmaker[Session],
        store: ClaimStore,
        *,
        now: datetime,
        settings: Settings,
        poster_for: PosterFor[M],
        render: Render[M],
        options: RunOptions,
    ) -> None:
        self.sessions = sessions
        self.store = store
        self.now = as_utc(now)
        self.settings = settings
        self.poster_for = poster_for
        self.render = render
        self.options = options
        self._started = options.monotonic()
        self._posters: dict[tuple[str, str | None], Poster[M]] = {}
        self._loaders: dict[datetime, BriefingLoader] = {}
        self._session: Session | None = None

    def clock(self) -> datetime:
        """`now` advanced by the time this run has taken, so a replay at an instant behaves alike."""
        return self.now + timedelta(seconds=self.options.monotonic() - self._started)

    def poster(self, team_id: str, enterprise_id: str | None) -> Poster[M]:
        key = (team_id, enterprise_id)
        if key not in self._posters:
            self._posters[key] = self.poster_for(team_id, enterprise_id)
        return self._posters[key]

    # --- the run ---------------------------------------------------------------------------------

    def __call__(self) -> list[Outcome]:
        self.refresh_user_timezones()
        due = self.due()
        # Workers start at different places in the list so several share the work rather than queue on it.
        order = list(due)
        random.Random(self.options.worker_id).shuffle(order)
        # A day's slots in their order: the first settles (posted, or given way) before the second.
        order.sort(key=lambda d: (d.briefing_date, d.slot))
        outcomes: list[Outcome] = []
        try:
            if len(order) > 20:
                self.loader(self.now).prefetch()
            for item in order:
                if self.options.should_stop():
                    log.info("stopping: %d briefings left for the next run", len(order) - len(outcomes))
                    break
                try:
                    outcome = self.deliver(item)
                except Exception:  # even recording failed (the database went away): on to the next
                    log.exception("briefing %s/%s %s", item.team_id, item.channel_id, item.briefing_date)
                    continue
                if outcome is not None:
                    outcomes.append(outcome)
        finally:
            if self._session is not None:
                self._session.close()
        return outcomes

    def due(self) -> list[Due]:
        schedules = self.store.schedules()
        oldest = self.now.date() - timedelta(days=self.options.lookback_days + 1)
        return plan(
            schedules,
            self.store.settled(oldest),
            now=self.now,
            default_time=self.settings.briefing_time,
            default_tz=self.settings.tz,
            lookback_days=self.options.lookback_days,
        )

    def refresh_user_timezones(self) -> None:
        """A DM briefing follows its user's time zone: read from Slack once, and again weekly."""
        for user in self.store.dm_users_to_refresh(now=self.now)[:USER_TZ_PER_RUN]:
            try:
                tz = self.poster(user.team_id, user.enterprise_id).user_tz(user.user_id)
            except (PermanentError, TransientError) as exc:
                log.info("users.info for %s/%s: %s", user.team_id, user.user_id, exc)
                continue
            self.store.set_user_tz(user.channel_pk, tz, now=self.now)

    def loader(self, until: datetime) -> BriefingLoader:
        until = as_utc(until)
        if until not in self._loaders:
            if self._session is None:
                self._session = self.sessions()
            self._loaders[until] = BriefingLoader(self._session, now=until, settings=self.settings)
        return self._loaders[until]

    # --- one briefing --------------------------------------------------------------------------

    def deliver(self, due: Due) -> Outcome | None:
        claim = self.store.claim(due, now=self.clock())
        if claim is None:
            return None
        outcome = Outcome(due.team_id, due.channel_id, due.briefing_date, "posted", slot=due.slot)
        post_recorded(
            lambda: self._deliver(due, claim, outcome),
            outcome,
            finish=lambda status, error: self._finish(claim, outcome, status, error),
            retry=lambda error, in_doubt: self._retry(claim, outcome, error, in_doubt=in_doubt),
            what=f"briefing {due.team_id}/{due.channel_id} {due.briefing_date} slot {due.slot}",
        )
        return outcome

    def _finish(
        self,
        claim: Claim,
        outcome: Outcome,
        status: str,
        error: str | None = None,
        *,
        covered: tuple[datetime, datetime] | None = None,
        channel_pk: int | None = None,
        label: str | None = None,
        in_doubt: bool = False,
        parts_posted: int | None = None,
        shown: ShownParts | None = None,
    ) -> None:
        recorded = self.store.finish(
            claim,
            status=status,
            now=self.clock(),
            error=error,
            message_ts=outcome.message_ts,
            covered=covered,
            channel_pk=channel_pk,
            in_doubt=in_doubt,
            parts_posted=parts_posted,
            shown=shown,
        )
        outcome.status, outcome.error = (label or status), error
        if not recorded:
            outcome.status = "fenced"

    def _retry(self, claim: Claim, outcome: Outcome, error: str, *, in_doubt: bool) -> None:
        final = claim.held.attempts >= self.options.max_attempts
        self._finish(claim, outcome, "failed" if final else RETRY, error, in_doubt=in_doubt)

    def _decider(self, due: Due, claim: Claim) -> Decider:
        return Decider(
            held=claim.held,
            due_at=due.due_at,
            now=self.now,
            grace=self.options.grace,
            max_attempts=self.options.max_attempts,
            next_due_at=due.next_due_at,
        )

    def _deliver(self, due: Due, claim: Claim, outcome: Outcome) -> None:
        failpoint("after_claim")
        decider = self._decider(due, claim)
        exhausted = decider.exhausted()
        if exhausted is not None:
            self._finish(claim, outcome, "failed", exhausted.note)
            return
        poster = self.poster(due.team_id, due.enterprise_id)
        key = briefing_key(due)
        target = poster.destination(due.channel_id, is_dm=due.is_dm)
        seen: Seen | None = None
        found_ts: str | None = None
        check = decider.check()
        if check is Check.TOP:
            seen, found_ts = poster.find_top(target, key, oldest=claim.claimed_at)
        elif check is Check.THREAD:
            assert claim.held.message_ts is not None and claim.held.posting_part is not None
            seen = poster.find_part(target, claim.held.message_ts, key, claim.held.posting_part)
        known = decider.posted_through(seen)
        state = self.store.channel(due.channel_pk)
        since = claim.since or window_start(
            state.covered_until, self.now, max_days=window_days(state.cadence)
        )
        until = claim.until or self.now
        if isinstance(known, Decision):
            self._settle_early(due, claim, outcome, known, (since, until))
            return
        message_ts = claim.held.message_ts or found_ts
        if found_ts is not None and claim.held.message_ts is None:
            self.store.part_posted(claim, part=1, ts=found_ts, now=self.clock(), next_part=None)
        outcome.message_ts = message_ts

        t0, c0 = time.perf_counter(), time.thread_time()
        briefing = self.loader(until).load(
            due.team_id, due.channel_id, since=since, briefing_date=due.briefing_date, slot=due.slot
        )
        briefing = self._link_follow_ups(briefing, poster, claim)
        messages = list(self.render(briefing))
        outcome.compose_seconds = time.perf_counter() - t0
        outcome.compose_cpu_seconds = time.thread_time() - c0

        decision = decider.decide(
            posted=known, parts=len(messages), empty=briefing.empty, post_when_empty=state.post_when_empty
        )
        covered = (since, until)
        if decision.action is Action.SKIP:
            self._finish(claim, outcome, "skipped", decision.note, label="skipped")
            return
        if decision.action is Action.EMPTY:
            self._finish(claim, outcome, "empty", covered=covered, channel_pk=due.channel_pk)
            return
        # The stories of parts an earlier attempt posted, where not on record yet: a part whose answer
        # was lost is known by the briefing's first message only.
        upto = min(decision.first, len(messages) + 1)
        before = [(p, message_ts) for p in range(1, upto) if message_ts is not None]
        if decision.action is Action.SETTLE:
            self._finish(
                claim,
                outcome,
                "posted",
                covered=covered,
                channel_pk=due.channel_pk,
                label="recovered",
                shown=self._shown(due, target, messages, before),
            )
            return
        joined = decision.first == 1 and not due.is_dm and not state.joined and poster.join(target)
        self.store.start_posting(
            claim,
            part=decision.first,
            now=self.clock(),
            window=covered if claim.since is None else None,
            joined_channel=due.channel_pk if joined else None,
            shown=self._shown(due, target, messages, before) if before else None,
        )
        beat = self.options.monotonic()

        def guard() -> None:
            # Fencing rides on the lease: nobody can take the briefing over before our last renewal is a
            # lease old, so a renewal a fraction of a lease ago needs no new write.
            nonlocal beat
            if self.options.monotonic() - beat >= self.options.lease.total_seconds() / 6:
                self.store.heartbeat(claim, now=self.clock())
                beat = self.options.monotonic()

        ts = message_ts
        last = len(messages)
        last_ts: str | None = None
        for part in range(decision.first, last + 1):
            if part > 1 and ts is None:
                raise RuntimeError("thread part without its parent message")
            posted = poster.post(
                target,
                messages[part - 1],
                key=key,
                part=part,
                parts=len(messages),
                thread_ts=ts if part > 1 else None,
                guard=guard,
                oldest=claim.claimed_at,
            )
            outcome.messages += 1
            last_ts = posted
            if part == 1:
                ts = posted
                outcome.message_ts = ts
                failpoint("after_post")
            if part < last:
                self.store.part_posted(
                    claim,
                    part=part,
                    ts=posted,
                    now=self.clock(),
                    next_part=part + 1,
                    shown=self._shown(due, target, messages, [(part, posted)]),
                )
                beat = self.options.monotonic()
        failpoint("before_record")
        label = "recovered" if decision.recovered else "posted"
        self._finish(
            claim,
            outcome,
            "posted",
            covered=covered,
            channel_pk=due.channel_pk,
            label=label,
            parts_posted=last,
            shown=self._shown(due, target, messages, [(last, last_ts)] if last_ts else []),
        )

    def _link_follow_ups(self, briefing: Briefing, poster: Poster[M], claim: Claim) -> Briefing:
        """Each follow-up's "이어지는 소식" linked to the channel's earlier briefing message that showed the
        story it continues: one query for the whole briefing, a bounded number of permalink calls."""
        earlier = follow_up_ids(briefing)
        if not earlier:
            return briefing
        with session_scope(self.sessions) as session:
            links = follow_up_links(
                session,
                briefing.team_id,
                briefing.channel_id,
                earlier,
                poster.permalink,
                besides_delivery=claim.delivery_id,
            )
        return with_follow_up_links(briefing, links)

    def _shown(
        self, due: Due, target: str, messages: Sequence[M], parts: Iterable[tuple[int, str]]
    ) -> ShownParts:
        """What the given (part, message ts) showed, for the record."""
        return ShownParts(
            due.team_id,
            due.channel_id,
            target,
            tuple(ShownPart(p, ts, tuple(messages[p - 1].story_ids)) for p, ts in parts),
        )

    def _settle_early(
        self, due: Due, claim: Claim, outcome: Outcome, decision: Decision, covered: tuple[datetime, datetime]
    ) -> None:
        """Decided before composing: out of attempts, come back later, or a post that cannot be checked."""
        if decision.action is Action.FAIL:
            self._finish(claim, outcome, "failed", decision.note)
        elif decision.action is Action.RETRY:  # the part stays in doubt until it can be read
            self._finish(claim, outcome, RETRY, decision.note, in_doubt=True)
        else:  # unconfirmed: counted as posted, so the next briefing starts after this one's window
            self._finish(
                claim, outcome, "unconfirmed", decision.note, covered=covered, channel_pk=due.channel_pk
            )


def briefing_key(due: Due) -> BriefingKey:
    """What the posted messages carry: a later slot of the day is told apart from the first by it, so
    a successor looking for a lost post of one slot never takes the other's for it."""
    return BriefingKey(due.team_id, due.channel_id, due.briefing_date, f"slot:{due.slot}" if due.slot else "")


class HasStatus(Protocol):
    @property
    def status(self) -> str: ...


def summarize(outcomes: Iterable[HasStatus]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for o in outcomes:
        counts[o.status] = counts.get(o.status, 0) + 1
    return counts
