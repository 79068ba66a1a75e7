"""The spike detector: baselines, weekday effects, the no-baseline period, sensitivities, the Poisson tail."""

from __future__ import annotations

import math
from datetime import date, timedelta

import pytest

from briefings.signals.spikes import (
    MIN_BASELINE_DAYS,
    DayCount,
    detect_spike,
    format_count,
    poisson_upper_tail,
    spike_starts,
)

# A Tuesday.
DAY = date(2026, 12, 1)


def history(weekday: int, weekend: int, days: int = 14, end: date = DAY) -> list[DayCount]:
    """`days` days before `end` with `weekday` stories on weekdays and `weekend` on weekends."""
    out = []
    for i in range(days, 0, -1):
        d = end - timedelta(days=i)
        n = weekend if d.weekday() >= 5 else weekday
        out.append(DayCount(d, n, n))
    return out


def test_poisson_tail_matches_the_direct_sum_and_stays_accurate_far_out() -> None:
    for lam in (0.2, 2.0, 7.5, 40.0):
        for k in (0, 1, 3, 10, 30, 60):
            direct = 1.0 - sum(math.exp(-lam) * lam**i / math.factorial(i) for i in range(k))
            assert poisson_upper_tail(k, lam) == pytest.approx(max(direct, 0.0), rel=1e-9, abs=1e-15)
    # 1 - lower sum would give 0 here; the upward sum keeps the magnitude.
    far = poisson_upper_tail(40, 2.0)
    assert 0 < far < 1e-30
    assert far == pytest.approx(math.exp(-2.0) * 2.0**40 / math.factorial(40), rel=1e-2)


def test_a_jump_against_a_steady_baseline_is_a_spike_with_its_text() -> None:
    counts = [*history(2, 1), DayCount(DAY, 11, 9)]
    decision = detect_spike(counts, DAY, observed_since=DAY - timedelta(days=60))
    assert decision.is_spike
    # 한글날 (10-09) in the factor window is a rest day: the factor moves a little.
    assert decision.expected == pytest.approx(2.0, rel=0.02)
    assert decision.baseline_days == 14
    assert decision.text() == "평소 하루 2건 → 오늘 11건 (9개 매체)"


def test_an_ordinary_day_is_not_a_spike() -> None:
    counts = [*history(5, 5), DayCount(DAY, 7, 6)]
    decision = detect_spike(counts, DAY, observed_since=DAY - timedelta(days=60))
    assert decision.status == "normal"
    assert decision.p_value > 0.1


def test_weekend_is_compared_with_weekends() -> None:
    saturday = date(2026, 12, 5)
    counts = [*history(10, 1, end=saturday), DayCount(saturday, 12, 12)]
    decision = detect_spike(counts, saturday, observed_since=saturday - timedelta(days=14))
    # 12 stories are a usual weekday but several times a usual Saturday.
    assert decision.is_spike
    assert decision.weekday_factor < 0.6
    assert decision.expected < decision.usual
    assert decision.text().startswith("평소 주말 하루 ")
    # The same 12 on a weekday against the same kind of history is no spike.
    monday = date(2026, 12, 7)
    weekday = detect_spike(
        [*history(10, 1, end=monday), DayCount(monday, 12, 12)], monday, observed_since=monday - timedelta(14)
    )
    assert weekday.status == "normal"
    assert weekday.weekday_factor > 1.0


def test_no_alert_before_the_baseline_is_long_enough() -> None:
    counts = [*history(1, 1), DayCount(DAY, 30, 20)]
    since = DAY - timedelta(days=MIN_BASELINE_DAYS - 1)
    early = detect_spike(counts, DAY, observed_since=since)
    assert early.status == "no_baseline"
    assert early.baseline_days == MIN_BASELINE_DAYS - 1
    assert "기준" in early.text()
    ready = detect_spike(counts, DAY, observed_since=since - timedelta(days=1))
    assert ready.is_spike
    assert ready.baseline_days == MIN_BASELINE_DAYS


def test_days_before_the_subscription_are_not_the_baseline() -> None:
    # Busy coverage long ago, quiet since the channel followed the company: today's 8 are a spike.
    counts = [*history(10, 10, days=14), DayCount(DAY, 8, 8)]
    quiet = [DayCount(c.day, 1, 1) if c.day >= DAY - timedelta(days=8) else c for c in counts[:-1]]
    decision = detect_spike([*quiet, counts[-1]], DAY, observed_since=DAY - timedelta(days=8))
    assert decision.baseline_days == 8
    assert decision.expected == pytest.approx(1.0, abs=0.1)
    assert decision.is_spike


