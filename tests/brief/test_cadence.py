"""Cadences over days with the clock moved: each briefing day is due once, and a change never doubles one."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy.orm import Session, sessionmaker

from briefings.brief import window_start
from briefings.cadence import is_briefing_day, parse_cadence, window_days
from briefings.delivery.plan import Schedule, plan
from briefings.subscriptions import InvalidSetting

SEOUL = ZoneInfo("Asia/Seoul")
START = datetime(2026, 11, 30, 0, 0, tzinfo=UTC)  # Monday 09:00 KST


def schedule(cadence: str) -> Schedule:
    return Schedule(1, "T1", "C1", False, "08:00", None, None, START - timedelta(days=30), cadence=cadence)


def run_days(cadence: str, days: int) -> list[date]:
    """Plan every 30 minutes for `days` days, settling whatever is due at once (as delivery does)."""
    # The days before the run were delivered already (the plan looks back two days for missed ones).
    settled = {("T1", "C1", START.date() - timedelta(days=i)) for i in range(1, 4)}
    posted: list[date] = []
    now = START
    while now < START + timedelta(days=days):
        for due in plan([schedule(cadence)], settled, now=now, default_time="08:00", default_tz=SEOUL):
            settled.add(due.key)
            posted.append(due.briefing_date)
        now += timedelta(minutes=30)
    return posted


@pytest.mark.parametrize(
    ("cadence", "weekdays"),
    [("daily", set(range(7))), ("weekdays", {0, 1, 2, 3, 4}), ("weekly:0", {0}), ("weekly:4", {4})],
)
def test_each_cadence_posts_once_per_briefing_day(cadence: str, weekdays: set[int]) -> None:
    posted = run_days(cadence, 14)
    assert len(posted) == len(set(posted))  # never twice
    # 14 days from Monday 09:00 KST: Monday to the Monday two weeks on, whose 08:00 slot falls inside.
    days = [START.date() + timedelta(days=i) for i in range(15)]
    assert set(posted) == {d for d in days if d.weekday() in weekdays}  # never zero


def test_a_change_in_the_middle_of_a_day_posts_neither_twice_nor_zero_times() -> None:
    wednesday = date(2026, 12, 2)
    settled = {("T1", "C1", wednesday - timedelta(days=i)) for i in range(1, 4)}  # delivered before
    ten = datetime(2026, 12, 2, 1, 0, tzinfo=UTC)  # 10:00 KST, after the 08:00 slot
    # Weekly on Monday: Wednesday is not a briefing day.
    assert plan([schedule("weekly:0")], settled, now=ten, default_time="08:00", default_tz=SEOUL) == []
    # Changed to daily at 10:00: today's briefing is due (late) once.
    due = plan([schedule("daily")], settled, now=ten, default_time="08:00", default_tz=SEOUL)
    assert [d.briefing_date for d in due] == [wednesday]
    settled.update(d.key for d in due)
    # Changed again to weekdays the same day: already settled, nothing more.
    later = ten + timedelta(hours=3)
    assert plan([schedule("weekdays")], settled, now=later, default_time="08:00", default_tz=SEOUL) == []


def test_a_weekly_briefing_covers_the_week() -> None:
    now = datetime(2026, 12, 7, 0, 0, tzinfo=UTC)
    last_week = now - timedelta(days=7)
    assert window_start(last_week, now, max_days=window_days("weekly:0")) == last_week
    assert window_start(last_week, now, max_days=window_days("daily")) == now - timedelta(days=3)


def test_unknown_cadences_read_as_daily() -> None:
    assert is_briefing_day("nonsense", date(2026, 12, 5))
    assert not is_briefing_day("weekdays", date(2026, 12, 5))  # Saturday


@pytest.mark.parametrize(
    ("text", "cadence", "time"),
    [
        ("매일", "daily", None),
        ("평일 08:30", "weekdays", "08:30"),
        ("매주 월 8:00", "weekly:0", "08:00"),
        ("매주 금요일", "weekly:4", None),
    ],
)
def test_parse_cadence(text: str, cadence: str, time: str | None) -> None:
    choice = parse_cadence(text)
    assert (choice.cadence, choice.time) == (cadence, time)


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("", "주기를 입력해"),
        ("가끔", "알 수 없는 주기"),
        ("매주", "요일을 함께"),
        ("매주 월 25:00", "HH:MM"),
        ("하루두번 08:00 17:00", "아직 지원하지 않습니다"),
        ("매일 08:00 09:00", "하나만"),
    ],
)
def test_bad_cadences_get_one_korean_line(text: str, says: str) -> None:
    with pytest.raises(InvalidSetting) as err:
        parse_cadence(text)
    assert says in str(err.value) and "\n" not in str(err.value)


def test_a_weekly_channels_briefing_reads_the_whole_week(sessions: sessionmaker[Session]) -> None:
    from briefings.brief import BriefingLoader
    from briefings.subscriptions import ensure_channel, subscribe
    from tests.bot.seed import NOW, add_story, seed_world

    with sessions() as session:
        world = seed_world(session)
        add_story(session, [world.ids["LG전자"]], "LG전자 닷새 전 소식", hours_ago=24 * 5, outlets=3)
        add_story(session, [world.ids["LG전자"]], "LG전자 열흘 전 소식", hours_ago=24 * 10, outlets=3)
        for channel, cadence in (("CWEEK", "weekly:6"), ("CDAY", "daily")):
            subscribe(session, "T1", channel, world.ids["LG전자"], now=NOW - timedelta(days=30))
            row = ensure_channel(session, "T1", channel, now=NOW)
            row.cadence = cadence
            row.covered_until = NOW - timedelta(days=7)
        session.commit()
        loader = BriefingLoader(session, now=NOW)
        loader.prefetch()
        daily = loader.load("T1", "CDAY")
        weekly = loader.load("T1", "CWEEK")

    def shown(b: object) -> set[str]:
        return {s.headline for sec in b.sections for s in sec.stories}  # type: ignore[attr-defined]

    assert weekly.since == NOW - timedelta(days=7)
    assert "LG전자 닷새 전 소식" in shown(weekly) and "LG전자 열흘 전 소식" not in shown(weekly)
    assert "LG전자 닷새 전 소식" not in shown(daily)  # a daily channel's backlog stays three days
