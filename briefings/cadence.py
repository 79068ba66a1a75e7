"""How often a channel gets its briefing (`/news 주기 …`): every day, weekdays, or one day a week.

A cadence decides only which local dates have a briefing; the time of day is the channel's
`briefing_time`, and each date is still claimed once (`briefings.delivery`), so a cadence changed in
the middle of a day can neither post that day twice nor skip it. A weekly briefing covers the week:
its window reaches back to the previous briefing, up to `window_days`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

from briefings.subscriptions import InvalidSetting, parse_briefing_time

DAILY = "daily"
WEEKDAYS = "weekdays"
WEEKLY = "weekly"  # stored as weekly:<0-6>, Monday = 0
DAY_NAMES = ["월", "화", "수", "목", "금", "토", "일"]
_WORDS = {
    "매일": DAILY,
    "daily": DAILY,
    "평일": WEEKDAYS,
    "weekdays": WEEKDAYS,
    "매주": WEEKLY,
    "weekly": WEEKLY,
}
_TWICE = {"하루두번", "하루2번", "twice"}
_DAY = re.compile(r"^(월|화|수|목|금|토|일)(요일)?$")


@dataclass(frozen=True, slots=True)
class CadenceChoice:
    cadence: str
    time: str | None  # HH:MM when given


def is_briefing_day(cadence: str | None, day: date) -> bool:
    """Whether the channel has a briefing on this local date (an unknown value is read as daily)."""
    if cadence == WEEKDAYS:
        return day.weekday() < 5
    if cadence and cadence.startswith(WEEKLY + ":") and cadence[-1:].isdigit():
        return day.weekday() == int(cadence[-1])
    return True


def window_days(cadence: str | None) -> int:
    """How far back a briefing may reach when the previous one is long ago (a weekly one: the week)."""
    if cadence and cadence.startswith(WEEKLY):
        return 8
    if cadence == WEEKDAYS:
        return 4  # Monday's briefing covers the weekend
    return 3


def label(cadence: str | None) -> str:
    if cadence == WEEKDAYS:
        return "평일"
    if cadence and cadence.startswith(WEEKLY + ":") and cadence[-1:].isdigit():
        return f"매주 {DAY_NAMES[int(cadence[-1])]}요일"
    return "매일"


def parse_cadence(text: str) -> CadenceChoice:
    """`매일 08:00`, `평일`, `매주 월 08:00` → the cadence; anything else `InvalidSetting` in Korean."""
    words = text.split()
    if not words:
        raise InvalidSetting(
            "주기를 입력해 주세요. 예: `/news 주기 매일 08:00`, `/news 주기 평일`, `/news 주기 매주 월 08:00`"
        )
    head = words[0].casefold()
    if head in _TWICE or (len(words) > 1 and words[0] == "하루" and words[1] in ("두번", "2번")):
        raise InvalidSetting(
            "하루 두 번 브리핑은 아직 지원하지 않습니다. `매일`, `평일`, `매주 월`을 써 주세요."
        )
    kind = _WORDS.get(head)
    if kind is None:
        raise InvalidSetting(
            f"알 수 없는 주기입니다: '{words[0][:20]}'. `매일`, `평일`, `매주 월` 중에서 골라 주세요."
        )
    rest = words[1:]
    if kind == WEEKLY:
        m = _DAY.match(rest[0]) if rest else None
        if m is None:
            raise InvalidSetting("매주 브리핑은 요일을 함께 입력해 주세요. 예: `/news 주기 매주 월 08:00`")
        kind = f"{WEEKLY}:{DAY_NAMES.index(m.group(1))}"
        rest = rest[1:]
    if len(rest) > 1:
        raise InvalidSetting("시간은 하나만 입력해 주세요. 예: `/news 주기 평일 08:30`")
    return CadenceChoice(kind, parse_briefing_time(rest[0]) if rest else None)
