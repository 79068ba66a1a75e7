"""The scheduler: gather (+ digest, then spike alerts), the briefing tick and retention, on APScheduler 3.

The timezone is set explicitly (BRIEFINGS_TZ) so cron-style jobs never follow the host's clock
settings. Every job runs at most once at a time (`max_instances=1`) and missed runs coalesce into
one: a tick that finds nothing to do costs a query. Each job reads the clock once, at its top.
Gathering (with its digest) and retention also take a lease in the database, so several processes
sharing it (workers, a second `run` on one SQLite file) never run them twice at once.
"""

from __future__ import annotations

import dataclasses
import logging
import threading
from datetime import timedelta
from typing import Any

from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.schedulers.blocking import BlockingScheduler
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger
from sqlalchemy.orm import Session, sessionmaker

from bot.alerts import AlertOutcome, post_alerts
from bot.deliver import ClientFor, DeliverOptions, Outcome, deliver_due, summarize
from briefings.config import Settings
from briefings.jobs import Digest, GatherReport, gather_job, release_lease, retention_job, take_lease
from briefings.timeutil import utcnow

log = logging.getLogger(__name__)

GATHER_TICK_SECONDS = 60  # each feed still runs at its own interval: the tick only picks up due feeds
# Longer than a gather cycle and its digest take; a holder that died frees the job after this.
LEASE = timedelta(minutes=30)


class Jobs:
    """The job functions with what they need bound; tests and `deliver --now` call them directly."""

    def __init__(
        self,
        settings: Settings,
        sessions: sessionmaker[Session],
        *,
        digest: Digest | None = None,
        client_for: ClientFor | None = None,
        options: DeliverOptions | None = None,
    ) -> None:
        self.settings = settings
        self.sessions = sessions
        self.digest = digest or Digest(max_chars=settings.digest_max_chars)
        self.client_for = client_for
        self.options = options or DeliverOptions()
        # Set on SIGTERM: the briefing run in hand finishes its current briefing and stops.
        self.stop = threading.Event()

    def gather(self) -> GatherReport:
        now = utcnow()
        if not take_lease(self.sessions, "gather", now=now, ttl=LEASE):
            log.info("gather: another process is gathering; skipped")
            return GatherReport()
        try:
            report = gather_job(self.sessions, self.settings, digest=self.digest, now=now)
        finally:
            release_lease(self.sessions, "gather")
        if report.digested:
            # New stories are the only thing that can start a spike: check right after each digest.
            self.alerts()
        if report.feeds:
            log.info(
                "gather: %d feeds, %d ok, %d failed, %d new, %d digested",
                report.feeds,
                report.ok,
                report.failed,
                report.new_articles,
                report.digested,
            )
        return report

    def briefings(self) -> list[Outcome]:
        now = utcnow()
        options = dataclasses.replace(self.options, should_stop=self.stop.is_set)
        outcomes = deliver_due(
            self.sessions, now=now, settings=self.settings, client_for=self.client_for, options=options
        )
        if outcomes:
            log.info("briefings: %s", summarize(outcomes))
        for o in outcomes:
            if o.status == "failed":
                log.warning("briefing for %s/%s failed for good: %s", o.team_id, o.channel_id, o.error)
        return outcomes

    def alerts(self) -> list[AlertOutcome]:
        now = utcnow()
        options = dataclasses.replace(self.options, should_stop=self.stop.is_set)
        try:
            outcomes = post_alerts(
                self.sessions, now=now, settings=self.settings, client_for=self.client_for, options=options
            )
        except Exception:  # an alert check must never fail the gather job it follows
            log.exception("alerts failed")
            return []
        if outcomes:
            log.info("alerts: %s", summarize(outcomes))
        return outcomes

    def retention(self) -> int:
        now = utcnow()
        if not take_lease(self.sessions, "retention", now=now, ttl=LEASE):
            return 0
        try:
            pruned = retention_job(self.sessions, self.settings, now=now)
        finally:
            release_lease(self.sessions, "retention")
        if pruned:
            log.info("retention: pruned %d article bodies", pruned)
        return pruned


def build_scheduler(jobs: Jobs, *, blocking: bool = False) -> BackgroundScheduler | BlockingScheduler:
    """A scheduler with the four jobs; `start()` it (blocking for `briefings worker`)."""
    tz = jobs.settings.tz
    cls: Any = BlockingScheduler if blocking else BackgroundScheduler
    scheduler = cls(
        timezone=tz,
        job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": 300},
    )
    scheduler.add_job(
        _guarded(jobs.gather, "gather"),
        IntervalTrigger(seconds=GATHER_TICK_SECONDS, timezone=tz),
        id="gather",
        name="gather due feeds, then digest",
        next_run_time=utcnow() + timedelta(seconds=2),
    )
    scheduler.add_job(
        _guarded(jobs.briefings, "briefings"),
        CronTrigger(second=5, timezone=tz),  # every minute
        id="briefings",
        name="deliver due briefings",
    )
    scheduler.add_job(
        _guarded(jobs.retention, "retention"),
        CronTrigger(hour=3, minute=17, timezone=tz),
        id="retention",
        name="prune old article bodies",
    )
    return scheduler


def _guarded(fn: Any, name: str) -> Any:
    """A job that fails logs and waits for its next run; it never takes the scheduler down."""

    def run() -> None:
        try:
            fn()
        except Exception:
            log.exception("job %s failed", name)

    run.__name__ = f"job_{name}"
    return run
