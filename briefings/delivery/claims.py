"""The claims store: who posts which briefing (or alert), under which generation, and what it covered.

A briefing (team, channel, local date, slot) is one `deliveries` row. A new row is an INSERT guarded by the
unique constraint; taking over a row (a lease that ran out, a failure to retry) is a compare-and-set
UPDATE on its `generation`, so of several workers reading the same state only one wins, and the
loser of an earlier generation can no longer write. The winner renews its lease (`heartbeat_at`)
before every part it posts and checks its generation at the same time: a worker that stalled past its
lease finds a newer generation there and posts nothing more (`Fenced`). Every part is recorded as it is
answered, and the part in flight is recorded before it is sent, so a successor knows exactly which
part, if any, is in doubt.
"""

from __future__ import annotations

from collections.abc import Sequence, Set
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any, Generic, TypeVar

from sqlalchemy import exists, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from briefings.db import session_scope
from briefings.delivery.decide import Held
from briefings.delivery.plan import Due, Schedule, SlotKey
from briefings.delivery.shown import ShownParts, record_shown
from briefings.models import Channel, ClaimColumns, Delivery, SavedQuery, Subscription
from briefings.timeutil import as_utc

CLAIMED, RETRY = "claimed", "retry"
FINAL = frozenset({"posted", "empty", "skipped", "failed", "unconfirmed"})
USER_TZ_MAX_AGE = timedelta(days=7)


class Fenced(Exception):
    """Another worker took this briefing over (our lease ran out): post nothing more, write nothing."""


@dataclass(frozen=True)
class Claim:
    delivery_id: int
    generation: int
    held: Held
    claimed_at: datetime  # the first claim of this briefing: a lower bound of any post of it
    since: datetime | None  # the window an earlier attempt started posting (None: not yet fixed)
    until: datetime | None


@dataclass(frozen=True)
class ChannelState:
    covered_until: datetime | None
    post_when_empty: bool
    joined: bool
    cadence: str = "daily"


@dataclass(frozen=True)
class DmUser:
    channel_pk: int
    team_id: str
    user_id: str
    enterprise_id: str | None = None


R = TypeVar("R", bound=ClaimColumns)


@dataclass(frozen=True)
class Taken(Generic[R]):
    """A claim just won on one row of a claims table."""

    row_id: int
    generation: int
    held: Held
    claimed_at: datetime  # the first claim of this row
    before: R | None  # the row as an earlier attempt left it (None: the row is new)


class ClaimTable(Generic[R]):
    """Insert-or-compare-and-set claims over any table with `ClaimColumns`, with generation fencing.

    Briefings (`deliveries`) and spike alerts (`alert_claims`) are claimed by the same rules: the first
    claim is an INSERT guarded by the table's unique key, a takeover (lease run out, a retry) bumps the
    generation by compare-and-set, and every later write names the generation it was claimed under.
    """

    def __init__(self, model: type[R], *, worker_id: str, lease: timedelta) -> None:
        self.model = model
        self.worker_id = worker_id
        self.lease = lease

    def take(self, session: Session, key: Sequence[Any], fresh: R, *, now: datetime) -> Taken[R] | None:
        """Claim the row `key` selects, inserting `fresh` (its key columns set) when there is none.
        None when it is settled, a live worker holds it, or another worker won the race."""
        model = self.model
        # SKIP LOCKED: workers on one PostgreSQL never wait for each other over a row (SQLite ignores it).
        row = session.scalar(select(model).where(*key).with_for_update(skip_locked=True))
        if row is None:
            fresh.status = CLAIMED
            fresh.claimed_by = self.worker_id
            fresh.claimed_at = now
            fresh.heartbeat_at = now
            fresh.generation = 1
            fresh.attempts = 1
            fresh.parts_posted = 0
            try:
                with session.begin_nested():
                    session.add(fresh)
            except IntegrityError:
                return None  # another worker inserted it first
            return Taken(fresh.id, 1, Held(1, None, 0, None), now, None)
        if row.status in FINAL:
            return None
        beat = row.heartbeat_at or row.claimed_at
        if row.status == CLAIMED and beat is not None and as_utc(beat) > now - self.lease:
            return None  # held by a live worker
        generation = row.generation + 1
        result = session.execute(
            update(model)
            .where(model.id == row.id, model.generation == row.generation)
            .values(
                status=CLAIMED,
                claimed_by=self.worker_id,
                claimed_at=row.claimed_at or now,
                heartbeat_at=now,
                generation=generation,
                attempts=row.attempts + 1,
            )
            .execution_options(synchronize_session=False)
        )
        if _count(result) != 1:
            return None  # someone else won the compare-and-set
        held = Held(row.attempts + 1, row.message_ts, row.parts_posted, row.posting_part)
        return Taken(row.id, generation, held, as_utc(row.claimed_at or now), row)

    def write(
        self, session: Session, row_id: int, generation: int, values: dict[str, Any], *, live: bool = True
    ) -> bool:
        """Write under our generation; False when another worker has taken the row over since.
        `live`: only while the claim is still held (not when recording its final state)."""
        model = self.model
        where = [model.id == row_id, model.generation == generation]
        if live:
            where.append(model.status == CLAIMED)
        result = session.execute(
            update(model).where(*where).values(**values).execution_options(synchronize_session=False)
        )
        return _count(result) == 1


