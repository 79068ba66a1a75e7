"""How often a channel is briefed (`/news 주기 …`): every day, weekdays, one day a week, or twice a day.

A cadence decides which local dates have a briefing and, on each, its slots: one slot at the channel's
`briefing_time`, or two for `하루두번 08:00 17:00` (the times are kept in the cadence itself). Every
(date, slot) is claimed once (`briefings.delivery`). Slots are numbered from the morning, and a day's
first slot is slot 0 whatever the cadence, so a cadence changed in the middle of a day never posts a
slot twice nor skips one that is still to come: after `매일 08:00` was posted, `하루두번 08:00 17:00`
adds only 17:00; after the 08:00 of `하루두번`, `매일 09:00` adds nothing. A weekly briefing covers
the week: its window reaches back to the previous briefing, up to `window_days`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

from briefings.subscriptions import InvalidSetting, parse_briefing_time

DAILY = "daily"
WEEKDAYS = "weekdays"
WEEKLY = "weekly"  # stored as weekly:<0-6>, Monday = 0
TWICE = "twice"  # stored as twice:<HH:MM>,<HH:MM>, the earlier time first
DAY_NAMES = ["월", "화", "수", "목", "금", "토", "일"]
_WORDS = {
    "매일": DAILY,
    "daily": DAILY,
    "평일": WEEKDAYS,
    "weekdays": WEEKDAYS,
    "매주": WEEKLY,
    "weekly": WEEKLY,
    "하루두번": TWICE,
    "하루2번": TWICE,
    "twice": TWICE,
}
_DAY = re.compile(r"^(월|화|수|목|금|토|일)(요일)?$")
_TWICE_STORED = re.compile(r"^twice:(\d\d:\d\d),(\d\d:\d\d)$")
TWICE_EXAMPLE = "`/news 주기 하루두번 08:00 17:00`"


@dataclass(frozen=True, slots=True)
class CadenceChoice:
    cadence: str
    time: str | None  # HH:MM when given (the first slot's, for twice a day)


def twice_times(cadence: str | None) -> tuple[str, str] | None:
    """The two times of a twice-daily cadence, None for any other cadence."""
    m = _TWICE_STORED.match(cadence or "")
    return (m.group(1), m.group(2)) if m else None


def slot_times(cadence: str | None, briefing_time: str | None, default: str) -> tuple[str, ...]:
    """The HH:MM of each of a briefing day's slots, slot 0 first."""
    return twice_times(cadence) or (briefing_time or default,)


def is_briefing_day(cadence: str | None, day: date) -> bool:
    """Whether the channel has a briefing on this local date (an unknown value is read as daily)."""
    if cadence == WEEKDAYS:
        return day.weekday() < 5
    if is_weekly(cadence):
        return day.weekday() == int(str(cadence)[-1])
    return True


def is_weekly(cadence: str | None) -> bool:
    return bool(cadence and cadence.startswith(WEEKLY + ":") and cadence[-1:].isdigit())


def window_days(cadence: str | None) -> int:
    """How far back a briefing may reach when the previous one is long ago (a weekly one: the week)."""
    if is_weekly(cadence):
        return 8
    if cadence == WEEKDAYS:
        return 4  # Monday's briefing covers the weekend
    return 3


def label(cadence: str | None) -> str:
    if cadence == WEEKDAYS:
        return "평일"
    if is_weekly(cadence):
        return f"매주 {DAY_NAMES[int(str(cadence)[-1])]}요일"
    if twice_times(cadence):
        return "하루 두 번"
    return "매일"


def describe(cadence: str | None, briefing_time: str | None, default: str) -> str:
    """The cadence with its time(s) as a person reads it: `평일 08:00`, `하루 두 번 08:00·17:00`."""
    return f"{label(cadence)} {'·'.join(slot_times(cadence, briefing_time, default))}"


def parse_cadence(text: str) -> CadenceChoice:
    """`매일 08:00`, `평일`, `매주 월 08:00`, `하루두번 08:00 17:00` → the cadence; else `InvalidSetting`."""
    words = text.split()
    if not words:
        raise InvalidSetting(
            "주기를 입력해 주세요. 예: `/news 주기 매일 08:00`, `/news 주기 평일`, "
            f"`/news 주기 매주 월 08:00`, {TWICE_EXAMPLE}"
        )
    if len(words) > 1 and words[0] == "하루" and words[1] in ("두번", "2번"):
        words = ["하루두번", *words[2:]]  # `하루 두번` spaced as people write it
    kind = _WORDS.get(words[0].casefold())
    if kind is None:
        raise InvalidSetting(
            f"알 수 없는 주기입니다: '{words[0][:20]}'. "
            "`매일`, `평일`, `하루두번`, `매주 월` 중에서 골라 주세요."
        )
    rest = words[1:]
    if kind == TWICE:
        return _parse_twice(rest)
    if kind == WEEKLY:
        m = _DAY.match(rest[0]) if rest else None
        if m is None:
            raise InvalidSetting("매주 브리핑은 요일을 함께 입력해 주세요. 예: `/news 주기 매주 월 08:00`")
        kind = f"{WEEKLY}:{DAY_NAMES.index(m.group(1))}"
        rest = rest[1:]
    if len(rest) > 1:
        raise InvalidSetting(
            f"시간은 하나만 입력해 주세요. 예: `/news 주기 평일 08:30` (하루 두 번은 {TWICE_EXAMPLE})"
        )
    return CadenceChoice(kind, parse_briefing_time(rest[0]) if rest else None)


def _parse_twice(times: list[str]) -> CadenceChoice:
    """Exactly two distinct HH:MM times, the earlier first: each slot is its own briefing."""
    if len(times) != 2:
        raise InvalidSetting(
            f"하루 두 번 브리핑은 시간을 두 개 입력해 주세요 (입력: {len(times)}개). 예: {TWICE_EXAMPLE}"
        )
    first, second = (parse_briefing_time(t) for t in times)
    if first == second:
        raise InvalidSetting(
            f"두 시간이 같습니다({first}). 서로 다른 두 시간을 입력해 주세요. 예: {TWICE_EXAMPLE}"
        )
    if first > second:  # HH:MM strings order as the times do
        raise InvalidSetting(
            f"앞의 시간({first})이 뒤의 시간({second})보다 이르게 입력해 주세요. 예: {TWICE_EXAMPLE}"
        )
    return CadenceChoice(f"{TWICE}:{first},{second}", first)


def check_time_change(cadence: str | None) -> None:
    """One briefing time (`/news 시간`, `briefings channel --time`) cannot be set on a twice-daily
    channel: its two times are changed together with the cadence."""
    times = twice_times(cadence)
    if times:
        raise InvalidSetting(
            f"이 채널은 하루 두 번({times[0]}, {times[1]}) 브리핑을 받습니다. "
            f"시간은 {TWICE_EXAMPLE}처럼 두 개를 함께 바꿔 주세요."
        )
