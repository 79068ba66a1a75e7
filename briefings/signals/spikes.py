"""Is today's coverage of a company a spike against its own recent baseline?

Pure: daily counts and the day in, a frozen decision out. Coverage is counted in distinct stories (and
outlets), never raw articles, so one wire story reprinted by twenty outlets is one story, not twenty.

The level is the trailing 14 days before `day`. Weekends and public holidays (rest days: 설 and 추석
take three weekdays each) carry far less news than weekdays, so the level is split by a multiplicative
rest-day factor: the company's own rest-day/weekday ratio over up to eight weeks, shrunk towards a prior
ratio because two weeks hold only four weekend days. A holiday counted as a weekday would drag the
weekday level down and make the first working day after 설 look like a spike for every busy company.
Today's story count is then tested with a Poisson upper tail: P(X ≥ today | expected). The sensitivity
picks the tail probability that counts as a spike; a spike also needs a minimum count and ratio, so a
busy company's ordinary +30 % day never alerts however small its p-value.

No baseline, no alert: until `MIN_BASELINE_DAYS` complete days have been observed since the company
was first followed (or coverage began), the decision says so instead of guessing.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from functools import lru_cache
from typing import Literal

import holidays

Sensitivity = Literal["민감", "보통", "둔감", "끔"]
Status = Literal["spike", "normal", "no_baseline", "off"]

SENSITIVITIES: tuple[Sensitivity, ...] = ("민감", "보통", "둔감", "끔")
DEFAULT_SENSITIVITY: Sensitivity = "보통"
# Largest Poisson upper-tail probability that still counts as a spike; None: alerts are off. Chosen on
# simulated coverage (bench/spikes.py, seed 1) so that 보통 stays well under one false alarm in 60 days.
P_THRESHOLDS: Mapping[Sensitivity, float | None] = {"민감": 3e-2, "보통": 1e-2, "둔감": 1e-3, "끔": None}

BASELINE_DAYS = 14
MIN_BASELINE_DAYS = 7
# The weekend factor is read from a longer stretch than the level: it changes slowly, weekends are few.
FACTOR_DAYS = 56
# Weekend days carry about half a weekday's items (nine dailies' RSS, February 2026: 1,172 vs 2,371 a day).
WEEKEND_PRIOR = 0.5
# Pseudo weekend days at the prior ratio, added to the company's own weekends.
WEEKEND_SHRINK_DAYS = 3.0
WEEKEND_FACTOR_RANGE = (0.1, 3.0)
# A company never covered lately still has some chance of a story; a zero rate would make any story a spike.
MIN_RATE = 0.2
MIN_STORIES = 3
MIN_RATIO = 1.5


@dataclass(frozen=True, slots=True)
class DayCount:
    """One KST day of a company's coverage."""

    day: date
    stories: int
    outlets: int


@dataclass(frozen=True, slots=True)
class SpikeDecision:
    day: date
    sensitivity: Sensitivity
    status: Status
    stories: int
    outlets: int
    # Expected distinct stories today (weekday-class adjusted), and the plain daily mean of the baseline.
    expected: float
    usual: float
    weekday_factor: float
    # P(X ≥ stories) under Poisson(expected); 1.0 when not tested.
    p_value: float
    baseline_days: int

    @property
    def is_spike(self) -> bool:
        return self.status == "spike"

    @property
    def weekend(self) -> bool:
        """A rest day: compared with the company's weekends and holidays."""
        return is_rest_day(self.day)

    def text(self) -> str:
        """The count against the usual, e.g. "평소 하루 2건 → 오늘 11건 (9개 매체)"."""
        if self.status == "no_baseline":
            return (
                f"아직 비교할 기준이 없습니다 (관찰 {self.baseline_days}일, {MIN_BASELINE_DAYS}일부터 비교)"
            )
        when = "주말 " if is_weekend(self.day) else "휴일 " if is_holiday(self.day) else ""
        return (
            f"평소 {when}하루 {format_count(self.expected)}건 → 오늘 {self.stories}건 ({self.outlets}개 매체)"
        )


def is_weekend(day: date) -> bool:
    return day.weekday() >= 5


@lru_cache(maxsize=64)
def _korean_holidays(year: int) -> frozenset[date]:
    return frozenset(holidays.country_holidays("KR", years=year))


def is_holiday(day: date) -> bool:
    """A Korean public holiday (substitute holidays included)."""
    return day in _korean_holidays(day.year)


def is_rest_day(day: date) -> bool:
    """A weekend day or a public holiday: the days that carry a weekend's share of the news."""
    return is_weekend(day) or is_holiday(day)


def format_count(value: float) -> str:
    """2 → "2", 0.46 → "0.5", 12.6 → "13": one decimal only where it tells something."""
    if value >= 10:
        return str(round(value))
    rounded = round(value, 1)
    return str(int(rounded)) if rounded == int(rounded) else f"{rounded:.1f}"


