"""Feed health as pure decisions: what is due, how long to back off, when to give up.

Nothing here does I/O or reads the clock; the cycle passes `now` and applies the result to the row.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

MAX_BACKOFF = timedelta(hours=6)
# A server's Retry-After is honoured up to this long; beyond it the feed is simply retried then.
MAX_RETRY_AFTER = timedelta(hours=24)
MIN_INTERVAL = timedelta(minutes=1)
DISABLE_AFTER_FAILURES = 20
GONE_STATUSES = frozenset({410})


@dataclass(frozen=True, slots=True)
class Outcome:
    """What one fetch of one feed came to."""

    ok: bool
    not_modified: bool = False
    status: int | None = None
    kind: str | None = None
    error: str | None = None
    new_articles: int = 0
    etag: str | None = None
    last_modified: str | None = None
    moved_to: str | None = None
    retry_after: timedelta | None = None  # asked for by the server (429/503 Retry-After)

    @property
    def message(self) -> str | None:
        if self.error is None:
            return None
        return f"[{self.kind}] {self.error}" if self.kind else self.error


@dataclass(frozen=True, slots=True)
class HealthUpdate:
    """The new health columns of a feed after one attempt."""

    last_status: int | None
    last_error: str | None
    consecutive_failures: int
    next_attempt_at: datetime
    last_success_at: datetime | None
    enabled: bool
    disabled_reason: str | None


def is_due(*, enabled: bool, next_attempt_at: datetime | None, now: datetime) -> bool:
    return enabled and (next_attempt_at is None or next_attempt_at <= now)


def backoff_delay(interval_seconds: int, failures: int) -> timedelta:
    """Exponential backoff from the feed's own interval: 1×, 2×, 4× … capped at MAX_BACKOFF."""
    base = max(timedelta(seconds=interval_seconds), MIN_INTERVAL)
    if failures <= 0:
        return base
    delay: timedelta = base * (2 ** min(failures - 1, 20))
    return min(delay, MAX_BACKOFF)


def next_health(
    *,
    outcome: Outcome,
    consecutive_failures: int,
    last_success_at: datetime | None,
    interval_seconds: int,
    now: datetime,
) -> HealthUpdate:
    if outcome.ok:
        return HealthUpdate(
            last_status=outcome.status,
            # A success may still carry a warning (a malformed document whose entries were salvaged).
            last_error=outcome.message,
            consecutive_failures=0,
            next_attempt_at=now + backoff_delay(interval_seconds, 0),
            last_success_at=now,
            enabled=True,
            disabled_reason=None,
        )
    failures = consecutive_failures + 1
    reason: str | None = None
    if outcome.status in GONE_STATUSES:
        reason = f"HTTP {outcome.status}: 피드가 영구히 사라졌습니다"
    elif failures >= DISABLE_AFTER_FAILURES:
        reason = f"연속 {failures}회 실패로 중지: {outcome.message or '알 수 없는 오류'}"
    delay = backoff_delay(interval_seconds, failures)
    if outcome.retry_after is not None:
        delay = max(delay, min(outcome.retry_after, MAX_RETRY_AFTER))
    return HealthUpdate(
        last_status=outcome.status,
        last_error=outcome.message,
        consecutive_failures=failures,
        next_attempt_at=now + delay,
        last_success_at=last_success_at,
        enabled=reason is None,
        disabled_reason=reason,
    )
