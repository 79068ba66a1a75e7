"""Which alerts are due: the pure decision, from follows, daily counts, today's claims and `now`."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from briefings.delivery.claims import FINAL
from briefings.signals.alerts import (
    MAX_PER_CHANNEL_DAY,
    Follow,
    alerts_due,
    baseline_days_left,
    rising_words,
)
from briefings.signals.spikes import DayCount, Sensitivity

NOW = datetime(2026, 12, 1, 6, 0, tzinfo=UTC)  # Tuesday 15:00 KST
TODAY = date(2026, 12, 1)


def series(today: int, *, days: int = 30, usual: int = 2, yesterday: int | None = None) -> list[DayCount]:
    out = []
    for back in range(days, 0, -1):
        d = TODAY - timedelta(days=back)
        n = usual if d.weekday() < 5 else max(usual // 2, 0)
        if back == 1 and yesterday is not None:
            n = yesterday
        out.append(DayCount(d, n, n))
    return [*out, DayCount(TODAY, today, today)]


def follow(
    company_id: int,
    *,
    channel: str = "C1",
    since: datetime = NOW - timedelta(days=60),
    sensitivity: Sensitivity = "보통",
) -> Follow:
    return Follow(
        channel_pk=1,
        team_id="T1",
        channel_id=channel,
        is_dm=False,
        company_id=company_id,
        company_name=f"회사{company_id}",
        followed_at=since,
        sensitivity=sensitivity,
    )


def due(follows: list[Follow], counts: dict[int, list[DayCount]], claimed: dict | None = None) -> list:  # type: ignore[type-arg]
    return alerts_due(follows, counts, claimed or {}, now=NOW, settled=FINAL)


def test_a_spike_that_starts_today_is_due_once_with_its_count_against_the_usual() -> None:
    (alert,) = due([follow(1)], {1: series(11)})
    assert alert.key == ("T1", "C1", 1, TODAY)
    assert alert.decision.text() == "평소 하루 2건 → 오늘 11건 (11개 매체)"
    # Posted already (or skipped, or failed for good): never again that day.
    for status in ("posted", "skipped", "failed", "unconfirmed"):
        assert due([follow(1)], {1: series(11)}, {alert.key: status}) == []


def test_a_claim_left_unfinished_is_due_again_for_its_takeover() -> None:
    key = ("T1", "C1", 1, TODAY)
    for status in ("claimed", "retry"):
        (alert,) = due([follow(1)], {1: series(11)}, {key: status})
        assert alert.key == key


def test_an_ordinary_day_and_a_spike_that_began_yesterday_are_not_due() -> None:
    assert due([follow(1)], {1: series(3)}) == []
    assert due([follow(1)], {1: series(12, yesterday=11)}) == []


def test_a_channel_with_alerts_off_gets_none_while_another_gets_its_alert() -> None:
    follows = [follow(1, channel="COFF", sensitivity="끔"), follow(1, channel="CON")]
    assert [a.follow.channel_id for a in due(follows, {1: series(11)})] == ["CON"]


def test_sensitivity_decides_a_borderline_day() -> None:
    counts = {1: series(7)}  # p ≈ 0.0045 against a usual 2 a day
    assert [a.follow.sensitivity for a in due([follow(1, sensitivity="민감")], counts)] == ["민감"]
    assert due([follow(1, sensitivity="둔감")], counts) == []


def test_no_baseline_in_the_first_days_after_a_subscription() -> None:
    recent = follow(1, since=NOW - timedelta(days=3))
    assert due([recent], {1: series(30)}) == []
    assert baseline_days_left(recent, None, now=NOW) == 4
    # Seven complete days after the subscription day, the same jump alerts.
    week = follow(1, since=NOW - timedelta(days=7))
    assert baseline_days_left(week, None, now=NOW) == 0
    assert len(due([week], {1: series(30)})) == 1


def test_no_baseline_while_gathering_itself_is_new() -> None:
    old = follow(1)
    assert alerts_due([old], {1: series(11)}, {}, now=NOW, coverage_since=TODAY - timedelta(days=2)) == []
    assert baseline_days_left(old, TODAY - timedelta(days=2), now=NOW) == 5


def test_a_busy_day_never_floods_a_channel_strongest_first() -> None:
    follows = [follow(i) for i in range(1, 7)] + [follow(9, channel="C2")]
    counts = {i: series(8 + i) for i in range(1, 7)} | {9: series(9)}
    alerts = due(follows, counts)
    in_c1 = [a.follow.company_id for a in alerts if a.follow.channel_id == "C1"]
    assert in_c1 == [6, 5, 4][:MAX_PER_CHANNEL_DAY]
    assert [a.follow.company_id for a in alerts if a.follow.channel_id == "C2"] == [9]
    # Two already claimed today leave room for one more.
    claimed = {("T1", "C1", 6, TODAY): "posted", ("T1", "C1", 5, TODAY): "posted"}
    assert [a.follow.company_id for a in due(follows[:6], counts, claimed)] == [4]


def test_rising_words_stand_out_against_the_days_before_and_skip_the_company_name() -> None:
    today = [["리콜", "배터리", "화웨이"], ["리콜", "배터리", "실적"], ["리콜", "화웨이", "주가"]]
    before = [["실적", "주가", "화웨이"]] * 14 + [["배터리"]]
    words = rising_words(today, before, exclude={"화웨이"})
    assert words == ["리콜", "배터리"]  # 실적 and 주가 are every day's words; one story is not a rise
    assert rising_words([["단독", "합병"]], [["실적"]] * 5) == ["단독", "합병"]
    assert rising_words([], before) == []