def test_a_longer_history_sharpens_the_weekend_factor() -> None:
    saturday = date(2026, 12, 5)
    two_weeks = detect_spike(
        [*history(10, 1, end=saturday), DayCount(saturday, 8, 8)],
        saturday,
        observed_since=saturday - timedelta(days=14),
        sensitivity="둔감",
    )
    eight_weeks = detect_spike(
        [*history(10, 1, days=56, end=saturday), DayCount(saturday, 8, 8)],
        saturday,
        observed_since=saturday - timedelta(days=56),
        sensitivity="둔감",
    )
    # Four weekend days leave the factor near the prior; sixteen show this company's quiet weekends.
    assert eight_weeks.weekday_factor < two_weeks.weekday_factor
    assert two_weeks.status == "normal"
    assert eight_weeks.is_spike


def test_one_story_reprinted_twenty_times_is_not_a_spike() -> None:
    # Counts are distinct stories: twenty outlets carrying one wire story are one story.
    counts = [*history(1, 1), DayCount(DAY, 1, 20)]
    assert detect_spike(counts, DAY, observed_since=DAY - timedelta(days=60)).status == "normal"


def test_missing_days_count_as_zero_and_a_quiet_company_needs_several_stories() -> None:
    since = DAY - timedelta(days=60)
    assert detect_spike([DayCount(DAY, 2, 2)], DAY, observed_since=since).status == "normal"
    decision = detect_spike([DayCount(DAY, 5, 4)], DAY, observed_since=since)
    assert decision.is_spike
    assert decision.usual == 0.0
    assert decision.text() == "평소 하루 0건 → 오늘 5건 (4개 매체)"


def test_sensitivity_levels_are_ordered_and_off_gives_none() -> None:
    since = DAY - timedelta(days=60)
    base = history(4, 4)
    # Find, for each level, the smallest count that alerts: stricter levels need more.
    needed = {}
    for level in ("민감", "보통", "둔감"):
        needed[level] = next(
            n
            for n in range(50)
            if detect_spike(
                [*base, DayCount(DAY, n, n)], DAY, observed_since=since, sensitivity=level
            ).is_spike
        )
    assert needed["민감"] < needed["보통"] < needed["둔감"]
    for n in range(0, 200, 7):
        off = detect_spike([*base, DayCount(DAY, n, n)], DAY, observed_since=since, sensitivity="끔")
        assert off.status == "off"
        assert not off.is_spike


def test_a_spike_is_announced_on_its_first_day_only() -> None:
    since = DAY - timedelta(days=60)
    counts = [*history(2, 2, end=DAY - timedelta(days=1)), DayCount(DAY - timedelta(days=1), 12, 10)]
    counts.append(DayCount(DAY, 12, 10))
    first = spike_starts(counts, DAY - timedelta(days=1), observed_since=since)
    assert first is not None
    assert first.stories == 12
    assert detect_spike(counts, DAY, observed_since=since).is_spike
    assert spike_starts(counts, DAY, observed_since=since) is None


@pytest.mark.parametrize(
    ("value", "text"), [(2.0, "2"), (0.46, "0.5"), (1.96, "2"), (12.6, "13"), (0.0, "0")]
)
def test_counts_are_written_plainly(value: float, text: str) -> None:
    assert format_count(value) == text


def test_public_holidays_are_rest_days_so_the_first_working_day_after_seollal_is_ordinary() -> None:
    # 2026-02-16..18 is 설 (Mon-Wed). Ten stories a working day, three on weekends and holidays.
    after = date(2026, 2, 19)
    counts = []
    for i in range(56, 0, -1):
        d = after - timedelta(days=i)
        n = 3 if d.weekday() >= 5 or date(2026, 2, 16) <= d <= date(2026, 2, 18) else 10
        counts.append(DayCount(d, n, n))
    ordinary = detect_spike(
        [*counts, DayCount(after, 13, 13)], after, observed_since=after - timedelta(days=60)
    )
    assert ordinary.status == "normal"
    assert ordinary.expected == pytest.approx(10.0, rel=0.1)
    holiday = date(2026, 2, 17)
    busy = detect_spike(
        [c for c in counts if c.day < holiday], holiday, observed_since=holiday - timedelta(days=60)
    )
    assert 3.0 <= busy.expected < 5.0  # a rest day's level, shrunk a little towards the prior ratio
    assert busy.text().startswith("평소 휴일 하루 ")
