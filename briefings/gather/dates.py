"""Publication dates as feeds write them → aware datetimes, with the feed's own zone where they give none.

Korean outlets often write KST wall-clock time without an offset ("2026-02-06 09:00:00"), and some
write it with a wrong "Z". feedparser reads both as UTC (and reads "KST" as UTC too), which put
articles nine hours late. So the common forms are read here: ISO 8601 and RFC 822, where a missing
offset means the feed's zone, and "Z"/GMT means the feed's zone for feeds known to mislabel it.
Anything else falls back to feedparser's own reading.
"""

from __future__ import annotations

import re
from calendar import timegm
from datetime import UTC, datetime, timedelta, timezone, tzinfo
from email.utils import parsedate_tz
from typing import Any

# Zone names feeds write that the e-mail date parser does not know (it reads them as "no zone").
EXTRA_ZONES = {"KST": 9 * 3600, "JST": 9 * 3600, "HKT": 8 * 3600, "SGT": 8 * 3600}
UTC_NAMES = frozenset({"Z", "UT", "UTC", "GMT"})
_ISO = re.compile(
    r"\A(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:[.,]\d+)?)?)?\s*"
    r"(Z|[+-]\d{2}:?\d{2})?\Z",
    re.I,
)
# What ends an RFC 822 date that carries a zone: an offset or a zone name (times end in digits).
_ZONE_TAIL = re.compile(r"\s*([+-]\d{2}:?\d{2}|[A-Za-z]{1,5})\s*\Z")


def _iso(raw: str, zone: tzinfo, utc_is_local: bool) -> datetime | None:
    match = _ISO.match(raw)
    if match is None:
        return None
    year, month, day, hour, minute, second, offset = match.groups()
    try:
        naive = datetime(int(year), int(month), int(day), int(hour or 0), int(minute or 0), int(second or 0))
    except ValueError:
        return None
    if offset is None or (offset.upper() == "Z" and utc_is_local):
        return naive.replace(tzinfo=zone)
    if offset.upper() == "Z":
        return naive.replace(tzinfo=UTC)
    sign = -1 if offset[0] == "-" else 1
    digits = offset[1:].replace(":", "")
    delta = timedelta(hours=int(digits[:2]), minutes=int(digits[2:]))
    if utc_is_local and not delta:
        return naive.replace(tzinfo=zone)
    return naive.replace(tzinfo=timezone(sign * delta))


def _rfc822(raw: str, zone: tzinfo, utc_is_local: bool) -> datetime | None:
    tail = _ZONE_TAIL.search(raw)
    text = raw[: tail.start()] if tail else raw
    parts = parsedate_tz(text)
    if parts is None:
        return None
    try:
        naive = datetime(*parts[:6])
    except (TypeError, ValueError):
        return None
    if tail is None:  # the e-mail parser reads a missing zone as +0000: it means the feed's zone
        return naive.replace(tzinfo=zone)
    name = tail.group(1).upper()
    if name in EXTRA_ZONES:
        seconds = EXTRA_ZONES[name]
    elif name in UTC_NAMES:
        seconds = 0
    elif name[0] in "+-":
        digits = name[1:].replace(":", "")
        seconds = (1 if name[0] == "+" else -1) * (int(digits[:2]) * 3600 + int(digits[2:]) * 60)
    else:
        zoned = parsedate_tz(raw)
        if zoned is None or zoned[9] is None:
            return naive.replace(tzinfo=zone)
        seconds = zoned[9]
    if seconds == 0 and utc_is_local:
        return naive.replace(tzinfo=zone)
    return naive.replace(tzinfo=timezone(timedelta(seconds=seconds)))


def read_date(raw: object, parsed: Any, *, zone: tzinfo, utc_is_local: bool = False) -> datetime | None:
    """One date field: the raw string read here when it is a common form, else feedparser's struct."""
    if isinstance(raw, str) and raw.strip():
        text = " ".join(raw.split())
        when = _iso(text, zone, utc_is_local) or _rfc822(text, zone, utc_is_local)
        if when is not None:
            return when.astimezone(UTC)
    if parsed:
        try:
            return datetime.fromtimestamp(timegm(parsed), tz=UTC)
        except (OverflowError, ValueError, OSError, TypeError):
            return None
    return None


def entry_date(entry: Any, *, zone: tzinfo, utc_is_local: bool = False) -> datetime | None:
    """The first date an entry gives: published, else updated, else created."""
    for field in ("published", "updated", "created"):
        when = read_date(entry.get(field), entry.get(f"{field}_parsed"), zone=zone, utc_is_local=utc_is_local)
        if when is not None:
            return when
    return None
