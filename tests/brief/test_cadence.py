"""Cadences over days with the clock moved: each briefing slot is due once, a change never doubles one."""

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


def run_days(cadence: str, days: int) -> list[tuple[date, int]]:
    """Plan every 30 minutes for `days` days, settling whatever is due at once (as delivery does)."""
    # The days before the run were delivered already (the plan looks back two days for missed ones).
    settled = {("T1", "C1", START.date() - timedelta(days=i), slot) for i in range(1, 4) for slot in (0, 1)}
    posted: list[tuple[date, int]] = []
    now = START
    while now < START + timedelta(days=days):
        for due in plan([schedule(cadence)], settled, now=now, default_time="08:00", default_tz=SEOUL):
            settled.add(due.key)
            posted.append((due.briefing_date, due.slot))
        now += timedelta(minutes=30)
    return posted


@pytest.mark.parametrize(
    ("cadence", "weekdays", "slots"),
    [
        ("daily", set(range(7)), {0}),
        ("weekdays", {0, 1, 2, 3, 4}, {0}),
        ("weekly:0", {0}, {0}),
        ("weekly:4", {4}, {0}),
        ("twice:08:00,17:00", set(range(7)), {0, 1}),
    ],
)
def test_each_cadence_posts_once_per_slot(cadence: str, weekdays: set[int], slots: set[int]) -> None:
    posted = run_days(cadence, 14)
    assert len(posted) == len(set(posted))  # never twice
    # 14 days from Monday 09:00 KST: Monday (its 08:00 an hour late) to the Monday two weeks on, whose
    # 08:00 slot falls inside but not its 17:00.
    days = [START.date() + timedelta(days=i) for i in range(15)]
    expected = {
        (d, slot)
        for d in days
        for slot in slots
        if d.weekday() in weekdays and not (slot == 1 and d == days[-1])
    }
    assert set(posted) == expected  # never zero


def test_twice_a_day_slots_are_due_at_their_own_times() -> None:
    twice = schedule("twice:08:00,17:00")
    day = date(2026, 12, 2)
    settled = {("T1", "C1", day - timedelta(days=i), slot) for i in range(1, 4) for slot in (0, 1)}
    noon = datetime(2026, 12, 2, 3, 0, tzinfo=UTC)  # 12:00 KST
    [morning] = plan([twice], settled, now=noon, default_time="08:00", default_tz=SEOUL)
    assert (morning.slot, morning.due_at, morning.next_due_at) == (
        0,
        datetime(2026, 12, 1, 23, 0, tzinfo=UTC),
        datetime(2026, 12, 2, 8, 0, tzinfo=UTC),  # the 17:00 slot it gives way to
    )
    evening = plan(
        [twice],
        settled | {morning.key},
        now=noon + timedelta(hours=5),
        default_time="08:00",
        default_tz=SEOUL,
    )
    assert [(d.slot, d.next_due_at) for d in evening] == [(1, None)]


def test_a_change_in_the_middle_of_a_day_posts_neither_twice_nor_zero_times() -> None:
    wednesday = date(2026, 12, 2)
    settled = {("T1", "C1", wednesday - timedelta(days=i), 0) for i in range(1, 4)}  # delivered before
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