class ClaimStore:
    def __init__(self, sessions: sessionmaker[Session], *, worker_id: str, lease: timedelta) -> None:
        self.sessions = sessions
        self.worker_id = worker_id
        self.lease = lease
        self.table = ClaimTable(Delivery, worker_id=worker_id, lease=lease)

    # --- what planning reads -----------------------------------------------------------------

    def schedules(self) -> list[Schedule]:
        has_sub = exists().where(
            Subscription.team_id == Channel.team_id, Subscription.channel_id == Channel.channel_id
        )
        # A channel that follows only keywords or a group's affiliates gets its briefing too.
        has_saved = exists().where(
            SavedQuery.team_id == Channel.team_id, SavedQuery.channel_id == Channel.channel_id
        )
        with self.sessions() as session:
            rows = session.scalars(select(Channel).where(or_(has_sub, has_saved)).order_by(Channel.id)).all()
            return [
                Schedule(
                    channel_pk=c.id,
                    team_id=c.team_id,
                    channel_id=c.channel_id,
                    is_dm=c.is_dm,
                    briefing_time=c.briefing_time,
                    timezone=c.timezone,
                    user_tz=c.user_tz,
                    created_at=c.created_at,
                    enterprise_id=c.enterprise_id,
                    cadence=c.cadence or "daily",
                )
                for c in rows
            ]

    def settled(self, oldest: date) -> Set[SlotKey]:
        with self.sessions() as session:
            return {
                (t, c, d, slot)
                for t, c, d, slot in session.execute(
                    select(
                        Delivery.team_id, Delivery.channel_id, Delivery.briefing_date, Delivery.slot
                    ).where(Delivery.briefing_date >= oldest, Delivery.status.in_(FINAL))
                )
            }

    def channel(self, channel_pk: int) -> ChannelState:
        with self.sessions() as session:
            row = session.get(Channel, channel_pk)
            if row is None:
                return ChannelState(None, True, False)
            return ChannelState(
                row.covered_until, row.post_when_empty, row.joined_at is not None, row.cadence or "daily"
            )

    # --- claims ------------------------------------------------------------------------------

    def claim(self, due: Due, *, now: datetime) -> Claim | None:
        """Claim the briefing for this worker, or None when it is settled or a live worker holds it."""
        with session_scope(self.sessions) as session:
            return self._claim(session, due, as_utc(now))

    def _claim(self, session: Session, due: Due, now: datetime) -> Claim | None:
        key = (
            Delivery.team_id == due.team_id,
            Delivery.channel_id == due.channel_id,
            Delivery.briefing_date == due.briefing_date,
            Delivery.slot == due.slot,
        )
        fresh = Delivery(
            team_id=due.team_id,
            enterprise_id=due.enterprise_id,
            channel_id=due.channel_id,
            briefing_date=due.briefing_date,
            slot=due.slot,
        )
        taken = self.table.take(session, key, fresh, now=now)
        if taken is None:
            return None
        row = taken.before
        since, until = (row.covered_since, row.covered_until) if row is not None else (None, None)
        return Claim(taken.row_id, taken.generation, taken.held, taken.claimed_at, since, until)

    def _guarded(
        self,
        claim: Claim,
        values: dict[str, Any],
        *,
        joined_channel: int | None = None,
        now: datetime | None = None,
        shown: ShownParts | None = None,
    ) -> None:
        with session_scope(self.sessions) as session:
            if joined_channel is not None:
                session.execute(
                    update(Channel)
                    .where(Channel.id == joined_channel)
                    .values(joined_at=now)
                    .execution_options(synchronize_session=False)
                )
            if not self.table.write(session, claim.delivery_id, claim.generation, values):
                raise Fenced(f"delivery {claim.delivery_id}: generation {claim.generation} superseded")
            if shown is not None and now is not None:
                record_shown(session, claim.delivery_id, shown, now=now)

    def heartbeat(self, claim: Claim, *, now: datetime) -> None:
        """Renew the lease, and check it is still ours (`Fenced` if not)."""
        self._guarded(claim, {"heartbeat_at": as_utc(now)})

    def start_posting(
        self,
        claim: Claim,
        *,
        part: int,
        now: datetime,
        window: tuple[datetime, datetime] | None = None,
        joined_channel: int | None = None,
        shown: ShownParts | None = None,
    ) -> None:
        """Before a part goes out: it is in doubt from now on. The window is fixed before the first
        part, so a successor composes the same briefing. `joined_channel`: the app just joined it.
        `shown`: the stories of parts an earlier attempt posted, where not on record yet."""
        values: dict[str, Any] = {"posting_part": part, "heartbeat_at": as_utc(now)}
        if window is not None:
            values["covered_since"], values["covered_until"] = window
        self._guarded(claim, values, joined_channel=joined_channel, now=as_utc(now), shown=shown)

    def part_posted(
        self,
        claim: Claim,
        *,
        part: int,
        ts: str,
        now: datetime,
        next_part: int | None,
        shown: ShownParts | None = None,
    ) -> None:
        """Slack answered for `part`; `next_part` (if any) is in doubt from now on. Renews the lease.
        `shown`: the stories the part showed, recorded in the same transaction."""
        values: dict[str, Any] = {
            "parts_posted": part,
            "posting_part": next_part,
            "heartbeat_at": as_utc(now),
        }
        if part == 1:
            values["message_ts"] = ts
        self._guarded(claim, values, now=as_utc(now), shown=shown)

    def finish(
        self,
        claim: Claim,
        *,
        status: str,
        now: datetime,
        error: str | None = None,
        message_ts: str | None = None,
        covered: tuple[datetime, datetime] | None = None,
        channel_pk: int | None = None,
        in_doubt: bool = False,
        parts_posted: int | None = None,
        shown: ShownParts | None = None,
    ) -> bool:
        """Record the result while the claim is still ours; True when recorded. `covered` moves the
        channel's `covered_until` to the end of the window this briefing covered. `in_doubt` keeps
        the part in flight on record (a retry after a failure that may have posted it). `shown`: the
        stories of the last part (or of parts found posted), recorded in the same transaction."""
        values: dict[str, Any] = {"status": status, "error": error, "heartbeat_at": as_utc(now)}
        if message_ts is not None:
            values["message_ts"] = message_ts
        if parts_posted is not None:
            values["parts_posted"] = parts_posted
        if not (status == RETRY and in_doubt):
            values["posting_part"] = None
        if covered is not None:
            values["posted_at"] = as_utc(now)
            values["covered_since"], values["covered_until"] = covered
        with session_scope(self.sessions) as session:
            if not self.table.write(session, claim.delivery_id, claim.generation, values, live=False):
                return False
            if shown is not None:
                record_shown(session, claim.delivery_id, shown, now=as_utc(now))
            if covered is not None and channel_pk is not None:
                session.execute(
                    update(Channel)
                    .where(Channel.id == channel_pk)
                    .values(last_briefed_at=as_utc(now), covered_until=covered[1])
                    .execution_options(synchronize_session=False)
                )
        return True

    # --- channel facts learnt from Slack ----------------------------------------------------------

    def dm_users_to_refresh(self, *, now: datetime) -> list[DmUser]:
        """DM destinations whose user's time zone was never read, or not for a week."""
        stale = as_utc(now) - USER_TZ_MAX_AGE
        with self.sessions() as session:
            rows = session.scalars(
                select(Channel).where(
                    Channel.is_dm.is_(True),
                    (Channel.user_tz_checked_at.is_(None)) | (Channel.user_tz_checked_at < stale),
                )
            ).all()
            owners = {
                (team, channel): user
                for team, channel, user in session.execute(
                    select(Subscription.team_id, Subscription.channel_id, Subscription.created_by)
                    .where(Subscription.is_dm.is_(True), Subscription.created_by.is_not(None))
                    .order_by(Subscription.id)
                )
            }
            out: list[DmUser] = []
            for c in rows:
                # A DM stored under its user's id names the user; a D… id is looked up by its subscriber.
                user = (
                    c.channel_id if c.channel_id[:1] in ("U", "W") else owners.get((c.team_id, c.channel_id))
                )
                if user:
                    out.append(DmUser(c.id, c.team_id, str(user), c.enterprise_id))
            return out

    def set_user_tz(self, channel_pk: int, tz: str | None, *, now: datetime) -> None:
        values: dict[str, Any] = {"user_tz_checked_at": as_utc(now)}
        if tz:
            values["user_tz"] = tz
        with session_scope(self.sessions) as session:
            session.execute(
                update(Channel)
                .where(Channel.id == channel_pk)
                .values(**values)
                .execution_options(synchronize_session=False)
            )


def _count(result: Any) -> int:
    return int(getattr(result, "rowcount", 0) or 0)
