"""Which spike alerts are due: a pure function of who follows what, the daily counts and `now`.

An alert is posted to a channel for a company it follows on the KST day a spike of that company
*starts* (`spike_starts`: the day before was no spike), at most once per company, channel and day,
and at most `MAX_PER_CHANNEL_DAY` a day in one channel, the strongest first, so a busy news day
never floods it. A channel whose sensitivity is 끔 gets none, and a company followed for fewer than
`MIN_BASELINE_DAYS` complete days has no baseline yet, so none either.

What drives a spike is told in the alert: the count against the usual (`SpikeDecision.text`), the
top stories, and the words that rose (`rising_words`, from the stories' own keywords).
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence, Set
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from briefings.signals.counts import kst_day
from briefings.signals.spikes import (
    DEFAULT_SENSITIVITY,
    FACTOR_DAYS,
    MIN_BASELINE_DAYS,
    SENSITIVITIES,
    DayCount,
    Sensitivity,
    SpikeDecision,
    spike_starts,
)

MAX_PER_CHANNEL_DAY = 3
# Days of counts an alert check reads: the weekend factor's stretch, the day before today, and today.
HISTORY_DAYS = FACTOR_DAYS + 2
RISING_WORDS = 5

AlertKey = tuple[str, str, int, date]  # (team, channel, company, KST day)


def as_sensitivity(value: str | None) -> Sensitivity:
    """A stored value as a sensitivity; anything unknown is the default (never a crash at alert time)."""
    for level in SENSITIVITIES:
        if value == level:
            return level
    return DEFAULT_SENSITIVITY


@dataclass(frozen=True, slots=True)
class Follow:
    """One company a channel follows, as alerting sees it."""

    channel_pk: int
    team_id: str
    channel_id: str
    is_dm: bool
    company_id: int
    company_name: str
    followed_at: datetime
    sensitivity: Sensitivity
    enterprise_id: str | None = None


@dataclass(frozen=True, slots=True)
class AlertDue:
    follow: Follow
    day: date
    decision: SpikeDecision

    @property
    def key(self) -> AlertKey:
        f = self.follow
        return (f.team_id, f.channel_id, f.company_id, self.day)


def observed_since(follow: Follow, coverage_since: date | None) -> date:
    """The first complete day of counts for this follower: the later of the subscription's KST day and
    the first complete day of gathering (None: gathering began long enough ago not to matter)."""
    followed = kst_day(follow.followed_at)
    return followed if coverage_since is None else max(followed, coverage_since)


def baseline_days_left(follow: Follow, coverage_since: date | None, *, now: datetime) -> int:
    """How many more days until this follow has a baseline to compare with (0: it has one)."""
    observed = (kst_day(now) - observed_since(follow, coverage_since)).days
    return max(MIN_BASELINE_DAYS - observed, 0)


def alerts_due(
    follows: Iterable[Follow],
    counts: Mapping[int, Sequence[DayCount]],
    claimed: Mapping[AlertKey, str],
    *,
    now: datetime,
    coverage_since: date | None = None,
    settled: Set[str] = frozenset(),
) -> list[AlertDue]:
    """The alerts to post now, strongest (smallest tail probability) first.

    `claimed` holds today's alert claims with their status; those whose status is in `settled` are
    done, the others (a retry, a worker that died) are due again and still count against the cap.
    """
    day = kst_day(now)
    decisions: dict[tuple[int, Sensitivity, date], SpikeDecision | None] = {}
    found: list[AlertDue] = []
    for follow in follows:
        if follow.sensitivity == "끔":
            continue
        since = observed_since(follow, coverage_since)
        memo = (follow.company_id, follow.sensitivity, since)
        if memo not in decisions:
            decisions[memo] = spike_starts(
                counts.get(follow.company_id, ()), day, observed_since=since, sensitivity=follow.sensitivity
            )
        decision = decisions[memo]
        if decision is not None:
            found.append(AlertDue(follow, day, decision))
    found.sort(key=lambda a: (a.decision.p_value, -a.decision.stories, a.follow.company_id))
    per_channel: Counter[tuple[str, str]] = Counter(
        (team, channel) for team, channel, _company, d in claimed if d == day
    )
    due: list[AlertDue] = []
    for alert in found:
        status = claimed.get(alert.key)
        if status is not None:
            if status not in settled:
                due.append(alert)  # claimed before and not finished: its claim is taken over in turn
            continue
        where = (alert.follow.team_id, alert.follow.channel_id)
        if per_channel[where] >= MAX_PER_CHANNEL_DAY:
            continue
        per_channel[where] += 1
        due.append(alert)
    return due


def history_start(now: datetime) -> date:
    """The first day of counts `alerts_due` needs for `now`."""
    return kst_day(now) - timedelta(days=HISTORY_DAYS)


def rising_words(
    today: Sequence[Sequence[str]],
    before: Sequence[Sequence[str]],
    *,
    exclude: Set[str] = frozenset(),
    k: int = RISING_WORDS,
) -> list[str]:
    """The keywords of today's stories that stand out against the company's stories of the days before.

    Shares, not counts: on a spike day every usual word is in more stories than usual, so a word rises
    only when a larger share of today's stories carries it (at least twice the share before, smoothed
    for small numbers), and in at least two of them (one when there is only one). Ranked by how many
    stories carry it times how far its share rose.
    """
    now_n = Counter(w for words in today for w in set(words) if w and w not in exclude)
    before_n = Counter(w for words in before for w in set(words))
    least = 1 if len(today) <= 1 else 2
    scored: list[tuple[float, int, str]] = []
    for word, n in now_n.items():
        if n < least:
            continue
        lift = ((n + 0.5) / (len(today) + 1)) / ((before_n[word] + 0.5) / (len(before) + 1))
        if lift < 2.0:
            continue
        scored.append((n * math.log(lift), n, word))
    scored.sort(key=lambda s: (-s[0], -s[1], s[2]))
    return [word for _score, _n, word in scored[:k]]
