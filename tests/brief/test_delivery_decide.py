"""The delivery's pure stages: what is due, and what to do with a claimed briefing."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from briefings.delivery.decide import Action, Check, Decider, Decision, Held, Seen
from briefings.delivery.plan import Schedule, plan

KST = ZoneInfo("Asia/Seoul")
DUE = datetime(2026, 11, 19, 23, 0, tzinfo=UTC)  # 2026-11-20 08:00 KST


def decider(held: Held, *, late: bool = False, max_attempts: int = 5) -> Decider:
    now = DUE + (timedelta(hours=4) if late else timedelta(minutes=1))
    return Decider(held=held, due_at=DUE, now=now, grace=timedelta(hours=3), max_attempts=max_attempts)


def schedule(pk: int, channel: str, **kw: object) -> Schedule:
    values: dict[str, object] = {
        "channel_pk": pk,
        "team_id": "T1",
        "channel_id": channel,
        "is_dm": False,
        "briefing_time": "08:00",
        "timezone": None,
        "user_tz": None,
        "created_at": DUE - timedelta(days=10),
    }
    values.update(kw)
    return Schedule(**values)  # type: ignore[arg-type]


def test_plan_lists_each_unsettled_briefing_at_its_local_time_oldest_first() -> None:
    now = DUE + timedelta(minutes=5)
    schedules = [
        schedule(1, "C1"),
        schedule(2, "C2", briefing_time="09:00"),
        schedule(3, "U7", is_dm=True, user_tz="America/New_York"),  # 08:00 in New York: 22:00 KST
        schedule(4, "U8", is_dm=True, user_tz="America/New_York", timezone="Asia/Seoul"),  # set: wins
        schedule(5, "CNEW", created_at=DUE - timedelta(hours=1)),
    ]
    settled = {("T1", "C1", date(2026, 11, 19), 0)}
    due = plan(schedules, settled, now=now, default_time="08:00", default_tz=KST, lookback_days=1)
    got = [(d.channel_id, d.briefing_date.isoformat()) for d in due]
    assert got == [
        ("U7", "2026-11-18"),  # 08:00 in New York on the 18th: 13:00 UTC, the oldest
        ("U8", "2026-11-19"),  # 08:00 KST on the 19th: 23:00 UTC on the 18th
        ("C2", "2026-11-19"),  # yesterday's 09:00; today's has not come yet
        ("U7", "2026-11-19"),
        ("C1", "2026-11-20"),  # C1's 19th is settled; 08:00 KST on the 20th
        ("U8", "2026-11-20"),
        ("CNEW", "2026-11-20"),  # created after the 19th's time
    ]


def test_nothing_in_doubt_means_no_read_of_slack() -> None:
    d = decider(Held(attempts=2, message_ts="1.1", parts_posted=2, posting_part=None))
    assert d.check() is Check.NONE
    assert d.posted_through(None) == 2
    assert d.decide(posted=2, parts=3, empty=False, post_when_empty=True) == Decision(Action.POST, first=3)


def test_part_in_flight_is_looked_up_top_or_thread() -> None:
    assert decider(Held(2, None, 0, 1)).check() is Check.TOP
    assert decider(Held(2, "1.1", 1, 2)).check() is Check.THREAD


def test_found_or_absent_part_counts_what_is_in_slack() -> None:
    assert decider(Held(2, None, 0, 1)).posted_through(Seen.FOUND) == 1
    assert decider(Held(2, None, 0, 1)).posted_through(Seen.ABSENT) == 0
    assert decider(Held(2, "1.1", 1, 2)).posted_through(Seen.ABSENT) == 1


def test_unreadable_history_counts_the_part_as_posted_never_twice() -> None:
    top = decider(Held(2, None, 0, 1)).posted_through(Seen.UNREADABLE)
    assert isinstance(top, Decision) and top.action is Action.SETTLE
    # A thread part that cannot be read is counted as posted; the parts after it still go out.
    assert decider(Held(2, "1.1", 1, 2)).posted_through(Seen.UNREADABLE) == 2


def test_rate_limited_read_waits_for_a_later_tick_until_attempts_run_out() -> None:
    wait = decider(Held(2, None, 0, 1)).posted_through(Seen.LATER)
    assert isinstance(wait, Decision) and wait.action is Action.RETRY
    last = decider(Held(5, None, 0, 1), max_attempts=5).posted_through(Seen.LATER)
    assert isinstance(last, Decision) and last.action is Action.SETTLE


def test_attempts_cap() -> None:
    over = decider(Held(6, None, 0, None), max_attempts=5)
    assert over.exhausted() == Decision(Action.FAIL, note="시도 횟수 초과")


def test_late_briefing_skipped_only_when_nothing_was_posted() -> None:
    assert decider(Held(1, None, 0, None), late=True).decide(
        posted=0, parts=1, empty=False, post_when_empty=True
    ) == Decision(Action.SKIP, note="유예 시간 초과")
    # Half a briefing is finished even late: the channel already shows its first part.
    late_half = decider(Held(2, "1.1", 1, None), late=True)
    assert late_half.decide(posted=1, parts=2, empty=False, post_when_empty=True).action is Action.POST


def test_empty_day_and_everything_already_posted() -> None:
    d = decider(Held(1, None, 0, None))
    assert d.decide(posted=0, parts=1, empty=True, post_when_empty=False).action is Action.EMPTY
    assert d.decide(posted=0, parts=1, empty=True, post_when_empty=True).action is Action.POST
    done = decider(Held(2, "1.1", 2, None)).decide(posted=2, parts=2, empty=False, post_when_empty=True)
    assert done.action is Action.SETTLE and done.recovered


def test_a_slot_not_started_gives_way_to_the_days_next_one() -> None:
    afternoon = DUE + timedelta(hours=9)  # 17:00 KST, the second slot of twice a day
    held = Held(1, None, 0, None)
    early = Decider(
        held=held,
        due_at=DUE,
        now=afternoon - timedelta(minutes=1),
        grace=timedelta(hours=12),
        max_attempts=5,
        next_due_at=afternoon,
    )
    assert early.decide(posted=0, parts=1, empty=False, post_when_empty=True) == Decision(Action.POST)
    at_next = replace(early, now=afternoon)
    assert at_next.decide(posted=0, parts=1, empty=False, post_when_empty=True) == Decision(
        Action.SKIP, note="다음 브리핑 시간이 되어 넘김"
    )
    # A slot already partly in Slack is finished, never abandoned half posted.
    assert at_next.decide(posted=1, parts=2, empty=False, post_when_empty=True) == Decision(
        Action.POST, first=2
    )
