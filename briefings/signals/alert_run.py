"""One alert run: decide what is due, then claim, check, compose and post each alert once.

The same exactly-once rules as briefings: the claim (`AlertStore`, over `ClaimTable`) is taken before
anything is posted, the alert is marked in doubt before it is sent and recorded when Slack answers, and
a successor that finds it in doubt reads the channel (`Poster.find_top`, by the message's metadata)
before posting, through the same `Decider`. An alert is one message, so only part 1 is ever in doubt.
"""

from __future__ import annotations

import logging
import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Generic, TypeVar

from briefings.delivery.claims import FINAL, RETRY
from briefings.delivery.decide import Action, Check, Decider, Decision
from briefings.delivery.port import BriefingKey, Poster
from briefings.delivery.run import failpoint, post_recorded
from briefings.signals.alert_store import Alert, AlertClaimed, AlertStore
from briefings.signals.alerts import AlertDue, alerts_due
from briefings.signals.counts import kst_day
from briefings.timeutil import as_utc

log = logging.getLogger(__name__)

M = TypeVar("M")


@dataclass
class AlertOptions:
    worker_id: str
    lease: timedelta = timedelta(minutes=5)
    # An alert not out within this time of its first claim is dropped: news of a morning spike is stale
    # by the evening, and the next day's briefing carries the stories anyway.
    grace: timedelta = timedelta(hours=6)
    max_attempts: int = 5
    should_stop: Callable[[], bool] = field(default=lambda: False)
    monotonic: Callable[[], float] = time.monotonic


@dataclass
class AlertOutcome:
    team_id: str
    channel_id: str
    company: str
    day: date
    status: str  # posted | recovered | skipped | unconfirmed | failed | retry | fenced
    message_ts: str | None = None
    error: str | None = None
    text: str = ""  # the count against the usual


PosterFor = Callable[[str, str | None], Poster[M]]
RenderAlert = Callable[[Alert], M]


def due_now(store: AlertStore, *, now: datetime) -> list[AlertDue]:
    """What is due at `now`: the store's data read, then the pure decision."""
    follows = store.follows()
    active = sorted({f.company_id for f in follows if f.sensitivity != "끔"})
    if not active:
        return []
    return alerts_due(
        follows,
        store.counts(active, now=now),
        store.claimed(kst_day(now)),
        now=now,
        coverage_since=store.coverage_since(),
        settled=FINAL,
    )


def alert_key(due: AlertDue) -> BriefingKey:
    f = due.follow
    return BriefingKey(f.team_id, f.channel_id, due.day, subject=f"alert:{f.company_id}")


