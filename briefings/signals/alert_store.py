"""What alerting reads and writes: follows, today's claims, the daily counts and what drives a spike.

Claims go through `briefings.delivery.claims.ClaimTable`, the same insert-or-compare-and-set claim
with generation fencing and a heartbeat that briefings use, over the `alert_claims` table.
"""

from __future__ import annotations

from collections.abc import Sequence, Set
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session, sessionmaker

from briefings.db import session_scope
from briefings.delivery.claims import ClaimTable, Fenced
from briefings.delivery.decide import Held
from briefings.delivery.shown import Permalink, continued_stories
from briefings.feedback import load_preferences
from briefings.filters import hiding_rule, load_filters
from briefings.lookup import StoryView, top_stories
from briefings.models import (
    AlertClaim,
    Channel,
    Company,
    CompanyAlias,
    Feed,
    Story,
    StoryCompany,
    Subscription,
)
from briefings.ranking import rank_stories
from briefings.signals.alerts import (
    AlertDue,
    AlertKey,
    Follow,
    as_sensitivity,
    baseline_days_left,
    history_start,
    rising_words,
)
from briefings.signals.counts import KST_OFFSET, daily_counts, kst_day
from briefings.signals.spikes import BASELINE_DAYS, DayCount, SpikeDecision
from briefings.timeutil import as_utc

TOP_STORIES = 3


@dataclass(frozen=True)
class AlertClaimed:
    claim_id: int
    generation: int
    held: Held
    claimed_at: datetime


@dataclass(frozen=True)
class Alert:
    """Everything one alert says: rendered by the Slack side, tested without it."""

    company_name: str
    decision: SpikeDecision
    stories: Sequence[StoryView]
    words: Sequence[str]


def day_start(day: date) -> datetime:
    """00:00 KST of `day`, in UTC."""
    return datetime.combine(day, time(), UTC) - KST_OFFSET


class AlertStore:
    def __init__(self, sessions: sessionmaker[Session], *, worker_id: str, lease: timedelta) -> None:
        self.sessions = sessions
        self.table = ClaimTable(AlertClaim, worker_id=worker_id, lease=lease)

    # --- what the decision reads -------------------------------------------------------------------

    def follows(self) -> list[Follow]:
        with self.sessions() as session:
            return follows(session)

    def claimed(self, day: date) -> dict[AlertKey, str]:
        with self.sessions() as session:
            rows = session.execute(
                select(
                    AlertClaim.team_id, AlertClaim.channel_id, AlertClaim.company_id, AlertClaim.status
                ).where(AlertClaim.alert_date == day)
            )
            return {(t, c, company, day): status for t, c, company, status in rows}

    def counts(self, company_ids: Sequence[int], *, now: datetime) -> dict[int, list[DayCount]]:
        with self.sessions() as session:
            return daily_counts(session, company_ids, history_start(now), kst_day(now))

    def coverage_since(self) -> date | None:
        with self.sessions() as session:
            return coverage_since(session)

    # --- what drives a spike -----------------------------------------------------------------------

    def alert(self, due: AlertDue, *, now: datetime, permalink: Permalink | None = None) -> Alert:
        """`permalink` (Slack's): a follow-up links the channel's briefing message that showed the
        story it continues, and the link learnt is kept (hence the commit)."""
        with session_scope(self.sessions) as session:
            return compose_alert(session, due, now=now, permalink=permalink)

    # --- claims ------------------------------------------------------------------------------------

    def claim(self, due: AlertDue, *, now: datetime) -> AlertClaimed | None:
        f = due.follow
        key = (
            AlertClaim.team_id == f.team_id,
            AlertClaim.channel_id == f.channel_id,
            AlertClaim.company_id == f.company_id,
            AlertClaim.alert_date == due.day,
        )
        fresh = AlertClaim(
            team_id=f.team_id,
            enterprise_id=f.enterprise_id,
            channel_id=f.channel_id,
            company_id=f.company_id,
            alert_date=due.day,
            stories=due.decision.stories,
            expected=due.decision.expected,
            p_value=due.decision.p_value,
        )
        with session_scope(self.sessions) as session:
            taken = self.table.take(session, key, fresh, now=as_utc(now))
        if taken is None:
            return None
        return AlertClaimed(taken.row_id, taken.generation, taken.held, taken.claimed_at)

    def _write(self, claim: AlertClaimed, values: dict[str, Any], *, live: bool = True) -> bool:
        with session_scope(self.sessions) as session:
            return self.table.write(session, claim.claim_id, claim.generation, values, live=live)

    def heartbeat(self, claim: AlertClaimed, *, now: datetime) -> None:
        if not self._write(claim, {"heartbeat_at": as_utc(now)}):
            raise Fenced(f"alert {claim.claim_id}: generation {claim.generation} superseded")

    def start_posting(self, claim: AlertClaimed, *, now: datetime) -> None:
        """Before the alert goes out: it is in doubt from now on."""
        if not self._write(claim, {"posting_part": 1, "heartbeat_at": as_utc(now)}):
            raise Fenced(f"alert {claim.claim_id}: generation {claim.generation} superseded")

    def finish(
        self,
        claim: AlertClaimed,
        *,
        status: str,
        now: datetime,
        error: str | None = None,
        message_ts: str | None = None,
        in_doubt: bool = False,
    ) -> bool:
        values: dict[str, Any] = {"status": status, "error": error, "heartbeat_at": as_utc(now)}
        if message_ts is not None:
            values["message_ts"] = message_ts
        if status == "posted":
            values["posted_at"] = as_utc(now)
            values["parts_posted"] = 1
        if not in_doubt:
            values["posting_part"] = None
        return self._write(claim, values, live=False)

    def joined(self, channel_pk: int) -> bool:
        with self.sessions() as session:
            row = session.get(Channel, channel_pk)
            return row is not None and row.joined_at is not None

    def mark_joined(self, channel_pk: int, *, now: datetime) -> None:
        with session_scope(self.sessions) as session:
            session.execute(update(Channel).where(Channel.id == channel_pk).values(joined_at=as_utc(now)))


