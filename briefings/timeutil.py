"""Time helpers: every stored time is UTC; `now` is passed in, never read deep inside a stage."""

from __future__ import annotations

from datetime import UTC, datetime, tzinfo


def utcnow() -> datetime:
    return datetime.now(UTC)


def as_utc(value: datetime) -> datetime:
    """Naive values are taken as UTC (that is how they are stored)."""
    if value.tzinfo is UTC:  # what the database gives: nothing to convert (briefings call this a lot)
        return value
    if value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value.astimezone(UTC)


def parse_local(text: str, zone: tzinfo) -> datetime:
    """An ISO 8601 time typed by a person, in UTC: without an offset it means `zone` (BRIEFINGS_TZ),
    not UTC. Raises ValueError."""
    value = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    if value.tzinfo is None:
        value = value.replace(tzinfo=zone)
    return value.astimezone(UTC)
