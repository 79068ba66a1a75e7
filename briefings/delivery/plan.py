"""What is due: a pure function of the channels' schedules, what is settled, and `now`."""

from __future__ import annotations

from collections.abc import Iterable, Set
from dataclasses import dataclass
from datetime import date, datetime, timedelta, tzinfo
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from briefings.brief import due_at
from briefings.cadence import is_briefing_day, slot_times
from briefings.timeutil import as_utc


@dataclass(frozen=True)
class Schedule:
    """A briefing destination as planning sees it (one `channels` row with at least one subscription)."""

    channel_pk: int
    team_id: str
    channel_id: str
    is_dm: bool
    briefing_time: str | None
    timezone: str | None  # set for the channel on purpose: wins over everything
    user_tz: str | None  # a DM's user's own time zone, from Slack's profile
    created_at: datetime
    enterprise_id: str | None = None
    cadence: str = "daily"  # which local dates and slots have a briefing (briefings.cadence)


SlotKey = tuple[str, str, date, int]  # (team, channel, local date, slot): one briefing, claimed once


@dataclass(frozen=True)
class Due:
    channel_pk: int
    team_id: str
    channel_id: str
    is_dm: bool
    briefing_date: date
    due_at: datetime
    enterprise_id: str | None = None
    slot: int = 0  # which of the day's briefings: 0 the first (the only one but for twice a day)
    # When the day's next slot is due: a slot not started by then gives way to it (`Decider`).
    next_due_at: datetime | None = None

    @property
    def key(self) -> SlotKey:
        return (self.team_id, self.channel_id, self.briefing_date, self.slot)


def zone(name: str | None) -> ZoneInfo | None:
    if not name:
        return None
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return None  # a bad name must never stop a briefing: the default applies


def schedule_tz(schedule: Schedule, default: tzinfo) -> tzinfo:
    """The channel's own zone, else (a DM) its user's zone from Slack, else BRIEFINGS_TZ."""
    return zone(schedule.timezone) or (zone(schedule.user_tz) if schedule.is_dm else None) or default


def candidates(
    schedules: Iterable[Schedule], *, now: datetime, default_time: str, default_tz: tzinfo, lookback_days: int
) -> list[Due]:
    """Every (channel, local date, slot) whose time has come in the last `lookback_days`, settled or not.

    A slot before the channel existed, or on a date that is not one of its cadence's days, is never due.
    """
    now = as_utc(now)
    out: list[Due] = []
    for s in schedules:
        tz = schedule_tz(s, default_tz)
        today = now.astimezone(tz).date()
        for back in range(lookback_days, -1, -1):
            day = today - timedelta(days=back)
            if not is_briefing_day(s.cadence, day):
                continue
            times = [
                due_at(day, t, tz, default_time) for t in slot_times(s.cadence, s.briefing_time, default_time)
            ]
            for slot, at in enumerate(times):
                if at > now or at < as_utc(s.created_at):
                    continue
                following = times[slot + 1] if slot + 1 < len(times) else None
                out.append(
                    Due(
                        s.channel_pk,
                        s.team_id,
                        s.channel_id,
                        s.is_dm,
                        day,
                        at,
                        s.enterprise_id,
                        slot,
                        following,
                    )
                )
    return out


def plan(
    schedules: Iterable[Schedule],
    settled: Set[SlotKey],
    *,
    now: datetime,
    default_time: str,
    default_tz: tzinfo,
    lookback_days: int = 2,
) -> list[Due]:
    """Briefings whose time has come and that are not settled yet, oldest first.

    A day's later slot waits while its earlier one is due and unsettled: the slots of one channel are
    posted one after the other, so each starts from where the one before it ended (`covered_until`),
    even when another worker holds the earlier one.
    """
    due = [
        c
        for c in candidates(
            schedules, now=now, default_time=default_time, default_tz=default_tz, lookback_days=lookback_days
        )
        if c.key not in settled
    ]
    waiting = {(c.team_id, c.channel_id, c.briefing_date, c.slot + 1) for c in due}
    due = [c for c in due if c.key not in waiting]
    due.sort(key=lambda c: (c.due_at, c.channel_pk, c.slot))
    return due