def poisson_upper_tail(k: int, lam: float) -> float:
    """P(X ≥ k) for X ~ Poisson(lam), accurate in the far tail (no 1 - (1 - tiny) cancellation)."""
    if k <= 0:
        return 1.0
    if lam <= 0:
        return 0.0
    if k <= lam:
        # The tail is large: 1 minus the short lower sum loses nothing.
        term = math.exp(-lam)
        lower = 0.0
        for i in range(k):
            lower += term
            term *= lam / (i + 1)
        return max(0.0, min(1.0, 1.0 - lower))
    # Sum upwards from k: terms shrink at least geometrically (ratio lam/(i+1) < 1).
    term = math.exp(k * math.log(lam) - lam - math.lgamma(k + 1))
    total = 0.0
    i = k
    while term > total * 1e-17 and term > 0.0:
        total += term
        i += 1
        term *= lam / i
    return min(1.0, total)


def detect_spike(
    counts: Iterable[DayCount],
    day: date,
    *,
    observed_since: date,
    sensitivity: Sensitivity = DEFAULT_SENSITIVITY,
) -> SpikeDecision:
    """The decision for `day`, from that company's daily counts.

    `counts` may hold any days; missing days in the window count as zero coverage. `observed_since` is
    the first KST day whose counts are complete for this company and follower (the later of the
    subscription and of the first gathered day): days before it are not part of the baseline.
    """
    by_day = {c.day: c for c in counts}
    today = by_day.get(day, DayCount(day, 0, 0))
    start = max(day - timedelta(days=BASELINE_DAYS), observed_since)
    baseline = [by_day.get(d, DayCount(d, 0, 0)) for d in _days(start, day)]
    factor_start = max(day - timedelta(days=FACTOR_DAYS), observed_since)

    def decision(status: Status, expected: float, usual: float, factor: float, p: float) -> SpikeDecision:
        return SpikeDecision(
            day=day,
            sensitivity=sensitivity,
            status=status,
            stories=today.stories,
            outlets=today.outlets,
            expected=expected,
            usual=usual,
            weekday_factor=factor,
            p_value=p,
            baseline_days=len(baseline),
        )

    threshold = P_THRESHOLDS[sensitivity]
    if len(baseline) < MIN_BASELINE_DAYS:
        return decision("no_baseline", 0.0, 0.0, 1.0, 1.0)
    usual = sum(c.stories for c in baseline) / len(baseline)
    ratio = weekend_ratio([by_day.get(d, DayCount(d, 0, 0)) for d in _days(factor_start, day)])
    # The level's weekday rate w: its days sum to w per weekday and ratio·w per weekend day.
    weight = sum(ratio if is_rest_day(c.day) else 1.0 for c in baseline)
    weekday_rate = sum(c.stories for c in baseline) / weight
    expected = weekday_rate * (ratio if is_rest_day(day) else 1.0)
    factor = expected / usual if usual > 0 else 1.0
    rate = max(expected, MIN_RATE)
    p = poisson_upper_tail(today.stories, rate)
    if threshold is None:
        return decision("off", expected, usual, factor, p)
    spike = p <= threshold and today.stories >= MIN_STORIES and today.stories >= MIN_RATIO * rate
    return decision("spike" if spike else "normal", expected, usual, factor, p)


def weekend_ratio(days: Iterable[DayCount]) -> float:
    """The company's rest-day/weekday story ratio, shrunk towards `WEEKEND_PRIOR`."""
    seen = list(days)
    weekday = [c.stories for c in seen if not is_rest_day(c.day)]
    weekend = [c.stories for c in seen if is_rest_day(c.day)]
    if not weekday or sum(weekday) == 0:
        return WEEKEND_PRIOR
    weekday_mean = sum(weekday) / len(weekday)
    weekend_mean = (sum(weekend) + WEEKEND_SHRINK_DAYS * WEEKEND_PRIOR * weekday_mean) / (
        len(weekend) + WEEKEND_SHRINK_DAYS
    )
    low, high = WEEKEND_FACTOR_RANGE
    return min(high, max(low, weekend_mean / weekday_mean))


def spike_starts(
    counts: Iterable[DayCount],
    day: date,
    *,
    observed_since: date,
    sensitivity: Sensitivity = DEFAULT_SENSITIVITY,
) -> SpikeDecision | None:
    """The decision for `day` when a spike starts that day (the day before was none), else None.

    A spike that lasts three days is announced once, on its first day.
    """
    series = list(counts)
    today = detect_spike(series, day, observed_since=observed_since, sensitivity=sensitivity)
    if not today.is_spike:
        return None
    yesterday = detect_spike(
        series, day - timedelta(days=1), observed_since=observed_since, sensitivity=sensitivity
    )
    return None if yesterday.is_spike else today


def _days(start: date, end: date) -> list[date]:
    """Every day from `start` up to but excluding `end`."""
    return [start + timedelta(days=i) for i in range((end - start).days)]