def day_of_changes(changes: list[tuple[int, str]]) -> list[tuple[int, int]]:
    """One Wednesday planned every 10 minutes with the cadence changed at the given KST hours:
    the (KST hour, slot) of every briefing that became due."""
    wednesday = date(2026, 12, 2)
    settled = {("T1", "C1", wednesday - timedelta(days=i), s) for i in range(1, 4) for s in (0, 1)}
    midnight = datetime(2026, 12, 1, 15, 0, tzinfo=UTC)  # 00:00 KST
    posted: list[tuple[int, int]] = []
    for minutes in range(0, 24 * 60, 10):
        now = midnight + timedelta(minutes=minutes)
        cadence = [c for hour, c in changes if hour * 60 <= minutes][-1]
        for due in plan([schedule(cadence)], settled, now=now, default_time="08:00", default_tz=SEOUL):
            assert due.briefing_date == wednesday
            settled.add(due.key)
            posted.append((minutes // 60, due.slot))
    return posted


@pytest.mark.parametrize(
    ("changes", "posted"),
    [
        # 매일 08:00 posted, 하루두번 08:00 17:00 from 10:00: only 17:00 more that day.
        ([(0, "daily"), (10, "twice:08:00,17:00")], [(8, 0), (17, 1)]),
        # 하루두번 with 08:00 posted, 매일 09:00 from 10:00: nothing more that day.
        ([(0, "twice:08:00,17:00"), (10, "daily")], [(8, 0)]),
        # Both of the day's briefings posted, then 매일: nothing more.
        ([(0, "twice:08:00,17:00"), (18, "daily")], [(8, 0), (17, 1)]),
        # 하루두번 chosen at 07:00, before the day's first briefing: both slots.
        ([(0, "weekly:0"), (7, "twice:08:00,17:00")], [(8, 0), (17, 1)]),
        # Times moved later the same day: the morning slot is settled, the evening one moves.
        ([(0, "twice:08:00,17:00"), (10, "twice:09:00,19:00")], [(8, 0), (19, 1)]),
    ],
)
def test_cadence_changes_within_a_day(changes: list[tuple[int, str]], posted: list[tuple[int, int]]) -> None:
    assert day_of_changes(changes) == posted


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
        ("하루두번 08:00 17:00", "twice:08:00,17:00", "08:00"),
        ("하루 두번 7:30 18시", "twice:07:30,18:00", "07:30"),
        ("twice 06:00 23:59", "twice:06:00,23:59", "06:00"),
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
        ("매일 08:00 09:00", "하나만"),
        ("하루두번", "두 개 입력해"),
        ("하루두번 08:00", "두 개 입력해"),
        ("하루두번 08:00 12:00 17:00", "두 개 입력해"),
        ("하루두번 08:00 8:00", "두 시간이 같습니다"),
        ("하루두번 17:00 08:00", "이르게"),
        ("하루두번 08:00 25:00", "HH:MM"),
        ("하루두번 아침 저녁", "HH:MM"),
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


def test_a_weekly_briefing_ranks_the_weeks_stories_by_coverage() -> None:
    from briefings.brief import Coverage, StoryItem, compose_briefing

    now = datetime(2026, 12, 7, 0, 0, tzinfo=UTC)

    def item(sid: int, headline: str, *, outlets: int, articles: int, days_ago: float) -> StoryItem:
        at = now - timedelta(days=days_ago)
        return StoryItem(
            sid,
            headline,
            f"https://n.example/{sid}",
            "연합뉴스",
            outlets,
            False,
            at,
            at,
            companies=("삼성전자",),
            articles_count=articles,
        )

    stories = [
        item(1, "월요일부터 계속 보도된 소식", outlets=4, articles=12, days_ago=6),
        item(2, "어제 소식", outlets=4, articles=4, days_ago=1),
        item(3, "오늘 작은 소식", outlets=2, articles=2, days_ago=0.1),
        item(4, "주 초 큰 소식", outlets=6, articles=6, days_ago=6.5),
    ]

    def order(weekly: bool) -> list[int]:
        briefing = compose_briefing(
            team_id="T1",
            channel_id="C1",
            subscribed=["삼성전자"],
            stories=stories,
            coverage=Coverage(1, 1),
            since=now - timedelta(days=7),
            now=now,
            tz=SEOUL,
            weekly=weekly,
            top=4,
        )
        return [s.id for s in briefing.sections[0].stories]

    # The week's coverage alone: outlets, then articles (12 beat 4 among the four-outlet stories).
    assert order(weekly=True) == [4, 1, 2, 3]
    # The daily rule gives the fresher of two equal stories the lead instead.
    assert order(weekly=False) == [4, 2, 1, 3]


def test_a_days_later_slot_waits_while_the_earlier_one_is_unsettled() -> None:
    twice = schedule("twice:08:00,08:30")
    day = date(2026, 12, 2)
    settled = {("T1", "C1", day - timedelta(days=i), slot) for i in range(1, 4) for slot in (0, 1)}
    at = datetime(2026, 12, 1, 23, 40, tzinfo=UTC)  # 08:40 KST: both slots' times have come
    # Slot 0 still held by a worker (or not yet decided): slot 1 is not due, so it cannot start from
    # a `covered_until` that slot 0 is about to move.
    assert [d.slot for d in plan([twice], settled, now=at, default_time="08:00", default_tz=SEOUL)] == [0]
    settled.add(("T1", "C1", day, 0))
    assert [d.slot for d in plan([twice], settled, now=at, default_time="08:00", default_tz=SEOUL)] == [1]