# --- queries, also used by App Home and the corpus review -------------------------------------------


def follows(session: Session, *, team_id: str | None = None) -> list[Follow]:
    """Every (channel, company) subscription with the channel's alert sensitivity."""
    stmt = (
        select(Channel, Subscription.company_id, Company.name, Subscription.created_at)
        .join(
            Subscription,
            (Subscription.team_id == Channel.team_id) & (Subscription.channel_id == Channel.channel_id),
        )
        .join(Company, Company.id == Subscription.company_id)
        .order_by(Channel.id, Subscription.company_id)
    )
    if team_id is not None:
        stmt = stmt.where(Channel.team_id == team_id)
    return [
        Follow(
            channel_pk=ch.id,
            team_id=ch.team_id,
            channel_id=ch.channel_id,
            is_dm=ch.is_dm,
            company_id=company_id,
            company_name=name,
            followed_at=as_utc(created),
            sensitivity=as_sensitivity(ch.alert_sensitivity),
            enterprise_id=ch.enterprise_id,
        )
        for ch, company_id, name, created in session.execute(stmt)
    ]


def waiting_for_baseline(
    session: Session, team_id: str, channel_ids: Set[str], *, now: datetime
) -> list[tuple[str, int]]:
    """(company, days left) for the companies these channels follow that have no baseline yet."""
    since = coverage_since(session)
    out: dict[str, int] = {}
    for f in follows(session, team_id=team_id):
        if f.channel_id not in channel_ids or f.sensitivity == "끔":
            continue
        left = baseline_days_left(f, since, now=now)
        if left:
            out[f.company_name] = max(left, out.get(f.company_name, 0))
    return sorted(out.items(), key=lambda item: (item[1], item[0]))


def coverage_since(session: Session) -> date | None:
    """The first complete KST day of gathering: the day after the first feed was added."""
    first = session.scalar(select(func.min(Feed.created_at)))
    return None if first is None else kst_day(as_utc(first)) + timedelta(days=1)


def _keywords(session: Session, company_id: int, since: datetime, until: datetime) -> list[list[str]]:
    rows = session.scalars(
        select(Story.keywords)
        .join(StoryCompany, StoryCompany.story_id == Story.id)
        .where(
            StoryCompany.company_id == company_id,
            StoryCompany.is_primary.is_(True),
            StoryCompany.last_published_at >= since,
            StoryCompany.last_published_at < until,
        )
    )
    return [list(k or []) for k in rows]


def company_words(session: Session, company_id: int) -> set[str]:
    """The company's own names: never "a word that rose" in its own alert."""
    names = set(session.scalars(select(CompanyAlias.alias).where(CompanyAlias.company_id == company_id)))
    company = session.get(Company, company_id)
    if company is not None:
        names.update({company.name, company.name_en})
    return {n for n in names if n}


def compose_alert(
    session: Session, due: AlertDue, *, now: datetime, permalink: Permalink | None = None
) -> Alert:
    now = as_utc(now)
    start = day_start(due.day)
    company_id = due.follow.company_id
    # Today's stories only (since 00:00 KST, never more than a day ago): the best few as lookups rank
    # them, less those the channel's filters hide, then ordered by the channel's briefing ranking with
    # its 👍/👎 (the same filters and the same ranking rule as its briefings).
    today = [
        s
        for s in top_stories(session, company_id, now=now, days=1, limit=TOP_STORIES * 3)
        if as_utc(s.last_published_at) >= start
    ]
    team_id, channel_id = due.follow.team_id, due.follow.channel_id
    filters = load_filters(session, team_id, channel_id)
    hidden = hiding_rule(session, filters, today) if filters else None
    kept = [s for s in today if hidden is None or not hidden(s)]
    preferences = load_preferences(session, team_id, channel_id)
    stories = rank_stories(kept, now, now - start, preferences)[:TOP_STORIES]
    # What each story continues ("이어지는 소식"), as its briefings say it.
    follows = continued_stories(session, team_id, channel_id, [s.id for s in stories], permalink)
    stories = [replace(s, follows=follows.get(s.id, s.follows)) for s in stories]
    words = rising_words(
        _keywords(session, company_id, start, now + timedelta(seconds=1)),
        _keywords(session, company_id, start - timedelta(days=BASELINE_DAYS), start),
        exclude=company_words(session, company_id),
    )
    return Alert(due.follow.company_name, due.decision, stories, words)
