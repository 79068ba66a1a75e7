"""What is due: a pure function of the channels' schedules, what is settled, and `now`."""

from __future__ import annotations

from collections.abc import Iterable, Set
from dataclasses import dataclass
from datetime import date, datetime, timedelta, tzinfo
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from briefings.brief import due_at
from briefings.cadence import is_briefing_day
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
    cadence: str = "daily"  # which local dates have a briefing (briefings.cadence)


@dataclass(frozen=True)
class Due:
    channel_pk: int
    team_id: str
    channel_id: str
    is_dm: bool
    briefing_date: date
    due_at: datetime
    enterprise_id: str | None = None

    @property
    def key(self) -> tuple[str, str, date]:
        return (self.team_id, self.channel_id, self.briefing_date)


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
    """Every (channel, local date) whose time has come in the last `lookback_days`, settled or not.

    A date before the channel existed, or not one of its cadence's days, is never due.
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
            at = due_at(day, s.briefing_time, tz, default_time)
            if at > now or at < as_utc(s.created_at):
                continue
            out.append(Due(s.channel_pk, s.team_id, s.channel_id, s.is_dm, day, at, s.enterprise_id))
    return out


def plan(
    schedules: Iterable[Schedule],
    settled: Set[tuple[str, str, date]],
    *,
    now: datetime,
    default_time: str,
    default_tz: tzinfo,
    lookback_days: int = 2,
) -> list[Due]:
    """Briefings whose time has come and that are not settled yet, oldest first."""
    due = [
        c
        for c in candidates(
            schedules, now=now, default_time=default_time, default_tz=default_tz, lookback_days=lookback_days
        )
        if c.key not in settled
    ]
    due.sort(key=lambda c: (c.due_at, c.channel_pk))
    return due