class AlertRun(Generic[M]):
    def __init__(
        self,
        store: AlertStore,
        *,
        now: datetime,
        poster_for: PosterFor[M],
        render: RenderAlert[M],
        options: AlertOptions,
    ) -> None:
        self.store = store
        self.now = as_utc(now)
        self.poster_for = poster_for
        self.render = render
        self.options = options
        self._started = options.monotonic()
        self._posters: dict[tuple[str, str | None], Poster[M]] = {}

    def clock(self) -> datetime:
        return self.now + timedelta(seconds=self.options.monotonic() - self._started)

    def poster(self, team_id: str, enterprise_id: str | None) -> Poster[M]:
        key = (team_id, enterprise_id)
        if key not in self._posters:
            self._posters[key] = self.poster_for(team_id, enterprise_id)
        return self._posters[key]

    def due(self) -> list[AlertDue]:
        return due_now(self.store, now=self.now)

    def __call__(self) -> list[AlertOutcome]:
        order = self.due()
        # Workers start at different places so several share the work rather than queue on it.
        random.Random(self.options.worker_id).shuffle(order)
        outcomes: list[AlertOutcome] = []
        for due in order:
            if self.options.should_stop():
                break
            try:
                outcome = self.post_one(due)
            except Exception:  # even recording failed (the database went away): on to the next
                log.exception(
                    "alert %s/%s %s", due.follow.team_id, due.follow.channel_id, due.follow.company_id
                )
                continue
            if outcome is not None:
                outcomes.append(outcome)
        return outcomes

    def post_one(self, due: AlertDue) -> AlertOutcome | None:
        claim = self.store.claim(due, now=self.clock())
        if claim is None:
            return None
        f = due.follow
        outcome = AlertOutcome(
            f.team_id, f.channel_id, f.company_name, due.day, "posted", text=due.decision.text()
        )
        post_recorded(
            lambda: self._post(due, claim, outcome),
            outcome,
            finish=lambda status, error: self._finish(claim, outcome, status, error),
            retry=lambda error, in_doubt: self._retry(claim, outcome, error, in_doubt=in_doubt),
            what=f"alert {f.team_id}/{f.channel_id} {f.company_id}",
        )
        return outcome

    def _finish(
        self,
        claim: AlertClaimed,
        outcome: AlertOutcome,
        status: str,
        error: str | None = None,
        *,
        label: str | None = None,
        in_doubt: bool = False,
    ) -> None:
        recorded = self.store.finish(
            claim,
            status=status,
            now=self.clock(),
            error=error,
            message_ts=outcome.message_ts,
            in_doubt=in_doubt,
        )
        outcome.status, outcome.error = (label or status), error
        if not recorded:
            outcome.status = "fenced"

    def _retry(self, claim: AlertClaimed, outcome: AlertOutcome, error: str, *, in_doubt: bool) -> None:
        final = claim.held.attempts >= self.options.max_attempts
        self._finish(claim, outcome, "failed" if final else RETRY, error, in_doubt=in_doubt)

    def _settle_early(self, claim: AlertClaimed, outcome: AlertOutcome, decision: Decision) -> None:
        if decision.action is Action.FAIL:
            self._finish(claim, outcome, "failed", decision.note)
        elif decision.action is Action.RETRY:
            self._finish(claim, outcome, RETRY, decision.note, in_doubt=True)
        else:  # could not be read back: counted as posted, never posted twice
            self._finish(claim, outcome, "unconfirmed", decision.note)

    def _post(self, due: AlertDue, claim: AlertClaimed, outcome: AlertOutcome) -> None:
        failpoint("after_claim")
        f = due.follow
        decider = Decider(
            held=claim.held,
            due_at=claim.claimed_at,
            now=self.now,
            grace=self.options.grace,
            max_attempts=self.options.max_attempts,
        )
        exhausted = decider.exhausted()
        if exhausted is not None:
            self._finish(claim, outcome, "failed", exhausted.note)
            return
        poster = self.poster(f.team_id, f.enterprise_id)
        key = alert_key(due)
        target = poster.destination(f.channel_id, is_dm=f.is_dm)
        seen = None
        if decider.check() is not Check.NONE:
            seen, found_ts = poster.find_top(target, key, oldest=claim.claimed_at)
            outcome.message_ts = found_ts
        known = decider.posted_through(seen)
        if isinstance(known, Decision):
            self._settle_early(claim, outcome, known)
            return
        decision = decider.decide(posted=known, parts=1, empty=False, post_when_empty=True)
        if decision.action is Action.SKIP:
            self._finish(claim, outcome, "skipped", decision.note)
            return
        if decision.action is Action.SETTLE:
            self._finish(claim, outcome, "posted", label="recovered")
            return
        message = self.render(self.store.alert(due, now=self.now, permalink=poster.permalink))
        if not f.is_dm and not self.store.joined(f.channel_pk) and poster.join(target):
            self.store.mark_joined(f.channel_pk, now=self.clock())
        self.store.start_posting(claim, now=self.clock())
        beat = self.options.monotonic()

        def guard() -> None:
            nonlocal beat
            if self.options.monotonic() - beat >= self.options.lease.total_seconds() / 6:
                self.store.heartbeat(claim, now=self.clock())
                beat = self.options.monotonic()

        outcome.message_ts = poster.post(
            target, message, key=key, part=1, parts=1, thread_ts=None, guard=guard, oldest=claim.claimed_at
        )
        failpoint("after_post")
        failpoint("before_record")
        self._finish(claim, outcome, "posted", label="recovered" if decision.recovered else "posted")
